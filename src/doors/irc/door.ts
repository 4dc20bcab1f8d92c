// The IRC door: IRC clients (irssi, WeeChat, HexChat, …) in the same rooms as everyone else. Framing:
// framing.ts (CR LF, 512 bytes, tags apart); each connection's state and words: connection.ts (its
// registration: registration.ts; its flood budget: src/doors/penalty.ts); room lines: format.ts, made once
// per variant (plain, or with the IRCv3 server-time tag) and shared by every member of that variant.
import type { ChatView, ConnectionDoor } from '../door.ts';
import type { PenaltyRules } from '../penalty.ts';
import { IrcConnection } from './connection.ts';
import { IRC_PENALTY_RULES } from './constants.ts';
import { ircRoomFormat } from './format.ts';
import { IrcFramer } from './framing.ts';

export interface IrcDoorOptions {
  /** Where the shared files are, in a sentence (told after the welcome: files are not offered over IRC). */
  filesHint: string;
  /** The lobby's name (the MOTD names it). */
  defaultRoom: string;
  /** The server's version (002, 004, VERSION). */
  version: string;
  /** The flood budget; undefined: none (a server run without rate limits). Default IRC_PENALTY_RULES. */
  penalty?: PenaltyRules | undefined;
  /** The server keeps accounts: SASL PLAIN offered, PASS checked, NickServ answers (default false). */
  accounts?: boolean;
}

export function ircDoor(options: IrcDoorOptions): ConnectionDoor {
  const formats = { plain: ircRoomFormat(false), timed: ircRoomFormat(true) };
  const penalty = 'penalty' in options ? options.penalty : IRC_PENALTY_RULES;
  const connectionOptions = { penalty, filesHint: options.filesHint, defaultRoom: options.defaultRoom, version: options.version, accounts: options.accounts ?? false };
  return {
    name: 'irc',
    framer: () => new IrcFramer(),
    open: (view: ChatView) => new IrcConnection(view, formats, connectionOptions),
  };
}
