// A penalty budget for one connection's commands — the flood control of IRC servers (ngircd's penalty
// time, ergo's fakelag) as a pure module any door applies as lines arrive (the IRC door's, the bracket
// door's: src/doors/bracket/connection.ts).
//
// A clock runs ahead of real time: each command pushes it by its cost. While it is at most `freeMs`
// ahead, commands run at once (a burst: a pasted paragraph, a client's sign-in); beyond that a command is
// *held* until the clock is back within `freeMs` (the lag a flooder feels, nobody else does); a command
// that would have to wait more than `holdMs` is *refused* (its cost not charged); and `maxStrikes`
// refusals in a row *drop* the connection. A command that runs at once forgives the strikes.
//
//   charge(cost, now) → { type: 'go' } | { type: 'hold', until } | { type: 'refuse', retryMs } | { type: 'drop' }
//   owe(cost, now)     pushes the clock after the fact (a line found bad only once read): later lines feel it
//
// Pure: `now` comes in (milliseconds), the verdict goes out; the shell holds, refuses or closes.

export interface PenaltyRules {
  /** How far the clock may run ahead of now before commands wait. */
  freeMs: number;
  /** The longest a command is held; beyond it the command is refused. */
  holdMs: number;
  /** Refusals in a row that drop the connection. */
  maxStrikes: number;
}

export type PenaltyVerdict =
  | { type: 'go' }
  /** Run the command at `until` (absolute ms), after the ones held before it. */
  | { type: 'hold'; until: number }
  /** Refused; a command now would wait `retryMs` more than allowed. */
  | { type: 'refuse'; retryMs: number }
  /** Persistent excess: close the connection. */
  | { type: 'drop' };

export class PenaltyBudget {
  /** The penalty clock: absolute ms; at most `now` means no debt. */
  private clock = Number.NEGATIVE_INFINITY;
  private strikes = 0;

  constructor(private readonly rules: PenaltyRules) {
    if (!(rules.freeMs >= 0 && rules.holdMs >= 0 && Number.isInteger(rules.maxStrikes) && rules.maxStrikes >= 1)) {
      throw new RangeError('penalty rules: freeMs and holdMs ≥ 0, maxStrikes a whole number ≥ 1');
    }
  }

  /** A command costing `cost` ms arrives at `now`. */
  charge(cost: number, now: number): PenaltyVerdict {
    const base = Math.max(this.clock, now);
    const next = base + Math.max(0, cost);
    const wait = next - now - this.rules.freeMs;
    if (wait <= 0) {
      this.clock = next;
      this.strikes = 0;
      return { type: 'go' };
    }
    if (wait <= this.rules.holdMs) {
      this.clock = next;
      return { type: 'hold', until: now + wait };
    }
    this.strikes++;
    if (this.strikes >= this.rules.maxStrikes) return { type: 'drop' };
    return { type: 'refuse', retryMs: Math.ceil(wait - this.rules.holdMs) };
  }

  /** Add `cost` to the clock without a verdict: what a line turned out to cost once it was read. */
  owe(cost: number, now: number): void {
    this.clock = Math.max(this.clock, now) + Math.max(0, cost);
  }

  /** How far the clock is ahead of `now` (0: no debt). */
  debt(now: number): number {
    return Math.max(0, this.clock - now);
  }
}
