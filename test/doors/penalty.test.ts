// The penalty budget: a burst runs at once, excess is held, then refused, and persistent excess drops.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PenaltyBudget } from '../../src/doors/penalty.ts';

const RULES = { freeMs: 1_000, holdMs: 2_000, maxStrikes: 3 };

describe('penalty budget', () => {
  it('runs a burst at once, holds the excess in order, refuses beyond the hold, drops after the strikes', () => {
    const b = new PenaltyBudget(RULES);
    // 4 × 250 ms fit in the 1 s burst.
    for (let i = 0; i < 4; i++) expect(b.charge(250, 0)).toEqual({ type: 'go' });
    // The next 8 wait 250, 500, … 2000 ms.
    for (let i = 1; i <= 8; i++) expect(b.charge(250, 0)).toEqual({ type: 'hold', until: 250 * i });
    expect(b.charge(250, 0)).toEqual({ type: 'refuse', retryMs: 250 });
    expect(b.charge(250, 0)).toMatchObject({ type: 'refuse' });
    expect(b.charge(250, 0)).toEqual({ type: 'drop' });
  });

  it('forgives with time: the clock runs down, and a command that goes clears the strikes', () => {
    const b = new PenaltyBudget(RULES);
    for (let i = 0; i < 12; i++) b.charge(250, 0);
    expect(b.charge(250, 0).type).toBe('refuse');
    expect(b.debt(0)).toBe(3_000);
    expect(b.debt(2_500)).toBe(500);
    expect(b.charge(250, 2_500)).toEqual({ type: 'go' });
    // The strike before the go is forgiven: two more refusals, and the third drops.
    expect(b.charge(10_000, 2_500).type).toBe('refuse');
    expect(b.charge(10_000, 2_500).type).toBe('refuse');
    expect(b.charge(10_000, 2_500).type).toBe('drop');
  });

  it('free commands never wait', () => {
    const b = new PenaltyBudget(RULES);
    for (let i = 0; i < 12; i++) b.charge(250, 0);
    expect(b.charge(0, 0).type).toBe('hold');
    expect(new PenaltyBudget(RULES).charge(0, 0)).toEqual({ type: 'go' });
  });

  it('refuses bad rules', () => {
    expect(() => new PenaltyBudget({ freeMs: -1, holdMs: 0, maxStrikes: 1 })).toThrow(RangeError);
    expect(() => new PenaltyBudget({ freeMs: 0, holdMs: 0, maxStrikes: 0 })).toThrow(RangeError);
  });

  it('never lets a held command wait more than holdMs, nor the clock run more than freeMs + holdMs ahead', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 3_000 }), fc.integer({ min: 0, max: 500 })), { maxLength: 200 }), (steps) => {
        const b = new PenaltyBudget(RULES);
        let now = 0;
        for (const [cost, dt] of steps) {
          now += dt;
          const v = b.charge(cost, now);
          if (v.type === 'hold') expect(v.until - now).toBeLessThanOrEqual(RULES.holdMs);
          expect(b.debt(now)).toBeLessThanOrEqual(RULES.freeMs + RULES.holdMs);
        }
      }),
    );
  });
});
