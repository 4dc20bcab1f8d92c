import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { SERIAL_MODULUS, serialAdd, serialDiff, serialGt, serialLt, toWire, unwrap, unwrapAtMost } from '../../src/reliability/serial.ts';

const u32 = fc.integer({ min: 0, max: 2 ** 32 - 1 });

describe('serial arithmetic (RFC 1982)', () => {
  it('orders across the wrap', () => {
    expect(serialLt(2 ** 32 - 1, 0)).toBe(true);
    expect(serialGt(0, 2 ** 32 - 1)).toBe(true);
    expect(serialLt(5, 5)).toBe(false);
    expect(serialLt(2 ** 32 - 10, 5)).toBe(true);
    expect(serialDiff(3, 2 ** 32 - 2)).toBe(5);
    expect(serialDiff(2 ** 32 - 2, 3)).toBe(-5);
    expect(serialAdd(2 ** 32 - 1, 2)).toBe(1);
  });

  it('a < a + n for 0 < n < 2^31', () => {
    fc.assert(
      fc.property(u32, fc.integer({ min: 1, max: 2 ** 31 - 1 }), (a, n) => {
        const b = serialAdd(a, n);
        return serialLt(a, b) && serialGt(b, a) && serialDiff(b, a) === n && !serialLt(b, a);
      }),
    );
  });

  it('unwrap recovers any full number within 2^31 of the expected one', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2 ** 40 }),
        fc.integer({ min: -(2 ** 31) + 1, max: 2 ** 31 - 1 }),
        (expected, delta) => {
          const full = expected + delta;
          fc.pre(full >= 0);
          return unwrap(toWire(full), expected) === full;
        },
      ),
    );
  });

  it('unwrap never goes negative near zero', () => {
    expect(unwrap(2 ** 32 - 1, 0)).toBe(2 ** 32 - 1);
    expect(unwrap(0, 0)).toBe(0);
  });

  it('unwrapAtMost finds the latest number not above max', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 40 }), fc.integer({ min: 0, max: 2 ** 32 - 1 }), (max, back) => {
        const full = max - back;
        const got = unwrapAtMost(toWire(full), max);
        return got === full && got <= max && max - got < SERIAL_MODULUS;
      }),
    );
  });
});
