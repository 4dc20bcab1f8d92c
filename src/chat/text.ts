// Chat text as the hub forwards it: one line, no control characters, no bidi controls or hiding
// zero-width characters, no self-addressed prefix, trimmed, non-empty and bounded.

import { dropInvisible } from '../commands/invisible.ts';
import { codePointLength } from './names.ts';

export type TextCheck =
  | { ok: true; text: string; length: number }
  | { ok: false; code: 'bad-argument' | 'too-large'; message: string };

/**
 * CR LF, CR, LF and every other C0/C1 control character (tab, ESC, NUL, ...), and the line and
 * paragraph separators (U+2028, U+2029: line breaks to many renderers), become one space each: line
 * breaks would split the line protocol or fake a second line, and terminal escapes would let a sender
 * repaint other users' screens.
 */
const CONTROLS = /\r\n|[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;

/**
 * Normalise chat text from `sender`:
 * 1. replace line breaks and control characters with spaces, and remove bidi controls (U+202A–202E,
 *    U+2066–2069, U+200E/F, U+061C) and the zero-width space, word joiner and BOM (src/commands/invisible.ts).
 *    Removed rather than shown: a chat line is read, not audited; `<U+202E>` in every Hebrew or Arabic
 *    line would be noise, and what the bidi algorithm does by itself with RTL letters needs no control.
 *    So an override cannot turn the rest of a line — or the file name it names — around for the readers,
 *    and a zero-width space cannot hide inside a word someone searches for or a link. The joiners stay
 *    (emoji sequences, Persian and Indic spelling);
 * 2. drop a leading `SENDER : ` — the family's own-name prefix, with a space each side of the colon
 *    (one ancestor's client sends exactly that); compared case-insensitively. Only that form: what a
 *    person types ("alice: did you see this?", "alice:5:1234", "bobby : hi" from bob) is kept whole;
 * 3. trim; empty → 'bad-argument'; more than `maxLength` code points → 'too-large'.
 */
export function normalizeChatText(raw: string, sender: string, maxLength: number): TextCheck {
  let text = dropInvisible(raw.replace(CONTROLS, ' ')).trim();
  text = stripOwnPrefix(text, sender).trim();
  if (text.length === 0) {
    return { ok: false, code: 'bad-argument', message: 'the message is empty: write some text after the command' };
  }
  const length = codePointLength(text);
  if (length > maxLength) {
    return {
      ok: false,
      code: 'too-large',
      message: `the message has ${length} characters; the limit is ${maxLength}`,
    };
  }
  return { ok: true, text, length };
}

function stripOwnPrefix(text: string, sender: string): string {
  if (sender.length === 0 || text.length <= sender.length) return text;
  if (text.slice(0, sender.length).toLowerCase() !== sender.toLowerCase()) return text;
  const rest = text.slice(sender.length);
  const colon = /^ +:(?: +|$)/.exec(rest);
  return colon === null ? text : rest.slice(colon[0].length);
}
