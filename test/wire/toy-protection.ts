// A test-only second packet protection, to show one plugs into the seam the way per-connection AEAD
// will: a keyed body transform in place, a 16-byte trailer over header and transformed body, and
// 'auth-failed' when it does not match. NOT cryptography (XOR and CRCs): it only exercises the seam.
import { crc32 } from '../../src/wire/crc32.ts';
import type { PacketProtection } from '../../src/wire/protection.ts';

export const TOY_TAG_BYTES = 16;

function xorBody(bytes: Uint8Array, from: number, to: number, key: Uint8Array): void {
  for (let i = from; i < to; i++) bytes[i] = (bytes[i] as number) ^ (key[(i - from) % key.length] as number);
}

/** Writes the tag of `covered` under `key` to `out[at, at + TOY_TAG_BYTES)`: four keyed CRC-32s. */
function writeTag(covered: Uint8Array, key: Uint8Array, out: Uint8Array, at: number): void {
  const keyed = crc32(key);
  for (let k = 0; k < TOY_TAG_BYTES / 4; k++) {
    const v = crc32(covered, (keyed + k) >>> 0);
    out[at + 4 * k] = v >>> 24;
    out[at + 4 * k + 1] = (v >>> 16) & 0xff;
    out[at + 4 * k + 2] = (v >>> 8) & 0xff;
    out[at + 4 * k + 3] = v & 0xff;
  }
}

/** A protection keyed with `key` (every byte non-zero, so the body on the wire always differs). */
export function toyProtection(key: Uint8Array): PacketProtection<'auth-failed'> {
  if (key.length === 0 || key.some((b) => b === 0)) throw new Error('toy key bytes must be non-zero');
  const expected = new Uint8Array(TOY_TAG_BYTES);
  return {
    trailerBytes: TOY_TAG_BYTES,
    seal(out, start, bodyAt, bodyEnd) {
      xorBody(out, bodyAt, bodyEnd, key);
      writeTag(out.subarray(start, bodyEnd), key, out, bodyEnd);
    },
    open(datagram, bodyAt) {
      const bodyEnd = datagram.length - TOY_TAG_BYTES;
      writeTag(datagram.subarray(0, bodyEnd), key, expected, 0);
      for (let i = 0; i < TOY_TAG_BYTES; i++) if (datagram[bodyEnd + i] !== expected[i]) return 'auth-failed';
      xorBody(datagram, bodyAt, bodyEnd, key);
      return 'opened';
    },
  };
}
