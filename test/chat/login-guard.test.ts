// Failed logins counted per name and per address in fixed windows, bounded tables.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LoginGuard } from '../../src/chat/login-guard.ts';

const limits = { perName: 3, perAddress: 5, windowMs: 1_000, maxEntries: 4 };

describe('LoginGuard', () => {
  it('refuses a name past its failures until the window ends; success forgets the name', () => {
    const g = new LoginGuard(limits);
    for (let i = 0; i < 3; i++) {
      expect(g.waitFor('ann', 'a1', 100)).toBe(0);
      g.failed('ann', 'a1', 100);
    }
    expect(g.waitFor('ann', 'a2', 400)).toBe(700);
    expect(g.waitFor('bob', 'a2', 400)).toBe(0);
    expect(g.waitFor('ann', 'a2', 1_100)).toBe(0);
    g.failed('ann', 'a2', 1_100);
    g.succeeded('ann');
    expect(g.waitFor('ann', 'a2', 1_101)).toBe(0);
  });

  it('refuses an address guessing several names', () => {
    const g = new LoginGuard(limits);
    for (let i = 0; i < 5; i++) g.failed(`user${i % 4}`, 'a9', 10);
    expect(g.waitFor('fresh', 'a9', 20)).toBe(990);
    expect(g.waitFor('fresh', 'other', 20)).toBe(0);
    expect(g.waitFor('fresh', undefined, 20)).toBe(0);
  });

  it('never holds more than maxEntries names and addresses, whatever is tried', () => {
    fc.assert(
      fc.property(fc.array(fc.record({ key: fc.string({ maxLength: 3 }), address: fc.string({ maxLength: 3 }), dt: fc.nat(600) }), { maxLength: 300 }), (tries) => {
        const g = new LoginGuard(limits);
        let now = 0;
        for (const t of tries) {
          now += t.dt;
          g.failed(t.key, t.address, now);
          expect(g.size).toBeLessThanOrEqual(2 * limits.maxEntries);
        }
      }),
    );
  });
});
