import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createRng } from '../../src/sim/rng.ts';

describe('rng', () => {
  it('same seed and stream give the same sequence; other seeds and streams differ', () => {
    fc.assert(
      fc.property(fc.oneof(fc.nat(), fc.string({ minLength: 1 })), (seed) => {
        const a = createRng(seed, 's');
        const b = createRng(seed, 's');
        const seqA = Array.from({ length: 32 }, () => a.nextU32());
        const seqB = Array.from({ length: 32 }, () => b.nextU32());
        expect(seqA).toEqual(seqB);
        const other = createRng(seed, 't');
        expect(Array.from({ length: 32 }, () => other.nextU32())).not.toEqual(seqA);
      }),
    );
    const s1 = createRng(1);
    const s2 = createRng(2);
    expect(Array.from({ length: 8 }, () => s1.nextU32())).not.toEqual(Array.from({ length: 8 }, () => s2.nextU32()));
  });

  it('seeds above 2^32 are not folded onto smaller ones', () => {
    const a = createRng(5);
    const b = createRng(5 + 2 ** 32);
    expect(a.nextU32()).not.toBe(b.nextU32());
  });

  it('next() is in [0,1) with mean ≈ 1/2; int(n) covers [0,n) evenly', () => {
    const r = createRng(42);
    let sum = 0;
    const n = 100_000;
    const buckets = new Array<number>(10).fill(0);
    let outside = 0;
    for (let i = 0; i < n; i++) {
      const x = r.next();
      if (x < 0 || x >= 1) outside++;
      sum += x;
      const k = r.int(10);
      buckets[k] = (buckets[k] ?? 0) + 1;
    }
    expect(outside).toBe(0);
    expect(sum / n).toBeCloseTo(0.5, 2);
    for (const b of buckets) expect(Math.abs(b - n / 10)).toBeLessThan(600); // > 6σ of a binomial(1e5, 0.1)
  });

  it('chance() honours its bounds and its rate', () => {
    const r = createRng(7);
    let hits = 0;
    let wrong = 0;
    for (let i = 0; i < 50_000; i++) {
      if (r.chance(0) || !r.chance(1)) wrong++;
      if (r.chance(0.3)) hits++;
    }
    expect(wrong).toBe(0);
    expect(hits / 50_000).toBeCloseTo(0.3, 1);
  });

  it('between(min,max) stays in range', () => {
    fc.assert(
      fc.property(fc.nat(), fc.double({ min: -1e6, max: 1e6, noNaN: true }), fc.double({ min: 0, max: 1e6, noNaN: true }), (seed, min, width) => {
        const r = createRng(seed);
        const v = r.between(min, min + width);
        expect(v).toBeGreaterThanOrEqual(min);
        expect(v).toBeLessThanOrEqual(min + width);
      }),
    );
  });

  it('fill() writes every byte, including a tail shorter than a word, deterministically', () => {
    for (const len of [0, 1, 3, 4, 5, 17, 1000]) {
      const a = new Uint8Array(len);
      const b = new Uint8Array(len);
      createRng(9, 'fill').fill(a);
      createRng(9, 'fill').fill(b);
      expect(a).toEqual(b);
      if (len >= 16) expect(new Set(a).size).toBeGreaterThan(4);
    }
    const big = new Uint8Array(4096);
    createRng(3).fill(big);
    const tail = big.subarray(4090);
    expect(tail.some((x) => x !== 0)).toBe(true);
  });
});
