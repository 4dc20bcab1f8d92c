// Comparing a secret someone gave (the operator password, a name hold's token) with the one expected.

/**
 * `given` is `expected`, compared in time that depends on the lengths only (no early exit at the first
 * differing character, which would tell a guesser how much of a prefix is right).
 */
export function sameSecret(given: string, expected: string): boolean {
  let diff = given.length ^ expected.length;
  for (let i = 0; i < expected.length; i++) diff |= (given.charCodeAt(i) || 0) ^ expected.charCodeAt(i);
  return diff === 0;
}
