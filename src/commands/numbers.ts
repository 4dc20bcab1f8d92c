// Numbers in the command language: sizes, counts and time stamps in decimal, CRC-32 in hex.

/** Plain decimal digits: no sign, no exponent, no separators. */
const DECIMAL = /^[0-9]+$/;

/** A CRC-32 is exactly 8 hexadecimal digits, either case (as `crc32` tools print it). */
const CRC_HEX = /^[0-9A-Fa-f]{8}$/;

/** A non-negative integer written in decimal, or undefined. The value must be a safe integer
 * (≤ 2^53 − 1, Number.MAX_SAFE_INTEGER) so that it is exact in a JavaScript number. */
export function parseDecimal(s: string): number | undefined {
  if (!DECIMAL.test(s)) return undefined;
  const n = Number(s);
  return Number.isSafeInteger(n) ? n : undefined;
}

/** A CRC-32 written as 8 hex digits → its unsigned value, or undefined. */
export function parseCrc32(s: string): number | undefined {
  return CRC_HEX.test(s) ? Number.parseInt(s, 16) : undefined;
}

/** A CRC-32 as 8 lowercase hex digits. Taken modulo 2^32, so a signed int32 (as the crc-32 package
 * returns) and its unsigned value are written the same; parseCrc32 gives the unsigned value. */
export function formatCrc32(n: number): string {
  return (n >>> 0).toString(16).padStart(8, '0');
}

/** The largest TCP/UDP port. */
export const PORT_MAX = 65_535;

/**
 * A port as a person typed it (flags, `HOST:PORT`) → its number, or why not, in the one wording every
 * command uses. `min` is 0 where 0 means "any free port" (a server's listening ports), else 1.
 */
export function parsePort(text: string, min: 0 | 1): { ok: true; value: number } | { ok: false; message: string } {
  const trimmed = text.trim();
  const n = /^[0-9]{1,5}$/.test(trimmed) ? Number(trimmed) : Number.NaN;
  if (Number.isInteger(n) && n >= min && n <= PORT_MAX) return { ok: true, value: n };
  return { ok: false, message: portMessage(min, JSON.stringify(text)) };
}

/** Why a port is refused: `a port is a whole number from 1 to 65535, got "x"`. */
export function portMessage(min: 0 | 1, got: string): string {
  return `a port is a whole number from ${min} to ${PORT_MAX}${min === 0 ? ' (0: any free port)' : ''}, got ${got}`;
}
