// The receive side's bound (docs/engine.md, "Receive accounting"; issue 15 rows 1–3): whatever a peer
// sends — any message numbers, sizes, offsets, overlaps, orders, duplicates — an engine never holds more
// than its configured bound, and a peer that would take it further is closed with a reason; honest peers
// through loss and reordering are never closed and everything still arrives exactly once, in order.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Connection } from '../../src/reliability/connection.ts';
import { MESSAGE_OVERHEAD_BYTES, PIECE_OVERHEAD_BYTES, receiveBoundBytes } from '../../src/reliability/receive-bound.ts';
import { resolveEngineConfig, type EngineConfig } from '../../src/reliability/config.ts';
import { Channel, type ChannelId, type EngineEvent } from '../../src/reliability/types.ts';
import { craftPacket, type CraftedFrame } from './frames.ts';
import { bytesEqual, makePayload, TestPair } from './pair.ts';

/** Small enough that a few hundred frames reach every limit; bulk above the preallocation size, so both paths run. */
const TIGHT: Partial<EngineConfig> = {
  receiveWindowBytes: 16 * 1024,
  chatReserveBytes: 2 * 1024,
  maxMessagesInFlight: 32,
  maxChatMessageBytes: 3_000,
  maxBulkMessageBytes: 1_500_000,
};

function boundOf(config: Partial<EngineConfig>): number {
  const resolved = resolveEngineConfig(config);
  if (!resolved.ok) throw new Error(resolved.errors.join('; '));
  return receiveBoundBytes(resolved.config);
}

/** A message size for a channel: within its maximum mostly (both storage paths), now and then above it. */
function sizeArb(channel: ChannelId): fc.Arbitrary<number> {
  const max = channel === Channel.chat ? TIGHT.maxChatMessageBytes! : TIGHT.maxBulkMessageBytes!;
  return fc.oneof(
    { arbitrary: fc.constant(0), weight: 2 },
    { arbitrary: fc.integer({ min: 1, max: 3_000 }), weight: 8 },
    { arbitrary: fc.integer({ min: 1, max: max }), weight: 6 },
    { arbitrary: fc.integer({ min: 900_000, max: 1_100_000 }).map((n) => Math.min(n, max)), weight: 13 },
    { arbitrary: fc.integer({ min: max + 1, max: max + 100_000 }), weight: 1 },
  );
}

/** Per run, each channel's messages have these sizes (by sequence number modulo their count). */
const sizesArb = fc.record({
  chat: fc.array(sizeArb(Channel.chat), { minLength: 8, maxLength: 8 }),
  bulk: fc.array(sizeArb(Channel.bulk), { minLength: 8, maxLength: 8 }),
});

const frameArb = fc.record({
  channel: fc.constantFrom<ChannelId>(Channel.chat, Channel.bulk),
  /** How far ahead of the next expected message: mostly within maxMessagesInFlight (32), sometimes not. */
  ahead: fc.oneof(
    { arbitrary: fc.integer({ min: 0, max: 3 }), weight: 4 },
    { arbitrary: fc.integer({ min: 0, max: 31 }), weight: 4 },
    { arbitrary: fc.integer({ min: 0, max: 40 }), weight: 1 },
  ),
  /** A size contradicting the message's own, now and then. */
  contradict: fc.oneof({ arbitrary: fc.constant(false), weight: 19 }, { arbitrary: fc.constant(true), weight: 1 }),
  at: fc.double({ min: 0, max: 1, noNaN: true }),
  length: fc.oneof(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 1_400 })),
});

const stepArb = fc.record({
  frames: fc.array(frameArb, { minLength: 1, maxLength: 3 }),
  /** Packet number: mostly the next, sometimes an old one again (a duplicate) or a jump. */
  pn: fc.oneof(fc.constant(-1), fc.integer({ min: 0, max: 400 })),
  /** Does the owner take its events after this packet? */
  poll: fc.boolean(),
});

/** Which ways the runs ended (printed with the test, so a generator that never reaches a limit shows). */
type Ending = 'open' | 'flow-control' | 'message-size' | 'message-limit';

describe('receive accounting (seeded; fast-check prints the seed on failure)', () => {
  it('no sequence of datagrams makes an engine hold more than its bound; a peer that tries is closed with a reason', () => {
    const bound = boundOf(TIGHT);
    const endings: Record<Ending, number> = { open: 0, 'flow-control': 0, 'message-size': 0, 'message-limit': 0 };
    fc.assert(
      fc.property(sizesArb, fc.array(stepArb, { minLength: 1, maxLength: 300 }), (sizes, steps) => {
        const engine = new Connection(TIGHT, 0);
        const lost: EngineEvent[] = [];
        let pn = 0;
        const next = [0, 0];
        let now = 0;
        for (const step of steps) {
          const frames: CraftedFrame[] = step.frames.map((f) => {
            const seq = next[f.channel]! + f.ahead;
            const table = f.channel === Channel.chat ? sizes.chat : sizes.bulk;
            const total = (table[(seq + (f.contradict ? 1 : 0)) % table.length] ?? 0);
            // Non-empty unless the message is (the decoder refuses an empty fragment of a non-empty message).
            const offset = total === 0 ? 0 : Math.min(Math.floor(f.at * total), total - 1);
            const length = total === 0 ? 0 : Math.max(1, Math.min(f.length, total - offset));
            return { channel: f.channel, seq: seq >>> 0, total, offset, data: new Uint8Array(length).fill(f.ahead) };
          });
          const number = step.pn < 0 ? pn++ : step.pn;
          engine.handlePacket(craftPacket(number, frames), ++now);
          const s = engine.stats();
          expect(s.receiveBound).toBe(bound);
          expect(s.bytesHeld).toBeLessThanOrEqual(bound);
          expect(s.bytesBuffered).toBeLessThanOrEqual(s.bytesHeld);
          if (step.poll || engine.state !== 'open') {
            for (let ev = engine.pollEvent(); ev !== undefined; ev = engine.pollEvent()) {
              if (ev.type === 'message') next[ev.channel]!++;
              else lost.push(ev);
            }
          }
          if (engine.state !== 'open') break;
        }
        const ending = lost[0]?.type === 'lost' ? lost[0].reason : 'open';
        if (ending !== 'timeout') endings[ending]++;
        if (engine.state === 'lost') {
          expect(lost).toHaveLength(1);
          const [ev] = lost;
          expect(ev?.type === 'lost' && ev.reason !== 'timeout' && ev.detail.length > 0).toBe(true);
          expect(engine.stats().bytesHeld).toBe(0);
        }
        return true;
      }),
      { numRuns: 300 },
    );
    console.log(`receive accounting: how 300 runs of hostile datagrams ended: ${JSON.stringify(endings)}`);
    // The generator reaches every limit (a property that never met one would prove little).
    for (const ending of Object.keys(endings) as Ending[]) expect(endings[ending], ending).toBeGreaterThan(0);
  });

  it('closes on each row of issue 15 at once, holding no more than the bound', () => {
    const bound = boundOf(TIGHT);
    const reasonOf = (engine: Connection): string | undefined => {
      for (let ev = engine.pollEvent(); ev !== undefined; ev = engine.pollEvent()) if (ev.type === 'lost') return ev.reason;
      return undefined;
    };
    // Row 1: a message larger than its channel's maximum.
    const row1 = new Connection(TIGHT, 0);
    row1.handlePacket(craftPacket(0, [{ channel: Channel.chat, seq: 0, total: 64 * 1024 * 1024, offset: 0, data: new Uint8Array(1000) }]), 1);
    expect(reasonOf(row1)).toBe('message-size');
    // Row 2: pieces of the largest bulk message overlapping by all but one byte: one byte stored each, until the bound.
    const row2 = new Connection(TIGHT, 0);
    for (let i = 0; i < 100_000 && row2.state === 'open'; i++) {
      row2.handlePacket(craftPacket(i, [{ channel: Channel.bulk, seq: 1, total: 1_500_000, offset: i, data: new Uint8Array(1000) }]), 1);
      expect(row2.stats().bytesHeld).toBeLessThanOrEqual(bound);
      if (i === 99) {
        // 100 pieces: the first whole, each later one its one new byte.
        expect(row2.stats().bytesBuffered).toBe(1000 + 99);
        expect(row2.stats().bytesHeld).toBe(MESSAGE_OVERHEAD_BYTES + 1099 + 100 * PIECE_OVERHEAD_BYTES);
      }
    }
    expect(reasonOf(row2)).toBe('flow-control');
    // Row 3: empty messages ahead of a missing one: at most maxMessagesInFlight − 1 are held.
    const row3 = new Connection(TIGHT, 0);
    for (let seq = 1; seq <= 65_535 && row3.state === 'open'; seq++) {
      row3.handlePacket(craftPacket(seq, [{ channel: Channel.chat, seq, total: 0, offset: 0, data: new Uint8Array(0) }]), 1);
    }
    expect(reasonOf(row3)).toBe('message-limit');
  });

  it('a gap closing after a full line of held messages releases at most maxMessagesInFlight of them', () => {
    const engine = new Connection(TIGHT, 0);
    for (let seq = 1; seq < 32; seq++) engine.handlePacket(craftPacket(seq, [{ channel: Channel.chat, seq, total: 0, offset: 0, data: new Uint8Array(0) }]), 1);
    expect(engine.stats().bytesHeld).toBe(31 * MESSAGE_OVERHEAD_BYTES);
    engine.handlePacket(craftPacket(40, [{ channel: Channel.chat, seq: 0, total: 1, offset: 0, data: Uint8Array.of(7) }]), 2);
    let delivered = 0;
    for (let ev = engine.pollEvent(); ev !== undefined; ev = engine.pollEvent()) if (ev.type === 'message') delivered++;
    expect(delivered).toBe(32);
    expect(engine.state).toBe('open');
    expect(engine.stats().bytesHeld).toBe(0);
  });

  it('empty messages to an owner that takes nothing: the window closes on them too, the receiver holds about a window, then everything arrives', () => {
    const pair = new TestPair({ seed: 3, config: TIGHT, link: { delayMs: 1 }, autoPollEvents: false });
    const count = 5_000;
    for (let i = 0; i < count; i++) expect(pair.send(0, Channel.chat, new Uint8Array(0))).toBe(true);
    pair.runFor(2_000);
    const held = pair.b.stats().bytesHeld;
    // The window (16 KiB) and what was in flight when it closed: far from 5,000 × 512 bytes.
    expect(held).toBeLessThanOrEqual(TIGHT.receiveWindowBytes! + TIGHT.maxMessagesInFlight! * MESSAGE_OVERHEAD_BYTES);
    expect(pair.b.state).toBe('open');
    for (let t = 0; t < 1_000 && pair.delivered[1].length < count; t++) {
      pair.pollEvents(1);
      pair.runFor(5);
    }
    expect(pair.delivered[1]).toHaveLength(count);
    expect(pair.lostEvents).toEqual([0, 0]);
  });

  it('honest peers under the tight limits, through loss, duplication and reordering, an owner that takes its events late: never closed, never past the bound, everything delivered in order', () => {
    const bound = boundOf(TIGHT);
    const patient = { deadPeerProbes: 30, rtoMaxMs: 1000, idleTimeoutMs: 120_000, keepaliveIntervalMs: 500 };
    fc.assert(
      fc.property(
        fc.record({
          lossRate: fc.double({ min: 0, max: 0.3, noNaN: true }),
          duplicateRate: fc.double({ min: 0, max: 0.1, noNaN: true }),
          reorderRate: fc.double({ min: 0, max: 0.2, noNaN: true }),
          reorderDelayMs: fc.double({ min: 0.1, max: 20, noNaN: true }),
          delayMs: fc.double({ min: 0, max: 10, noNaN: true }),
        }),
        fc.array(
          fc.tuple(fc.constantFrom<ChannelId>(Channel.chat, Channel.bulk), fc.oneof(fc.integer({ min: 0, max: 40 }), fc.integer({ min: 0, max: 3_000 }))),
          { minLength: 1, maxLength: 120 },
        ),
        fc.integer({ min: 1, max: 50 }),
        fc.integer(),
        (link, messages, pollEveryMs, seed) => {
          const pair = new TestPair({ seed, config: { ...TIGHT, ...patient }, link, autoPollEvents: false });
          let worst = 0;
          pair.onTransmit = () => {
            for (const end of pair.ends) worst = Math.max(worst, end.stats().bytesHeld);
          };
          messages.forEach(([ch, size], i) => expect(pair.send(0, ch, makePayload(ch, i, Math.min(size, TIGHT.maxChatMessageBytes!)))).toBe(true));
          const count = () => pair.delivered[1].length;
          for (let t = 0; t < 2_000 && count() < messages.length; t++) {
            pair.runFor(pollEveryMs);
            pair.pollEvents(0);
            pair.pollEvents(1);
          }
          pair.setLink({ delayMs: link.delayMs });
          for (let t = 0; t < 2_000 && count() < messages.length; t++) {
            pair.runFor(pollEveryMs);
            pair.pollEvents(0);
            pair.pollEvents(1);
          }
          expect(pair.lostEvents).toEqual([0, 0]);
          expect(worst).toBeLessThanOrEqual(bound);
          for (const ch of [Channel.chat, Channel.bulk]) {
            const got = pair.delivered[1].filter((d) => d.channel === ch).map((d) => d.data);
            const want = messages.flatMap(([c, size], i) => (c === ch ? [makePayload(c, i, Math.min(size, TIGHT.maxChatMessageBytes!))] : []));
            expect(got.length).toBe(want.length);
            got.forEach((g, k) => expect(bytesEqual(g, want[k]!)).toBe(true));
          }
          return true;
        },
      ),
      { numRuns: 40 },
    );
  });
});
