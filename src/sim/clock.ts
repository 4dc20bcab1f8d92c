// Virtual time: a clock that only moves when the next timer fires. Timers live in a binary heap keyed by
// due time (ties in scheduling order), so a run is a deterministic sequence of events however fast or
// slow the machine is. Cancelling is lazy: owners re-arm with a new generation and ignore stale firings.
import { TimeHeap } from './heap.ts';

export class VirtualClock<T> {
  private readonly timers = new TimeHeap<T>();
  private current: number;

  constructor(start = 0) {
    this.current = start;
  }

  /** Virtual now, ms. */
  get now(): number {
    return this.current;
  }

  /** Timers not yet fired (stale ones included). */
  get pending(): number {
    return this.timers.size;
  }

  /** Fire `event` at `at`; a time in the past fires at the current instant (time never goes back). */
  schedule(at: number, event: T): void {
    this.timers.push(at > this.current ? at : this.current, event);
  }

  /** When the next timer is due, or undefined when none is left. */
  peek(): number | undefined {
    return this.timers.peekTime();
  }

  /**
   * Advances to the earliest timer and returns its event (`now` is then its time), or undefined when
   * none is left or the earliest is due after `limit` (then the clock stays put).
   */
  advance(limit = Infinity): T | undefined {
    const at = this.timers.peekTime();
    if (at === undefined || at > limit) return undefined;
    this.current = at;
    return this.timers.pop();
  }
}
