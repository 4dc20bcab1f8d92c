import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeHello, newConnectionId, newToken, tokenFromHex, tokenToHex, verifyHello } from '../../src/udp/binding.ts';

describe('binding hello', () => {
  it('verifies a hello made with the token', () => {
    const token = newToken();
    const id = newConnectionId();
    expect(verifyHello(token, id, encodeHello(token, id, 5n))).toEqual({ ok: true, nonce: 5n });
  });

  it('refuses another token, another connection id, or any altered byte', () => {
    const token = newToken();
    const id = newConnectionId();
    const hello = encodeHello(token, id, 1n);
    expect(verifyHello(newToken(), id, hello)).toEqual({ ok: false, reason: 'badMac' });
    expect(verifyHello(token, (id + 1) >>> 0, hello)).toEqual({ ok: false, reason: 'badMac' });
    fc.assert(
      fc.property(fc.nat({ max: hello.length * 8 - 1 }), (bit) => {
        const copy = Uint8Array.from(hello); // a copy: Buffer#slice would be a view of `hello`
        copy[bit >> 3]! ^= 1 << (bit & 7);
        expect(verifyHello(token, id, copy).ok).toBe(false);
      }),
    );
    expect(verifyHello(token, id, hello.subarray(1))).toEqual({ ok: false, reason: 'malformed' });
  });

  it('round-trips tokens as hex and rejects malformed hex', () => {
    const token = newToken();
    expect(Array.from(tokenFromHex(tokenToHex(token))!)).toEqual(Array.from(token));
    expect(tokenFromHex('zz')).toBeUndefined();
    expect(tokenFromHex('ab')).toBeUndefined();
  });
});
