// The datagram codec: the framing every UDP datagram of ours carries around an engine packet or a
// binding message. Pure and total: decode never throws, it returns a datagram or a typed rejection.
//
//  offset size field
//  0      1    version            (DATAGRAM_VERSION)
//  1      1    type               (DatagramType)
//  2      4    connection id      (u32, big-endian; 0 before binding)
//  6      n    body               (engine packet for `data`, binding message otherwise)
//  6+n    4    CRC-32             (over bytes 0 .. 6+n-1, big-endian; src/wire/crc32.ts)
import { crc32 } from '../wire/crc32.ts';

export const DATAGRAM_VERSION = 1;
export const DATAGRAM_HEADER_BYTES = 6;
export const DATAGRAM_TRAILER_BYTES = 4;
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

export type DatagramRejection = 'truncated' | 'oversize' | 'bad-version' | 'bad-type' | 'bad-crc';

export type DecodeResult = { ok: true; datagram: Datagram } | { ok: false; reason: DatagramRejection };

/** Big-endian u32 at `at` (no DataView: this runs for every datagram). */
function readU32(bytes: Uint8Array, at: number): number {
  return (((bytes[at] as number) << 24) | ((bytes[at + 1] as number) << 16) | ((bytes[at + 2] as number) << 8) | (bytes[at + 3] as number)) >>> 0;
}

function writeU32(out: Uint8Array, at: number, v: number): void {
  out[at] = v >>> 24;
  out[at + 1] = (v >>> 16) & 0xff;
  out[at + 2] = (v >>> 8) & 0xff;
  out[at + 3] = v & 0xff;
}

/**
 * Encodes into `out` from offset `at` (a buffer the caller reuses or carves up: no allocation here).
 * Returns the bytes written (DATAGRAM_OVERHEAD + body length), or 0 — nothing written — when they do not fit.
 */
export function encodeDatagramInto(d: Datagram, out: Uint8Array, at = 0): number {
  const n = DATAGRAM_OVERHEAD + d.body.length;
  if (!(at >= 0) || at + n > out.length) return 0;
  out[at] = DATAGRAM_VERSION;
  out[at + 1] = DatagramType[d.type];
  writeU32(out, at + 2, d.connectionId >>> 0);
  out.set(d.body, at + DATAGRAM_HEADER_BYTES);
  const crcAt = at + DATAGRAM_HEADER_BYTES + d.body.length;
  writeU32(out, crcAt, crc32(out.subarray(at, crcAt)));
  return n;
}

/** The datagram in a new array of its own (offset 0 in its own buffer). */
export function encodeDatagram(d: Datagram): Uint8Array {
  const out = new Uint8Array(DATAGRAM_OVERHEAD + d.body.length);
  encodeDatagramInto(d, out, 0);
  return out;
}

export function decodeDatagram(bytes: Uint8Array, maxBytes = DATAGRAM_MAX_BYTES): DecodeResult {
  if (bytes.length > maxBytes) return { ok: false, reason: 'oversize' };
  if (bytes.length < DATAGRAM_OVERHEAD) return { ok: false, reason: 'truncated' };
  const crcAt = bytes.length - DATAGRAM_TRAILER_BYTES;
  // CRC first: a flipped version or type bit is corruption, not a protocol mismatch.
  if (readU32(bytes, crcAt) !== crc32(bytes.subarray(0, crcAt))) return { ok: false, reason: 'bad-crc' };
  if (bytes[0] !== DATAGRAM_VERSION) return { ok: false, reason: 'bad-version' };
  const type = TYPE_NAMES[bytes[1] as number];
  if (type === undefined) return { ok: false, reason: 'bad-type' };
  return {
    ok: true,
    datagram: { type, connectionId: readU32(bytes, 2), body: bytes.subarray(DATAGRAM_HEADER_BYTES, crcAt) },
  };
}
