// The command language, one import away: parse and format client commands and server replies,
// and find where commands begin in coalesced text. Pure and total (docs/protocol.md).
import { VERB_KINDS, asciiLower } from './aliases.ts';
import { TRANSFER_VERBS } from './transfer-syntax.ts';

export { parseCommand, formatCommand } from './command-syntax.ts';
export { parseReply, formatReply } from './reply-syntax.ts';
export { parseTransferCommand, formatTransferCommand } from './transfer-syntax.ts';
export { parseClientLine } from './client-line.ts';

/** Every lowercase command verb, aliases and the file-transfer verbs included. On a connection
 * without line terminators, `<knownverb>` always starts a new command. */
export const KNOWN_VERBS: ReadonlySet<string> = new Set([...VERB_KINDS.keys(), ...TRANSFER_VERBS]);

/** Length of the longest known verb: a scanner never needs to look further than this past a `<`. */
export const MAX_VERB_LENGTH: number = Math.max(...[...KNOWN_VERBS].map((v) => v.length));

/**
 * Indexes in `text` where `<verb>` begins for a known verb (ASCII case-insensitive, the verb
 * immediately followed by `>`), in increasing order. Linear in text length: after each `<` it
 * looks at most MAX_VERB_LENGTH + 1 characters ahead.
 */
export function findCommandStarts(text: string): number[] {
  const starts: number[] = [];
  for (let i = text.indexOf('<'); i >= 0; i = text.indexOf('<', i + 1)) {
    const window = text.slice(i + 1, i + 2 + MAX_VERB_LENGTH);
    const close = window.indexOf('>');
    if (close > 0 && KNOWN_VERBS.has(asciiLower(window.slice(0, close)))) starts.push(i);
  }
  return starts;
}
