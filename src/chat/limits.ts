// The hub's limits and options, each with its reason. Pure data plus one validator; no behaviour.
import { DEFAULT_LIST_REPLY_BYTES } from '../commands/list-pages.ts';

/**
 * Longest user name, in characters. Inherited from the Python student chats (their `<connect>NAME`
 * servers padded names into 16-character columns); short enough for a one-line user list.
 */
export const USER_NAME_MAX_LENGTH = 16;

/**
 * Names nobody may take (compared case-insensitively): a user called `server`, `system` or `admin` could
 * pass their lines off as the server's or staff's (`<private>server - your password expired`), `nickserv`
 * and its siblings are the services IRC users trust with passwords (the IRC door answers NickServ
 * itself), and `everyone`, `all`, `here`, `channel` read as addressing the whole room. One list, in
 * lower case.
 */
export const RESERVED_USER_NAMES: ReadonlySet<string> = new Set([
  'server',
  'system',
  'admin',
  'administrator',
  'root',
  'operator',
  'oper',
  'sysop',
  'moderator',
  'staff',
  'dualchat',
  'nickserv',
  'chanserv',
  'memoserv',
  'operserv',
  'hostserv',
  'botserv',
  'everyone',
  'all',
  'here',
  'channel',
]);

/** Longest room name, in characters: twice a user name, so `team2024planning` style names fit. */
export const ROOM_NAME_MAX_LENGTH = 32;

/**
 * Longest name quoted back in an error message. A refused name may be arbitrarily long (it is what
 * the user typed); error lines stay readable and bounded.
 */
export const QUOTED_NAME_MAX_LENGTH = 40;

/** Hub options. All are plain numbers/strings so the CLI can map flags onto them. */
export interface HubOptions {
  /**
   * Members a room other than the default room may hold. 15 keeps a room's broadcast fan-out small
   * (one datagram per member on the UDP data plane). The default room is unbounded: every session is
   * placed there on connect, so a cap would refuse the 16th user at the door.
   */
  roomCapacity: number;
  /** The room every user starts in and returns to on `<leave>`; never removed, even when empty. */
  defaultRoom: string;
  /**
   * Longest chat text, in Unicode code points, after normalisation. 4096 code points are at most
   * 16 KiB of UTF-8: a chat message stays a small unit on the data plane (a few datagrams at worst,
   * never near the 65,507-byte UDP payload ceiling); bulk content belongs in a file transfer.
   */
  maxTextLength: number;
  /**
   * Chat messages (room and private) a session may send per second, sustained; 0 turns the limit off.
   * 20/s is beyond any human typist (paste bursts are covered by `rateBurst`) yet stops a script from
   * flooding a room: each message fans out to up to `roomCapacity` members.
   */
  rateLimit: number;
  /** Messages a session may send at once before the rate applies (a pasted paragraph, a quick volley). */
  rateBurst: number;
  /**
   * The longest `<users>` / `<rooms>` line, in bytes: a longer list is answered in pages
   * (src/commands/list-pages.ts, where the default's reason is).
   */
  listReplyBytes: number;
}

export const DEFAULT_HUB_OPTIONS: HubOptions = Object.freeze({
  roomCapacity: 15,
  defaultRoom: 'lobby',
  maxTextLength: 4096,
  rateLimit: 20,
  rateBurst: 40,
  listReplyBytes: DEFAULT_LIST_REPLY_BYTES,
});

/** Limits for the options themselves, so a typo in a flag cannot make the hub unusable. */
export const ROOM_CAPACITY_MIN = 1;
export const ROOM_CAPACITY_MAX = 100_000;
export const MAX_TEXT_LENGTH_MIN = 1;
/** 16384 code points (≤ 64 KiB of UTF-8): beyond that, text is a file and should travel as one. */
export const MAX_TEXT_LENGTH_MAX = 16_384;
export const RATE_LIMIT_MAX = 1_000_000;
export const RATE_BURST_MIN = 1;
export const RATE_BURST_MAX = 1_000_000;

/**
 * Passwords are 4–128 characters without white space or control characters: one word, so
 * `<connect>NAME PASSWORD` and `<password>OLD NEW` split without quoting; 4 keeps out the empty and the
 * trivially guessed, 128 bounds the work a hash is asked to do.
 */
export const PASSWORD_MIN_LENGTH = 4;
export const PASSWORD_MAX_LENGTH = 128;

/**
 * Failed logins (a wrong password) allowed per registered name, and per source address, within
 * LOGIN_FAILURE_WINDOW_MS; beyond them every attempt is refused at once until the window ends. 5 per
 * name leaves room for typos and makes guessing cost a minute per 5 tries; 20 per address lets a shared
 * address (a campus NAT) hold a few mistyping people while one machine guessing names is stopped.
 */
export const LOGIN_FAILURES_PER_NAME = 5;
export const LOGIN_FAILURES_PER_ADDRESS = 20;
export const LOGIN_FAILURE_WINDOW_MS = 60_000;
/**
 * Names and addresses the failure counts remember at once: a bound on what a flood of guesses can make
 * the server hold (the oldest count is forgotten first).
 */
export const LOGIN_GUARD_MAX_ENTRIES = 10_000;

/**
 * Stored lines replayed to whoever enters a room when the hub has a history port and is not told
 * otherwise (HubPorts.historyOnJoin): 50 fills a terminal with context without turning a join into a
 * download.
 */
export const HISTORY_ON_JOIN_DEFAULT = 50;

/** Stored lines one `<history>` page carries at most: a screenful or three, a bounded read. */
export const HISTORY_PAGE_MAX = 200;
/** Lines a `<history>ROOM` without N carries. */
export const HISTORY_PAGE_DEFAULT = 50;
/**
 * Private messages kept for one registered user while offline; beyond it the sender is told the
 * mailbox is full. Bounds what strangers can make the server store for a name.
 */
export const MAILBOX_MAX_MESSAGES = 500;

/**
 * How long a vanished session's name and rooms are held for its owner (a connection lost, not a
 * `<disconnect>`; only sessions that asked with `<hold>`). 30 s covers a server restart behind a
 * supervisor, a Wi-Fi hand-over or a laptop lid closed for a moment, and the client's reconnect backoff
 * (src/client/constants.ts) retries well within it; longer would keep a dead user listed in a room,
 * unanswering, for longer than people wait before asking "are you there?".
 */
export const NAME_HOLD_MS = 30_000;
/** The longest hold an operator may set (`--name-hold`), in seconds: an hour; longer is an account's job (register the name). */
export const NAME_HOLD_MAX_S = 3_600;

/**
 * At most this many names are held at once on a node; a session lost beyond it leaves at once, as
 * without `<hold>`. Each held name is a session's state kept after its connection closed: without a
 * bound, connections that ask for a hold and drop could make the hub keep any number of them.
 */
export const MAX_HELD_NAMES = 1_000;
