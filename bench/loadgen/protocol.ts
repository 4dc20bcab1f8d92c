// What the capacity suite and a load-generator worker (a child process, bench/loadgen/worker.ts) say
// to each other over the IPC channel. Commands go down, one answer comes back per command.

/** Which sessions a worker runs: global indexes [first, first + count). */
export interface SessionPlan {
  first: number;
  count: number;
  /** Sessions per source address (below the server's per-address limit). */
  perAddress: number;
  /** Members per room: session i is in room `r<floor(i / roomSize)>`. */
  roomSize: number;
  /** Names are `<prefix><i>` (letters and digits, ≤ 16 characters). */
  namePrefix: string;
  /** Bind the UDP data plane (else chat stays on TCP). */
  udp: boolean;
  /** Datagram sockets the sessions share. */
  udpSockets: number;
}

export type WorkerCommand =
  | { type: 'setup'; host: string; tcpPort: number; udpPort: number; plan: SessionPlan }
  /** Connect every session of the plan; at most `concurrency` handshakes at a time; `udp` overrides the plan's. */
  | { type: 'connect'; concurrency: number; timeoutMs: number; udp?: boolean }
  /**
   * Chat for `durationMs`: in every room, `chattersPerRoom` members each send `rate` messages per
   * second of `textBytes` bytes; every other member's receipt is a latency sample.
   */
  | { type: 'chat'; chattersPerRoom: number; rate: number; durationMs: number; textBytes: number }
  /** Start chatting as above and answer at once; chat goes on until `stop-chat`, a disconnect or the server's close. */
  | { type: 'start-chat'; chattersPerRoom: number; rate: number; textBytes: number }
  | { type: 'stop-chat' }
  /** `<disconnect>` every session, `concurrency` at a time; wait for the server to close each. */
  | { type: 'disconnect'; concurrency: number; timeoutMs: number }
  /** Wait (at most `timeoutMs`) until the server has closed every session; say what each heard. */
  | { type: 'await-close'; timeoutMs: number }
  | { type: 'status' }
  /** Sum the statistics of every live engine of this worker (what the server's engines did shows in them). */
  | { type: 'engines' }
  | { type: 'exit' };

/** Counters summed over a worker's live engines (src/reliability/types.ts EngineStats), and their RTT. */
export const ENGINE_COUNTERS = [
  'packetsSent',
  'packetsReceived',
  'dataPacketsSent',
  'ackPacketsSent',
  'retransmitsTimeout',
  'retransmitsFast',
  'retransmitsSpurious',
  'duplicatesReceived',
  'duplicatePackets',
  'packetsLost',
  'ptoExpirations',
  'tailLossProbes',
  'pingsSent',
  'messagesSent',
  'messagesDelivered',
  'queuedMessages',
] as const;

export type EngineCounter = (typeof ENGINE_COUNTERS)[number];

export interface EngineTotals {
  engines: number;
  /** Engines that have no RTT sample yet (they probe on a flat initial timeout). */
  withoutRttSample: number;
  srttMs: Quantiles;
  counters: Record<EngineCounter, number>;
}

export interface Quantiles {
  count: number;
  p50: number | undefined;
  p90: number | undefined;
  p99: number | undefined;
  max: number | undefined;
}

export interface WorkerUsage {
  /** CPU time of the worker process since it started, ms. */
  cpuMs: number;
  rssBytes: number;
}

export type WorkerAnswer =
  | { type: 'ready'; pid: number }
  | { type: 'setup-done' }
  | {
      type: 'connected';
      ok: number;
      failed: number;
      /** The first few failure reasons. */
      errors: string[];
      wallMs: number;
      /** connect() to ready (welcome, room joined, UDP bound), per session, ms. */
      handshakeMs: Quantiles;
      /** Its parts: connect() → TCP connected → welcome → `<udp>` offer → ready. */
      tcpConnectMs: Quantiles;
      welcomeMs: Quantiles;
      bindMs: Quantiles;
      usage: WorkerUsage;
    }
  | {
      type: 'chatted';
      sent: number;
      /** Deliveries to other members (each one a latency sample). */
      received: number;
      /** Of those, how many came down TCP instead of UDP. */
      receivedViaTcp: number;
      /** Deliveries expected (messages sent × other members) that had not come by the end of the drain. */
      missing: number;
      /**
       * Of those, how many still came in the extra wait after the drain (late, not lost), and how long that
       * wait ran (it ends when nothing is missing any more, or after its bound).
       */
      lateArrivals: number;
      lateWaitMs: number;
      /** Members (not chatting themselves, in a room with a chatter) that received no message at all. */
      starvedMembers: number;
      latencyMs: Quantiles;
      durationMs: number;
      fallbacks: number;
      usage: WorkerUsage;
      /** CPU and event-loop utilisation (0–1) over the chat and its drain (not the wait for late ones). */
      chatUsage: WorkerUsage;
      chatEventLoopBusy: number;
    }
  | { type: 'chat-started' }
  | { type: 'chat-stopped'; sent: number; received: number; latencyMs: Quantiles }
  | { type: 'disconnected'; closed: number; forced: number; wallMs: number; usage: WorkerUsage }
  | {
      type: 'closed';
      sessions: number;
      closed: number;
      heardShutdownNotice: number;
      heardUdpClose: number;
      /** Bound over UDP when the close began (those that can hear the UDP close). */
      boundAtStart: number;
      /** Datagrams dropped at the generator's own sockets during the close (its buffers were full). */
      generatorDrops: number | undefined;
      wallMs: number;
    }
  | {
      type: 'status';
      ready: number;
      bound: number;
      fallbacks: number;
      errors: number;
      datagramsIn: number;
      datagramsOut: number;
      /** Event-loop utilisation (0–1) since the previous status. */
      eventLoopBusy: number;
      /** Datagrams dropped at the generator's own sockets so far (buffers full). */
      generatorDrops: number | undefined;
      usage: WorkerUsage;
    }
  | { type: 'engines'; totals: EngineTotals }
  | { type: 'failed'; command: WorkerCommand['type']; message: string };
