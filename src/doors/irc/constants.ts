// The IRC door's names, limits and flood costs, each with its reason. The limits advertised in
// RPL_ISUPPORT (005) are the chat's own (src/chat/limits.ts): a client learns the rules it is held to.
import { ROOM_NAME_MAX_LENGTH, USER_NAME_MAX_LENGTH } from '../../chat/limits.ts';
import type { PenaltyRules } from '../penalty.ts';

/** The server's name in numerics' prefix (`:dualchat 001 …`): one word, no dot needed for a single server. */
export const IRC_SERVER_NAME = 'dualchat';

/**
 * The host part of every user's mask (`nick!nick@dualchat`). Not the peer's address: the chat does not
 * show one user another's IP, and one host for all keeps a room line's bytes the same for every member.
 */
export const IRC_USER_HOST = 'dualchat';

/** NICKLEN: a nick is a dualchat name. */
export const IRC_NICK_MAX_LENGTH = USER_NAME_MAX_LENGTH;

/** CHANNELLEN: `#` and a room name. */
export const IRC_CHANNEL_MAX_LENGTH = ROOM_NAME_MAX_LENGTH + 1;

/**
 * Channels one IRC connection may be in (CHANLIMIT, ERR_TOOMANYCHANNELS 405). Each channel is a room
 * the hub keeps for the session; 20 is more than a person follows at once and keeps what one connection
 * can make the server hold small.
 */
export const IRC_MAX_CHANNELS = 20;

/** Targets of one PRIVMSG/NOTICE/JOIN/PART/ISON/WHOIS (MAXTARGETS): a comma list cannot fan one line out without bound. */
export const IRC_MAX_TARGETS = 8;

/** Lines of a LIST or WHO answer at most: one request cannot make an unbounded reply (the rest is cut, and the end says so). */
export const IRC_MAX_LIST_LINES = 500;

/**
 * The flood budget (src/doors/penalty.ts), as ngircd and ergo do it. A line costs IRC_LINE_COST_MS; up to
 * 10 s ahead (ngircd's threshold: 40 ordinary lines at once — a client's sign-in, its channel joins and
 * the WHO and MODE queries it sends after each, a pasted paragraph) runs at once, beyond that each line
 * waits its turn (4 lines/s; irssi paces its own queued paste slower still), a line that would wait more
 * than 20 s (80 more lines) is refused, and 10 refusals in a row close the connection
 * (`ERROR :Excess Flood`). Off when the server's rate limit is 0 (benchmarks).
 */
export const IRC_PENALTY_RULES: PenaltyRules = Object.freeze({ freeMs: 10_000, holdMs: 20_000, maxStrikes: 10 });

/** What one ordinary line costs on the penalty clock. */
export const IRC_LINE_COST_MS = 250;

/**
 * Lines that cost more: answers that list many things (a channel's members, every channel, a user's
 * details) or change membership (each JOIN/PART is heard by a whole room). Keep-alives cost nothing: a
 * client must always be able to answer a PING.
 */
export const IRC_COMMAND_COSTS: Readonly<Record<string, number>> = Object.freeze({
  PING: 0,
  PONG: 0,
  QUIT: 0,
  JOIN: 500,
  PART: 500,
  NAMES: 500,
  WHO: 500,
  WHOIS: 500,
  LIST: 1_000,
  // A password guessed: as dear as the bracket door's <oper> (the login guard counts wrong ones too).
  OPER: 1_000,
});

/** Text of an ERROR before the connection is dropped for flooding (the words ngircd and ergo use). */
export const IRC_FLOOD_ERROR = 'Excess Flood';

/** IRCv3 SASL: an AUTHENTICATE payload comes in base64 chunks of at most 400 bytes (one of exactly 400 says more follows). */
export const SASL_CHUNK_BYTES = 400;

/**
 * The longest base64 payload read (5 chunks): a PLAIN payload of two 16-character names and a password of
 * at most 128 characters (4 bytes each) is 546 base64 bytes; more is refused (905) instead of being kept.
 */
export const SASL_PAYLOAD_MAX_BYTES = 5 * SASL_CHUNK_BYTES;
