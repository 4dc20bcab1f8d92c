import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { RangeSet } from '../../src/reliability/range-set.ts';

function model(ops: Array<[number, number]>): Set<number> {
  const s = new Set<number>();
  for (const [a, len] of ops) for (let i = a; i < a + len; i++) s.add(i);
  return s;
}

function wellFormed(rs: RangeSet): boolean {
  for (let i = 0; i < rs.count; i++) {
    if (!(rs.start(i) < rs.end(i))) return false;
    if (i > 0 && !(rs.end(i - 1) < rs.start(i))) return false; // disjoint and not adjacent
  }
  return true;
}

describe('RangeSet', () => {
  it('merges adjacent and overlapping inserts and reports new coverage', () => {
    const rs = new RangeSet();
    expect(rs.insert(10, 20)).toBe(10);
    expect(rs.insert(20, 25)).toBe(5);
    expect(rs.toArray()).toEqual([[10, 25]]);
    expect(rs.insert(0, 5)).toBe(5);
    expect(rs.insert(12, 14)).toBe(0);
    expect(rs.insert(3, 12)).toBe(5);
    expect(rs.toArray()).toEqual([[0, 25]]);
    expect(rs.insert(30, 31)).toBe(1);
    expect(rs.has(30)).toBe(true);
    expect(rs.has(29)).toBe(false);
    expect(rs.firstGapAtOrAfter(0)).toBe(25);
    expect(rs.firstGapAtOrAfter(27)).toBe(27);
    expect(rs.containsRange(1, 25)).toBe(true);
    expect(rs.containsRange(1, 26)).toBe(false);
    expect(rs.intersects(25, 30)).toBe(false);
    expect(rs.intersects(25, 31)).toBe(true);
  });

  it('behaves like a set of integers (model-based)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 300 }), fc.integer({ min: 0, max: 20 })), { maxLength: 60 }),
        fc.integer({ min: 0, max: 330 }),
        (ops, cut) => {
          const rs = new RangeSet();
          const seen = new Set<number>();
          for (const [a, len] of ops) {
            const before = seen.size;
            for (let i = a; i < a + len; i++) seen.add(i);
            if (rs.insert(a, a + len) !== seen.size - before) return false;
            if (!wellFormed(rs)) return false;
          }
          const m = model(ops);
          for (let v = 0; v < 330; v++) if (rs.has(v) !== m.has(v)) return false;
          if (rs.size() !== m.size) return false;
          rs.removeBelow(cut);
          for (let v = 0; v < 330; v++) if (rs.has(v) !== (m.has(v) && v >= cut)) return false;
          return wellFormed(rs);
        },
      ),
    );
  });

  it('keepHighest drops the lowest ranges', () => {
    const rs = new RangeSet();
    for (let i = 0; i < 100; i++) rs.insert(i * 3, i * 3 + 1);
    rs.keepHighest(4);
    expect(rs.toArray()).toEqual([
      [288, 289],
      [291, 292],
      [294, 295],
      [297, 298],
    ]);
    rs.insert(0, 1);
    expect(rs.min()).toBe(0);
    expect(rs.max()).toBe(297);
  });

  it('stays compact when sliding forward for a long time', () => {
    const rs = new RangeSet();
    for (let i = 0; i < 50_000; i++) {
      rs.insert(i * 2, i * 2 + 1);
      rs.removeBelow(i * 2 - 20);
    }
    expect(rs.count).toBeLessThanOrEqual(11);
    expect(wellFormed(rs)).toBe(true);
  });

  it('remove, removeBelow and firstMemberAtOrAfter agree with a set of integers (model-based)', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.tuple(fc.constantFrom('insert', 'remove', 'removeBelow'), fc.integer({ min: 0, max: 200 }), fc.integer({ min: 0, max: 30 })),
          { maxLength: 80 },
        ),
        (ops) => {
          const rs = new RangeSet();
          const m = new Set<number>();
          for (const [op, a, len] of ops) {
            if (op === 'insert') {
              rs.insert(a, a + len);
              for (let i = a; i < a + len; i++) m.add(i);
            } else if (op === 'removeBelow') {
              const cut = Math.floor(a / 4);
              rs.removeBelow(cut);
              for (const v of [...m]) if (v < cut) m.delete(v);
            } else {
              let gone = 0;
              for (let i = a; i < a + len; i++) if (m.delete(i)) gone++;
              if (rs.remove(a, a + len) !== gone) return false;
            }
            if (!wellFormed(rs)) return false;
          }
          for (let v = 0; v < 240; v++) {
            if (rs.has(v) !== m.has(v)) return false;
            let next = Infinity;
            for (let w = v; w < 240; w++) {
              if (m.has(w)) {
                next = w;
                break;
              }
            }
            if (rs.firstMemberAtOrAfter(v) !== next) return false;
          }
          return rs.size() === m.size;
        },
      ),
    );
  });
});
