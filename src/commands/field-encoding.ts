// Reply fields (names, rooms, file names) are written with percent-encoding (RFC 3986 §2.1) of the
// few characters the reply syntax uses as delimiters, so any non-empty string survives the trip
// while ordinary names ("alice", "lobby", "notes.txt") are written exactly as they are.

/**
 * Characters escaped in a field: `%` (the escape itself), `,` `@` `:` (list delimiters),
 * `<` `>` (verb brackets), white space (field separator; JS `\s`, which includes the Unicode
 * spaces and line terminators), and the C0 controls and DEL (invisible on a terminal).
 */
const RESERVED = /[%,@:<>\s\x00-\x1f\x7f]/;

/** A field as written on the wire. Every reserved character becomes %XX per UTF-8 byte. */
export function encodeField(value: string): string {
  let out = '';
  for (const ch of value) {
    // Reserved characters are never lone surrogates, so encodeURIComponent cannot throw here.
    out += RESERVED.test(ch) ? encodeURIComponent(ch) : ch;
  }
  return out;
}

/** A wire field back to its value, or undefined if a `%` is not followed by two hex digits or the
 * escaped bytes are not UTF-8. */
export function decodeField(wire: string): string | undefined {
  if (!wire.includes('%')) return wire;
  try {
    return decodeURIComponent(wire);
  } catch {
    return undefined;
  }
}
