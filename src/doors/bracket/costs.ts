// The bracket door's penalty budget (src/doors/penalty.ts, as the IRC door's): what each line costs on
// the penalty clock, and the rules. One table, each cost with its reason. Chat is not here: it keeps its
// own rate in the hub (src/chat/rate-limit.ts), so a chat line costs nothing on this clock (it still
// waits behind lines held before it: a connection's lines stay in order).
import type { CommandKind, TransferCommandKind } from '../../commands/types.ts';
import type { PenaltyRules } from '../penalty.ts';

/**
 * 10 s of commands run at once (ten room changes, twenty listings: a client's sign-in and a person
 * clicking around never wait), beyond that each waits its turn (a join a second), a line that would wait
 * more than 20 s is refused with an error, and 10 refusals in a row close the connection. The same
 * shape as the IRC door's (ngircd's threshold, ergo's fakelag); off when the server's rate limit is 0.
 */
export const BRACKET_PENALTY_RULES: PenaltyRules = Object.freeze({ freeMs: 10_000, holdMs: 20_000, maxStrikes: 10 });

/** A room change or a change others are told of: heard by a whole room (or two), so the dearest. */
const NOTICED_MS = 1_000;
/** An answer that lists many things (users, rooms, files, a history page): one line in, many out. */
const LISTING_MS = 500;
/**
 * A further page of a long list (`<get_users>+2`, `<listfiles>+3`, …): cut from the list page 1 was
 * (src/commands/list-snapshot.ts), about a millisecond of server time for one 8 KiB line. A tenth of a
 * listing, so a client fetching all 187 pages of 5,600 long file names spends 9 s of the clock (held a
 * little past the free 10 s, never refused), and a connection asking for pages without end gets 20 a second.
 */
export const NEXT_PAGE_MS = 50;
/** A file transfer asked for: a file opened, maybe a CRC computed, a slot taken. */
const TRANSFER_MS = 1_000;
/** Account changes hash a password (scrypt: tens of ms of CPU each). */
const HASHING_MS = 1_000;
/** A reply to a transfer already under way (accept, decline, received, cancel): cheap, one per file. */
const TRANSFER_REPLY_MS = 250;

/**
 * A line the door cannot read (no verb, an unknown verb, bad arguments): one error back, but a flood of
 * them is an attack or a broken client, never a person; as dear as a room change.
 */
export const REFUSED_LINE_MS = 1_000;

/** Each command kind's cost in ms (a Record: a kind added without its cost does not compile). */
export const COMMAND_COSTS: Readonly<Record<CommandKind, number>> = Object.freeze({
  // Signing in is free before the name is taken; a sign-in the hub refuses then costs a refused line
  // (connection.ts), except wrong passwords, which the login guard counts (src/chat/login-guard.ts).
  // Once named, a `<connect>` can only be refused: see costOf.
  connect: 0,
  // Coming back with a hold's token: signing in like connect; asking for the token, once per session.
  reconnect: 0,
  hold: LISTING_MS,
  // Leaving must always be possible.
  disconnect: 0,
  // Chat: the hub's token bucket (20/s, bursts of 40) is its rate.
  broadcast: 0,
  private: 0,
  action: 0,
  users: LISTING_MS,
  rooms: LISTING_MS,
  listfiles: LISTING_MS,
  history: LISTING_MS,
  whois: LISTING_MS,
  help: LISTING_MS,
  stats: LISTING_MS,
  join: NOTICED_MS,
  leave: NOTICED_MS,
  rename: NOTICED_MS,
  topic: NOTICED_MS,
  away: NOTICED_MS,
  download: TRANSFER_MS,
  upload: TRANSFER_MS,
  sendfile: TRANSFER_MS,
  cancel: TRANSFER_REPLY_MS,
  register: HASHING_MS,
  password: HASHING_MS,
  unregister: HASHING_MS,
  // A password guessed is a password guessed: as dear as an account's (the login guard counts it too).
  oper: HASHING_MS,
});

/** Each file-transfer line's cost in ms. */
export const TRANSFER_LINE_COSTS: Readonly<Record<TransferCommandKind, number>> = Object.freeze({
  // File data over TCP (a fallen-back transfer): bounded by the transfer's own window, never slowed here.
  chunk: 0,
  resume: TRANSFER_MS,
  sendimage: TRANSFER_MS,
  accept: TRANSFER_REPLY_MS,
  decline: TRANSFER_REPLY_MS,
  received: TRANSFER_REPLY_MS,
});

/**
 * `<transport>` and `<udp>`: the data plane's own lines (a fallback's count, the binding offer), free while
 * of use: a second `<udp>`, or a `<transport>` answered with an error, costs a refused line (connection.ts).
 */
export const PLUMBING_LINE_MS = 0;
