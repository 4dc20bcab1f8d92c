// The binding handshake's proof of knowledge: after <connect>, the server gives the client (over TCP) a
// connection id and a random token. The token itself never travels over UDP: a hello carries a nonce and
// HMAC-SHA256(token, "dualchat-hello" ‖ connection id ‖ nonce), truncated to 128 bits. The server accepts a
// hello only with a valid MAC and a nonce greater than any it accepted before for that session, so a hello
// cannot be forged without the token nor replayed from another address. The same check admits a session
// whose address changed (NAT rebinding): data from an unbound address is dropped until such a hello arrives.
//
// hello body:   nonce u64 (big-endian) ‖ mac[16]
// (The refuse reasons and the binding machine are pure: src/dataplane/hello.ts, src/dataplane/machine.ts.)
import { createHmac, randomBytes, randomInt, timingSafeEqual } from 'node:crypto';
import type { HelloCheck } from '../dataplane/hello.ts';
import { BINDING_MAC_BYTES, BINDING_TOKEN_BYTES } from './constants.ts';

export const HELLO_BODY_BYTES = 8 + BINDING_MAC_BYTES;
const HELLO_LABEL = Buffer.from('dualchat-hello');

export function newToken(): Uint8Array {
  return randomBytes(BINDING_TOKEN_BYTES);
}

/** A random non-zero 32-bit connection id (0 means "unbound" on the wire). */
export function newConnectionId(): number {
  return randomInt(1, 0xffff_ffff);
}

function macOf(token: Uint8Array, connectionId: number, nonce: bigint): Buffer {
  const fields = Buffer.alloc(12);
  fields.writeUInt32BE(connectionId >>> 0, 0);
  fields.writeBigUInt64BE(nonce, 4);
  return createHmac('sha256', token).update(HELLO_LABEL).update(fields).digest().subarray(0, BINDING_MAC_BYTES);
}

export function encodeHello(token: Uint8Array, connectionId: number, nonce: bigint): Uint8Array {
  const body = Buffer.alloc(HELLO_BODY_BYTES);
  body.writeBigUInt64BE(nonce, 0);
  macOf(token, connectionId, nonce).copy(body, 8);
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
  const expected = macOf(token, connectionId, nonce);
  return timingSafeEqual(expected, buf.subarray(8)) ? { ok: true, nonce } : { ok: false, reason: 'badMac' };
}

export function tokenToHex(token: Uint8Array): string {
  return Buffer.from(token).toString('hex');
}

export function tokenFromHex(hex: string): Uint8Array | undefined {
  if (!/^[0-9a-f]+$/i.test(hex) || hex.length !== BINDING_TOKEN_BYTES * 2) return undefined;
  return Buffer.from(hex, 'hex');
}
