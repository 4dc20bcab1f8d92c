// The head of every client line: `<verb>REST`. One scan, shared by every family of client lines (chat
// commands, file-transfer lines, the data-plane lines), so a line is read once whatever it turns out to be.
import { asciiLower } from './aliases.ts';
import { hasLineBreak } from './one-line.ts';
import { quote } from './quoting.ts';
import type { ParseError } from './types.ts';

/** A line split at its verb: `verb` ASCII lower-cased, `written` as the client wrote it. */
export type VerbSplit = { ok: true; verb: string; written: string; rest: string } | { ok: false; error: ParseError };

export function parseFailure(code: ParseError['code'], message: string): { ok: false; error: ParseError } {
  return { ok: false, error: { kind: 'parse-error', code, message } };
}

/** `<verb>REST` (blanks around the line ignored) → its pieces, or why the line is not a command. Never throws. */
export function splitVerb(line: string): VerbSplit {
  if (hasLineBreak(line)) return parseFailure('bad-command', 'a command is one line: it cannot contain CR or LF');
  const s = line.trim();
  if (s === '') return parseFailure('bad-command', 'empty line; a command looks like <verb>ARGUMENTS, e.g. <connect>alice');
  if (!s.startsWith('<')) {
    return parseFailure('bad-command', `a command starts with "<", e.g. <set_msg_all>hello; got ${quote(s)}`);
  }
  const close = s.indexOf('>');
  if (close < 0) return parseFailure('bad-command', `missing ">" after the verb in ${quote(s)}`);
  const written = s.slice(1, close);
  if (written === '') return parseFailure('bad-command', 'empty verb "<>"; a command looks like <verb>ARGUMENTS');
  return { ok: true, verb: asciiLower(written), written, rest: s.slice(close + 1) };
}

/**
 * The verb of a line in lower case, or undefined when the line does not start like a command (the cheap
 * test the per-family parsers use to say "not mine").
 */
export function verbOf(line: string): string | undefined {
  const s = line.trim();
  if (!s.startsWith('<')) return undefined;
  const close = s.indexOf('>');
  return close < 0 ? undefined : asciiLower(s.slice(1, close));
}
