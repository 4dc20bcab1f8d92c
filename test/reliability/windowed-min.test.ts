import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { WindowedMin } from '../../src/reliability/windowed-min.ts';

describe('WindowedMin', () => {
  it('equals the brute-force minimum over the window (newest sample always kept)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.double({ min: 0, max: 5, noNaN: true }), fc.double({ min: 0, max: 100, noNaN: true })), { minLength: 1, maxLength: 100 }),
        fc.double({ min: 0.1, max: 20, noNaN: true }),
        (steps, window) => {
          const w = new WindowedMin();
          const seen: Array<[number, number]> = [];
          let now = 0;
          for (const [dt, v] of steps) {
            now += dt;
            w.push(now, v, window);
            seen.push([now, v]);
            const inWindow = seen.filter(([t]) => t >= now - window).map(([, x]) => x);
            const expected = Math.min(...inWindow, v);
            if (w.value !== expected) return false;
          }
          return true;
        },
      ),
    );
  });

  it('keeps the true minimum when a long rising signal overflows its ring', () => {
    const w = new WindowedMin();
    for (let i = 0; i < 1000; i++) w.push(i, 10 + i, 10_000);
    expect(w.value).toBe(10);
  });
});
