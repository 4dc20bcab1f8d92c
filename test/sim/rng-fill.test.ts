import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createRng } from '../../src/sim/rng.ts';

/** What fill() promises: consecutive nextU32() words, low byte first, the last word cut short. */
function referenceFill(seed: number, length: number, start: number): Uint8Array {
  const rng = createRng(seed, 'fill-ref');
  const out = new Uint8Array(length);
  let w = 0;
  for (let i = start, k = 0; i < length; i++, k++) {
    if (k % 4 === 0) w = rng.nextU32();
    out[i] = (w >>> (8 * (k % 4))) & 0xff;
  }
  return out;
}

describe('Rng.fill, word-at-a-time path', () => {
  it('writes the same bytes as the byte-at-a-time definition, at any offset and length', () => {
    fc.assert(
      fc.property(
        fc.nat(),
        fc.integer({ min: 0, max: 3000 }),
        fc.integer({ min: 0, max: 40 }),
        fc.integer({ min: 0, max: 9 }),
        (seed, length, start, viewOffset) => {
          const from = Math.min(start, length);
          const backing = new Uint8Array(length + viewOffset);
          const view = backing.subarray(viewOffset);
          createRng(seed, 'fill-ref').fill(view, from);
          expect(view).toEqual(referenceFill(seed, length, from));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('leaves the generator where the byte path would: the next draw after a fill matches', () => {
    for (const length of [255, 256, 257, 1024, 16_408]) {
      const a = createRng(5, 's');
      const b = createRng(5, 's');
      a.fill(new Uint8Array(length), 24);
      const words = Math.ceil((length - 24) / 4);
      for (let i = 0; i < words; i++) b.nextU32();
      expect(a.nextU32()).toBe(b.nextU32());
    }
  });
});
