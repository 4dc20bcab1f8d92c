// How input is quoted back in an error message: short enough that an error stays one readable
// line, long enough to recognise what was sent.

/** Longest piece of input (in code points) quoted in an error message; longer input is cut and
 * marked with "…". */
export const QUOTE_LIMIT = 40;

/** `s` cut to QUOTE_LIMIT code points (never splitting a surrogate pair), "…" marking a cut. */
export function shorten(s: string): string {
  const chars = [...s];
  return chars.length > QUOTE_LIMIT ? `${chars.slice(0, QUOTE_LIMIT).join('')}…` : s;
}

/** `s` shortened and written as a JSON string literal, so control characters show as escapes. */
export function quote(s: string): string {
  return JSON.stringify(shorten(s));
}

/** Like quote, without the surrounding double quotes (for `<verb>` in messages). */
export function quoteBare(s: string): string {
  return quote(s).slice(1, -1);
}
