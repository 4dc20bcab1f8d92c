// CRC-32 (IEEE 802.3, as `crc32` tools print it) computed incrementally, always as an unsigned value.
// The crc-32 package returns a signed int32 and takes the previous value as its seed.
import CRC32 from 'crc-32';

/** The CRC-32 of no bytes. */
export const CRC32_EMPTY = 0;

/** The CRC-32 of the bytes so far (`crc`) followed by `bytes`. */
export function crc32Update(crc: number, bytes: Uint8Array): number {
  return CRC32.buf(bytes, crc) >>> 0;
}

/** The CRC-32 of `bytes`. */
export function crc32Of(bytes: Uint8Array): number {
  return crc32Update(CRC32_EMPTY, bytes);
}

/** 8 lower-case hex digits, as in the command language and log lines. */
export function crcHex(crc: number): string {
  return (crc >>> 0).toString(16).padStart(8, '0');
}
