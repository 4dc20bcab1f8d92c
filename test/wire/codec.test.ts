import CRC32 from 'crc-32';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DATAGRAM_HEADER_BYTES,
  DATAGRAM_OVERHEAD,
  DATAGRAM_TRAILER_BYTES,
  DATAGRAM_VERSION,
  datagramBytes,
  DatagramType,
  decodeDatagram,
  encodeDatagram,
  encodeDatagramInto,
  openDatagram,
  readDatagramHeader,
  type DatagramTypeName,
} from '../../src/wire/codec.ts';
import { NULL_PROTECTION, nullProtectionLookup, type ProtectionLookup } from '../../src/wire/protection.ts';
import { TOY_TAG_BYTES, toyProtection } from './toy-protection.ts';

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

describe('packet protection seam', () => {
  const keyA = Uint8Array.from([0x11, 0x22, 0x33, 0x44, 0x55]);
  const keyB = Uint8Array.from([0x11, 0x22, 0x33, 0x44, 0x56]);
  /** Connection ids below 1000 use key A, the rest key B: a shell's per-connection map. */
  const lookup: ProtectionLookup<'auth-failed'> = (() => {
    const a = toyProtection(keyA);
    const b = toyProtection(keyB);
    return (connectionId: number) => (connectionId < 1000 ? a : b);
  })();

  it('the null protection is the CRC-32 trailer: the same bytes as before the seam', () => {
    fc.assert(
      fc.property(datagramArb, (d) => {
        const bytes = encodeDatagram(d, NULL_PROTECTION);
        expect(bytes).toEqual(encodeDatagram(d));
        expect(bytes.length).toBe(datagramBytes(d.body.length));
        const crcAt = bytes.length - DATAGRAM_TRAILER_BYTES;
        expect(new DataView(bytes.buffer).getUint32(crcAt)).toBe(CRC32.buf(bytes.subarray(0, crcAt)) >>> 0);
        expect(decodeDatagram(bytes, nullProtectionLookup)).toEqual(decodeDatagram(bytes));
      }),
    );
  });

  it('reads the clear header first, whatever the protection, judging only the length', () => {
    fc.assert(
      fc.property(datagramArb, (d) => {
        for (const bytes of [encodeDatagram(d), encodeDatagram(d, lookup(d.connectionId, DatagramType[d.type]))]) {
          expect(readDatagramHeader(bytes)).toEqual({ ok: true, version: DATAGRAM_VERSION, typeCode: DatagramType[d.type], connectionId: d.connectionId });
        }
      }),
    );
    expect(readDatagramHeader(new Uint8Array(DATAGRAM_HEADER_BYTES - 1))).toEqual({ ok: false, reason: 'truncated' });
    expect(readDatagramHeader(new Uint8Array(DATAGRAM_HEADER_BYTES))).toMatchObject({ ok: true });
    expect(readDatagramHeader(new Uint8Array(101), 100)).toEqual({ ok: false, reason: 'oversize' });
  });

  it('a second protection plugs in: its trailer, its body transform, decoded per connection', () => {
    fc.assert(
      fc.property(datagramArb, (d) => {
        const protection = lookup(d.connectionId, DatagramType[d.type]);
        const bytes = encodeDatagram(d, protection);
        expect(bytes.length).toBe(DATAGRAM_HEADER_BYTES + d.body.length + TOY_TAG_BYTES);
        expect(bytes.length).toBe(datagramBytes(d.body.length, protection));
        // The body on the wire is transformed (every key byte is non-zero).
        for (let i = 0; i < d.body.length; i++) expect(bytes[DATAGRAM_HEADER_BYTES + i]).not.toBe(d.body[i]);
        const decoded = decodeDatagram(bytes, lookup);
        expect(decoded.ok).toBe(true);
        if (decoded.ok) {
          expect(decoded.datagram.type).toBe(d.type);
          expect(decoded.datagram.connectionId).toBe(d.connectionId);
          expect(Array.from(decoded.datagram.body)).toEqual(Array.from(d.body));
          expect(decoded.datagram.body.buffer).toBe(bytes.buffer); // a view: no copy
        }
      }),
    );
  });

  it('a datagram that fails to open is rejected as auth-failed: a flipped bit, another key, a wrong connection id', () => {
    fc.assert(
      fc.property(datagramArb, fc.nat(), (d, at) => {
        const own = lookup(d.connectionId, DatagramType[d.type]);
        const flipped = encodeDatagram(d, own);
        const bit = at % (flipped.length * 8);
        flipped[bit >> 3]! ^= 1 << (bit & 7);
        expect(decodeDatagram(flipped, lookup)).toEqual({ ok: false, reason: 'auth-failed' });
        const other = d.connectionId < 1000 ? toyProtection(keyB) : toyProtection(keyA);
        expect(decodeDatagram(encodeDatagram(d, other), lookup)).toEqual({ ok: false, reason: 'auth-failed' });
        // Under the null protection, what the toy protection's connection receives cannot open either.
        expect(decodeDatagram(encodeDatagram(d), lookup).ok).toBe(false);
      }),
    );
  });

  it('judges version and type only after opening, and the length against the protection’s trailer', () => {
    const protection = toyProtection(keyA);
    // Sealed as a peer of another version (or with an unknown type) would seal it.
    const sealedWith = (version: number, type: number) => {
      const bytes = new Uint8Array(DATAGRAM_HEADER_BYTES + 3 + TOY_TAG_BYTES);
      bytes[0] = version;
      bytes[1] = type;
      bytes[5] = 7;
      protection.seal(bytes, 0, DATAGRAM_HEADER_BYTES, DATAGRAM_HEADER_BYTES + 3);
      return bytes;
    };
    expect(decodeDatagram(sealedWith(1, 1), lookup).ok).toBe(true);
    expect(decodeDatagram(sealedWith(2, 1), lookup)).toEqual({ ok: false, reason: 'bad-version' });
    expect(decodeDatagram(sealedWith(1, 99), lookup)).toEqual({ ok: false, reason: 'bad-type' });
    // Long enough for the CRC trailer, too short for the 16-byte tag.
    const short = new Uint8Array(DATAGRAM_HEADER_BYTES + TOY_TAG_BYTES - 1);
    expect(decodeDatagram(short, lookup)).toEqual({ ok: false, reason: 'truncated' });
    const header = readDatagramHeader(short);
    expect(header.ok && openDatagram(short, header, protection)).toEqual({ ok: false, reason: 'truncated' });
  });

  it('encodeDatagramInto seals in place at any offset, touching nothing else', () => {
    fc.assert(
      fc.property(datagramArb, fc.nat({ max: 64 }), fc.nat({ max: 16 }), (d, at, slack) => {
        const protection = lookup(d.connectionId, DatagramType[d.type]);
        const expected = encodeDatagram(d, protection);
        const out = new Uint8Array(at + expected.length + slack).fill(0xa5);
        expect(encodeDatagramInto(d, out, at, protection)).toBe(expected.length);
        expect(out.subarray(at, at + expected.length)).toEqual(expected);
        expect(out.subarray(0, at).every((b) => b === 0xa5)).toBe(true);
        expect(out.subarray(at + expected.length).every((b) => b === 0xa5)).toBe(true);
        expect(encodeDatagramInto(d, new Uint8Array(expected.length - 1), 0, protection)).toBe(0);
      }),
    );
  });
});
