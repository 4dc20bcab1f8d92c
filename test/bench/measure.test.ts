// The pure helpers of the real-socket suites: payload marks, the latency histogram, the delivery log,
// paced schedules, the udx pair conventions and the --quick flag of the suite context.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DeliveryLog } from '../../bench/lib/delivery.ts';
import { HISTOGRAM_PRECISION, LatencyHistogram } from '../../bench/lib/histogram.ts';
import { evenly, mergeSchedules, pace } from '../../bench/lib/pace.ts';
import { MAX_MARKED_NUMBER, markLine, readMark } from '../../bench/lib/payload.ts';
import { suiteContext } from '../../bench/lib/suite.ts';
import { describeMachine } from '../../bench/lib/machine.ts';
import { MAX_UDX_PAIRS, RELAY_ID_BASE, udxPairEnds } from '../../bench/lib/udx-pairs.ts';

describe('payload marks', () => {
  it('property: a marked line has exactly the asked size and reads back, whatever wraps it', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: MAX_MARKED_NUMBER }),
        fc.integer({ min: 0, max: MAX_MARKED_NUMBER }),
        fc.integer({ min: 30, max: 300 }),
        fc.constantFrom('', '<message>fanout c12 1795283906548 - ', '<private>p0tx p0rx 17 self - ', '<set_msg_all>'),
        (stream, seq, bytes, prefix) => {
          const line = markLine(stream, seq, bytes);
          expect(Buffer.byteLength(line)).toBe(bytes);
          expect(readMark(prefix + line)).toEqual({ stream, seq });
        },
      ),
    );
  });

  it('finds no mark where there is none or it is cut short, and refuses impossible lines', () => {
    expect(readMark('<joined>fanout c12 1795283906548')).toBeUndefined();
    expect(readMark('#m12:')).toBeUndefined();
    expect(readMark('#m12:x:')).toBeUndefined();
    expect(readMark('#m:1:')).toBeUndefined();
    expect(readMark('#m99999999999:1:')).toBeUndefined();
    expect(() => markLine(1, 2, 5)).toThrow(RangeError);
    expect(() => markLine(-1, 2, 100)).toThrow(RangeError);
    expect(() => markLine(1, 1.5, 100)).toThrow(RangeError);
  });
});

/** The nearest-rank quantile: the value at rank ⌈q·n⌉ (at least 1). */
function nearestRank(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(1, Math.ceil(q * sorted.length)) - 1] as number;
}

describe('latency histogram', () => {
  it('property: a quantile is at least the true one and within the precision above it; the max is exact', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: 0, max: 1e7, noNaN: true }), { minLength: 1, maxLength: 300 }),
        fc.constantFrom(0, 0.01, 0.5, 0.9, 0.99, 1),
        (values, q) => {
          const h = new LatencyHistogram();
          for (const v of values) h.record(v);
          const exact = nearestRank(values, q);
          const got = h.quantile(q) as number;
          expect(got).toBeGreaterThanOrEqual(exact);
          // Values at or below 1 µs share the first bucket: their quantile reads back as at most 1 µs.
          expect(got).toBeLessThanOrEqual(Math.max(exact * (1 + HISTOGRAM_PRECISION), 0.001));
          expect(h.max).toBe(Math.max(...values));
          expect(h.count).toBe(values.length);
        },
      ),
    );
  });

  it('property: merging equals recording everything in one; JSON round-trips', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: 0, max: 1e5, noNaN: true })), fc.array(fc.double({ min: 0, max: 1e5, noNaN: true })), (a, b) => {
        const ha = new LatencyHistogram();
        const hb = new LatencyHistogram();
        const all = new LatencyHistogram();
        for (const v of a) (ha.record(v), all.record(v));
        for (const v of b) (hb.record(v), all.record(v));
        ha.merge(hb);
        const { sum: mergedSum, ...merged } = ha.toJSON();
        const { sum: allSum, ...whole } = all.toJSON();
        expect(merged).toEqual(whole);
        expect(Math.abs(mergedSum - allSum)).toBeLessThanOrEqual(1e-9 * Math.max(1, allSum)); // sums differ only by rounding order
        const back = LatencyHistogram.fromJSON(JSON.parse(JSON.stringify(all.toJSON())));
        expect(back).toBeInstanceOf(LatencyHistogram);
        expect((back as LatencyHistogram).toJSON()).toEqual(all.toJSON());
      }),
    );
  });

  it('ignores what is no latency, and says what is wrong with a bad JSON histogram', () => {
    const h = new LatencyHistogram();
    expect(h.record(Number.NaN)).toBe(false);
    expect(h.record(-1)).toBe(false);
    expect(h.quantile(0.5)).toBeUndefined();
    expect(h.max).toBeUndefined();
    expect(LatencyHistogram.fromJSON(null)).toBe('a histogram must be an object');
    const good = { ...new LatencyHistogram().toJSON() };
    expect(LatencyHistogram.fromJSON({ ...good, precision: 0.5 })).toMatch(/other bucket settings/);
    expect(LatencyHistogram.fromJSON({ ...good, buckets: [[-1, 1]], count: 1 })).toMatch(/out of range/);
    expect(LatencyHistogram.fromJSON({ ...good, buckets: [[3, 2]], count: 1 })).toMatch(/hold 2 values, not 1/);
  });
});

describe('delivery log', () => {
  it('counts new, duplicate, out-of-order and unknown arrivals per stream, and the latencies', () => {
    const log = new DeliveryLog([3, 1]);
    for (let i = 0; i < 3; i++) expect(log.sent(0, i, 10 * i)).toBe(true);
    expect(log.sent(0, 0, 99)).toBe(false);
    expect(log.sent(1, 0, 5)).toBe(true);
    expect(log.arrived(0, 1, 15)).toBe('new');
    expect(log.arrived(0, 0, 16)).toBe('new'); // after line 1: out of order
    expect(log.arrived(0, 0, 17)).toBe('duplicate');
    expect(log.arrived(0, 7, 17)).toBe('unknown');
    expect(log.arrived(2, 0, 17)).toBe('unknown');
    expect(log.complete).toBe(false);
    expect(log.latencies([0])).toEqual([16, 5, null]);
    expect(log.summary([0])).toEqual({ sent: 3, delivered: 2, lost: 1, duplicates: 1, outOfOrder: 1, unknown: 2 });
    expect(log.arrived(0, 2, 30)).toBe('new');
    expect(log.arrived(1, 0, 6)).toBe('new');
    expect(log.complete).toBe(true);
    expect(log.lastArrival).toBe(30);
    expect(log.summary([1])).toEqual({ sent: 1, delivered: 1, lost: 0, duplicates: 0, outOfOrder: 0, unknown: 2 });
  });

  it('property: whatever the arrival order, each line is delivered once and disorder is what a reorder makes', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 40 }).chain((n) => fc.tuple(fc.constant(n), fc.shuffledSubarray([...Array(n).keys()], { minLength: 0, maxLength: n }))), ([n, order]) => {
        const log = new DeliveryLog([n]);
        for (let i = 0; i < n; i++) log.sent(0, i, 0);
        let highest = -1;
        let disorder = 0;
        for (const seq of order) {
          expect(log.arrived(0, seq, 1)).toBe('new');
          if (seq < highest) disorder++;
          else highest = seq;
        }
        const s = log.summary();
        expect(s).toEqual({ sent: n, delivered: order.length, lost: n - order.length, duplicates: 0, outOfOrder: disorder, unknown: 0 });
        expect(log.complete).toBe(order.length === n);
      }),
    );
  });
});

describe('pace', () => {
  /** A fake clock that a sleep advances by what was asked, plus `late` ms (a busy machine). */
  function fakeTime(late = 0): { now: () => number; sleep: (ms: number) => Promise<void>; sleeps: number[] } {
    let t = 1_000;
    const sleeps: number[] = [];
    return {
      now: () => t,
      sleep: async (ms) => {
        sleeps.push(ms);
        t += ms + late;
      },
      sleeps,
    };
  }

  it('fires each item at its time, in order, with the time it was fired', async () => {
    const time = fakeTime();
    const fired: Array<[string, number]> = [];
    const schedule = mergeSchedules(evenly(3, 100, 0, (i) => `a${i}`), evenly(2, 50, 5, (i) => `b${i}`));
    expect(schedule.map((s) => [s.item, s.at])).toEqual([
      ['a0', 0],
      ['b0', 5],
      ['a1', 10],
      ['a2', 20],
      ['b1', 25],
    ]);
    expect(await pace(schedule, (item, now) => fired.push([item, now - 1_000]), time)).toBe(5);
    expect(fired).toEqual([
      ['a0', 0],
      ['b0', 5],
      ['a1', 10],
      ['a2', 20],
      ['b1', 25],
    ]);
  });

  it('catches up after a late wake-up instead of shifting every later item, and stops when asked', async () => {
    const time = fakeTime(25);
    const fired: number[] = [];
    await pace(evenly(6, 100, 0, (i) => i), (_i, now) => fired.push(now - 1_000), time);
    // Items 1–3 were due at 10, 20, 30 ms; the sleep ended at 35: all go at once; 4 and 5 (40, 50) at 65.
    expect(fired).toEqual([0, 35, 35, 35, 65, 65]);
    let n = 0;
    expect(await pace(evenly(10, 100, 0, (i) => i), () => n++, { ...fakeTime(), stopped: () => n >= 3 })).toBe(3);
    expect(() => evenly(1, 0, 0, (i) => i)).toThrow(RangeError);
  });
});

describe('udx pairs and --quick', () => {
  it('gives every end of every pair its own port and stream id', () => {
    const ends = Array.from({ length: 9 }, (_, p) => udxPairEnds(7200, p));
    const ports = ends.flatMap((e) => [e.senderPort, e.receiverPort]);
    const ids = ends.flatMap((e) => [e.senderId, e.receiverId, e.relayToSenderId, e.relayToReceiverId]);
    expect(new Set(ports).size).toBe(18);
    expect(new Set(ids).size).toBe(36);
    expect(Math.min(...ends.map((e) => e.relayToSenderId))).toBeGreaterThan(RELAY_ID_BASE);
    expect(() => udxPairEnds(65_535, 1)).toThrow(RangeError);
    expect(() => udxPairEnds(7200, MAX_UDX_PAIRS)).toThrow(RangeError);
  });

  it('the suite context says whether --quick was given (no by default)', () => {
    const base = { runs: 1, budgetMs: 1_000, machine: describeMachine(), log: () => undefined, now: () => 0 };
    expect(suiteContext(base).quick).toBe(false);
    expect(suiteContext({ ...base, quick: true }).quick).toBe(true);
  });
});
