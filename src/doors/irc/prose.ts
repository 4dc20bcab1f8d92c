// The IRC door's words: the message of the day, the HELP text and the notice about files. The hub says
// the facts (src/chat/replies.ts); the door words them for an IRC client.
import type { HelpLimits } from '../../chat/replies.ts';
import { IRC_MAX_CHANNELS } from './constants.ts';

/** The message of the day (375/372/376): what this server is, in a few lines. */
export function motdLines(limits: { defaultRoom: string }): string[] {
  return [
    'dualchat: one chat, many doors. People here may use dualchat\'s own client, the Python',
    'student chats\' <bracket> commands or IRC; everyone meets in the same rooms.',
    `#${limits.defaultRoom} is the lobby: you are placed there when you connect.`,
    'Nicknames are 1-16 letters or digits; channel names # and 1-32 letters or digits.',
    'Type /quote HELP (or /help in some clients) for what this server understands.',
  ];
}

/** The HELP text, as NOTICE lines, quoting the limits in force. */
export function ircHelpLines(limits: HelpLimits): string[] {
  return [
    `Commands (messages are at most ${limits.maxTextLength} characters):`,
    '  JOIN #room            enter a room (creating it); you keep the others',
    `  PART #room            leave a room (you stay in at least one; at most ${IRC_MAX_CHANNELS} at once)`,
    '  PRIVMSG #room :text   say something in a room you are in',
    '  PRIVMSG nick :text    a private message, to anyone on any door',
    '  NAMES, WHO, WHOIS, LIST, LUSERS, ISON, MOTD, AWAY, NICK, QUIT',
    `Rooms other than #${limits.defaultRoom} hold at most ${limits.roomCapacity} people.`,
    'Files are not offered over IRC: see the notice you got when you connected.',
  ];
}

/** Why a plain IRC client on the TLS port is closed (the reason of its `ERROR :Closing Link`). */
export const PLAIN_ON_TLS_PORT = 'this port speaks TLS: connect with TLS (irssi: /connect -tls, or your client\'s SSL/TLS option)';

/** The notice every IRC user gets after the welcome: where the shared files are. */
export function filesNotice(filesHint: string): string {
  return `Files are not offered over IRC. ${filesHint}`;
}
