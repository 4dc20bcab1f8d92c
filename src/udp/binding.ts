// The binding handshake's proof of knowledge: after <connect>, the server gives the client (over TCP) a
// connection id and a random token. The token itself never travels over UDP: a hello carries a nonce and
// HMAC-SHA256(token, "dualchat-hello" ‖ connection id ‖ nonce), truncated to 128 bits. The server accepts a
// hello only with a valid MAC and a nonce greater than any it accepted before for that session, so a hello
// cannot be forged without the token nor replayed from another address. The same check admits a session
// whose address changed (NAT rebinding): data from an unbound address is dropped until such a hello arrives.
//
// A hello proves the token, not the address it came from (behind a NAT the client does not know its
// public address): a hello from a new address for a bound session makes the server challenge that address
// (RFC 9000 §8.2 path validation), and the binding moves only when a response comes back from there —
// random challenge bytes the client can only have read at that address, with a MAC only the token makes.
//
// hello body:      nonce u64 (big-endian) ‖ mac[16]   mac = HMAC(token, "dualchat-hello" ‖ id ‖ nonce)
// challenge body:  challenge[8] (random)
// response body:   challenge[8] ‖ mac[16]             mac = HMAC(token, "dualchat-path" ‖ id ‖ challenge)
// (The refuse reasons and the binding machine are pure: src/dataplane/hello.ts, src/dataplane/machine.ts.)
import { createHmac, randomBytes, randomInt, timingSafeEqual } from 'node:crypto';
import type { BindingProof, HelloCheck } from '../dataplane/hello.ts';
import { BINDING_CHALLENGE_BYTES, BINDING_MAC_BYTES, BINDING_TOKEN_BYTES } from './constants.ts';

export const HELLO_BODY_BYTES = 8 + BINDING_MAC_BYTES;
export const RESPONSE_BODY_BYTES = BINDING_CHALLENGE_BYTES + BINDING_MAC_BYTES;
const HELLO_LABEL = Buffer.from('dualchat-hello');
const PATH_LABEL = Buffer.from('dualchat-path');

export function newToken(): Uint8Array {
  return randomBytes(BINDING_TOKEN_BYTES);
}

/** A random non-zero 32-bit connection id (0 means "unbound" on the wire). */
export function newConnectionId(): number {
  return randomInt(1, 0xffff_ffff);
}

/** HMAC-SHA256(token, label ‖ connection id ‖ eight bytes), truncated to BINDING_MAC_BYTES. */
function macOf(token: Uint8Array, label: Buffer, connectionId: number, eight: Uint8Array): Buffer {
  const id = Buffer.alloc(4);
  id.writeUInt32BE(connectionId >>> 0, 0);
  return createHmac('sha256', token).update(label).update(id).update(eight).digest().subarray(0, BINDING_MAC_BYTES);
}

function nonceBytes(nonce: bigint): Buffer {
  const bytes = Buffer.alloc(8);
  bytes.writeBigUInt64BE(nonce, 0);
  return bytes;
}

export function encodeHello(token: Uint8Array, connectionId: number, nonce: bigint): Uint8Array {
  const body = Buffer.alloc(HELLO_BODY_BYTES);
  body.writeBigUInt64BE(nonce, 0);
  macOf(token, HELLO_LABEL, connectionId, nonceBytes(nonce)).copy(body, 8);
  return body;
}

/** The nonce of a hello body verifyHello accepted (its first 8 bytes). */
export function helloNonceOf(body: Uint8Array): bigint {
  return Buffer.from(body.buffer, body.byteOffset, body.byteLength).readBigUInt64BE(0);
}

export function verifyHello(token: Uint8Array, connectionId: number, body: Uint8Array): HelloCheck {
  if (body.length !== HELLO_BODY_BYTES) return { ok: false, reason: 'malformed' };
  const buf = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  const nonce = helloNonceOf(body);
  const expected = macOf(token, HELLO_LABEL, connectionId, buf.subarray(0, 8));
  return timingSafeEqual(expected, buf.subarray(8)) ? { ok: true, nonce } : { ok: false, reason: 'badMac' };
}

/** A fresh random challenge for a path to validate. */
export function newChallenge(): Uint8Array {
  return randomBytes(BINDING_CHALLENGE_BYTES);
}

/** (client) The response to a challenge: the challenge and its MAC under the token. */
export function encodeResponse(token: Uint8Array, connectionId: number, challenge: Uint8Array): Uint8Array {
  const body = Buffer.alloc(RESPONSE_BODY_BYTES);
  const bytes = challenge.subarray(0, BINDING_CHALLENGE_BYTES);
  body.set(bytes, 0);
  macOf(token, PATH_LABEL, connectionId, body.subarray(0, BINDING_CHALLENGE_BYTES)).copy(body, BINDING_CHALLENGE_BYTES);
  return body;
}

/** (server) The challenge a response answers, when its MAC under the token is right; else undefined. */
export function verifyResponse(token: Uint8Array, connectionId: number, body: Uint8Array): Uint8Array | undefined {
  if (body.length !== RESPONSE_BODY_BYTES) return undefined;
  const buf = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  const challenge = buf.subarray(0, BINDING_CHALLENGE_BYTES);
  const expected = macOf(token, PATH_LABEL, connectionId, challenge);
  return timingSafeEqual(expected, buf.subarray(BINDING_CHALLENGE_BYTES)) ? Uint8Array.from(challenge) : undefined;
}

/** The binding table's cryptography (src/dataplane/binding-table.ts). */
export const BINDING_PROOF: BindingProof = { verifyHello, newChallenge, verifyResponse };

export function tokenToHex(token: Uint8Array): string {
  return Buffer.from(token).toString('hex');
}

export function tokenFromHex(hex: string): Uint8Array | undefined {
  if (!/^[0-9a-f]+$/i.test(hex) || hex.length !== BINDING_TOKEN_BYTES * 2) return undefined;
  return Buffer.from(hex, 'hex');
}
