// The engine's deadlines, one slot per kind, and the earliest of them. The connection recomputes
// the slots after every event (they all derive from its state), so the table is just storage
// with a cheap minimum — no timer objects, no callbacks.

export const Timer = {
  /** A delayed ACK falls due (RFC 9000 §13.2.1). */
  ack: 0,
  /** Time-threshold loss detection (RFC 9002 §6.1.2). */
  loss: 1,
  /** Probe timeout, or the zero-window persist probe when nothing is in flight (RFC 9002 §6.2). */
  pto: 2,
  /** Send a keepalive PING. */
  keepalive: 3,
  /** Silence limit reached: the peer is dead. */
  idle: 4,
} as const;
export type TimerKind = (typeof Timer)[keyof typeof Timer];
export const TIMER_COUNT = 5;

export class TimerTable {
  private readonly deadlines = new Float64Array(TIMER_COUNT).fill(Infinity);

  set(kind: TimerKind, at: number): void {
    this.deadlines[kind] = at;
  }

  get(kind: TimerKind): number {
    return this.deadlines[kind] ?? Infinity;
  }

  /** Is `kind` due at `now`? */
  expired(kind: TimerKind, now: number): boolean {
    return (this.deadlines[kind] ?? Infinity) <= now;
  }

  /** The earliest deadline, Infinity when none is set. */
  next(): number {
    const d = this.deadlines;
    let min = Infinity;
    for (let i = 0; i < TIMER_COUNT; i++) {
      const v = d[i] ?? Infinity;
      if (v < min) min = v;
    }
    return min;
  }

  clear(): void {
    this.deadlines.fill(Infinity);
  }
}
