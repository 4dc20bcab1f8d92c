import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatBar, ProgressThrottle, type BarState } from '../../src/client/progress.ts';

describe('ProgressThrottle (--json progress events)', () => {
  it('passes the first event, then one per 250 ms or 5 %, and always the last', () => {
    const t = new ProgressThrottle(250, 5);
    const size = 1000;
    expect(t.pass(1, 0, 0, size, 0)).toBe(true);
    expect(t.pass(1, 1, 10, size, 10)).toBe(false);
    expect(t.pass(1, 4, 40, size, 100)).toBe(false);
    expect(t.pass(1, 5, 50, size, 120)).toBe(true); // 5 % more
    expect(t.pass(1, 6, 60, size, 200)).toBe(false);
    expect(t.pass(1, 7, 70, size, 370)).toBe(true); // 250 ms later
    expect(t.pass(1, 100, 1000, size, 371)).toBe(true); // the last one
    // Transfers are throttled separately.
    expect(t.pass(2, 50, 500, size, 371)).toBe(true);
  });

  it('never passes more than one event per step or interval, and always the final one', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 5 }), fc.integer({ min: 0, max: 100 })), { maxLength: 200 }), (steps) => {
        const t = new ProgressThrottle(250, 5);
        const size = 10_000;
        let now = 0;
        let done = 0;
        let passed = 0;
        for (const [dt, more] of steps) {
          now += dt;
          done = Math.min(size - 1, done + more);
          if (t.pass(1, Math.floor((done / size) * 100), done, size, now)) passed++;
        }
        // At most one per 5 % (21 steps from 0 to 100 %) plus one per 250 ms, plus the first.
        expect(passed).toBeLessThanOrEqual(1 + 21 + Math.floor(now / 250) + 1);
        expect(t.pass(1, 100, size, size, now)).toBe(true);
      }),
    );
  });
});

describe('formatBar (interactive progress bar)', () => {
  const bar: BarState = { id: 7, direction: 'download', name: 'movie.jpg', done: 5 * 1024 * 1024, size: 10 * 1024 * 1024, startDone: 0, startedAt: 0 };

  it('shows the direction, name, bar, percentage, sizes, rate, ETA and the id to cancel', () => {
    const line = formatBar(bar, 2_000, 120);
    expect(line).toMatch(/^↓ movie\.jpg \[█{12}░{12}\]  50% 5\.0 MiB\/10\.0 MiB 2\.5 MiB\/s ETA +2s {2}#7$/);
    expect(formatBar({ ...bar, direction: 'upload' }, 2_000, 120).startsWith('↑ ')).toBe(true);
  });

  it('a file sent to a user, every byte out: says it waits for the recipient, not 100 % ETA 0s', () => {
    const sent = { ...bar, direction: 'send' as const, done: bar.size };
    const line = formatBar(sent, 2_000, 120);
    expect(line).toMatch(/^↑ movie\.jpg \[█{24}\] 100% 10\.0 MiB all sent — waiting for the recipient to accept it {2}#7$/);
    expect(line).not.toMatch(/ETA/);
    expect(formatBar({ ...bar, done: bar.size }, 2_000, 120)).toMatch(/ETA/); // a finished download just ends
  });

  it('fits the terminal width and copes with empty files and long names', () => {
    fc.assert(
      fc.property(fc.integer({ min: 20, max: 200 }), fc.string({ maxLength: 80 }), fc.nat(), fc.nat(), (columns, name, a, b) => {
        const size = Math.max(a, b);
        const line = formatBar({ ...bar, name, size, done: Math.min(a, b) }, 1_000, columns);
        expect([...line].length).toBeLessThanOrEqual(columns);
      }),
    );
    expect(formatBar({ ...bar, size: 0, done: 0 }, 10, 120)).toMatch(/100%/);
  });
});
