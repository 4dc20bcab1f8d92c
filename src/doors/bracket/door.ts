// The bracket door: the angle-bracket language of the Python chats and of dualchat's own client.
// Framing: src/doors/bracket/framing.ts (`\n`, `\r\n`, `!@#$`, or none at all); reading: one parse per
// line (src/commands/client-line.ts); writing: `<kind>FIELDS - TEXT` lines (src/commands/reply-syntax.ts),
// with the hub's greeting and help put into words here (prose.ts).
import { isProseReply, type Outbound } from '../../chat/replies.ts';
import { formatReply, parseClientLine } from '../../commands/grammar.ts';
import type { ClientLine, Reply } from '../../commands/types.ts';
import type { Door } from '../door.ts';
import { CommandFramer } from './framing.ts';
import { helpLines, proseText, welcomeText } from './prose.ts';

/** The wire replies an outbound reply becomes in this language (most are one and the same object). */
export function bracketReplies(reply: Outbound): Reply[] {
  switch (reply.kind) {
    case 'greeting':
      return [{ kind: 'welcome', name: reply.name, room: reply.room, text: welcomeText(reply.name, reply.room, reply.online), limits: reply.limits }];
    case 'help':
      return helpLines(reply.limits).map((text) => ({ kind: 'system', text }));
    case 'renamed':
    case 'away-set':
    case 'away':
      return [{ kind: 'system', text: proseText(reply) }];
    default:
      return [reply];
  }
}

/** The reply's lines, each with its `\n`. */
export function bracketText(reply: Outbound): string {
  if (!isProseReply(reply)) return `${formatReply(reply)}\n`;
  let text = '';
  for (const r of bracketReplies(reply)) text += `${formatReply(r)}\n`;
  return text;
}

export const BRACKET_DOOR: Door = {
  name: 'bracket',
  framer: () => new CommandFramer(),
  read: (line: string): ClientLine => parseClientLine(line),
  bytes: (reply: Outbound): Uint8Array => Buffer.from(bracketText(reply), 'utf8'),
};
