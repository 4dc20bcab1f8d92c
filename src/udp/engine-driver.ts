// Drives any number of sans-IO engines on real time: feeds them packets and sends, drains what they want
// to transmit, and keeps ONE timer (the earliest pollTimeout of all engines, from a min-heap) rather than a
// timer per session, so ten thousand sessions cost ten thousand heap entries, not ten thousand timers.
import { performance } from 'node:perf_hooks';
import type { EngineConfig } from '../reliability/config.ts';
import type { ChannelId, EngineEvent, ReliableConnection } from '../reliability/types.ts';

/**
 * Engine options for engines driven on real sockets (the server's and the client's UDP planes), over the
 * engine's defaults (which the simulator uses as they are).
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

export const SOCKET_ENGINE_CONFIG: Readonly<Partial<EngineConfig>> = Object.freeze({
  queueDelayMinMs: SOCKET_QUEUE_DELAY_MIN_MS,
  openPings: SOCKET_OPEN_PINGS,
});

export interface DrivenHandlers {
  /** A packet the engine wants on the wire (the caller frames it into a datagram). */
  transmit(packet: Uint8Array): void;
  /** A delivered message or the peer-lost event. */
  event(event: EngineEvent): void;
  /**
   * True while the owner cannot take more messages (its disk is behind a file transfer): they stay in
   * the engine, whose receive window then closes so the peer slows down. Call DrivenEngine.wake()
   * once it can take them again.
   */
  holdEvents?(): boolean;
}

interface HeapEntry {
  deadline: number;
  driven: DrivenEngine;
  generation: number;
}

export class DrivenEngine {
  /** Bumped whenever the deadline changes; stale heap entries are skipped. */
  generation = 0;
  deadline: number | undefined;
  dirty = false;
  detached = false;

  constructor(
    readonly connection: ReliableConnection,
    readonly handlers: DrivenHandlers,
    private readonly driver: EngineDriver,
  ) {}

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

  /** Service the engine soon (after holdEvents() turned false: deliver what it kept). */
  wake(): void {
    if (this.detached) return;
    this.driver.markDirty(this);
  }

  /** Stop driving: the engine is closed and forgotten. */
  detach(): void {
    if (this.detached) return;
    this.detached = true;
    this.connection.close();
    this.generation++;
  }
}

export class EngineDriver {
  private readonly heap: HeapEntry[] = [];
  private readonly dirty: DrivenEngine[] = [];
  private serviceScheduled = false;
  private timer: NodeJS.Timeout | undefined;
  private timerAt = Infinity;
  private stopped = false;

  constructor(readonly now: () => number = () => performance.now()) {}

  attach(connection: ReliableConnection, handlers: DrivenHandlers): DrivenEngine {
    const driven = new DrivenEngine(connection, handlers, this);
    this.markDirty(driven);
    return driven;
  }

  /** Work for this engine is batched to the end of the current turn, so sends in one turn share packets. */
  markDirty(driven: DrivenEngine): void {
    if (driven.dirty || this.stopped) return;
    driven.dirty = true;
    this.dirty.push(driven);
    if (!this.serviceScheduled) {
      this.serviceScheduled = true;
      setImmediate(this.serviceDirty);
    }
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.heap.length = 0;
    this.dirty.length = 0;
  }

  private readonly serviceDirty = (): void => {
    this.serviceScheduled = false;
    const batch = this.dirty.splice(0);
    for (const driven of batch) {
      driven.dirty = false;
      this.service(driven);
    }
    this.armTimer();
  };

  /** Drain events and packets, then file the engine's next deadline. */
  private service(driven: DrivenEngine): void {
    if (driven.detached) return;
    const conn = driven.connection;
    const now = this.now();
    for (let packet = conn.pollTransmit(now); packet; packet = conn.pollTransmit(now)) {
      driven.handlers.transmit(packet);
    }
    const hold = driven.handlers.holdEvents;
    // Bounded by the events the engine holds; each turn takes one (or stops while the owner holds).
    while (hold === undefined || !hold()) {
      const event = conn.pollEvent();
      if (event === undefined) break;
      driven.handlers.event(event);
      if (driven.detached) return;
    }
    const deadline = conn.pollTimeout();
    if (deadline !== driven.deadline) {
      driven.deadline = deadline;
      driven.generation++;
      if (deadline !== undefined) this.push({ deadline, driven, generation: driven.generation });
    }
  }

  private readonly onTimer = (): void => {
    this.timer = undefined;
    this.timerAt = Infinity;
    const now = this.now();
    // Bounded: each entry popped is either stale or serviced once per firing.
    let budget = this.heap.length;
    while (budget-- > 0 && this.heap.length > 0 && this.heap[0]!.deadline <= now) {
      const entry = this.pop()!;
      const driven = entry.driven;
      if (driven.detached || entry.generation !== driven.generation) continue;
      driven.deadline = undefined;
      driven.generation++;
      driven.connection.handleTimeout(now);
      this.service(driven);
    }
    this.armTimer();
  };

  private armTimer(): void {
    if (this.stopped) return;
    // Drop stale entries at the top so a detached engine never keeps the process awake.
    while (this.heap.length > 0) {
      const top = this.heap[0]!;
      if (!top.driven.detached && top.generation === top.driven.generation) break;
      this.pop();
    }
    const first = this.heap[0];
    if (!first) {
      if (this.timer) clearTimeout(this.timer);
      this.timer = undefined;
      this.timerAt = Infinity;
      return;
    }
    if (this.timer && first.deadline >= this.timerAt) return;
    if (this.timer) clearTimeout(this.timer);
    this.timerAt = first.deadline;
    this.timer = setTimeout(this.onTimer, Math.max(0, first.deadline - this.now()));
  }

  private push(entry: HeapEntry): void {
    const heap = this.heap;
    heap.push(entry);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (heap[parent]!.deadline <= entry.deadline) break;
      heap[i] = heap[parent]!;
      i = parent;
    }
    heap[i] = entry;
  }

  private pop(): HeapEntry | undefined {
    const heap = this.heap;
    const top = heap[0];
    const last = heap.pop();
    if (heap.length > 0 && last) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        let mDeadline = last.deadline;
        if (l < heap.length && heap[l]!.deadline < mDeadline) {
          m = l;
          mDeadline = heap[l]!.deadline;
        }
        if (r < heap.length && heap[r]!.deadline < mDeadline) m = r;
        if (m === i) break;
        heap[i] = heap[m]!;
        i = m;
      }
      heap[i] = last;
    }
    return top;
  }
}
