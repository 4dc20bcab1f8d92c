// The bracket door's words: the welcome line and the `<help>` text, in the angle-bracket syntax every
// client family of this language accepts. The hub says only the facts (src/chat/replies.ts).
import { ROOM_NAME_MAX_LENGTH, USER_NAME_MAX_LENGTH } from '../../chat/limits.ts';
import type { HelpLimits, ProseReply } from '../../chat/replies.ts';
import { renamedNotice } from '../../commands/notices.ts';

/** "Welcome, alice! 3 users online, you are in #lobby. Type <help> for the commands." */
export function welcomeText(name: string, room: string, online: number): string {
  return (
    `Welcome, ${name}! ${online} ${online === 1 ? 'user' : 'users'} online, you are in #${room}. ` +
    'Type <help> for the commands.'
  );
}

/** The help lines, quoting the limits in force. */
export function helpLines(limits: HelpLimits): string[] {
  const names = `1–${USER_NAME_MAX_LENGTH} letters or digits`;
  const roomNames = `1–${ROOM_NAME_MAX_LENGTH} letters or digits`;
  const rows: Array<[string, string]> = [
    ['<connect>NAME', `choose your name (${names}) and enter #${limits.defaultRoom}`],
    ['<set_msg_all>TEXT', 'send TEXT to everyone in your room'],
    ['<set_msg>USER TEXT', 'send TEXT privately to USER, wherever they are'],
    ['<get_users>[+N]', 'list everyone online and their room (+N: page N of a long list)'],
    ['<rooms>[+N]', 'list rooms and how many people are in each'],
    ['<join>ROOM', `enter ROOM, creating it if needed (${roomNames}; at most ${limits.roomCapacity} people)`],
    ['<leave>', `go back to #${limits.defaultRoom}`],
    ['<topic>[TEXT]', "set your room's topic; alone: show it"],
    ['<me>ACTION', 'an action line to your room'],
    ['<nick>NEW', 'take the name NEW'],
    ['<away>[TEXT]', 'marked away with TEXT (told to whoever messages you); alone: back'],
    ['<whois>USER', "USER's rooms, idle time and away text"],
    ['<listfiles>[+N]', 'list the files on the server'],
    ['<download>FILE', 'fetch FILE from the server'],
    ['<stats>', 'your link; an operator (<oper>PASSWORD): the whole server'],
    ['<help>', 'show this list'],
    ['<disconnect>', 'leave the chat'],
  ];
  const width = Math.max(...rows.map(([syntax]) => syntax.length));
  return [
    `Commands (messages are at most ${limits.maxTextLength} characters):`,
    ...rows.map(([syntax, what]) => `  ${syntax.padEnd(width)}  ${what}`),
  ];
}

/** A rename or an away state, as one `<system>` line (what the IRC door's NICK and AWAY do, told here). */
export function proseText(reply: Extract<ProseReply, { kind: 'renamed' | 'away-set' | 'away' }>): string {
  switch (reply.kind) {
    case 'renamed':
      return renamedNotice(reply.from, reply.to);
    case 'away-set':
      return reply.text === undefined ? 'you are no longer marked as away' : `you are marked as away: ${reply.text}`;
    case 'away':
      return `${reply.name} is away: ${reply.text}`;
  }
}
