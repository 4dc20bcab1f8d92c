// How file bytes travel: one chunk per message on the engine's bulk channel (or, for a session
// without UDP, the same bytes in base64 on one TCP line). Pure and total: decode never throws, it
// returns a chunk or a typed rejection with a message.
//
//  offset size field
//  0      1    type          (CHUNK_TYPE_DATA = 1; other values are reserved)
//  1      4    transfer id   (u32, big-endian; 0 is never used)
//  5      8    offset        (u64, big-endian; ≤ 2^53 − 1: where `data` starts in the file)
//  13     1    flags         (bit 0: final — this chunk ends the file; other bits must be 0)
//  14     n    data          (0 … n bytes; the message length gives n)
//
// Integrity of each chunk is the transport's job (datagram CRC, TCP checksum); the whole file is
// checked by size and CRC-32 at the end. The offset makes every chunk self-describing, so a receiver
// notices a gap or a repeat instead of writing garbage, and a resumed transfer starts mid-file.

export const CHUNK_TYPE_DATA = 1;
export const CHUNK_HEADER_BYTES = 14;
/** Flag bit: this chunk's last byte is the file's last byte (a 0-byte file sends one empty final chunk). */
export const CHUNK_FLAG_FINAL = 0x01;

export interface Chunk {
  transferId: number;
  offset: number;
  final: boolean;
  data: Uint8Array;
}

export type ChunkRejection = 'truncated' | 'bad-type' | 'bad-id' | 'bad-offset' | 'bad-flags' | 'bad-base64';

export type ChunkDecodeResult = { ok: true; chunk: Chunk } | { ok: false; reason: ChunkRejection; message: string };

const TWO_POW_32 = 2 ** 32;

/** Is `c` encodable: id a u32 other than 0, offset a safe integer, offset + length safe. */
export function checkChunk(c: Chunk): string | undefined {
  if (!Number.isInteger(c.transferId) || c.transferId < 1 || c.transferId >= TWO_POW_32) {
    return `transfer id must be an integer in [1, 2^32 − 1], got ${String(c.transferId)}`;
  }
  if (!Number.isSafeInteger(c.offset) || c.offset < 0) return `offset must be a safe non-negative integer, got ${String(c.offset)}`;
  if (!(c.data instanceof Uint8Array)) return 'data must be a Uint8Array';
  if (!Number.isSafeInteger(c.offset + c.data.length)) return 'offset + length exceeds 2^53 − 1';
  return undefined;
}

/** The message for `c`. A chunk that fails checkChunk is a programming error: RangeError. */
export function encodeChunk(c: Chunk): Uint8Array {
  const problem = checkChunk(c);
  if (problem !== undefined) throw new RangeError(`encodeChunk: ${problem}`);
  const out = new Uint8Array(CHUNK_HEADER_BYTES + c.data.length);
  const view = new DataView(out.buffer);
  out[0] = CHUNK_TYPE_DATA;
  view.setUint32(1, c.transferId);
  view.setUint32(5, Math.floor(c.offset / TWO_POW_32));
  view.setUint32(9, c.offset % TWO_POW_32);
  out[13] = c.final ? CHUNK_FLAG_FINAL : 0;
  out.set(c.data, CHUNK_HEADER_BYTES);
  return out;
}

/** A chunk from a message; `data` is a view into `bytes` (copy it if `bytes` is reused). */
export function decodeChunk(bytes: Uint8Array): ChunkDecodeResult {
  if (!(bytes instanceof Uint8Array) || bytes.length < CHUNK_HEADER_BYTES) {
    return reject('truncated', `a chunk message has at least ${CHUNK_HEADER_BYTES} bytes`);
  }
  if (bytes[0] !== CHUNK_TYPE_DATA) return reject('bad-type', `unknown chunk type ${String(bytes[0])}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const transferId = view.getUint32(1);
  if (transferId === 0) return reject('bad-id', 'transfer id 0 is not used');
  const high = view.getUint32(5);
  const offset = high * TWO_POW_32 + view.getUint32(9);
  const length = bytes.length - CHUNK_HEADER_BYTES;
  if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(offset + length)) {
    return reject('bad-offset', 'chunk offset beyond 2^53 − 1');
  }
  const flags = bytes[13] ?? 0;
  if ((flags & ~CHUNK_FLAG_FINAL) !== 0) return reject('bad-flags', `unknown chunk flags 0x${flags.toString(16)}`);
  return {
    ok: true,
    chunk: { transferId, offset, final: (flags & CHUNK_FLAG_FINAL) !== 0, data: bytes.subarray(CHUNK_HEADER_BYTES) },
  };
}

/** Strict RFC 4648 §4 base64: full quads, padding only at the end. */
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** The TCP-fallback form: the same message in standard base64 (for `<chunk>BASE64`). */
export function chunkToBase64(c: Chunk): string {
  return Buffer.from(encodeChunk(c)).toString('base64');
}

/**
 * A chunk from the TCP-fallback text. Refuses anything but canonical base64 (Node's own decoder
 * skips bad characters silently, which would turn a damaged line into a wrong chunk).
 */
export function chunkFromBase64(text: string): ChunkDecodeResult {
  if (typeof text !== 'string' || !BASE64.test(text)) {
    return reject('bad-base64', 'a chunk line carries standard base64 (A–Z a–z 0–9 + /, = padding)');
  }
  const bytes = new Uint8Array(Buffer.from(text, 'base64'));
  // Non-canonical trailing bits (e.g. "QR==" for "QQ==") decode to the same bytes: refuse them too.
  if (Buffer.from(bytes).toString('base64') !== text) return reject('bad-base64', 'the base64 is not in canonical form');
  return decodeChunk(bytes);
}

function reject(reason: ChunkRejection, message: string): ChunkDecodeResult {
  return { ok: false, reason, message };
}
