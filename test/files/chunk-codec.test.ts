import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  CHUNK_HEADER_BYTES,
  chunkFromBase64,
  chunkToBase64,
  decodeChunk,
  encodeChunk,
  type Chunk,
} from '../../src/files/chunk-codec.ts';
import { CHUNK_BYTES } from '../../src/files/limits.ts';
import { MAX_LINE_BYTES } from '../../src/tcp/constants.ts';

const chunkArb: fc.Arbitrary<Chunk> = fc
  .record({
    transferId: fc.integer({ min: 1, max: 0xffff_ffff }),
    offset: fc.oneof(fc.integer({ min: 0, max: 2 ** 40 }), fc.constant(Number.MAX_SAFE_INTEGER - 300)),
    final: fc.boolean(),
    data: fc.uint8Array({ maxLength: 256 }),
  })
  .map((c) => c);

describe('chunk codec', () => {
  it('round-trips every chunk, binary and base64', () => {
    fc.assert(
      fc.property(chunkArb, (c) => {
        const bytes = encodeChunk(c);
        expect(bytes.length).toBe(CHUNK_HEADER_BYTES + c.data.length);
        const back = decodeChunk(bytes);
        expect(back).toEqual({ ok: true, chunk: c });
        expect(chunkFromBase64(chunkToBase64(c))).toEqual({ ok: true, chunk: c });
      }),
    );
  });

  it('has the documented layout', () => {
    const bytes = encodeChunk({ transferId: 0x01020304, offset: 2 ** 32 + 5, final: true, data: new Uint8Array([9, 8]) });
    expect([...bytes]).toEqual([1, 1, 2, 3, 4, 0, 0, 0, 1, 0, 0, 0, 5, 1, 9, 8]);
  });

  it('never throws on arbitrary bytes or text', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), fc.string({ maxLength: 64 }), (bytes, text) => {
        const r = decodeChunk(bytes);
        if (r.ok) expect(encodeChunk(r.chunk)).toEqual(bytes);
        const t = chunkFromBase64(text);
        if (t.ok) expect(chunkToBase64(t.chunk)).toBe(text);
      }),
    );
  });

  it('rejects each kind of bad message with its reason', () => {
    const good = encodeChunk({ transferId: 7, offset: 0, final: false, data: new Uint8Array([1]) });
    const mutate = (f: (b: Uint8Array) => void): Uint8Array => {
      const b = good.slice();
      f(b);
      return b;
    };
    expect(decodeChunk(good.subarray(0, 13))).toMatchObject({ ok: false, reason: 'truncated' });
    expect(decodeChunk(mutate((b) => (b[0] = 2)))).toMatchObject({ ok: false, reason: 'bad-type' });
    expect(decodeChunk(mutate((b) => b.fill(0, 1, 5)))).toMatchObject({ ok: false, reason: 'bad-id' });
    expect(decodeChunk(mutate((b) => (b[5] = 0xff)))).toMatchObject({ ok: false, reason: 'bad-offset' });
    expect(decodeChunk(mutate((b) => (b[13] = 2)))).toMatchObject({ ok: false, reason: 'bad-flags' });
    for (const text of ['', 'AQ', 'AQ=', 'A Q==', 'AQ==\n', '****', 'AR==']) {
      const r = chunkFromBase64(text);
      expect(r.ok, text).toBe(false);
    }
  });

  it('refuses to encode an invalid chunk (programming error)', () => {
    const data = new Uint8Array(0);
    expect(() => encodeChunk({ transferId: 0, offset: 0, final: false, data })).toThrow(RangeError);
    expect(() => encodeChunk({ transferId: 2 ** 32, offset: 0, final: false, data })).toThrow(RangeError);
    expect(() => encodeChunk({ transferId: 1, offset: -1, final: false, data })).toThrow(RangeError);
    expect(() => encodeChunk({ transferId: 1, offset: 0.5, final: false, data })).toThrow(RangeError);
  });

  it('fits a full chunk in one TCP line as base64', () => {
    const line = `<chunk>${chunkToBase64({ transferId: 0xffff_ffff, offset: 2 ** 50, final: true, data: new Uint8Array(CHUNK_BYTES) })}`;
    expect(line.length).toBeLessThan(MAX_LINE_BYTES);
  });
});
