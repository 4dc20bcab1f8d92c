// Drives any number of sans-IO engines on real time: feeds them packets and sends, drains what they want
// to transmit, and keeps ONE timer (the earliest pollTimeout of all engines, from a min-heap) rather than a
// timer per session, so ten thousand sessions cost ten thousand heap entries, not ten thousand timers.
import { performance } from 'node:perf_hooks';
import type { ChannelId, EngineEvent, ReliableConnection } from '../reliability/types.ts';

export interface DrivenHandlers {
  /** A packet the engine wants on the wire (the caller frames it into a datagram). */
  transmit(packet: Uint8Array): void;
  /** A delivered message or the peer-lost event. */
  event(event: EngineEvent): void;
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
    for (let event = conn.pollEvent(); event; event = conn.pollEvent()) {
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
