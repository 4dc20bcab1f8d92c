// One session's UDP binding on the server: its data-plane machine (src/dataplane/machine.ts, role
// `server`) driven on the plane's timer heap, and what the machine's events mean for the session — its
// chat route, the server's hooks, the `<transport>` line and the replies resent over TCP — and for the log.
// Every decision is the machine's; this only carries them out.
import type { Logger } from 'pino';
import type { SessionId } from '../chat/hub.ts';
import type { Reply, TransportReason } from '../commands/types.ts';
import { FALLBACK_SYNC_TIMEOUT_MS, SEALED_PACKET_LIMIT } from '../dataplane/constants.ts';
import { DataPlaneMachine } from '../dataplane/machine.ts';
import type { ServerDemux } from '../dataplane/server-demux.ts';
import type { DropCause, OutgoingDatagram, PlaneEvent } from '../dataplane/types.ts';
import type { EngineConfig } from '../reliability/config.ts';
import type { EngineStats } from '../reliability/types.ts';
import { DrivenPlane } from '../udp/driven-plane.ts';
import type { KeyExporter } from '../udp/sealing.ts';
import type { EngineDriver } from '../udp/engine-driver.ts';
import type { ChatReply, ChatRoute } from './session.ts';

/** What the plane needs of a session (src/server/session.ts's Session). */
export interface PlaneSession {
  readonly id: SessionId;
  readonly name: string | undefined;
  deliver(reply: Reply): void;
  sendControl(reply: Reply): void;
  routeChatVia(route: ChatRoute | undefined): void;
  /** Present when the session's control connection is TLS: its datagrams are sealed with keys from it. */
  readonly keyExporter?: KeyExporter | undefined;
}

export interface DataPlaneHooks {
  /** A chat line the session's client sent over UDP; undefined when its bytes were not UTF-8. */
  chatLine(session: SessionId, line: string | undefined, bytes: number): void;
  /**
   * Drop the session, as a TCP client that stops reading is dropped: it let too many chat replies
   * pile up (held during a fallback, or queued unacknowledged in its engine), or after its engine
   * declared it lost it did not answer over TCP either. `detail` says which.
   */
  drop(session: SessionId, detail: string): void;
  /** A message on the bulk channel (a file chunk) from the session's client. */
  bulk?(session: SessionId, data: Uint8Array): void;
  /** Packets from the session's client were taken in (acknowledgements may have freed room): pump senders. */
  room?(session: SessionId): void;
  /** The session's engine stopped (fallback or close): links from bulkLink() are dead from now on. */
  bulkLost?(session: SessionId): void;
  /** True while the session's receiver is behind on disk: its engine keeps messages (flow control). */
  holdBulk?(session: SessionId): boolean;
}

/** Counters the plane reports, shared by its bindings. */
export interface PlaneCounters {
  /** Fallbacks to TCP, by the reason of the side that gave up. */
  fallbacks: Record<TransportReason, number>;
  chatLinesIn: number;
  chatRepliesOut: number;
}

/** What every binding of one plane shares. */
export interface PlaneContext {
  readonly logger: Logger;
  readonly hooks: DataPlaneHooks;
  readonly demux: ServerDemux<ServerBinding>;
  readonly driver: EngineDriver;
  readonly counters: PlaneCounters;
  readonly engineConfig: Readonly<Partial<EngineConfig>>;
  readonly maxQueuedChatBytes: number;
  /** A chat reply's bytes (a room fan-out encodes its one Reply once). */
  encode(reply: ChatReply): Uint8Array;
  /** Puts a datagram of a binding on the socket, if the address may be sent that much (anti-amplification). */
  transmit(datagram: OutgoingDatagram): void;
}

/** What the log says about an engine that stopped. */
function summary(stats: EngineStats | undefined): Record<string, number | null> | undefined {
  if (stats === undefined) return undefined;
  return {
    srttMs: stats.srtt ?? null,
    packetsSent: stats.packetsSent,
    packetsReceived: stats.packetsReceived,
    packetsLost: stats.packetsLost,
    retransmissions: stats.retransmitsTimeout + stats.retransmitsFast,
  };
}

export class ServerBinding {
  readonly plane: DrivenPlane<ChatReply>;
  /** The session's chat route while bound (and while chat moves to TCP): replies go to the machine. */
  readonly route: ChatRoute = { deliver: (reply) => this.deliver(reply) };

  constructor(
    readonly session: PlaneSession,
    readonly connectionId: number,
    private readonly context: PlaneContext,
    /** How many bindings the session has been offered, this one included (MAX_UDP_OFFERS_PER_SESSION). */
    readonly offers = 1,
  ) {
    const { driver, hooks } = context;
    const machine = new DataPlaneMachine<ChatReply>({
      role: 'server',
      connectionId,
      engineConfig: context.engineConfig,
      now: driver.now(),
      maxQueuedChatBytes: context.maxQueuedChatBytes,
      holdMessages: () => hooks.holdBulk?.(session.id) ?? false,
      ...(session.keyExporter !== undefined ? { maxPacketsSent: SEALED_PACKET_LIMIT } : {}),
    });
    this.plane = new DrivenPlane(
      machine,
      driver,
      (datagram) => context.transmit(datagram),
      (event) => this.onEvent(event),
    );
  }

  get machine(): DataPlaneMachine<ChatReply> {
    return this.plane.machine;
  }

  /** The session's chat route: over the engine while bound, held while moving to TCP, else declined (TCP). */
  private deliver(reply: ChatReply): boolean {
    if (this.machine.chatPath === 'tcp') return false;
    const result = this.plane.sendChat(reply, this.context.encode(reply));
    if (result === 'sent') this.context.counters.chatRepliesOut++;
    return result !== 'declined';
  }

  private onEvent(event: PlaneEvent<ChatReply>): void {
    const { session, context } = this;
    const { hooks } = context;
    switch (event.type) {
      case 'bound':
        session.routeChatVia(this.route);
        return;
      case 'line':
        context.counters.chatLinesIn++;
        hooks.chatLine(session.id, event.line, event.bytes);
        return;
      case 'bulk':
        hooks.bulk?.(session.id, event.data);
        return;
      case 'room':
        hooks.room?.(session.id);
        return;
      case 'gave-up':
        context.counters.fallbacks[event.reason]++;
        // Whether the client's address had answered its challenge: until then the server may send it
        // only 3× what it heard (a `lost` on an address never validated points there).
        const validated = context.demux.isValidated(this.connectionId);
        context.demux.remove(this.connectionId);
        context.logger.info(
          {
            session: session.id,
            name: session.name,
            connId: this.connectionId,
            reason: event.reason,
            validated,
            by: event.by === 'self' ? 'server' : 'client',
            engine: summary(event.engine),
            // The client's engine broke the protocol (docs/engine.md, "Receive accounting"): how.
            ...(event.by === 'self' && event.closed !== undefined ? { violation: event.closed.violation, detail: event.closed.detail } : {}),
          },
          'udp fallback to tcp',
        );
        if (event.wasBound) hooks.bulkLost?.(session.id);
        return;
      case 'send-transport':
        session.sendControl({ kind: 'transport', transport: 'tcp', received: event.received, reason: event.reason });
        return;
      case 'resend':
        // Straight down the control line: these go before anything the route would still hold.
        for (const reply of event.items) session.sendControl(reply);
        return;
      case 'tcp':
        session.routeChatVia(undefined);
        if (!event.synced) context.logger.warn({ session: session.id, connId: this.connectionId }, 'no <transport> answer from the client; chat goes on over tcp');
        for (const reply of event.held) session.sendControl(reply);
        return;
      case 'drop':
        hooks.drop(session.id, this.dropDetail(event));
        return;
    }
  }

  /** Logs a drop as the server always has, and words it for hooks.drop. */
  private dropDetail(drop: DropCause): string {
    const { session, context } = this;
    switch (drop.cause) {
      case 'held-overflow':
        return 'too many chat replies held while moving chat to tcp';
      case 'not-reading':
        context.logger.info({ session: session.id, name: session.name, queued: drop.queued, bytes: Math.round(drop.bytes) }, 'udp client not acknowledging chat');
        return `client is not reading: over ${context.maxQueuedChatBytes} bytes of chat unacknowledged over udp`;
      case 'silent':
        // Silent on UDP past the engine's dead-peer limit, and now silent on TCP as well: the client's
        // machine is gone (TCP alone would notice only after minutes of keepalive probes).
        context.logger.info({ session: session.id, name: session.name, connId: this.connectionId }, 'no <transport> answer from a lost udp client; dropping it');
        return `client lost: silent over udp, and no answer over tcp within ${FALLBACK_SYNC_TIMEOUT_MS} ms`;
    }
  }
}
