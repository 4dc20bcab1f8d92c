import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ByteSlab } from '../../src/reliability/byte-slab.ts';
import { FrameOutcome, PREALLOCATE_MAX_BYTES, Reassembler } from '../../src/reliability/reassembler.ts';
import { MESSAGE_OVERHEAD_BYTES, PIECE_OVERHEAD_BYTES } from '../../src/reliability/receive-bound.ts';

function setup(initialSeq = 0, maxAhead = 1000) {
  const out: Array<{ channel: number; data: Uint8Array }> = [];
  const r = new Reassembler(1, initialSeq, maxAhead, (channel, data) => out.push({ channel, data }), new ByteSlab());
  return { r, out };
}

const BIG = 1 << 30;

describe('Reassembler', () => {
  it('delivers whole messages in order, holding early ones', () => {
    const { r, out } = setup();
    const m = (n: number) => Uint8Array.of(n, n, n);
    expect(r.onFrame(1, 3, 0, m(1), 0, 3, BIG)).toBe(FrameOutcome.stored);
    expect(out).toHaveLength(0);
    expect(r.bufferedBytes).toBe(3);
    expect(r.onFrame(0, 3, 0, m(0), 0, 3, BIG)).toBe(FrameOutcome.delivered);
    expect(out.map((o) => o.data[0])).toEqual([0, 1]);
    expect(r.bufferedBytes).toBe(0);
    expect(r.onFrame(1, 3, 0, m(1), 0, 3, BIG)).toBe(FrameOutcome.duplicate);
    expect(out).toHaveLength(2);
  });

  it('puts fragments back together in any order, with overlaps and duplicates', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 3000 }),
        fc.array(fc.tuple(fc.nat(3000), fc.integer({ min: 1, max: 500 })), { maxLength: 30 }),
        fc.integer(),
        (total, extra, seed) => {
          const { r, out } = setup();
          const msg = new Uint8Array(total).map((_, i) => (i * 7 + seed) & 0xff);
          // A covering set of pieces plus random extra overlapping ones, shuffled.
          const pieces: Array<[number, number]> = [];
          for (let off = 0; off < total; off += 400) pieces.push([off, Math.min(total, off + 400)]);
          if (total === 0) pieces.push([0, 0]);
          for (const [a, n] of extra) if (a < total) pieces.push([a, Math.min(total, a + n)]);
          let s = seed >>> 0;
          for (let i = pieces.length - 1; i > 0; i--) {
            s = (Math.imul(s, 1103515245) + 12345) >>> 0;
            const j = s % (i + 1);
            [pieces[i], pieces[j]] = [pieces[j]!, pieces[i]!];
          }
          for (const [a, b] of pieces) r.onFrame(0, total, a, msg, a, b - a, BIG);
          return out.length === 1 && out[0]!.data.length === total && out[0]!.data.every((v, i) => v === msg[i]) && r.bufferedBytes === 0;
        },
      ),
    );
  });

  it('delivers a 0-byte message', () => {
    const { r, out } = setup();
    expect(r.onFrame(0, 0, 0, new Uint8Array(0), 0, 0, BIG)).toBe(FrameOutcome.delivered);
    expect(out[0]?.data.length).toBe(0);
    expect(r.onFrame(2, 0, 0, new Uint8Array(0), 0, 0, BIG)).toBe(FrameOutcome.stored);
    expect(r.onFrame(2, 0, 0, new Uint8Array(0), 0, 0, BIG)).toBe(FrameOutcome.duplicate);
    expect(r.onFrame(1, 0, 0, new Uint8Array(0), 0, 0, BIG)).toBe(FrameOutcome.delivered);
    expect(out).toHaveLength(3);
  });

  it('stores nothing that does not fit the room or runs too far ahead — the head of the line included', () => {
    const { r } = setup(0, 10);
    expect(r.onFrame(1, 100, 0, new Uint8Array(100), 0, 50, 49)).toBe(FrameOutcome.overLimit);
    expect(r.pendingMessages).toBe(0);
    // The head of the line is charged like any message (issue 15, row 1): it is exempt from the
    // advertised window only, so that a message larger than the window completes.
    expect(r.onFrame(0, 100, 0, new Uint8Array(100), 0, 50, 0)).toBe(FrameOutcome.overLimit);
    expect(r.onFrame(0, 100, 0, new Uint8Array(100), 0, 50, BIG)).toBe(FrameOutcome.stored);
    expect(r.bufferedBytes).toBe(50);
    expect(r.heldBytes).toBe(MESSAGE_OVERHEAD_BYTES + 100 + PIECE_OVERHEAD_BYTES);
    expect(r.windowBytes).toBe(0);
    expect(r.onFrame(10, 1, 0, new Uint8Array(1), 0, 1, BIG)).toBe(FrameOutcome.tooFarAhead);
    expect(r.onFrame(9, 1, 0, new Uint8Array(1), 0, 1, BIG)).toBe(FrameOutcome.stored);
    expect(r.windowBytes).toBe(MESSAGE_OVERHEAD_BYTES + 1);
  });

  it('rejects a fragment that contradicts the message length', () => {
    const { r } = setup();
    r.onFrame(0, 100, 0, new Uint8Array(100), 0, 50, BIG);
    expect(r.onFrame(0, 90, 50, new Uint8Array(100), 0, 40, BIG)).toBe(FrameOutcome.invalid);
  });

  it('unwraps message numbers across 2^32', () => {
    const { r, out } = setup(2 ** 32 - 1);
    expect(r.onFrame(0, 1, 0, Uint8Array.of(2), 0, 1, BIG)).toBe(FrameOutcome.stored); // seq 2^32
    expect(r.onFrame(2 ** 32 - 1, 1, 0, Uint8Array.of(1), 0, 1, BIG)).toBe(FrameOutcome.delivered);
    expect(out.map((o) => o.data[0])).toEqual([1, 2]);
    expect(r.nextSeq).toBe(2 ** 32 + 1);
    expect(r.onFrame(2 ** 32 - 1, 1, 0, Uint8Array.of(1), 0, 1, BIG)).toBe(FrameOutcome.duplicate);
  });

  it('copies data: later changes to the packet do not alter a delivered message', () => {
    const { r, out } = setup();
    const pkt = Uint8Array.of(1, 2, 3);
    r.onFrame(0, 3, 0, pkt, 0, 3, BIG);
    pkt[0] = 99;
    expect(out[0]?.data[0]).toBe(1);
  });

  it('writes fragments of a message into its buffer, counting the unreceived part as reserved', () => {
    const { r, out } = setup();
    const msg = new Uint8Array(10_000).map((_, i) => i & 0xff);
    expect(r.onFrame(0, 10_000, 4000, msg, 4000, 3000, BIG)).toBe(FrameOutcome.stored);
    expect(r.bufferedBytes).toBe(3000);
    expect(r.reservedBytes).toBe(7000);
    expect(r.onFrame(0, 10_000, 3500, msg, 3500, 1000, BIG)).toBe(FrameOutcome.stored); // overlaps
    expect(r.bufferedBytes).toBe(3500);
    expect(r.reservedBytes).toBe(6500);
    expect(r.onFrame(0, 10_000, 0, msg, 0, 3500, BIG)).toBe(FrameOutcome.stored);
    expect(r.onFrame(0, 10_000, 7000, msg, 7000, 3000, BIG)).toBe(FrameOutcome.delivered);
    expect(out[0]?.data).toEqual(msg);
    expect(r.bufferedBytes).toBe(0);
    expect(r.reservedBytes).toBe(0);
  });

  it('charges a preallocated message whole at its first fragment; beyond the room nothing is stored', () => {
    const { r } = setup(0, 1000);
    const room = 120_000;
    const each = MESSAGE_OVERHEAD_BYTES + 50_000 + PIECE_OVERHEAD_BYTES;
    // Messages 1…20 announce 50 kB each and send 100 bytes: two fit the room, the third does not.
    for (let seq = 1; seq <= 2; seq++) expect(r.onFrame(seq, 50_000, 0, new Uint8Array(100), 0, 100, room - r.heldBytes)).toBe(FrameOutcome.stored);
    expect(r.onFrame(3, 50_000, 0, new Uint8Array(100), 0, 100, room - r.heldBytes)).toBe(FrameOutcome.overLimit);
    expect(r.heldBytes).toBe(2 * each);
    expect(r.reservedBytes).toBe(2 * (50_000 - 100));
    expect(r.bufferedBytes).toBe(2 * 100);
    // A message larger than PREALLOCATE_MAX_BYTES is never preallocated, even at the head: it costs what arrived.
    const big = setup();
    big.r.onFrame(0, PREALLOCATE_MAX_BYTES + 1, 0, new Uint8Array(100), 0, 100, BIG);
    expect(big.r.reservedBytes).toBe(0);
    expect(big.r.bufferedBytes).toBe(100);
    expect(big.r.heldBytes).toBe(MESSAGE_OVERHEAD_BYTES + 100 + PIECE_OVERHEAD_BYTES);
  });

  it('stores only the new bytes of overlapping pieces: a piece overlapping by all but one byte costs one byte', () => {
    const { r, out } = setup();
    const total = PREALLOCATE_MAX_BYTES + 1000;
    const msg = new Uint8Array(total);
    for (let i = 0; i < total; i++) msg[i] = (i * 13) & 0xff;
    expect(r.onFrame(0, total, 0, msg, 0, 1000, BIG)).toBe(FrameOutcome.stored);
    const first = r.heldBytes;
    // [1, 1001) overlaps [0, 1000) by 999 bytes: one new byte, one piece.
    expect(r.onFrame(0, total, 1, msg, 1, 1000, BIG)).toBe(FrameOutcome.stored);
    expect(r.heldBytes - first).toBe(1 + PIECE_OVERHEAD_BYTES);
    expect(r.bufferedBytes).toBe(1001);
    // A piece spanning a hole and held bytes on both sides stores the hole only.
    expect(r.onFrame(0, total, 2000, msg, 2000, 100, BIG)).toBe(FrameOutcome.stored);
    const before = r.heldBytes;
    expect(r.onFrame(0, total, 500, msg, 500, 2000, BIG)).toBe(FrameOutcome.stored);
    expect(r.heldBytes - before).toBe(999 + 400 + 2 * PIECE_OVERHEAD_BYTES);
    expect(r.bufferedBytes).toBe(2500);
    expect(r.onFrame(0, total, 0, msg, 0, total, BIG)).toBe(FrameOutcome.delivered);
    expect(Buffer.from(out[0]!.data).equals(msg)).toBe(true);
    expect(r.heldBytes).toBe(0);
    expect(r.bufferedBytes).toBe(0);
  });

  it('charges every held message its overhead, an empty one too', () => {
    const { r, out } = setup(0, 100);
    for (let seq = 1; seq < 100; seq++) expect(r.onFrame(seq, 0, 0, new Uint8Array(0), 0, 0, BIG)).toBe(FrameOutcome.stored);
    expect(r.heldBytes).toBe(99 * MESSAGE_OVERHEAD_BYTES);
    expect(r.onFrame(100, 0, 0, new Uint8Array(0), 0, 0, BIG)).toBe(FrameOutcome.tooFarAhead);
    expect(r.onFrame(0, 0, 0, new Uint8Array(0), 0, 0, MESSAGE_OVERHEAD_BYTES - 1)).toBe(FrameOutcome.overLimit);
    expect(r.onFrame(0, 0, 0, new Uint8Array(0), 0, 0, MESSAGE_OVERHEAD_BYTES)).toBe(FrameOutcome.delivered);
    expect(out).toHaveLength(100);
    expect(r.heldBytes).toBe(0);
  });
});
