import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeDatagram, encodeDatagram } from '../../src/wire/codec.ts';
import { REORDER_HOLD_MAX_MS, REORDER_HOLD_MIN_MS } from '../../src/sim/constants.ts';
import { burstModel, checkLinkSettings, independentBurstLength, Link, type LinkSettings } from '../../src/sim/link.ts';
import { createRng } from '../../src/sim/rng.ts';

/** A datagram whose first 4 bytes are its index. */
function numbered(i: number, size = 64): Uint8Array {
  const d = new Uint8Array(size);
  new DataView(d.buffer).setUint32(0, i);
  return d;
}
function indexOf(d: Uint8Array): number {
  return new DataView(d.buffer, d.byteOffset, d.byteLength).getUint32(0);
}

interface Arrival {
  index: number;
  at: number;
  bytes: Uint8Array;
}

/** Sends `count` datagrams `gapMs` apart, polling as time advances; returns every arrival. */
function drive(link: Link, count: number, gapMs: number, make: (i: number) => Uint8Array = numbered): Arrival[] {
  const out: Arrival[] = [];
  const drain = (until: number): void => {
    for (let due = link.nextDue(); due !== undefined && due <= until; due = link.nextDue()) {
      const bytes = link.poll(due);
      if (bytes === undefined) throw new Error('nextDue promised a datagram');
      out.push({ index: indexOf(bytes), at: due, bytes });
    }
  };
  for (let i = 0; i < count; i++) {
    const now = i * gapMs;
    drain(now);
    link.send(make(i), now);
  }
  drain(Infinity);
  return out;
}

/** Runs of consecutive missing indices among 0..count-1. */
function lossRuns(arrivals: Arrival[], count: number): number[] {
  const got = new Uint8Array(count);
  for (const a of arrivals) got[a.index] = 1;
  const runs: number[] = [];
  let run = 0;
  for (let i = 0; i < count; i++) {
    if (got[i] === 0) run++;
    else if (run > 0) {
      runs.push(run);
      run = 0;
    }
  }
  if (run > 0) runs.push(run);
  return runs;
}

const anySettings = fc.record({
  loss: fc.double({ min: 0, max: 0.6, noNaN: true }),
  burst: fc.double({ min: 1, max: 8, noNaN: true }),
  delayMs: fc.double({ min: 0, max: 100, noNaN: true }),
  jitterMs: fc.double({ min: 0, max: 30, noNaN: true }),
  dup: fc.double({ min: 0, max: 0.3, noNaN: true }),
  reorder: fc.double({ min: 0, max: 0.3, noNaN: true }),
  corrupt: fc.double({ min: 0, max: 0.3, noNaN: true }),
  rateBps: fc.option(fc.double({ min: 1e5, max: 1e8, noNaN: true }), { nil: undefined }),
  queueBytes: fc.integer({ min: 0, max: 200_000 }),
});

describe('Link', () => {
  it('is deterministic: same seed and sends → the same arrivals, byte for byte', () => {
    fc.assert(
      fc.property(anySettings, fc.nat(), (settings, seed) => {
        const run = (): Arrival[] => drive(new Link(settings, createRng(seed, 'link')), 300, 0.7);
        const a = run();
        const b = run();
        expect(b.map((x) => [x.index, x.at])).toEqual(a.map((x) => [x.index, x.at]));
        expect(b.map((x) => Array.from(x.bytes))).toEqual(a.map((x) => Array.from(x.bytes)));
      }),
      { numRuns: 40 },
    );
  });

  it('a clean link delivers everything once, in order, after exactly the delay', () => {
    const link = new Link({ delayMs: 12 }, createRng(1));
    const arrivals = drive(link, 100, 1);
    expect(arrivals.map((a) => a.index)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    for (const a of arrivals) expect(a.at).toBe(a.index + 12);
    const s = link.stats();
    expect(s).toMatchObject({ sent: 100, delivered: 100, duplicated: 0, reordered: 0, corrupted: 0, inFlight: 0 });
  });

  it('Bernoulli loss: the measured rate matches the setting', () => {
    const n = 100_000;
    const link = new Link({ loss: 0.1 }, createRng(11));
    const arrivals = drive(link, n, 0);
    const lost = n - arrivals.length;
    expect(Math.abs(lost / n - 0.1)).toBeLessThan(0.005); // ≈ 5 σ
    expect(link.stats().dropped.loss).toBe(lost);
    expect(link.stats().dropped.burst).toBe(0);
    const runs = lossRuns(arrivals, n);
    const meanRun = runs.reduce((a, b) => a + b, 0) / runs.length;
    expect(meanRun).toBeCloseTo(1 / (1 - 0.1), 1); // independent losses: runs are geometric
  });

  it.each([
    { loss: 0.1, burst: 4 },
    { loss: 0.3, burst: 2 },
    { loss: 0.05, burst: 10 },
  ])('Gilbert–Elliott loss $loss in bursts of $burst: average rate and mean burst length match', ({ loss, burst }) => {
    const n = 300_000;
    const link = new Link({ loss, burst }, createRng(`ge-${loss}-${burst}`));
    const arrivals = drive(link, n, 0);
    const lost = n - arrivals.length;
    expect(Math.abs(lost / n - loss)).toBeLessThan(loss * 0.08);
    expect(link.stats().dropped.burst).toBe(lost);
    const runs = lossRuns(arrivals, n);
    const meanRun = runs.reduce((a, b) => a + b, 0) / runs.length;
    expect(Math.abs(meanRun - burst)).toBeLessThan(burst * 0.08);
  });

  it('a burst length no longer than independent losses give means independent losses', () => {
    // Independent losses at 90% already come in runs of 10 on average: burst 2 asks for nothing more.
    expect(burstModel(0.9, 2)).toBeUndefined();
    expect(burstModel(0.5, 1.0000001)).toBeUndefined(); // not strict alternation
    expect(burstModel(0.1, 1)).toBeUndefined();
    expect(burstModel(0.1, independentBurstLength(0.1))).toBeUndefined();
    const n = 100_000;
    const link = new Link({ loss: 0.9, burst: 2 }, createRng(5));
    const arrivals = drive(link, n, 0);
    expect(Math.abs(1 - arrivals.length / n - 0.9)).toBeLessThan(0.01);
    expect(link.stats().dropped.burst).toBe(0);
    const runs = lossRuns(arrivals, n);
    expect(runs.reduce((x, y) => x + y, 0) / runs.length).toBeCloseTo(10, 0);
  });

  it('burstModel has the requested stationary loss and burst length, and exists exactly when burstier than independent', () => {
    fc.assert(
      fc.property(fc.double({ min: 0.001, max: 0.999, noNaN: true }), fc.double({ min: 1, max: 5000, noNaN: true }), (loss, burst) => {
        const m = burstModel(loss, burst);
        if (burst <= independentBurstLength(loss)) {
          expect(m).toBeUndefined();
          return;
        }
        if (m === undefined) throw new Error('expected a chain');
        expect(m.enterBad / (m.enterBad + m.leaveBad)).toBeCloseTo(loss, 9);
        expect(1 / m.leaveBad).toBeCloseTo(burst, 6);
        expect(m.enterBad).toBeGreaterThan(0);
        expect(m.enterBad).toBeLessThanOrEqual(1);
        expect(m.leaveBad).toBeLessThanOrEqual(1);
      }),
    );
    expect(burstModel(1, 3)).toBeUndefined();
    expect(burstModel(0, 3)).toBeUndefined();
  });

  it('delay and jitter: every datagram within delay ± jitter, in order, and actually spread', () => {
    fc.assert(
      fc.property(fc.nat(), fc.double({ min: 0, max: 200, noNaN: true }), fc.double({ min: 0.1, max: 50, noNaN: true }), (seed, delayMs, jitterMs) => {
        const gap = 0.5;
        const arrivals = drive(new Link({ delayMs, jitterMs }, createRng(seed)), 400, gap);
        expect(arrivals).toHaveLength(400);
        let previous = -Infinity;
        for (const a of arrivals) {
          const latency = a.at - a.index * gap;
          expect(latency).toBeGreaterThanOrEqual(Math.max(0, delayMs - jitterMs) - 1e-9);
          expect(latency).toBeLessThanOrEqual(delayMs + jitterMs + 1e-9);
          expect(a.index).toBeGreaterThan(previous); // jitter alone never reorders
          previous = a.index;
        }
      }),
      { numRuns: 30 },
    );
  });

  it('jitter spreads the delay of datagrams sent further apart than the jitter', () => {
    fc.assert(
      fc.property(fc.nat(), fc.double({ min: 0, max: 200, noNaN: true }), fc.double({ min: 0.1, max: 50, noNaN: true }), (seed, delayMs, jitterMs) => {
        const gap = 2 * jitterMs + 1;
        const arrivals = drive(new Link({ delayMs, jitterMs }, createRng(seed)), 200, gap);
        const latencies = arrivals.map((a) => a.at - a.index * gap);
        const low = Math.max(0, delayMs - jitterMs);
        const high = delayMs + jitterMs;
        // 200 uniform draws: both ends of the range are reached to within 10% (fails with p < 1e-8).
        expect(Math.max(...latencies)).toBeGreaterThan(high - (high - low) * 0.1);
        expect(Math.min(...latencies)).toBeLessThan(low + (high - low) * 0.1 + 1e-9);
      }),
      { numRuns: 30 },
    );
  });

  it('duplication: copies arrive with identical bytes at the rate set', () => {
    const n = 20_000;
    const link = new Link({ dup: 0.2, delayMs: 5 }, createRng(3));
    const arrivals = drive(link, n, 1);
    const s = link.stats();
    expect(arrivals).toHaveLength(n + s.duplicated);
    expect(Math.abs(s.duplicated / n - 0.2)).toBeLessThan(0.02);
    const byIndex = new Map<number, Arrival[]>();
    for (const a of arrivals) {
      const list = byIndex.get(a.index);
      if (list === undefined) byIndex.set(a.index, [a]);
      else list.push(a);
    }
    expect(byIndex.size).toBe(n);
    const problems: string[] = [];
    for (const [index, copies] of byIndex) {
      if (copies.length > 2) problems.push(`${index}: ${copies.length} copies`);
      if (copies.length === 2) {
        const [first, second] = copies as [Arrival, Arrival];
        if (Buffer.compare(first.bytes, second.bytes) !== 0) problems.push(`${index}: copy differs`);
        if (first.bytes === second.bytes) problems.push(`${index}: copy shares the buffer`);
        if (second.at - first.at > 1) problems.push(`${index}: copy ${second.at - first.at} ms late`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('reordering: held-back datagrams are overtaken, each delivered once, within the hold bounds', () => {
    const n = 20_000;
    const link = new Link({ reorder: 0.1, delayMs: 10 }, createRng(4));
    const arrivals = drive(link, n, 1);
    const s = link.stats();
    expect(arrivals).toHaveLength(n);
    expect(Math.abs(s.reordered / n - 0.1)).toBeLessThan(0.015);
    let inversions = 0;
    let maxSeen = -1;
    for (const a of arrivals) {
      if (a.index < maxSeen) inversions++;
      maxSeen = Math.max(maxSeen, a.index);
      const extra = a.at - a.index - 10;
      if (extra > 0) {
        expect(extra).toBeGreaterThanOrEqual(REORDER_HOLD_MIN_MS - 1e-9);
        expect(extra).toBeLessThanOrEqual(REORDER_HOLD_MAX_MS + 1e-9);
      }
    }
    expect(inversions).toBeGreaterThan(n * 0.05);
    expect(new Set(arrivals.map((a) => a.index)).size).toBe(n);
  });

  it('corruption flips 1–3 bits of a copy, and the datagram CRC catches every one', () => {
    const n = 5_000;
    const originals: Uint8Array[] = [];
    const make = (i: number): Uint8Array => {
      const body = numbered(i, 200);
      const d = encodeDatagram({ type: 'data', connectionId: 7, body });
      originals[i] = d.slice();
      return d;
    };
    const link = new Link({ corrupt: 0.3 }, createRng(8));
    const sent: Uint8Array[] = [];
    const arrivals: Uint8Array[] = [];
    for (let i = 0; i < n; i++) {
      const d = make(i);
      sent.push(d);
      link.send(d, i);
      for (let x = link.poll(i); x !== undefined; x = link.poll(i)) arrivals.push(x);
    }
    expect(arrivals).toHaveLength(n);
    let caught = 0;
    const problems: string[] = [];
    const flips = new Set<number>();
    arrivals.forEach((d, i) => {
      const original = originals[i] as Uint8Array;
      let flipped = 0;
      for (let b = 0; b < d.length; b++) {
        let x = (d[b] as number) ^ (original[b] as number);
        for (; x !== 0; x &= x - 1) flipped++;
      }
      const decoded = decodeDatagram(d);
      if (flipped === 0) {
        if (!decoded.ok) problems.push(`${i}: intact but rejected`);
      } else {
        flips.add(flipped);
        if (flipped > 3) problems.push(`${i}: ${flipped} bits flipped`);
        if (decoded.ok || decoded.reason !== 'bad-crc') problems.push(`${i}: corruption not caught`);
        caught++;
      }
    });
    expect(problems).toEqual([]);
    expect([...flips].sort()).toEqual([1, 2, 3]);
    expect(caught).toBe(link.stats().corrupted);
    expect(Math.abs(caught / n - 0.3)).toBeLessThan(0.03);
    // The sender's buffers were never touched.
    expect(sent.every((d, i) => Buffer.compare(d, originals[i] as Uint8Array) === 0)).toBe(true);
  });

  it('rate limit: serialisation spaces datagrams, the queue tail-drops its overflow', () => {
    // 1 Mbit/s, 1000-byte datagrams → 8 ms each; 10 kB queue.
    const link = new Link({ rateBps: 1_000_000, queueBytes: 10_000, delayMs: 2 }, createRng(1));
    for (let i = 0; i < 100; i++) link.send(numbered(i, 1000), 0);
    const s = link.stats();
    expect(s.dropped.queue).toBe(90);
    expect(s.queuePeakBytes).toBe(10_000);
    const arrivals: Arrival[] = [];
    for (let due = link.nextDue(); due !== undefined; due = link.nextDue()) {
      const bytes = link.poll(due) as Uint8Array;
      arrivals.push({ index: indexOf(bytes), at: due, bytes });
    }
    expect(arrivals.map((a) => a.index)).toEqual(Array.from({ length: 10 }, (_, i) => i));
    arrivals.forEach((a, i) => expect(a.at).toBeCloseTo(8 * (i + 1) + 2, 9));
  });

  it('rate limit: traffic at the link rate passes without drops and arrives at that rate', () => {
    const link = new Link({ rateBps: 8_000_000, queueBytes: 5_000 }, createRng(1)); // 1 kB per ms
    const arrivals = drive(link, 1000, 1, (i) => numbered(i, 1000));
    expect(link.stats().dropped.queue).toBe(0);
    expect(arrivals).toHaveLength(1000);
    const span = (arrivals.at(-1) as Arrival).at - (arrivals[0] as Arrival).at;
    expect(span).toBeCloseTo(999, 6);
  });

  it('partition: everything sent while partitioned is lost; datagrams already on the wire still arrive', () => {
    const link = new Link({ delayMs: 50 }, createRng(2));
    link.send(numbered(0), 0);
    link.update({ partition: true });
    for (let i = 1; i <= 10; i++) link.send(numbered(i), i);
    link.update({ partition: false });
    link.send(numbered(11), 20);
    const got: number[] = [];
    for (let d = link.poll(1000); d !== undefined; d = link.poll(1000)) got.push(indexOf(d));
    expect(got).toEqual([0, 11]);
    expect(link.stats().dropped.partition).toBe(10);
  });

  it('poll returns nothing before a datagram is due; nextDue is the earliest arrival', () => {
    const link = new Link({ delayMs: 10 }, createRng(1));
    expect(link.nextDue()).toBeUndefined();
    link.send(numbered(1), 5);
    expect(link.nextDue()).toBe(15);
    expect(link.poll(14.999)).toBeUndefined();
    expect(link.poll(15)).toBeDefined();
    expect(link.nextDue()).toBeUndefined();
  });

  it('update() changes the behaviour from then on and validates', () => {
    const link = new Link({}, createRng(1));
    link.update({ loss: 1 });
    link.send(numbered(0), 0);
    expect(link.stats().dropped.loss).toBe(1);
    link.update({ loss: 0, rateBps: 1000 });
    expect(link.current().rateBps).toBe(1000);
    link.update({ rateBps: undefined });
    expect(link.current().rateBps).toBeUndefined();
    expect(() => link.update({ loss: 2 })).toThrow(/loss must be a number between 0 and 1/);
    expect(link.current().loss).toBe(0); // a refused update changes nothing
  });

  it('checkLinkSettings names every bad field', () => {
    const bad = { loss: -0.1, burst: 0.5, delayMs: -1, jitterMs: Number.NaN, dup: 3, reorder: 2, corrupt: -1, rateBps: 0, queueBytes: -5 } as Partial<LinkSettings>;
    const errors = checkLinkSettings(bad);
    for (const field of ['loss', 'burst', 'delayMs', 'jitterMs', 'dup', 'reorder', 'corrupt', 'rateBps', 'queueBytes']) {
      expect(errors.some((e) => e.startsWith(field))).toBe(true);
    }
    expect(checkLinkSettings({ loss: 0.5, burst: 3, rateBps: undefined })).toEqual([]);
    expect(() => new Link({ burst: 0 }, createRng(1))).toThrow(TypeError);
  });
});
