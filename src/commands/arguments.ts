// Command arguments: how the text after `<verb>` splits into pieces, and how pieces are written back.
//
// Three spellings are accepted for every argument list (docs/protocol.md, "Arguments"):
//   bracketed  <set_msg><bob><hi there>
//   comma      <set_msg>bob,hi there
//   space      <set_msg>bob hi there
// A *token* (user name, size, CRC) is either `<...>` without inner brackets, or a run of characters
// other than white space and commas. Tokens are followed by a separator: white space, at most one
// comma, white space. The *free text* that ends every argument list is the rest of the line,
// trimmed; if that rest is exactly one balanced bracket group (`<hi there>`, `<<b>>`), the outer
// brackets are removed. Text that merely starts with a bracket (`<b>bold</b>`) is kept as it is.
import { toOneLine } from './one-line.ts';

/** A token read from the front of a string, and what follows it (separator already skipped). */
export type TokenScan = { ok: true; token: string; rest: string } | { ok: false };

const SEPARATOR = /^\s*(?:,\s*)?/;
const BARE_TOKEN = /^[^\s,]+/;
const WHITESPACE_OR_COMMA = /[\s,]/;

/** Removes one separator (white space, at most one comma, white space) from the front. */
export function skipSeparator(s: string): string {
  const m = SEPARATOR.exec(s);
  return m === null ? s : s.slice(m[0].length);
}

/**
 * True if `s` is exactly one balanced bracket group: it starts with `<`, and counting `<` as +1 and
 * `>` as -1, the depth first returns to zero at its last character.
 */
export function isSingleGroup(s: string): boolean {
  if (s.length < 2 || !s.startsWith('<') || !s.endsWith('>')) return false;
  let depth = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '<') {
      depth++;
    } else if (c === '>') {
      depth--;
      if (depth === 0) return i === s.length - 1;
    }
  }
  return false;
}

/** The free text that ends an argument list: trimmed, one outer bracket group removed. */
export function readFreeText(s: string): string {
  const t = s.trim();
  return isSingleGroup(t) ? t.slice(1, -1).trim() : t;
}

/** Reads one token from the front of `s` (leading white space ignored). */
export function readToken(s: string): TokenScan {
  const t = s.trimStart();
  if (t.startsWith('<')) {
    const close = t.indexOf('>');
    if (close < 0) return { ok: false };
    const inner = t.slice(1, close);
    if (inner.includes('<')) return { ok: false };
    return { ok: true, token: inner.trim(), rest: skipSeparator(t.slice(close + 1)) };
  }
  const m = BARE_TOKEN.exec(t);
  if (m === null) return { ok: false };
  return { ok: true, token: m[0], rest: skipSeparator(t.slice(m[0].length)) };
}

/** Writes free text so that readFreeText gives it back: a text that is itself one bracket group
 * gets one more pair of brackets. CR and LF become spaces. */
export function writeFreeText(text: string): string {
  const t = toOneLine(text);
  return isSingleGroup(t) ? `<${t}>` : t;
}

/** Writes a token so that readToken gives it back: bare when it can be, else bracketed. */
export function writeToken(token: string): string {
  const t = toOneLine(token);
  if (t !== '' && !t.startsWith('<') && !WHITESPACE_OR_COMMA.test(t)) return t;
  return `<${t}>`;
}

/**
 * `head` followed by free text, with a separator readToken/skipSeparator will remove exactly:
 * a space normally, a comma when the text itself starts with a comma (the separator may hold
 * one comma, so `bob,,x` is user bob, text `,x`).
 */
export function appendFreeText(head: string, text: string): string {
  const t = writeFreeText(text);
  return `${head}${t.startsWith(',') ? ',' : ' '}${t}`;
}
