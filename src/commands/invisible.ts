// Characters that are not seen but change what is seen: bidirectional controls and zero-width characters.
// `x\u202Egnp.txt` displays as `xtxt.png`; `ad\u200Bmin` looks like `admin`. Unicode's guidance on
// spoofing (UTS #39 §3, TR #9 §7 and the Trojan Source advisory, CVE-2021-42574) is to keep them out of
// identifiers and to remove them from, or show them in, displayed text. One list, used by the names of
// users and rooms (src/chat/names.ts), of files (src/files/names.ts), and by chat text (src/chat/text.ts).
// Pure.

/**
 * The bidi controls: embeddings and overrides (U+202A–202E), isolates (U+2066–2069), the implicit marks
 * LRM, RLM (U+200E, U+200F) and ALM (U+061C).
 */
const BIDI_CONTROLS = '\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c';
/** Zero-width space (U+200B), non-joiner and joiner (U+200C, U+200D), word joiner (U+2060), BOM / ZWNBSP (U+FEFF). */
const ZERO_WIDTH = '\u200b-\u200d\u2060\ufeff';
/**
 * Characters drawn as nothing or as a blank although they are not spaces: the soft hyphen (U+00AD), the
 * combining grapheme joiner (U+034F), the Hangul fillers (U+115F, U+1160, U+3164, U+FFA0: a "blank"
 * name), the Mongolian vowel separator (U+180E) and the invisible maths operators (U+2061–2064).
 */
const HIDDEN = '\u00ad\u034f\u115f\u1160\u180e\u2061-\u2064\u3164\uffa0';
/**
 * Tag characters (U+E0000–E007F): invisible, they spell ASCII text no reader sees. Refused in names; kept
 * in chat text, where they only ever appear inside the flag emoji of a region (🏴 + tags + U+E007F).
 */
const TAGS = '\u{e0000}-\u{e007f}';

const IS_BIDI = new RegExp(`[${BIDI_CONTROLS}]`, 'u');
const IS_ZERO_WIDTH = new RegExp(`[${ZERO_WIDTH}]`, 'u');
const INVISIBLE = new RegExp(`[${BIDI_CONTROLS}${ZERO_WIDTH}${HIDDEN}${TAGS}]`, 'u');
const INVISIBLE_ALL = new RegExp(`[${BIDI_CONTROLS}${ZERO_WIDTH}${HIDDEN}${TAGS}]`, 'gu');
/**
 * What chat text loses: every bidi control and the zero-width characters other than the joiners.
 * ZWJ and ZWNJ (U+200D, U+200C) are kept in text: emoji sequences (👨‍👩‍👧) and Persian and Indic spelling
 * need them, and they cannot reorder anything.
 */
const DROPPED_FROM_TEXT = new RegExp(`[${BIDI_CONTROLS}\u200b\u2060\ufeff${HIDDEN}]`, 'gu');

/** The first bidi control or zero-width character in `s`, or undefined. */
export function firstInvisible(s: string): string | undefined {
  return INVISIBLE.exec(s)?.[0];
}

/** `s` with every bidi control and zero-width character shown as `<U+202E>` (for error messages that quote input). */
export function showInvisible(s: string): string {
  return s.replace(INVISIBLE_ALL, (ch) => `<${codePointName(ch)}>`);
}

/** Chat text without its bidi controls and spacing-hiding zero-width characters (joiners kept). */
export function dropInvisible(s: string): string {
  return s.replace(DROPPED_FROM_TEXT, '');
}

/** `U+202E`. */
export function codePointName(ch: string): string {
  return `U+${(ch.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}`;
}

/** Words for an invisible character in a refusal: `the bidi control U+202E` / `the zero-width character U+200B`. */
export function describeInvisible(ch: string): string {
  const kind = IS_BIDI.test(ch) ? 'the bidi control' : IS_ZERO_WIDTH.test(ch) ? 'the zero-width character' : 'the invisible character';
  return `${kind} ${codePointName(ch)} (invisible: it changes how the text around it is shown)`;
}
