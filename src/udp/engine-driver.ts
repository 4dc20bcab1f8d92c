// Drives any number of sans-IO engines — or data-plane machines, which have the same poll shape
// (src/dataplane/machine.ts) — on real time: services them when woken (drains what they want to transmit
// and their events), and keeps ONE timer (the earliest pollTimeout of all, from a min-heap) rather than a
// timer per session, so ten thousand sessions cost ten thousand heap entries, not ten thousand timers.
import { performance } from 'node:perf_hooks';
import type { EngineConfig } from '../reliability/config.ts';
import type { ChannelId, EngineEvent, ReliableConnection } from '../reliability/types.ts';

/**
 * Engine options for engines driven on real sockets (the server's and the client's UDP planes), over the
 * engine's defaults (which the simulator uses as they are). Every value here has its reason beside it.
 *
 * `queueDelayMinMs` 10 (default 1): the loss-tolerant controller treats RTT above the base RTT by more than
 * this as a standing queue and shrinks the window to rate · (base RTT + target). On loopback the base RTT
 * is ~0.1 ms, but a Node receiver takes a burst of datagrams in one event-loop turn and its ACKs leave only
 * after the whole burst is processed (setImmediate batching), and on a shared, loaded machine a process is
 * descheduled for milliseconds: RTT samples of 1–10 ms without any network queue. With the 1 ms target the
 * window was drained to 2–30 packets over and over and a 20 MiB transfer between two processes ran at
 * ~22 MB/s; with 10 ms it stays at 40–130 packets and runs at ~30 MB/s (two processes, this driver and
 * UdpEndpoint over loopback, 2 runs each at load ~4; 20 ms gave ~33 MB/s but lets a transfer keep twice
 * the queue in front of chat). `npm run bench -- download`, 3 rounds at load 5–9: 13.3 → 24.5 MB/s at 0 %,
 * 16.3 → 26.9 at 5 %, 10.3 → 18 at 10 %. The bound on what
 * chat beside a transfer waits behind on a real path is this target: 10 ms, still below a person's notice.
 */
export const SOCKET_QUEUE_DELAY_MIN_MS = 10;

/**
 * `openPings` 1 (default 0): a PING when the engine opens, so its first RTT sample exists before the first
 * chat line. Without it a first line lost on a lossy path waited for the pre-sample timeout (200 ms): with 8
 * sparse pairs at 10 % loss that set the sparse p99 of most `chat-latency` runs (202–210 ms; after: 16–69 ms).
 */
export const SOCKET_OPEN_PINGS = 1;

/**
 * The client's keepalive: a PING after 25 s of quiet, which the server's engine answers with an ACK. The
 * client owns the path's NAT mapping, and a mapping is refreshed by outbound packets (RFC 4787 REQ-6);
 * RFC 4787 REQ-5 asks NATs to keep an idle UDP mapping ≥ 2 min, but many expire it sooner (Linux conntrack
 * forgets a UDP flow after 30 s until it has seen traffic both ways — `nf_conntrack_udp_timeout`; home
 * routers 30–60 s). 25 s stays under 30 s, as WireGuard's recommended PersistentKeepalive does. Each idle
 * bound session costs the server one PING in and one ACK out per 25 s: 800 datagrams/s for 10,000 sessions
 * (the engine's 2 s default on both sides was ~10,000/s, and the idle server spent 46 % of a core on it).
 * A session that chats refreshes the mapping with its own packets and sends no keepalive.
 */
export const CLIENT_KEEPALIVE_INTERVAL_MS = 25_000;

/**
 * The server sends no keepalive (0): an idle session owes it nothing. Its client refreshes the mapping and
 * finds a dead path itself (no answer to a keepalive within the engine's idleTimeoutMs, 10 s: it moves chat
 * to TCP and tells the server); the server's engine finds a dead peer when it awaits an answer (chat sent,
 * nothing heard for 10 s) or hears nothing for SERVER_PEER_SILENCE_MS; a client then silent over TCP too is
 * dropped (src/dataplane/machine.ts decides it, src/server/udp-binding.ts carries it out).
 */
export const SERVER_KEEPALIVE_INTERVAL_MS = 0;

/**
 * The server's engine declares a client lost after hearing nothing from it for 60 s, awaited answer or not:
 * two of its 25 s keepalives missed, plus 10 s for the probes a keepalive gets when its first copy is lost.
 * Without it a client that vanished from an idle room (power loss, a suspended laptop) would be found only by
 * TCP keepalive, ~12 min with Linux defaults. Lost → the server moves chat to TCP and, with no `<transport>`
 * answer there either within FALLBACK_SYNC_TIMEOUT_MS, drops the session: ~65 s in all. Costs no datagram.
 */
export const SERVER_PEER_SILENCE_MS = 2 * CLIENT_KEEPALIVE_INTERVAL_MS + 10_000;

/**
 * `rtoMinMs` 200 (default 25): the floor of the retransmission timeout (PTO) of engines on real sockets. On
 * a socket between Node processes an ACK's delay is the peer's event-loop turn, not the path: milliseconds on
 * a quiet host, hundreds under load — and RTT samples taken quietly (the opening PING) go stale while a
 * session idles (no keepalive on the server). With the 25 ms floor every chat reply to a busy peer was
 * probed again and again (tail-loss probe, then PTOs at 25, 50, 100, 200 ms…), each probe answered with 2–4
 * ACK copies: the datagrams fed the delay that caused them. Capacity suite, 10,000 sessions, 1,000 chatting
 * at 1 msg/s: 15–28 datagrams in / 35–40 out per delivery, 0.64–1.1 ms server CPU per delivery, ~1.2k of 9k
 * deliveries/s, thousands of fallbacks; with 200 ms: 2.3 in / 2.2 out, 0.11 ms, 9k/s, none (2026-11-21,
 * docs/benchmarks.md "Capacity"). A lone lost chat line still recovers at the tail-loss probe (2·SRTT + 3 ms,
 * not floored); only a lost probe waits for this floor.
 */
export const SOCKET_RTO_MIN_MS = 200;

/**
 * `maxMessagesInFlight` 1,024 (default 65,536): messages per channel a sender may have beyond its oldest
 * unacknowledged one — and so the most a receiver holds out of order; a peer that sends one further ahead
 * is closed (docs/engine.md, "Receive accounting"). Both ends use it (the client's options extend these).
 * Chat is rate-limited to 20 lines/s per user and a file's 32 KiB chunks fill a 4 MiB window with 128, so
 * 1,024 never holds back an honest sender; with 65,536, one user made the server hold 65,535 empty
 * messages ahead of a missing one (+60 MiB), then deliver and log them all at once when the gap closed.
 */
export const SOCKET_MAX_MESSAGES_IN_FLIGHT = 1_024;

/** Engine options of the server's engines on real sockets; the client's add its keepalive. */
export const SOCKET_ENGINE_CONFIG: Readonly<Partial<EngineConfig>> = Object.freeze({
  maxMessagesInFlight: SOCKET_MAX_MESSAGES_IN_FLIGHT,
  queueDelayMinMs: SOCKET_QUEUE_DELAY_MIN_MS,
  openPings: SOCKET_OPEN_PINGS,
  keepaliveIntervalMs: SERVER_KEEPALIVE_INTERVAL_MS,
  peerSilenceTimeoutMs: SERVER_PEER_SILENCE_MS,
  rtoMinMs: SOCKET_RTO_MIN_MS,
});

/** Engine options of a client's engine on a real socket (the CLI client's plane, the load generator). */
export const CLIENT_ENGINE_CONFIG: Readonly<Partial<EngineConfig>> = Object.freeze({
  ...SOCKET_ENGINE_CONFIG,
  keepaliveIntervalMs: CLIENT_KEEPALIVE_INTERVAL_MS,
  peerSilenceTimeoutMs: 0,
});

/** Anything sans-IO with the engine's poll shape: an engine, or a data-plane machine around one. */
export interface Pollable<P, E> {
  pollTransmit(now: number): P | undefined;
  pollEvent(): E | undefined;
  pollTimeout(): number | undefined;
  handleTimeout(now: number): void;
}

export interface DrivenHandlers<P = Uint8Array, E = EngineEvent> {
  /** Something to put on the wire (an engine's packet, which the caller frames; a machine's datagram). */
  transmit(item: P): void;
  /** What the driven thing tells its owner (a delivered message, the peer-lost event; a machine's event). */
  event(event: E): void;
  /**
   * True while the owner cannot take more events (its disk is behind a file transfer): they stay in
   * the engine, whose receive window then closes so the peer slows down. Call Driven.wake() once it can
   * take them again. (A data-plane machine holds its engine's messages itself and needs none.)
   */
  holdEvents?(): boolean;
}

/** One sans-IO thing on the driver: serviced when woken, timed out at its deadline. */
export class Driven<P, E> {
  /** The deadline as filed in the driver's heap (undefined: none, or not filed). */
  deadline: number | undefined;
  /** Position in the driver's heap, −1 when not in it. */
  heapIndex = -1;
  dirty = false;
  detached = false;

  constructor(
    readonly target: Pollable<P, E>,
    readonly handlers: DrivenHandlers<P, E>,
    protected readonly driver: EngineDriver,
  ) {}

  /** Service it soon, batched with everything else woken in this turn (inputs were handed to it). */
  wake(): void {
    if (this.detached) return;
    this.driver.markDirty(this);
  }

  /** Service it now: what it wants to send goes out and its events are handed over before this returns. */
  flush(): void {
    if (this.detached) return;
    this.driver.serviceNow(this);
  }

  /** Stop driving it. */
  detach(): void {
    if (this.detached) return;
    this.detached = true;
    this.driver.forget(this);
  }
}

/** A bare engine on the driver (the load generator's clients, driver tests). */
export class DrivenEngine extends Driven<Uint8Array, EngineEvent> {
  constructor(
    readonly connection: ReliableConnection,
    handlers: DrivenHandlers,
    driver: EngineDriver,
  ) {
    super(connection, handlers, driver);
  }

  /** A packet from the peer. */
  input(packet: Uint8Array): void {
    if (this.detached) return;
    this.connection.handlePacket(packet, this.driver.now());
    this.driver.markDirty(this);
  }

  /** Queue a message; false if the engine is no longer open. */
  send(channel: ChannelId, data: Uint8Array): boolean {
    if (this.detached) return false;
    const ok = this.connection.send(channel, data, this.driver.now());
    this.driver.markDirty(this);
    return ok;
  }

  /** Stop driving: the engine is closed and forgotten. */
  override detach(): void {
    if (this.detached) return;
    this.connection.close();
    super.detach();
  }
}

/** What the driver files and services, whatever it drives. */
type AnyDriven = Driven<unknown, unknown>;

/**
 * Passes over engines dirtied during a pass (each pass can dirty others: a chat line in from one session
 * goes out to other sessions) before the rest waits for the next event-loop iteration. Chat needs two (the
 * sender's engine, then its recipients'); the bound keeps a long chain from holding the loop.
 */
const SERVICE_ROUNDS_PER_TURN = 4;

/**
 * Engines whose deadline passed that are handled in one pass before the rest wait for the next event-loop
 * iteration, so datagrams that arrived meanwhile are read in between (see onTimer).
 */
const TIMEOUTS_PER_PASS = 128;

/**
 * An armed timer up to this much earlier than the earliest deadline is kept (it fires, finds nothing due
 * and re-arms): Node's timers have 1 ms resolution, and re-arming for sub-ms moves would be churn.
 */
const TIMER_SLACK_MS = 1;

export class EngineDriver {
  /**
   * Engines with a deadline, a binary min-heap on it, each engine at most once (it knows its index), so a
   * deadline that moves is updated in place: the heap never holds more entries than engines, however
   * often deadlines change (every packet moves one), and an idle engine without a deadline is not in it.
   */
  private readonly heap: AnyDriven[] = [];
  private readonly dirty: AnyDriven[] = [];
  private serviceScheduled = false;
  private timer: NodeJS.Timeout | undefined;
  private timerAt = Infinity;
  /** runTimeouts is queued (setImmediate): no timer is needed meanwhile. */
  private timeoutsScheduled = false;
  private stopped = false;

  constructor(readonly now: () => number = () => performance.now()) {}

  /** Engines waiting for a deadline now. */
  get scheduled(): number {
    return this.heap.length;
  }

  attach(connection: ReliableConnection, handlers: DrivenHandlers): DrivenEngine {
    const driven = new DrivenEngine(connection, handlers, this);
    this.markDirty(driven);
    return driven;
  }

  /** Drive any sans-IO thing with the poll shape (a data-plane machine). */
  drive<P, E>(target: Pollable<P, E>, handlers: DrivenHandlers<P, E>): Driven<P, E> {
    const driven = new Driven(target, handlers, this);
    this.markDirty(driven);
    return driven;
  }

  /** Work for this engine is batched to the end of the current turn, so sends in one turn share packets. */
  markDirty(driven: AnyDriven): void {
    if (driven.dirty || this.stopped) return;
    driven.dirty = true;
    this.dirty.push(driven);
    if (!this.serviceScheduled) {
      this.serviceScheduled = true;
      setImmediate(this.serviceDirty);
    }
  }

  /** Service one at once (Driven.flush); it stays dirty if it was, and is serviced again with the rest. */
  serviceNow(driven: AnyDriven): void {
    if (this.stopped) return;
    this.service(driven);
    this.armTimer();
  }

  /** A detached engine leaves the heap. */
  forget(driven: AnyDriven): void {
    this.remove(driven);
    driven.deadline = undefined;
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    for (const driven of this.heap) driven.heapIndex = -1;
    this.heap.length = 0;
    this.dirty.length = 0;
  }

  private readonly serviceDirty = (): void => {
    // Engines dirtied while others are serviced (a chat line in from one session goes out to others, or
    // back to its sender) are serviced in this same pass, so their packets leave now rather than one
    // event-loop iteration later (an iteration per hop was ~2.5 setImmediate per chat line on the server).
    const dirty = this.dirty;
    for (let round = 0; round < SERVICE_ROUNDS_PER_TURN && dirty.length > 0; round++) {
      const batch = dirty.splice(0);
      for (const driven of batch) {
        driven.dirty = false;
        this.service(driven);
      }
    }
    this.serviceScheduled = false;
    if (dirty.length > 0 && !this.stopped) {
      this.serviceScheduled = true;
      setImmediate(this.serviceDirty);
    }
    this.armTimer();
  };

  /** Drain events and packets, then file the engine's next deadline. */
  private service(driven: AnyDriven): void {
    if (driven.detached) return;
    const conn = driven.target;
    const now = this.now();
    for (let item = conn.pollTransmit(now); item !== undefined; item = conn.pollTransmit(now)) {
      driven.handlers.transmit(item);
    }
    const hold = driven.handlers.holdEvents;
    // Bounded by the events the engine holds; each turn takes one (or stops while the owner holds).
    while (hold === undefined || !hold()) {
      const event = conn.pollEvent();
      if (event === undefined) break;
      driven.handlers.event(event);
      if (driven.detached) return;
    }
    this.schedule(driven, conn.pollTimeout());
  }

  /**
   * The timer fired: the due engines are handled after this iteration's I/O, not now. Node runs expired
   * timers before it polls the sockets, so after a long turn every probe timer that ran out during it
   * would fire while the ACKs that cancel it wait unread in the socket buffer — on a busy server nearly
   * every chat reply was probed (tail-loss probe, then backed-off PTOs, each answered with 2–4 ACK copies),
   * which tripled the datagrams per delivery, overflowed the socket and fed itself (capacity suite, chat
   * among 10,000). From setImmediate they run in the check phase, after the poll phase has handed the
   * arrived datagrams to their engines (handleTimeout then finds an ACKed probe timer no longer due), and
   * TIMEOUTS_PER_PASS at a time, so a large batch of expiries is interleaved with reading too.
   */
  private readonly onTimer = (): void => {
    this.timer = undefined;
    this.timerAt = Infinity;
    this.scheduleTimeouts();
  };

  private scheduleTimeouts(): void {
    if (this.timeoutsScheduled || this.stopped) return;
    this.timeoutsScheduled = true;
    setImmediate(this.runTimeouts);
  }

  private readonly runTimeouts = (): void => {
    this.timeoutsScheduled = false;
    if (this.stopped) return;
    const now = this.now();
    // Bounded: an engine serviced here is filed again only with a deadline it computed after `now`, or
    // at `now` when it still has work — then it waits for the next pass (budget: the heap's size, at
    // most TIMEOUTS_PER_PASS).
    let budget = Math.min(this.heap.length, TIMEOUTS_PER_PASS);
    while (budget-- > 0 && this.heap.length > 0 && this.heap[0]!.deadline! <= now) {
      const driven = this.heap[0]!;
      this.remove(driven);
      driven.deadline = undefined;
      driven.target.handleTimeout(now);
      this.service(driven);
    }
    const next = this.heap[0];
    // More due already: the next pass comes after the next iteration's I/O (a timer would wait ≥ 1 ms).
    if (next !== undefined && next.deadline! <= now) this.scheduleTimeouts();
    else this.armTimer();
  };

  private armTimer(): void {
    if (this.stopped || this.timeoutsScheduled) return;
    const first = this.heap[0];
    if (!first || first.deadline === undefined) {
      if (this.timer) clearTimeout(this.timer);
      this.timer = undefined;
      this.timerAt = Infinity;
      return;
    }
    // Keep the armed timer only when it is at most TIMER_SLACK_MS early. A timer left armed for a deadline
    // that moved later (an ACK cancelled the tail-loss probe it was set for) fires for nothing: a wasted
    // wake-up of the process, far dearer than re-arming (0.65 per chat line on the server, 1.2 on the clients).
    if (this.timer && first.deadline >= this.timerAt && first.deadline - this.timerAt < TIMER_SLACK_MS) return;
    if (this.timer) clearTimeout(this.timer);
    this.timerAt = first.deadline;
    // Node truncates a delay to whole ms and counts it from the loop's cached time, so a fractional delay
    // fires up to a ms early — to find nothing due and wait again. Rounded up it fires on time or later
    // (the engine's timeouts include one timer granularity for that).
    this.timer = setTimeout(this.onTimer, Math.max(1, Math.ceil(first.deadline - this.now())));
  }

  // ---- the indexed heap ---------------------------------------------------------------------------

  /** File `driven` under `deadline` (undefined: out of the heap), moving its entry if it has one. */
  private schedule(driven: AnyDriven, deadline: number | undefined): void {
    if (deadline === undefined) {
      this.remove(driven);
      driven.deadline = undefined;
      return;
    }
    if (driven.heapIndex >= 0 && deadline === driven.deadline) return;
    const earlier = driven.deadline === undefined || deadline < driven.deadline;
    driven.deadline = deadline;
    if (driven.heapIndex < 0) {
      driven.heapIndex = this.heap.length;
      this.heap.push(driven);
      this.siftUp(driven.heapIndex);
    } else if (earlier) this.siftUp(driven.heapIndex);
    else this.siftDown(driven.heapIndex);
  }

  private remove(driven: AnyDriven): void {
    const i = driven.heapIndex;
    if (i < 0) return;
    const heap = this.heap;
    const last = heap.pop()!;
    driven.heapIndex = -1;
    if (last === driven) return;
    heap[i] = last;
    last.heapIndex = i;
    this.siftUp(i);
    this.siftDown(last.heapIndex);
  }

  private siftUp(i: number): void {
    const heap = this.heap;
    const item = heap[i]!;
    const key = item.deadline!;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = heap[parent]!;
      if (p.deadline! <= key) break;
      heap[i] = p;
      p.heapIndex = i;
      i = parent;
    }
    heap[i] = item;
    item.heapIndex = i;
  }

  private siftDown(i: number): void {
    const heap = this.heap;
    const n = heap.length;
    const item = heap[i]!;
    const key = item.deadline!;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      let m = l;
      if (r < n && heap[r]!.deadline! < heap[l]!.deadline!) m = r;
      const child = heap[m]!;
      if (child.deadline! >= key) break;
      heap[i] = child;
      child.heapIndex = i;
      i = m;
    }
    heap[i] = item;
    item.heapIndex = i;
  }
}
