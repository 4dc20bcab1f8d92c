// Reply fields (names, rooms, file names) are written with percent-encoding (RFC 3986 §2.1) of the
// few characters the reply syntax uses as delimiters, so any non-empty string survives the trip
// while ordinary names ("alice", "lobby", "notes.txt") are written exactly as they are.

/**
 * Characters escaped in a field: `%` (the escape itself), `,` `@` `:` (list delimiters),
 * `<` `>` (verb brackets), white space (field separator; JS `\s`, which includes the Unicode
 * spaces and line terminators), and the C0 controls and DEL (invisible on a terminal).
 */
const RESERVED = /[%,@:<>\s\x00-\x1f\x7f]/g;

/** A field as written on the wire. Every reserved character becomes %XX per UTF-8 byte. */
export function encodeField(value: string): string {
  // Every reserved character is one UTF-16 unit of the BMP, never a surrogate: matching units is
  // matching characters, and encodeURIComponent cannot throw on them. One scan, no copy for the
  // common field that holds none (list replies encode every entry to measure its page).
  return value.replace(RESERVED, encodeURIComponent);
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
