// The datagram codec: the framing every UDP datagram of ours carries around an engine packet or a
// binding message. Pure and total: decode never throws, it returns a datagram or a typed rejection.
//
//  offset size field
//  0      1    version            (DATAGRAM_VERSION)
//  1      1    type               (DatagramType)
//  2      4    connection id      (u32, big-endian; 0 before binding)
//  6      n    body               (engine packet for `data`, binding message otherwise)
//  6+n    4    CRC-32             (over bytes 0 .. 6+n-1, big-endian, crc-32 package)
import CRC32 from 'crc-32';

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

const TYPE_NAMES = new Map<number, DatagramTypeName>(
  Object.entries(DatagramType).map(([name, code]) => [code, name as DatagramTypeName]),
);

export interface Datagram {
  type: DatagramTypeName;
  connectionId: number;
  body: Uint8Array;
}

export type DatagramRejection = 'truncated' | 'oversize' | 'bad-version' | 'bad-type' | 'bad-crc';

export type DecodeResult = { ok: true; datagram: Datagram } | { ok: false; reason: DatagramRejection };

function crcOf(bytes: Uint8Array): number {
  return CRC32.buf(bytes) >>> 0;
}

export function encodeDatagram(d: Datagram): Uint8Array {
  const out = new Uint8Array(DATAGRAM_OVERHEAD + d.body.length);
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  out[0] = DATAGRAM_VERSION;
  out[1] = DatagramType[d.type];
  view.setUint32(2, d.connectionId >>> 0);
  out.set(d.body, DATAGRAM_HEADER_BYTES);
  const crcAt = DATAGRAM_HEADER_BYTES + d.body.length;
  view.setUint32(crcAt, crcOf(out.subarray(0, crcAt)));
  return out;
}

export function decodeDatagram(bytes: Uint8Array, maxBytes = DATAGRAM_MAX_BYTES): DecodeResult {
  if (bytes.length > maxBytes) return { ok: false, reason: 'oversize' };
  if (bytes.length < DATAGRAM_OVERHEAD) return { ok: false, reason: 'truncated' };
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const crcAt = bytes.length - DATAGRAM_TRAILER_BYTES;
  // CRC first: a flipped version or type bit is corruption, not a protocol mismatch.
  if (view.getUint32(crcAt) !== crcOf(bytes.subarray(0, crcAt))) return { ok: false, reason: 'bad-crc' };
  if (bytes[0] !== DATAGRAM_VERSION) return { ok: false, reason: 'bad-version' };
  const type = TYPE_NAMES.get(bytes[1] ?? -1);
  if (type === undefined) return { ok: false, reason: 'bad-type' };
  return {
    ok: true,
    datagram: { type, connectionId: view.getUint32(2), body: bytes.subarray(DATAGRAM_HEADER_BYTES, crcAt) },
  };
}
