import CRC32 from 'crc-32';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { crc32, NATIVE_CRC_MIN_BYTES } from '../../src/wire/crc32.ts';

/** The reference: the crc-32 package alone, unsigned. */
function reference(bytes: Uint8Array, previous = 0): number {
  return CRC32.buf(bytes, previous | 0) >>> 0;
}

describe('crc32', () => {
  it('matches the crc-32 package on both sides of the native threshold', () => {
    const lengths = fc.oneof(
      fc.integer({ min: 0, max: 64 }),
      fc.integer({ min: NATIVE_CRC_MIN_BYTES - 8, max: NATIVE_CRC_MIN_BYTES + 8 }),
      fc.integer({ min: 0, max: 20_000 }),
    );
    fc.assert(
      fc.property(
        lengths.chain((n) => fc.uint8Array({ minLength: n, maxLength: n })),
        (bytes) => {
          expect(crc32(bytes)).toBe(reference(bytes));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('continues a CRC: crc32(b, crc32(a)) is the CRC of a then b, whatever the sizes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), fc.uint8Array({ maxLength: 600 }), (a, b) => {
        const joined = new Uint8Array(a.length + b.length);
        joined.set(a);
        joined.set(b, a.length);
        expect(crc32(b, crc32(a))).toBe(reference(joined));
        expect(crc32(b, crc32(a))).toBe(crc32(joined));
      }),
      { numRuns: 300 },
    );
  });

  it('gives the standard check value and works on views at any offset', () => {
    // "123456789" → 0xCBF43926, the CRC-32/ISO-HDLC check value.
    expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926);
    const big = new Uint8Array(4096).map((_, i) => (i * 131) & 0xff);
    for (const [start, end] of [
      [0, 4096],
      [3, 4001],
      [1000, 1000 + NATIVE_CRC_MIN_BYTES],
      [7, 20],
    ] as const) {
      const view = big.subarray(start, end);
      expect(crc32(view)).toBe(reference(big.slice(start, end)));
    }
    expect(crc32(new Uint8Array(0))).toBe(0);
  });
});
