// The fallback's promise, as a property on virtual time: random chat both ways over a lossy path, and at a
// random moment the path dies (both ways or one), or the server announces a close, or nothing happens;
// whichever side gives up and however the `<transport>` lines cross, every line reaches the other side
// exactly once and in order, across UDP and TCP. fast-check prints the seed and the case on failure.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Pair, texts } from './pair.ts';

type Death = 'both' | 'c2s' | 's2c' | 'server-close' | 'none';

interface Case {
  seed: number;
  loss: number;
  delayMs: number;
  jitterMs: number;
  controlDelayMs: number;
  /** When each side says its lines (ms after the binding settled). */
  clientAt: number[];
  serverAt: number[];
  death: Death;
  deathAt: number;
  /** The path heals this long after it died (undefined: never). */
  healAfter: number | undefined;
}

const caseArb: fc.Arbitrary<Case> = fc.record({
  seed: fc.integer(),
  loss: fc.oneof(fc.constant(0), fc.double({ min: 0, max: 0.25, noNaN: true })),
  delayMs: fc.integer({ min: 1, max: 60 }),
  jitterMs: fc.integer({ min: 0, max: 10 }),
  controlDelayMs: fc.integer({ min: 1, max: 400 }),
  clientAt: fc.array(fc.integer({ min: 0, max: 15_000 }), { maxLength: 25 }),
  serverAt: fc.array(fc.integer({ min: 0, max: 15_000 }), { maxLength: 25 }),
  death: fc.constantFrom<Death>('both', 'c2s', 's2c', 'server-close', 'none'),
  deathAt: fc.integer({ min: 0, max: 15_000 }),
  healAfter: fc.option(fc.integer({ min: 100, max: 30_000 }), { nil: undefined }),
});

/** Long enough for any side to notice anything: the server's silence limit, the sync timeout, slack. */
const HORIZON_MS = 150_000;

function runCase(c: Case): Pair {
  const pair = new Pair({
    seed: c.seed,
    link: { loss: c.loss, delayMs: c.delayMs, jitterMs: c.jitterMs },
    controlDelayMs: c.controlDelayMs,
  });
  // Chat starts once the binding is settled (bound, or given up): lines said while binding go over TCP and
  // may pass later ones over UDP — the real client's outbox orders those (src/client/link.ts), not the machine.
  pair.run(5_000, () => pair.client.state !== 'binding' && pair.server.state !== 'offered');
  pair.runFor(2_000, () => pair.client.chatPath !== 'hold' && pair.server.chatPath !== 'hold');
  const start = pair.now;
  c.clientAt.forEach((at, i) => pair.at(start + at, () => pair.clientSay(`c${i}`)));
  c.serverAt.forEach((at, i) => pair.at(start + at, () => pair.serverSay(`s${i}`)));
  // Lines are said in the order of their times; ties in index order (the heap keeps insertion order).
  const death = c.death;
  if (death === 'server-close') pair.at(start + c.deathAt, () => pair.server.announceClose());
  else if (death !== 'none') {
    pair.at(start + c.deathAt, () => pair.partition(true, death));
    if (c.healAfter !== undefined) pair.at(start + c.deathAt + c.healAfter, () => pair.partition(false));
  }
  pair.run(start + HORIZON_MS);
  return pair;
}

function said(at: number[], prefix: string): string[] {
  return at
    .map((t, i) => ({ t, i }))
    .sort((a, b) => a.t - b.t || a.i - b.i)
    .map(({ i }) => `${prefix}${i}`);
}

describe('fallback resync (property)', () => {
  it('every chat line arrives exactly once and in order, across UDP and TCP, whoever gives up and when', () => {
    fc.assert(
      fc.property(caseArb, (c) => {
        const pair = runCase(c);
        expect(pair.serverDropped).toBeUndefined();
        expect(texts(pair.serverGot)).toEqual(said(c.clientAt, 'c'));
        expect(texts(pair.clientGot)).toEqual(said(c.serverAt, 's'));
        // Settled: both on UDP still, or both on TCP; nothing held anywhere.
        expect([pair.client.chatPath, pair.server.chatPath].sort().join()).toMatch(/^(udp,udp|tcp,tcp)$/);
      }),
      { numRuns: 120 },
    );
  });

  it('a dead path always ends on TCP on both sides, with exactly one <transport> each way', () => {
    fc.assert(
      fc.property(
        caseArb.filter((c) => c.death === 'both' && c.healAfter === undefined),
        (c) => {
          const pair = runCase(c);
          expect([pair.client.state, pair.server.state]).toEqual(['tcp', 'tcp']);
          expect(pair.clientTransports).toHaveLength(1);
          expect(pair.serverTransports).toHaveLength(1);
          expect(pair.refusedTransports).toBe(0);
        },
      ),
      { numRuns: 40 },
    );
  });
});
