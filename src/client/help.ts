// The client's local `/help`: every typed form the client understands and every bracket command the
// server accepts (typed as is). Pure data; the renderers decide how to show it.

export interface HelpSection {
  title: string;
  rows: ReadonlyArray<readonly [syntax: string, meaning: string]>;
}

export const HELP_SECTIONS: readonly HelpSection[] = [
  {
    title: 'Chat',
    rows: [
      ['TEXT', 'any plain text goes to everyone in your room'],
      ['/broadcast TEXT', 'the same, explicitly'],
      ['//TEXT', 'sends /TEXT as chat (text that starts with a slash)'],
      ['/msg USER TEXT', 'private message to USER, wherever they are'],
      ['  /private, /whisper, -pr', 'the same as /msg'],
      ['/r TEXT', 'answer whoever last sent you a private message (also /reply)'],
      ['/query USER', 'plain lines go privately to USER (shown in the prompt); /query alone ends it'],
      ['/me ACTION', 'an action line to your room: * you ACTION'],
    ],
  },
  {
    title: 'Rooms and people',
    rows: [
      ['/join ROOM', 'enter ROOM, creating it if needed (also -goto ROOM)'],
      ['/leave', 'go back to the lobby'],
      ['/rooms', 'list rooms and how many people are in each'],
      ['/users', 'list the people in your room'],
      ['/users all', 'list everyone online and their room'],
      ['/topic [TEXT]', "set your room's topic (any member may); alone: show it"],
      ['/whois USER', "USER's rooms, idle time and away text"],
      ['/nick NEW', 'take the name NEW without reconnecting'],
      ['/away [TEXT]', 'marked away: whoever messages you is told TEXT; alone: back'],
    ],
  },
  {
    title: 'Files',
    rows: [
      ['/files', 'list the files shared on the server'],
      ['/download FILE', 'fetch FILE into --downloads (an interrupted one resumes)'],
      ['/upload PATH', 'share a local file on the server (also -file PATH)'],
      ['/sendfile USER PATH', 'send a local file to USER (also /sendfile PATH USER)'],
      ['/sendimage USER PATH', 'send a local image to USER'],
      ['/accept ID  /decline ID', 'answer a file offered to you (taken at once with --auto-accept)'],
      ['/cancel [ID]', 'stop a transfer and remove its partial file'],
    ],
  },
  {
    title: 'Account and history',
    rows: [
      ['/register PASSWORD', 'keep your name: from then on it needs the password (--password, or asked)'],
      ['/password OLD NEW', "change your registered name's password"],
      ['/unregister PASSWORD', 'give your name back'],
      ['/oper PASSWORD', "become an operator with the server's operator password: /stats then shows the whole server"],
      ['/history [#ROOM] [N]', "the room's last N stored lines (shown dimmed, under — history —)"],
    ],
  },
  {
    title: 'Session',
    rows: [
      ['/status', 'host, port, name, room, transport, time connected'],
      ['/stats', 'your link (an operator: the whole server)'],
      ['/help', 'this list'],
      ['/quit', 'leave cleanly (also /exit, Ctrl-D, Ctrl-C twice; Ctrl-C on a typed line clears it)'],
    ],
  },
  {
    title: 'Bracket commands (typed as is, as the Python chat clients send them)',
    rows: [
      ['<connect>NAME', 'choose your name (before anything else)'],
      ['<connect>NAME PASSWORD', 'sign in with a registered name'],
      ['<set_msg_all>TEXT', 'message to your room (alias <msg_all>)'],
      ['<set_msg>USER TEXT', 'private message (also <set_msg><USER><TEXT> or USER,TEXT)'],
      ['<get_users>', 'everyone online and their room'],
      ['<listfiles>', 'files on the server (aliases <get_list_file>, <get_files>)'],
      ['<download>FILE', 'fetch FILE'],
      ['<join>ROOM  <leave>  <rooms>', 'rooms'],
      ['<nick>NEW  <away>TEXT  <me>ACTION', 'rename, away (empty: back), an action line'],
      ['<topic>TEXT  <whois>USER', "your room's topic (empty: show it), who USER is"],
      ['<help>  <stats>', "the server's own help, server statistics"],
      ['<disconnect>', 'leave (alias <end_connection>)'],
    ],
  },
];

/** The help as plain text lines (aligned columns). */
export function helpLines(): string[] {
  const width = Math.max(...HELP_SECTIONS.flatMap((s) => s.rows.map(([syntax]) => syntax.length)));
  const lines: string[] = [];
  for (const section of HELP_SECTIONS) {
    lines.push(`${section.title}:`);
    for (const [syntax, meaning] of section.rows) lines.push(`  ${syntax.padEnd(width)}  ${meaning}`);
  }
  return lines;
}
