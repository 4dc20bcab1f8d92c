// The datagram codec: the framing every UDP datagram of ours carries around an engine packet or a
// binding message. Pure and total: decode never throws, it returns a datagram or a typed rejection.
//
//  offset size field
//  0      1    version            (DATAGRAM_VERSION)
//  1      1    type               (DatagramType)
//  2      4    connection id      (u32, big-endian; 0 before binding)
//  6      n    body               (engine packet for `data`, binding message otherwise)
//  6+n    t    trailer            (the packet protection's; under NULL_PROTECTION, t = 4: the CRC-32
//                                  over bytes 0 .. 6+n-1, big-endian, src/wire/crc32.ts)
//
// Decoding is two steps, so a shell can pick the protection per connection: readDatagramHeader (the
// clear header: version, type, connection id; only the length is judged) → the shell finds that
// connection's protection (a ProtectionLookup) → openDatagram (the protection checks and restores the
// body; then version and type are judged). decodeDatagram does both with a lookup.
import { NULL_PROTECTION, nullProtectionLookup, type PacketProtection, type ProtectionLookup, type ProtectionRejection } from './protection.ts';
import { readU32, writeU32 } from './u32.ts';

export const DATAGRAM_VERSION = 1;
export const DATAGRAM_HEADER_BYTES = 6;
/** The trailer under the null protection (the CRC-32). */
export const DATAGRAM_TRAILER_BYTES = NULL_PROTECTION.trailerBytes;
/** Header and trailer under the null protection: the datagram is this much longer than its body. */
export const DATAGRAM_OVERHEAD = DATAGRAM_HEADER_BYTES + DATAGRAM_TRAILER_BYTES;
/** Largest UDP payload over IPv4 (65,535 − 8 UDP − 20 IP); measured here: 65,508 → EMSGSIZE. */
export const DATAGRAM_MAX_BYTES = 65_507;

export const DatagramType = {
  /** An engine packet for a bound connection. */
  data: 1,
  /** Client → server: bind this connection id (body: binding message). */
  hello: 2,
  /** Server → client: binding accepted. */
  helloOk: 3,
  /** Server → client: binding refused (body: reason code). */
  refuse: 4,
  /** Either way: the connection is closed (shutdown, logout). */
  close: 5,
  /** Server → client: prove you receive at this address (body: a random challenge; RFC 9000's PATH_CHALLENGE). */
  challenge: 6,
  /** Client → server: the challenge answered (body: challenge ‖ MAC of the token; RFC 9000's PATH_RESPONSE). */
  response: 7,
} as const;
export type DatagramTypeName = keyof typeof DatagramType;
export type DatagramTypeCode = (typeof DatagramType)[DatagramTypeName];

/** Type name by code (an array: a lookup per datagram); undefined for unknown codes. */
const TYPE_NAMES: ReadonlyArray<DatagramTypeName | undefined> = (() => {
  const names: Array<DatagramTypeName | undefined> = new Array<DatagramTypeName | undefined>(256).fill(undefined);
  for (const [name, code] of Object.entries(DatagramType)) names[code] = name as DatagramTypeName;
  return names;
})();

export interface Datagram {
  type: DatagramTypeName;
  connectionId: number;
  body: Uint8Array;
}

/** What the header read rejects: the length alone. */
export type HeaderRejection = 'truncated' | 'oversize';
/** Rejections of the framing itself, whatever the protection. */
export type FramingRejection = HeaderRejection | 'bad-version' | 'bad-type';
export type DatagramRejection<R extends ProtectionRejection = ProtectionRejection> = FramingRejection | R;

/** The clear header, as read before the protection is known: nothing in it is trusted yet. */
export interface ClearHeader {
  version: number;
  typeCode: number;
  connectionId: number;
}

export type HeaderResult = ({ ok: true } & ClearHeader) | { ok: false; reason: HeaderRejection };

export type DecodeResult<R extends ProtectionRejection = ProtectionRejection> =
  | { ok: true; datagram: Datagram }
  | { ok: false; reason: DatagramRejection<R> };

/** Length of the datagram that carries `bodyBytes` under `protection`. */
export function datagramBytes(bodyBytes: number, protection: PacketProtection = NULL_PROTECTION): number {
  return DATAGRAM_HEADER_BYTES + bodyBytes + protection.trailerBytes;
}

/**
 * Encodes into `out` from offset `at` (a buffer the caller reuses or carves up: no allocation here) and
 * seals with `protection`. Returns the bytes written (datagramBytes of the body), or 0 — nothing
 * written — when they do not fit.
 */
export function encodeDatagramInto(d: Datagram, out: Uint8Array, at = 0, protection: PacketProtection = NULL_PROTECTION): number {
  const n = datagramBytes(d.body.length, protection);
  if (!(at >= 0) || at + n > out.length) return 0;
  out[at] = DATAGRAM_VERSION;
  out[at + 1] = DatagramType[d.type];
  writeU32(out, at + 2, d.connectionId >>> 0);
  const bodyAt = at + DATAGRAM_HEADER_BYTES;
  out.set(d.body, bodyAt);
  protection.seal(out, at, bodyAt, bodyAt + d.body.length);
  return n;
}

/** The datagram in a new array of its own (offset 0 in its own buffer). */
export function encodeDatagram(d: Datagram, protection: PacketProtection = NULL_PROTECTION): Uint8Array {
  const out = new Uint8Array(datagramBytes(d.body.length, protection));
  encodeDatagramInto(d, out, 0, protection);
  return out;
}

/** Why the length alone refuses a datagram (any protection's datagram is longer than its header), or undefined. */
function lengthRejection(bytes: Uint8Array, maxBytes: number): HeaderRejection | undefined {
  if (bytes.length > maxBytes) return 'oversize';
  if (bytes.length < DATAGRAM_HEADER_BYTES) return 'truncated';
  return undefined;
}

/** Step 1: the clear header. Judges only the length. */
export function readDatagramHeader(bytes: Uint8Array, maxBytes = DATAGRAM_MAX_BYTES): HeaderResult {
  const rejection = lengthRejection(bytes, maxBytes);
  if (rejection !== undefined) return { ok: false, reason: rejection };
  return { ok: true, version: bytes[0] as number, typeCode: bytes[1] as number, connectionId: readU32(bytes, 2) };
}

/**
 * Step 2: `protection` opens the datagram whose header was read, then version and type are judged —
 * protection first: a flipped version or type bit is corruption (or forgery), not a protocol mismatch.
 * The body is a view into `bytes`.
 */
export function openDatagram<R extends ProtectionRejection>(bytes: Uint8Array, header: ClearHeader, protection: PacketProtection<R>): DecodeResult<R> {
  return open(bytes, header.version, header.typeCode, header.connectionId, protection);
}

/** Step 2 on the header's fields (decodeDatagram makes no header object: this runs for every datagram). */
function open<R extends ProtectionRejection>(bytes: Uint8Array, version: number, typeCode: number, connectionId: number, protection: PacketProtection<R>): DecodeResult<R> {
  const bodyEnd = bytes.length - protection.trailerBytes;
  if (bodyEnd < DATAGRAM_HEADER_BYTES) return { ok: false, reason: 'truncated' };
  const verdict = protection.open(bytes, DATAGRAM_HEADER_BYTES);
  if (verdict !== 'opened') return { ok: false, reason: verdict };
  if (version !== DATAGRAM_VERSION) return { ok: false, reason: 'bad-version' };
  const type = TYPE_NAMES[typeCode];
  if (type === undefined) return { ok: false, reason: 'bad-type' };
  return { ok: true, datagram: { type, connectionId, body: bytes.subarray(DATAGRAM_HEADER_BYTES, bodyEnd) } };
}

/** Both steps, with the protection `protectionFor` gives the header's connection (the null one by default). */
export function decodeDatagram(bytes: Uint8Array): DecodeResult<'bad-crc'>;
export function decodeDatagram<R extends ProtectionRejection>(bytes: Uint8Array, protectionFor: ProtectionLookup<R>, maxBytes?: number): DecodeResult<R>;
export function decodeDatagram(bytes: Uint8Array, protectionFor: ProtectionLookup = nullProtectionLookup, maxBytes = DATAGRAM_MAX_BYTES): DecodeResult {
  const rejection = lengthRejection(bytes, maxBytes);
  if (rejection !== undefined) return { ok: false, reason: rejection };
  const typeCode = bytes[1] as number;
  const connectionId = readU32(bytes, 2);
  return open(bytes, bytes[0] as number, typeCode, connectionId, protectionFor(connectionId, typeCode));
}
