import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Channel, type ChannelId } from '../../src/reliability/types.ts';
import { bytesEqual, makePayload, TestPair, type LinkConfig } from './pair.ts';

interface Workload {
  /** [side, channel, size, sendAfterMs] */
  messages: Array<[0 | 1, ChannelId, number, number]>;
}

const linkArb: fc.Arbitrary<LinkConfig> = fc.record({
  lossRate: fc.double({ min: 0, max: 0.5, noNaN: true }),
  duplicateRate: fc.double({ min: 0, max: 0.1, noNaN: true }),
  reorderRate: fc.double({ min: 0, max: 0.2, noNaN: true }),
  reorderDelayMs: fc.double({ min: 0.1, max: 20, noNaN: true }),
  corruptRate: fc.double({ min: 0, max: 0.1, noNaN: true }),
  delayMs: fc.double({ min: 0, max: 20, noNaN: true }),
  jitterMs: fc.double({ min: 0, max: 5, noNaN: true }),
});

const workloadArb: fc.Arbitrary<Workload> = fc.record({
  messages: fc.array(
    fc.tuple(
      fc.constantFrom<0 | 1>(0, 1),
      fc.constantFrom<ChannelId>(Channel.chat, Channel.bulk),
      fc.oneof(fc.integer({ min: 0, max: 300 }), fc.integer({ min: 0, max: 3000 }), fc.integer({ min: 0, max: 30_000 })),
      fc.integer({ min: 0, max: 200 }),
    ),
    { minLength: 1, maxLength: 25 },
  ),
});

/** Near the 2^32 wrap or not, for packet and message numbers. */
const startArb = fc.record({
  initialPacketNumber: fc.oneof(fc.constant(0), fc.integer({ min: 2 ** 32 - 60, max: 2 ** 32 - 1 })),
  initialMessageSeq: fc.oneof(fc.constant(0), fc.integer({ min: 2 ** 32 - 8, max: 2 ** 32 - 1 })),
});

/** Generous dead-peer limits: a 50%-loss link must not be mistaken for a dead one. */
const patient = { deadPeerProbes: 30, rtoMaxMs: 1000, idleTimeoutMs: 120_000, keepaliveIntervalMs: 500 };

/** Messages in the order they are sent (by send time; stable for equal times). */
function schedule(w: Workload): Array<[number, [0 | 1, ChannelId, number, number]]> {
  return [...w.messages.entries()].sort((x, y) => x[1][3] - y[1][3]);
}

function expected(w: Workload, to: 0 | 1, channel: ChannelId): Uint8Array[] {
  const from = to === 0 ? 1 : 0;
  return schedule(w)
    .filter(([, [side, ch]]) => side === from && ch === channel)
    .map(([i, [side, ch, size]]) => makePayload(side * 2 + ch, i, size));
}

describe('engine properties (seeded; fast-check prints the seed on failure)', () => {
  it('every message arrives exactly once, in order per channel, intact — through loss, duplication, reordering and corruption; and completes once the link heals', () => {
    fc.assert(
      fc.property(linkArb, workloadArb, startArb, fc.integer(), (link, work, start, seed) => {
        const pair = new TestPair({ seed, config: { ...patient, ...start }, link });
        for (const [i, [side, ch, size, at]] of schedule(work)) {
          if (at > pair.now) pair.runFor(at - pair.now);
          expect(pair.send(side, ch, makePayload(side * 2 + ch, i, size))).toBe(true);
        }
        const total = work.messages.length;
        const count = () => pair.delivered[0].length + pair.delivered[1].length;
        // Lossy phase, then the link heals.
        pair.run(() => count() === total, { until: pair.now + 3000 });
        pair.setLink({ delayMs: link.delayMs });
        const done = pair.run(() => count() === total, { until: pair.now + 60_000 });
        expect(done).toBe(true);
        for (const to of [0, 1] as const) {
          for (const ch of [Channel.chat, Channel.bulk]) {
            const got = pair.delivered[to].filter((d) => d.channel === ch).map((d) => d.data);
            const want = expected(work, to, ch);
            expect(got.length).toBe(want.length);
            got.forEach((g, k) => expect(bytesEqual(g, want[k]!)).toBe(true));
          }
        }
        expect(pair.a.state).toBe('open');
        expect(pair.b.state).toBe('open');
        // Nothing more trickles out later (no duplicates after the fact).
        pair.runFor(2000);
        expect(count()).toBe(total);
        return true;
      }),
      { numRuns: 60 },
    );
  });

  it('with 100% loss past the dead-peer limit: lost reported exactly once, then no more work', () => {
    fc.assert(
      fc.property(workloadArb, fc.integer({ min: 1, max: 10 }), fc.integer(), (work, probes, seed) => {
        const config = { deadPeerProbes: probes, rtoMaxMs: 500, keepaliveIntervalMs: 200, idleTimeoutMs: 3000 };
        const pair = new TestPair({ seed, config, link: { delayMs: 1 } });
        pair.runFor(5);
        pair.setLink({ down: true });
        for (const [i, [side, ch, size]] of work.messages.entries()) pair.send(side, ch, makePayload(side * 2 + ch, i, size));
        pair.run(() => pair.a.state !== 'open' && pair.b.state !== 'open', { until: pair.now + 60_000 });
        expect(pair.a.state).toBe('lost');
        expect(pair.b.state).toBe('lost');
        expect(pair.lostEvents).toEqual([1, 1]);
        for (const conn of pair.ends) {
          expect(conn.pollTimeout()).toBeUndefined();
          expect(conn.pollTransmit(pair.now + 1e6)).toBeUndefined();
          const s = conn.stats();
          expect(s.queuedMessages).toBe(0);
          expect(s.bytesInFlight).toBe(0);
          expect(s.bytesBuffered).toBe(0);
        }
        const sent = pair.linkStats[0].sent + pair.linkStats[1].sent;
        pair.setLink({});
        pair.runFor(100_000);
        expect(pair.linkStats[0].sent + pair.linkStats[1].sent).toBe(sent);
        expect(pair.lostEvents).toEqual([1, 1]);
        return true;
      }),
      { numRuns: 60 },
    );
  });
});
