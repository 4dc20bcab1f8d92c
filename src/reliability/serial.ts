// 32-bit sequence numbers on the wire, unbounded ones inside. RFC 1982 serial-number arithmetic
// compares wrapped values; `unwrap` (RFC 9000 Appendix A.3, with a 32-bit window) turns a wire
// value back into the full number closest to what we expected, so the engine itself never has to
// think about the wrap: full numbers are plain JS integers (exact up to 2^53).

export const SERIAL_BITS = 32;
export const SERIAL_MODULUS = 2 ** 32;
/** RFC 1982 §3.2: comparisons are defined for distances below 2^(SERIAL_BITS−1). */
export const SERIAL_HALF = 2 ** 31;

/** The 32 bits that travel on the wire. */
export function toWire(full: number): number {
  return full >>> 0;
}

/** (a + n) mod 2^32, RFC 1982 §3.1 (n < 2^31). */
export function serialAdd(a: number, n: number): number {
  return (a + n) >>> 0;
}

/** RFC 1982 §3.2: a < b in serial order. */
export function serialLt(a: number, b: number): boolean {
  const d = (b - a) >>> 0;
  return d !== 0 && d < SERIAL_HALF;
}

/** RFC 1982 §3.2: a > b in serial order. */
export function serialGt(a: number, b: number): boolean {
  return serialLt(b, a);
}

/** Signed distance a − b in [−2^31, 2^31): positive when a is after b. */
export function serialDiff(a: number, b: number): number {
  const d = (a - b) >>> 0;
  return d >= SERIAL_HALF ? d - SERIAL_MODULUS : d;
}

/**
 * The full number whose low 32 bits are `wire` and which is closest to `expected`
 * (RFC 9000 Appendix A.3). Never negative: below zero it rounds up by one modulus.
 */
export function unwrap(wire: number, expected: number): number {
  const full = expected + serialDiff(wire, toWire(expected));
  return full < 0 ? full + SERIAL_MODULUS : full;
}

/**
 * The largest full number ≤ `max` whose low 32 bits are `wire` (for acknowledgements, which can
 * only name numbers already sent). May be negative: then no such number was ever sent.
 */
export function unwrapAtMost(wire: number, max: number): number {
  return max - ((toWire(max) - wire) >>> 0);
}
