import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  decodePacket,
  decodePacketInto,
  FrameType,
  PACKET_HEADER_BYTES,
  PacketView,
  PacketWriter,
  streamFrameOverhead,
} from '../../src/reliability/packet.ts';
import { RangeSet } from '../../src/reliability/range-set.ts';
import { ByteReader, VARINT_MAX, varintSize, writeVarint } from '../../src/reliability/varint.ts';

describe('varint', () => {
  it('round-trips the 1/2/4-byte forms and rejects the 8-byte form', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: VARINT_MAX }), (v) => {
        const buf = new Uint8Array(4);
        const end = writeVarint(buf, 0, v);
        const r = new ByteReader();
        r.reset(buf.subarray(0, end));
        return end === varintSize(v) && r.varint() === v && !r.bad && r.remaining === 0;
      }),
    );
    const r = new ByteReader();
    r.reset(Uint8Array.of(0xc0, 0, 0, 0, 0, 0, 0, 1));
    expect(r.varint()).toBe(0);
    expect(r.bad).toBe(true);
    r.reset(Uint8Array.of(0x80, 1));
    r.varint();
    expect(r.bad).toBe(true);
  });
});

function ackOf(set: RangeSet, maxRanges = 32, room = 1000): Uint8Array {
  const w = new PacketWriter(1200);
  w.begin(77, 5000);
  w.ack(set, 1234, maxRanges, room);
  return w.finish();
}

describe('packet encode/decode', () => {
  it('round-trips a packet with ACK, PING and stream frames', () => {
    const w = new PacketWriter(1200);
    w.begin(2 ** 32 + 5, 123_456); // the wire carries the low 32 bits
    const rs = new RangeSet();
    rs.insert(10, 20);
    rs.insert(25, 26);
    rs.insert(40, 50);
    expect(w.ack(rs, 2500, 32, w.room)).toBe(49);
    w.ping();
    const msg = new Uint8Array(300).map((_, i) => i & 0xff);
    w.stream(0, 7, msg, 0, 300);
    w.stream(1, 2 ** 32 - 1, msg, 100, 180);
    w.stream(0, 8, new Uint8Array(0), 0, 0);
    const bytes = w.finish();
    const res = decodePacket(bytes);
    expect(res.ok).toBe(true);
    if (!res.ok) return;
    const p = res.packet;
    expect(p.packetNumber).toBe(5);
    expect(p.window).toBe(123_456);
    expect(p.ackEliciting).toBe(true);
    expect(p.pings).toBe(1);
    expect(p.ack).toEqual({
      largest: 49,
      delayUs: 2500,
      ranges: [
        { largest: 49, smallest: 40 },
        { largest: 25, smallest: 25 },
        { largest: 19, smallest: 10 },
      ],
    });
    expect(p.streams).toHaveLength(3);
    expect(p.streams[0]).toMatchObject({ channel: 0, seq: 7, fragment: false, total: 300, offset: 0 });
    expect(p.streams[0]?.data).toEqual(msg);
    expect(p.streams[1]).toMatchObject({ channel: 1, seq: 2 ** 32 - 1, fragment: true, total: 300, offset: 100 });
    expect(p.streams[1]?.data).toEqual(msg.subarray(100, 180));
    expect(p.streams[2]).toMatchObject({ channel: 0, seq: 8, fragment: false, total: 0 });
    expect(bytes.length).toBe(
      PACKET_HEADER_BYTES +
        (1 + 4 + 2 + 1 + 1 + 2 + 2) +
        1 +
        (streamFrameOverhead(false, 300, 0, 300) + 300) +
        (streamFrameOverhead(true, 300, 100, 80) + 80) +
        streamFrameOverhead(false, 0, 0, 0),
    );
  });

  it('SACK: any set of ranges round-trips (newest ranges first, up to the limit)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 5000 }), fc.integer({ min: 1, max: 40 })), { minLength: 1, maxLength: 50 }),
        fc.integer({ min: 0, max: 2 ** 32 - 6000 }),
        fc.integer({ min: 1, max: 40 }),
        (ops, base, maxRanges) => {
          const rs = new RangeSet();
          for (const [a, n] of ops) rs.insert(base + a, base + a + n);
          const res = decodePacket(ackOf(rs, maxRanges));
          if (!res.ok || res.packet.ack === undefined) return false;
          const ranges = res.packet.ack.ranges;
          const expected = rs.toArray().reverse().slice(0, maxRanges);
          if (ranges.length !== expected.length) return false;
          return ranges.every((r, i) => r.largest === expected[i]![1] - 1 && r.smallest === expected[i]![0]);
        },
      ),
    );
  });

  it('SACK ranges across the 2^32 wrap decode modulo 2^32', () => {
    const rs = new RangeSet();
    rs.insert(2 ** 32 - 3, 2 ** 32 + 2);
    rs.insert(2 ** 32 - 10, 2 ** 32 - 8);
    const res = decodePacket(ackOf(rs));
    expect(res.ok && res.packet.ack).toEqual({
      largest: 1,
      delayUs: 1234,
      ranges: [
        { largest: 1, smallest: 2 ** 32 - 3 },
        { largest: 2 ** 32 - 9, smallest: 2 ** 32 - 10 },
      ],
    });
  });

  it('an ACK frame shrinks to the room it is given', () => {
    const rs = new RangeSet();
    for (let i = 0; i < 30; i++) rs.insert(i * 10, i * 10 + 3);
    const small = decodePacket(ackOf(rs, 32, 30));
    expect(small.ok).toBe(true);
    if (small.ok) {
      expect(small.packet.ack?.ranges.length).toBeGreaterThan(1);
      expect(small.packet.ack?.ranges.length).toBeLessThan(30);
      expect(small.packet.ack?.ranges[0]).toEqual({ largest: 292, smallest: 290 });
    }
    const w = new PacketWriter(1200);
    w.begin(1, 1);
    expect(w.ack(rs, 0, 32, 5)).toBe(-1);
    expect(w.ack(new RangeSet(), 0, 32, 500)).toBe(-1);
  });

  it('rejects malformed packets with a reason', () => {
    const view = new PacketView();
    const hdr = [1, 0, 0, 0, 1, 0, 0, 1, 0];
    expect(decodePacketInto(new Uint8Array(3), view, 1000)).toBe('truncated');
    expect(decodePacketInto(Uint8Array.of(9, ...hdr.slice(1), FrameType.ping), view, 1000)).toBe('bad-version');
    expect(decodePacketInto(Uint8Array.of(...hdr), view, 1000)).toBe('no-frames');
    expect(decodePacketInto(Uint8Array.of(...hdr, 0x7f), view, 1000)).toBe('unknown-frame');
    expect(decodePacketInto(Uint8Array.of(...hdr, FrameType.ack, 0, 0, 0, 5, 0, 0), view, 1000)).toBe('truncated');
    expect(decodePacketInto(Uint8Array.of(...hdr, FrameType.ack, 0, 0, 0, 5, 0xc0, 0, 0, 0, 0, 0, 0, 0, 0, 0), view, 1000)).toBe('bad-varint');
    const ack = [FrameType.ack, 0, 0, 0, 5, 0, 0, 0];
    expect(decodePacketInto(Uint8Array.of(...hdr, ...ack, ...ack), view, 1000)).toBe('duplicate-ack');
    // Ranges running more than one wrap below the largest.
    expect(decodePacketInto(Uint8Array.of(...hdr, FrameType.ack, 0, 0, 0, 5, 0, 2, ...Array.from({ length: 5 }, () => [0xbf, 0xff, 0xff, 0xff]).flat()), view, 1000)).toBe('bad-ack');
    // Stream: data runs past the end; fragment beyond its message; message too large.
    expect(decodePacketInto(Uint8Array.of(...hdr, 0x10, 0, 0, 0, 1, 5, 1, 2), view, 1000)).toBe('truncated');
    expect(decodePacketInto(Uint8Array.of(...hdr, 0x12, 0, 0, 0, 1, 4, 3, 2, 9, 9), view, 1000)).toBe('bad-stream');
    expect(decodePacketInto(Uint8Array.of(...hdr, 0x12, 0, 0, 0, 1, 4, 0, 0), view, 1000)).toBe('bad-stream');
    expect(decodePacketInto(Uint8Array.of(...hdr, 0x10, 0, 0, 0, 1, 3, 1, 2, 3), view, 2)).toBe('bad-stream');
    expect(decodePacketInto(Uint8Array.of(...hdr, 0x10, 0, 0, 0, 1, 3, 1, 2, 3), view, 3)).toBeUndefined();
  });

  it('is total: arbitrary bytes never throw', () => {
    const view = new PacketView();
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.integer({ min: 0, max: 2000 }), (bytes, maxMsg) => {
        const r = decodePacketInto(bytes, view, maxMsg);
        const d = decodePacket(bytes, maxMsg);
        return (r === undefined) === d.ok;
      }),
      { numRuns: 2000 },
    );
  });

  it('is total on mutations of valid packets', () => {
    const w = new PacketWriter(1200);
    w.begin(99, 1000);
    const rs = new RangeSet();
    rs.insert(1, 9);
    rs.insert(12, 30);
    w.ack(rs, 100, 32, 200);
    w.stream(1, 3, new Uint8Array(50), 10, 40);
    w.ping();
    const base = w.finish();
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(base.length - 1), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }), fc.nat(base.length), (muts, cut) => {
        const b = base.slice(0, Math.max(cut, 1));
        for (const [i, v] of muts) if (i < b.length) b[i] = v;
        const d = decodePacket(b, 1 << 20);
        if (d.ok) for (const s of d.packet.streams) if (s.offset + s.data.length > s.total) return false;
        return true;
      }),
      { numRuns: 2000 },
    );
  });
});
