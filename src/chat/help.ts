// The `<help>` text: one line per command, in the angle-bracket syntax every client family accepts.

import { ROOM_NAME_MAX_LENGTH, USER_NAME_MAX_LENGTH, type HubOptions } from './limits.ts';

/** The help lines for a hub with these options (limits are quoted from the options in force). */
export function helpLines(options: HubOptions): string[] {
  const names = `1–${USER_NAME_MAX_LENGTH} letters or digits`;
  const roomNames = `1–${ROOM_NAME_MAX_LENGTH} letters or digits`;
  const rows: Array<[string, string]> = [
    ['<connect>NAME', `choose your name (${names}) and enter #${options.defaultRoom}`],
    ['<set_msg_all>TEXT', 'send TEXT to everyone in your room'],
    ['<set_msg>USER TEXT', 'send TEXT privately to USER, wherever they are'],
    ['<get_users>', 'list everyone online and their room'],
    ['<rooms>', 'list rooms and how many people are in each'],
    ['<join>ROOM', `enter ROOM, creating it if needed (${roomNames}; at most ${options.roomCapacity} people)`],
    ['<leave>', `go back to #${options.defaultRoom}`],
    ['<listfiles>', 'list the files on the server'],
    ['<download>FILE', 'fetch FILE from the server'],
    ['<stats>', 'show server statistics'],
    ['<help>', 'show this list'],
    ['<disconnect>', 'leave the chat'],
  ];
  const width = Math.max(...rows.map(([syntax]) => syntax.length));
  return [
    `Commands (messages are at most ${options.maxTextLength} characters):`,
    ...rows.map(([syntax, what]) => `  ${syntax.padEnd(width)}  ${what}`),
  ];
}
