import CRC32 from 'crc-32';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DATAGRAM_OVERHEAD,
  DatagramType,
  decodeDatagram,
  encodeDatagram,
  encodeDatagramInto,
  type DatagramTypeName,
} from '../../src/udp/codec.ts';

const typeNames = Object.keys(DatagramType) as DatagramTypeName[];
const datagramArb = fc.record({
  type: fc.constantFrom(...typeNames),
  connectionId: fc.nat({ max: 0xffff_ffff }),
  body: fc.uint8Array({ maxLength: 1500 }),
});

describe('datagram codec', () => {
  it('decodes what it encodes', () => {
    fc.assert(
      fc.property(datagramArb, (d) => {
        const decoded = decodeDatagram(encodeDatagram(d));
        expect(decoded.ok).toBe(true);
        if (decoded.ok) {
          expect(decoded.datagram.type).toBe(d.type);
          expect(decoded.datagram.connectionId).toBe(d.connectionId);
          expect(Array.from(decoded.datagram.body)).toEqual(Array.from(d.body));
        }
      }),
    );
  });

  it('never throws on arbitrary bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2000 }), (bytes) => {
        const r = decodeDatagram(bytes);
        expect(typeof r.ok).toBe('boolean');
      }),
      { numRuns: 2000 },
    );
  });

  it('catches every single-bit flip with the CRC', () => {
    fc.assert(
      fc.property(datagramArb, fc.nat(), (d, at) => {
        const bytes = encodeDatagram(d);
        const bit = at % (bytes.length * 8);
        bytes[bit >> 3]! ^= 1 << (bit & 7);
        const r = decodeDatagram(bytes);
        expect(r).toEqual({ ok: false, reason: 'bad-crc' });
      }),
    );
  });

  it('names each rejection', () => {
    expect(decodeDatagram(new Uint8Array(DATAGRAM_OVERHEAD - 1))).toEqual({ ok: false, reason: 'truncated' });
    expect(decodeDatagram(new Uint8Array(70_000))).toEqual({ ok: false, reason: 'oversize' });
    // A wrong version or type under a valid CRC is a protocol mismatch, not corruption.
    const withHeader = (version: number, type: number) => {
      const bytes = encodeDatagram({ type: 'data', connectionId: 7, body: new Uint8Array(3) });
      bytes[0] = version;
      bytes[1] = type;
      const crcAt = bytes.length - 4;
      new DataView(bytes.buffer).setUint32(crcAt, CRC32.buf(bytes.subarray(0, crcAt)) >>> 0);
      return bytes;
    };
    expect(decodeDatagram(withHeader(1, 1)).ok).toBe(true);
    expect(decodeDatagram(withHeader(2, 1))).toEqual({ ok: false, reason: 'bad-version' });
    expect(decodeDatagram(withHeader(1, 99))).toEqual({ ok: false, reason: 'bad-type' });
  });
});

describe('encodeDatagramInto', () => {
  it('writes the bytes encodeDatagram returns, at any offset, touching nothing else', () => {
    fc.assert(
      fc.property(datagramArb, fc.nat({ max: 64 }), fc.nat({ max: 16 }), (d, at, slack) => {
        const expected = encodeDatagram(d);
        const out = new Uint8Array(at + expected.length + slack).fill(0xa5);
        expect(encodeDatagramInto(d, out, at)).toBe(expected.length);
        expect(out.subarray(at, at + expected.length)).toEqual(expected);
        expect(out.subarray(0, at).every((b) => b === 0xa5)).toBe(true);
        expect(out.subarray(at + expected.length).every((b) => b === 0xa5)).toBe(true);
        const decoded = decodeDatagram(out.subarray(at, at + expected.length));
        expect(decoded.ok && decoded.datagram.connectionId === d.connectionId && decoded.datagram.type === d.type).toBe(true);
      }),
    );
  });

  it('writes nothing and returns 0 when the datagram does not fit', () => {
    const d = { type: 'data' as const, connectionId: 9, body: new Uint8Array(20) };
    for (const [size, at] of [
      [DATAGRAM_OVERHEAD + 19, 0],
      [DATAGRAM_OVERHEAD + 20, 1],
      [100, -1],
      [0, 0],
    ] as const) {
      const out = new Uint8Array(size);
      expect(encodeDatagramInto(d, out, at)).toBe(0);
      expect(out.every((b) => b === 0)).toBe(true);
    }
  });

  it('encodeDatagram gives each datagram a buffer of its own, at offset 0', () => {
    const a = encodeDatagram({ type: 'data', connectionId: 1, body: new Uint8Array(500) });
    expect(a.byteOffset).toBe(0);
    expect(a.buffer.byteLength).toBe(a.length);
  });
});
