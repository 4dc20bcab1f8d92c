// The AEAD under sealed datagrams: both backends give RFC 8439's bytes and each other's, open only what
// is authentic and leave a datagram untouched when they refuse it; sodium-native is chosen when it loads
// and checks, and refused in words when it does not.
import { createRequire } from 'node:module';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AEAD_KEY_BYTES, AEAD_NONCE_BYTES, AEAD_TAG_BYTES, datagramAead, loadSodiumAead, NODE_CRYPTO_AEAD, type Aead } from '../../src/udp/aead.ts';

const loaded = loadSodiumAead();
if (!loaded.ok) throw new Error(`sodium-native is a dependency and must load here: ${loaded.reason}`);
const SODIUM = loaded.aead;
const BACKENDS: ReadonlyArray<readonly [string, Aead]> = [
  ['libsodium', SODIUM],
  ['node:crypto', NODE_CRYPTO_AEAD],
];

// RFC 8439 §2.8.2: the AEAD_CHACHA20_POLY1305 test vector.
const RFC = {
  key: Uint8Array.from({ length: 32 }, (_, i) => 0x80 + i),
  nonce: Buffer.from('070000004041424344454647', 'hex'),
  aad: Buffer.from('50515253c0c1c2c3c4c5c6c7', 'hex'),
  text: Buffer.from("Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it."),
  cipher: Buffer.from(
    'd31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d63dbea45e8ca9671282fafb69da92728b1a71de0a9e060b2905d6a5b67ecd3b3692ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b4831d7bc3ff4def08e4b7a9de576d26586cec64b6116',
    'hex',
  ),
  tag: Buffer.from('1ae10b594f09e26a7e902ecbd0600691', 'hex'),
};

/** A buffer laid out as a datagram is: `head` clear bytes, the text, `gap` bytes, then room for the tag. */
function laidOut(text: Uint8Array, head: number, gap: number): { buf: Uint8Array; from: number; to: number; tagAt: number } {
  const buf = new Uint8Array(head + text.length + gap + AEAD_TAG_BYTES);
  buf.fill(0xee);
  buf.set(text, head);
  return { buf, from: head, to: head + text.length, tagAt: head + text.length + gap };
}

const sealInput = fc.record({
  key: fc.uint8Array({ minLength: AEAD_KEY_BYTES, maxLength: AEAD_KEY_BYTES }),
  nonce: fc.uint8Array({ minLength: AEAD_NONCE_BYTES, maxLength: AEAD_NONCE_BYTES }),
  aad: fc.uint8Array({ minLength: 1, maxLength: 20 }),
  text: fc.uint8Array({ minLength: 0, maxLength: 1300 }),
  head: fc.integer({ min: 0, max: 12 }),
  gap: fc.integer({ min: 0, max: 8 }),
});

describe.each(BACKENDS)('ChaCha20-Poly1305 through %s', (_name, aead) => {
  it('gives the RFC 8439 §2.8.2 ciphertext and tag, in place, and opens them back', () => {
    const { buf, from, to, tagAt } = laidOut(RFC.text, 11, 0);
    aead.seal(RFC.key, RFC.nonce, RFC.aad, buf, from, to, tagAt);
    expect(Buffer.from(buf.subarray(from, to))).toEqual(RFC.cipher);
    expect(Buffer.from(buf.subarray(tagAt, tagAt + AEAD_TAG_BYTES))).toEqual(RFC.tag);
    expect(buf.subarray(0, from).every((b) => b === 0xee)).toBe(true);
    expect(aead.open(RFC.key, RFC.nonce, RFC.aad, buf, from, to, tagAt)).toBe(true);
    expect(Buffer.from(buf.subarray(from, to))).toEqual(RFC.text);
  });

  it('refuses any one bit flipped in the ciphertext, tag, associated data or nonce, and changes no byte', () => {
    fc.assert(
      fc.property(sealInput, fc.nat(), (input, pick) => {
        const { buf, from, to, tagAt } = laidOut(input.text, input.head, input.gap);
        aead.seal(input.key, input.nonce, input.aad, buf, from, to, tagAt);
        const aad = Uint8Array.from(input.aad);
        const nonce = Uint8Array.from(input.nonce);
        const targets = [...Array.from({ length: to - from }, (_, i) => ({ bytes: buf, at: from + i })), ...Array.from({ length: AEAD_TAG_BYTES }, (_, i) => ({ bytes: buf, at: tagAt + i })), ...Array.from(aad, (_, i) => ({ bytes: aad, at: i })), ...Array.from(nonce, (_, i) => ({ bytes: nonce, at: i }))];
        const target = targets[pick % targets.length]!;
        target.bytes[target.at] = (target.bytes[target.at] as number) ^ (1 << (pick % 8));
        const before = Uint8Array.from(buf);
        return !aead.open(input.key, nonce, aad, buf, from, to, tagAt) && buf.every((b, i) => b === before[i]);
      }),
      { numRuns: 300 },
    );
  });
});

describe('the two backends', () => {
  it('give the same bytes, and each opens what the other sealed', () => {
    fc.assert(
      fc.property(sealInput, ({ key, nonce, aad, text, head, gap }) => {
        const a = laidOut(text, head, gap);
        const b = laidOut(text, head, gap);
        SODIUM.seal(key, nonce, aad, a.buf, a.from, a.to, a.tagAt);
        NODE_CRYPTO_AEAD.seal(key, nonce, aad, b.buf, b.from, b.to, b.tagAt);
        if (!a.buf.every((byte, i) => byte === b.buf[i])) return false;
        const opened = NODE_CRYPTO_AEAD.open(key, nonce, aad, a.buf, a.from, a.to, a.tagAt) && SODIUM.open(key, nonce, aad, b.buf, b.from, b.to, b.tagAt);
        return opened && Buffer.from(a.buf.subarray(a.from, a.to)).equals(Buffer.from(text)) && Buffer.from(b.buf.subarray(b.from, b.to)).equals(Buffer.from(text));
      }),
      { numRuns: 200 },
    );
  });
});

describe('choosing the backend', () => {
  it('uses libsodium in this install', () => {
    expect(datagramAead().aead.backend).toBe('libsodium');
    expect(datagramAead().fallbackReason).toBeUndefined();
    expect(datagramAead()).toBe(datagramAead());
  });

  it('says why sodium-native is not used: missing, incomplete, or computing other bytes', () => {
    const missing = loadSodiumAead(() => {
      throw new Error("Cannot find module 'sodium-native'\nRequire stack: …");
    });
    expect(missing).toEqual({ ok: false, reason: "sodium-native did not load (Cannot find module 'sodium-native')" });
    expect(loadSodiumAead(() => ({ crypto_aead_chacha20poly1305_ietf_encrypt_detached: () => 0 }))).toEqual({ ok: false, reason: 'sodium-native lacks ChaCha20-Poly1305 (IETF)' });
    const real = createRequire(import.meta.url)('sodium-native') as Record<string, (...args: unknown[]) => unknown>;
    const lying = {
      ...real,
      // Seals, then spoils the tag: as a miscompiled binary might.
      crypto_aead_chacha20poly1305_ietf_encrypt_detached: (...args: unknown[]) => {
        const result = real['crypto_aead_chacha20poly1305_ietf_encrypt_detached']!(...args);
        const mac = args[1] as Uint8Array;
        mac[0] = (mac[0] as number) ^ 1;
        return result;
      },
    };
    expect(loadSodiumAead(() => lying)).toEqual({ ok: false, reason: 'sodium-native gave other bytes than node:crypto on a known input' });
  });
});
