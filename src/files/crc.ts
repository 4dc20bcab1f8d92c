// The files' names for the one CRC-32 (src/wire/crc32.ts): an incremental update in the order the
// transfer code reads best (running value first), and the hex form of the command language.
import { crc32, CRC32_EMPTY } from '../wire/crc32.ts';

export { CRC32_EMPTY };

/** The CRC-32 of the bytes so far (`crc`) followed by `bytes`. */
export function crc32Update(crc: number, bytes: Uint8Array): number {
  return crc32(bytes, crc);
}

/** The CRC-32 of `bytes`. */
export const crc32Of = (bytes: Uint8Array): number => crc32(bytes);

/** 8 lower-case hex digits, as in the command language and log lines. */
export function crcHex(crc: number): string {
  return (crc >>> 0).toString(16).padStart(8, '0');
}
