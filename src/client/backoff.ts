// The client's doubling waits: reconnecting after a lost connection (reconnect.ts) and trying UDP again
// after a fallback (link.ts) both wait `first`, then twice as long for each try that failed, up to a cap.

/** The wait before try `attempt` (1-based): `first`, doubled for each try before it, at most `max`. */
export function doublingDelay(first: number, attempt: number, max: number): number {
  // The exponent is bounded so that no count of tries overflows before the cap applies.
  return Math.min(first * 2 ** Math.min(Math.max(0, attempt - 1), 20), max);
}
