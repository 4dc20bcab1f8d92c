// The chat hub: sessions, names, rooms and routing as a pure state machine.
//
// Inputs are events (a connection opened, a command arrived, a connection closed) with the time
// `now`; outputs are data: replies addressed to a session, to every member of a room on this node
// (but one), or to a user on another node; `close` requests; file and stats requests for the shells that
// own those resources; one log event per user action; and `await` when a port answers later. No sockets,
// no clock. The hub does not know how a reply travels (TCP line, UDP datagram, IRC): the shells decide.
//
// Ports (src/chat/ports.ts): names are claimed and room sizes checked through Presence, which also
// answers the listings; room messages are kept by the Store when there is one. The in-memory Presence
// makes a chat of one node.
//
// Membership is a set of rooms per session with one *current* room — where `<set_msg_all>` goes and
// where listings show the user:
// - `join` moves: the current room is left, the new one entered and made current (the bracket commands:
//   `<join>` moves you, `<leave>` moves you back to the default room);
// - `enter` adds a room and makes it current, `part` leaves one room, `say` speaks to one room the
//   session is in (a door that keeps several rooms per connection: IRC). A session is always in at least
//   one room: parting the last is refused.
//
// The IRC habits, for every door: `rename` (`<nick>`, IRC NICK) changes a connected session's name
// (claimed like a new one; every room it is in hears `renamed`), `away` sets or clears an away text
// (whoever messages the session privately is told it, with the message still delivered), `action`
// (`<me>`) is a room line told as an action, `topic` sets or asks the current room's topic (kept while
// the room has members on this node: it goes when the room empties), `whois` tells a user's rooms, away
// text and idle time (seconds since their last chat line, or since they connected).
//
// Decisions (documented here and in the help/error texts):
// - User names keep their owner's spelling; uniqueness is case-insensitive.
// - Room names are canonical lower-case (`<join>Dev` enters "dev"); a leading `#` is accepted.
// - The default room (lobby) is unbounded — every user is placed there on connect, so a cap would
//   turn user 16 away at the door — and it is never removed. Other rooms hold `roomCapacity` people
//   and disappear when their last member leaves.
// - `<join>` of the room you are in and `<leave>` in the lobby are refused with 'bad-room' (they
//   would do nothing; an error says so plainly).
// - A private message to yourself is refused ('bad-argument'): it would reach nobody else.
// - A `NAME : ` prefix with the sender's own name is stripped from broadcast and private text alike
//   (the Python clients write it in both).
// - `<disconnect>` is accepted before `<connect>` too: the user wants to leave; refusing helps no one.
// - Replies that go to several sessions share one object: treat replies as read-only.
// - Accounts (an Accounts port): a registered name needs its password (`<connect>NAME PASSWORD`, split
//   here because only the hub knows the name is registered); a guest takes any free unregistered name.
//   Failed logins are counted per name and per source address (LoginGuard) and refused at once past
//   the allowance, before any hash is computed. Passwords never appear in an output or a log event.
//   A door may check a password before the connection has a name (`authenticate`, IRC SASL: remembered
//   for that session's `connect` of the name) or give it apart from the name (`connect`'s `password`,
//   IRC PASS: ignored for a guest's name).
// - Reconnecting (a NameHold port): a session that asked with `<hold>` gets a token; when its connection
//   goes without `<disconnect>` its name, rooms, away text and topic stay for `holdMs` — quietly: its rooms
//   hear nothing, it stays listed, as behind an IRC bouncer — and `<reconnect>NAME TOKEN` (or a registered
//   name's right password) takes it all back on a new connection. Anyone else asking for the name is
//   refused `name-taken`, told it is held. If nobody comes back, the rooms hear `left … lost` when the
//   hold ends (`wake(now)`, at `nextWake()`); without a hold that is said at once, as always.
//   `<reconnect>` of a name that is not held is a plain sign-in (the server restarted: the name is free),
//   unless a live session holds it with that very token (its owner changed networks before the old
//   connection was seen to go): then the new connection takes it over and the old one is closed.
// - History (a History port): entering a room replays its last `historyOnJoin` lines as `history`
//   replies, cut off when the room is entered (what follows is heard live, never twice). A private
//   message to a registered user who is offline waits in their mailbox and is handed over at sign-in.

import { splitCredentials } from '../commands/credentials.ts';
import { ListSnapshot } from '../commands/list-snapshot.ts';
import type { ListReply } from '../commands/reply-syntax.ts';
import type { Command, ErrorCode, LeaveReason, RoomEntry, UserEntry } from '../commands/types.ts';
import { LOCAL_NODE, type NodeId, type SessionAddress, type SessionId } from './ids.ts';
import {
  HISTORY_ON_JOIN_DEFAULT,
  HISTORY_PAGE_DEFAULT,
  HISTORY_PAGE_MAX,
  LOGIN_FAILURE_WINDOW_MS,
  LOGIN_FAILURES_PER_ADDRESS,
  LOGIN_FAILURES_PER_NAME,
  LOGIN_GUARD_MAX_ENTRIES,
  MAILBOX_MAX_MESSAGES,
  MAX_HELD_NAMES,
  type HubOptions,
} from './limits.ts';
import { LoginGuard } from './login-guard.ts';
import { MemoryPresence } from './memory-presence.ts';
import { checkRoomName, checkUserName, nameKey, quoteName, reservedNameRefusal } from './names.ts';
import { checkPassword } from './passwords.ts';
import type { Accounts, Answer, History, Presence, Store, StoredPrivate, StoredRoomMessage } from './ports.ts';
import { chatRateRefusal, fullBucket, msUntilToken, takeToken, type TokenBucket } from './rate-limit.ts';
import { resolveHubOptions } from './options.ts';
import type { HelpLimits, HubReply } from './replies.ts';
import { isLoopback, NO_OPERATORS, type OperatorRules } from './operators.ts';
import { sameSecret } from './secret.ts';
import { normalizeChatText } from './text.ts';

export { DEFAULT_HUB_OPTIONS, type HubOptions } from './limits.ts';
export type { SessionId } from './ids.ts';

/** Room operations of a door that keeps several rooms per connection (no bracket command makes them). */
export type RoomCommand =
  /** Enter `room` and keep the others; it becomes the current room. */
  | { kind: 'enter'; room: string }
  /** Leave `room` (one of the session's rooms). */
  | { kind: 'part'; room: string }
  /** A message to `room`, one of the session's rooms. */
  | { kind: 'say'; room: string; text: string }
  /** Set the topic of `room`, one of the session's rooms; blank `text` clears it (IRC TOPIC). */
  | { kind: 'room-topic'; room: string; text: string }
  /** An action (`/me`) in `room`, one of the session's rooms (IRC's CTCP ACTION to a channel). */
  | { kind: 'room-action'; room: string; text: string };

/** Accounts as a door that signs in before it names the connection asks (IRC SASL). */
export type AccountCommand =
  /**
   * Check registered `name`'s password before the connection has a name (guarded like a login): no reply
   * when right (the connection's `connect` of that name then needs no password), refused when wrong.
   */
  { kind: 'authenticate'; name: string; password: string };

/** What the hub is asked to do. */
export type HubCommand = Command | RoomCommand | AccountCommand;
export type HubCommandKind = HubCommand['kind'];

/** The commands the hub hands to the files shell. */
export type FileCommand = Extract<Command, { kind: 'listfiles' | 'download' | 'upload' | 'sendfile' | 'cancel' }>;

/** Why a connection went away, as told to `close()`. */
export type CloseReason = Extract<LeaveReason, 'disconnect' | 'lost'>;

export type HubOutput =
  /** Deliver `reply` to session `to`. */
  | { type: 'reply'; to: SessionId; reply: HubReply }
  /** Deliver `reply` to every member of `room` (on this node: see `localMembers`) but `except`. */
  | { type: 'room'; room: string; reply: HubReply; except?: SessionId }
  /** Deliver `reply` to a user on another node. */
  | { type: 'user'; to: SessionAddress; reply: HubReply }
  /** Close the connection (after the `disconnected` reply that precedes this output was sent). */
  | { type: 'close'; session: SessionId }
  /** A file command from a connected session, own-name forms resolved; the files shell answers. */
  | { type: 'files'; session: SessionId; command: FileCommand }
  /** Statistics requested by a connected session; the shell, which knows transports, answers: the whole server's to an operator, its own link's to anyone else. */
  | { type: 'stats'; session: SessionId; operator: boolean }
  /** One per user action, for the server's log. */
  | { type: 'log'; event: HubLogEvent }
  /**
   * A port answers later: `outputs` settles with the rest of this command's outputs (never rejects). Room
   * outputs among them go to the room's members as they are when they are carried out.
   */
  | { type: 'await'; outputs: Promise<HubOutput[]> };

/** What happened, as metadata for the server log. Never carries message text. */
export type HubLogEvent =
  | { type: 'connect'; session: SessionId; name: string; room: string }
  | { type: 'name-refused'; session: SessionId; name: string; code: NameRefusal }
  /** An account changed, a registered name signed in (`login`), or a session became an operator (`oper`). Never carries a password. */
  | { type: 'account'; session: SessionId; name: string; action: 'login' | 'authenticate' | 'register' | 'password' | 'unregister' | 'oper' }
  /** A private message to registered `to`, who is offline, kept in their mailbox. */
  | { type: 'mailbox'; from: string; to: string; length: number }
  /** `<join>`: `name` moved from room `from` to `room`. */
  | { type: 'join'; name: string; room: string; from: string }
  /** `name` entered `room`, keeping its other rooms. */
  | { type: 'enter'; name: string; room: string }
  /** `<leave>`: `name` left `room` for the default room; or parted `room` (reason 'moved'). */
  | { type: 'leave'; name: string; room: string; reason: LeaveReason }
  /** A room message of `length` code points to `recipients` other members on this node (the echo not counted). */
  | { type: 'message'; name: string; room: string; length: number; recipients: number }
  | { type: 'private'; from: string; to: string; length: number }
  /** `from` took the name `to`. */
  | { type: 'rename'; from: string; to: string }
  /** `name` set the topic of `room` to `length` code points. */
  | { type: 'topic'; name: string; room: string; length: number }
  | { type: 'disconnect'; name: string; room: string; reason: CloseReason }
  /** `name`'s connection went; its name and rooms are held until `until` for whoever resumes it. */
  | { type: 'held'; name: string; room: string; until: number }
  /** `name` came back on a new connection within its hold, `afterMs` after losing the old one. */
  | { type: 'resumed'; session: SessionId; name: string; room: string; afterMs: number }
  /** A command was refused; `command` is 'malformed' when the input was not a command at all. */
  | { type: 'refused'; session: SessionId; command: HubCommandKind | 'malformed'; code: ErrorCode }
  /** A query or a request handed to another shell (help, users, rooms, stats, files, early disconnect). */
  | { type: 'request'; session: SessionId; name?: string; command: HubCommandKind };

/** Why a `<connect>` was refused. */
export type NameRefusal = 'bad-name' | 'name-taken' | 'name-registered' | 'bad-password' | 'rate-limited';

export interface HubPorts {
  /** Names and rooms across the chat (default: this process alone). */
  presence: Presence;
  /** Where room messages are kept (default: none). */
  store?: Store;
  /** Kept room messages read back: history on join and `<history>` (default: none). */
  history?: History;
  /** Lines of a room's history replayed on entering it, 0 to HISTORY_PAGE_MAX (default HISTORY_ON_JOIN_DEFAULT). */
  historyOnJoin?: number;
  /** Registered names, passwords, mailboxes (default: none: every name is a guest's). */
  accounts?: Accounts;
  /** This node's id in the session addresses the ports see (default LOCAL_NODE). */
  node: NodeId;
  /** Who is an operator (default: nobody). */
  operators?: OperatorRules;
  /** Holding a lost session's name for its owner (default: none: `<hold>` is refused, a lost session leaves at once). */
  hold?: NameHold;
  /**
   * The key a source address counts under wherever the hub bounds what one address may do (wrong
   * passwords, held names): the server's is an IPv6 address's /64, which one host can fill with fresh
   * addresses. Default: the address itself.
   */
  originGroup?: (origin: string) => string;
}

/** The hold of a lost session's name: how long, and where its proof comes from. */
export interface NameHold {
  /** How long a name is held after its connection went (ms; NAME_HOLD_MS in the server). */
  holdMs: number;
  /** A fresh unguessable token (lower-case hex): the shell's random source, so the hub stays pure. */
  token: () => string;
  /**
   * At most this many names held at once for sessions from one address group (`originGroup`; the
   * server: its per-address connection limit, so that connections dropped and opened again cannot leave
   * more names behind than the address may hold open); undefined: only MAX_HELD_NAMES bounds them.
   */
  perGroup?: number;
}

/** The login guard's key of a user's operator-password attempts (a name never contains NUL: no clash with an account's). */
const OPER_GUARD_PREFIX = '\0oper:';

/** Longest refused name kept in a log event (the raw input can be anything). */
const LOGGED_NAME_MAX_LENGTH = 64;

/** Longest away text kept (IRC's AWAYLEN): a status line, not a message; it is sent to everyone who messages the session. */
export const AWAY_TEXT_MAX_LENGTH = 200;

/**
 * Longest room topic, in code points (IRC servers' TOPICLEN is commonly 300–390): one line shown to
 * everyone who enters the room. There is at most one topic per room with members, so topics are bounded
 * by the rooms.
 */
export const TOPIC_MAX_LENGTH = 300;

/** A room's topic: what it says, who set it and when. */
interface Topic {
  text: string;
  by: string;
  ts: number;
}

/** A named session's state; `name` undefined until `<connect>` succeeds. */
interface SessionState {
  name: string | undefined;
  key: string;
  /** Rooms entered, in the order entered (the current one among them). */
  rooms: Set<string>;
  current: string;
  /** Chat-message allowance (created on first message). */
  bucket?: TokenBucket;
  /** A name claim or a password check is on its way (an asynchronous port). */
  claiming: boolean;
  /** Away text, when the session is marked away. */
  away?: string | undefined;
  /** The connection's source address (failed logins are counted per address). */
  origin: string | undefined;
  /** `origin` as per-address bounds count it (`originGroup`). */
  group: string | undefined;
  /** Before a name: the registered name (key) whose password this session proved (`authenticate`). */
  signedIn?: string | undefined;
  /** When the session last sent a chat line (or connected): its idle time is counted from here. */
  lastActive: number;
  /** Gave the operator password (`<oper>`). */
  operator?: boolean;
  /** The token `<hold>` gave: the proof that takes the session back after its connection went. */
  holdToken?: string | undefined;
  /** Set while the session's connection is gone and its name held: when the hold ends. */
  heldUntil?: number | undefined;
  /** When its connection went (while held). */
  lostAt?: number | undefined;
}

interface NamedSession extends SessionState {
  name: string;
}

/**
 * A refused name as the log keeps it: bounded, and cut at the first blank — what follows may be a
 * password (`<connect>NAME PASSWORD` for a name that is not, or no longer, registered).
 */
function loggedName(raw: string): string {
  const words = /^(\s*\S+)\s+\S/.exec(raw);
  return (words === null ? raw : `${words[1] ?? ''} …`).slice(0, LOGGED_NAME_MAX_LENGTH);
}

export class Hub {
  private readonly options: HubOptions;
  private readonly lobby: string;
  private readonly presence: Presence;
  private readonly store: Store | undefined;
  private readonly history: History | undefined;
  private readonly accounts: Accounts | undefined;
  private readonly historyOnJoin: number;
  private readonly operators: OperatorRules;
  private readonly guard = new LoginGuard({
    perName: LOGIN_FAILURES_PER_NAME,
    perAddress: LOGIN_FAILURES_PER_ADDRESS,
    windowMs: LOGIN_FAILURE_WINDOW_MS,
    maxEntries: LOGIN_GUARD_MAX_ENTRIES,
  });
  private readonly node: NodeId;
  private readonly sessions = new Map<SessionId, SessionState>();
  /** Lower-case name → session, for the named sessions of this node. */
  private readonly byName = new Map<string, SessionId>();
  /** Canonical room name → member sessions on this node. */
  private readonly roomMembers = new Map<string, Set<SessionId>>();
  /** Changes of roomMembers so far (membershipVersion). */
  private membershipChanges = 0;
  /** Canonical room name → its topic, for rooms with members on this node. */
  private readonly topics = new Map<string, Topic>();
  /** Lower-case name → the held session (its connection gone), while its hold lasts. */
  private readonly held = new Map<string, SessionId>();
  private readonly hold: NameHold | undefined;
  private readonly originGroup: (origin: string) => string;
  private readonly helpLimits: HelpLimits;
  /** The last `<get_users>` and `<rooms>` lists, whose later pages are cut from them. */
  private readonly userPages: ListSnapshot<'users'>;
  private readonly roomPages: ListSnapshot<'rooms'>;
  /** Whether an account holds the name `key` (a reserved word registered before it was reserved still signs in). */
  private readonly isRegistered = (key: string): boolean => this.accounts?.registeredName(key) !== undefined;

  /**
   * Throws RangeError for invalid options (a configuration error at start-up). Shells taking
   * options from users should call `resolveHubOptions` first and report its message.
   */
  constructor(options: Partial<HubOptions> = {}, ports: Partial<HubPorts> = {}) {
    const resolved = resolveHubOptions(options);
    if (!resolved.ok) throw new RangeError(resolved.message);
    this.options = resolved.options;
    this.lobby = resolved.options.defaultRoom;
    this.presence = ports.presence ?? new MemoryPresence();
    this.store = ports.store;
    this.history = ports.history;
    this.accounts = ports.accounts;
    const onJoin = ports.historyOnJoin ?? HISTORY_ON_JOIN_DEFAULT;
    if (!Number.isInteger(onJoin) || onJoin < 0 || onJoin > HISTORY_PAGE_MAX) {
      throw new RangeError(`historyOnJoin must be a whole number from 0 to ${HISTORY_PAGE_MAX}, got ${String(onJoin)}`);
    }
    this.historyOnJoin = onJoin;
    this.node = ports.node ?? LOCAL_NODE;
    this.operators = ports.operators ?? NO_OPERATORS;
    if (ports.hold !== undefined && (!Number.isSafeInteger(ports.hold.holdMs) || ports.hold.holdMs <= 0)) {
      throw new RangeError(`holdMs must be a positive whole number of milliseconds, got ${String(ports.hold.holdMs)}`);
    }
    const perGroup = ports.hold?.perGroup;
    if (perGroup !== undefined && (!Number.isSafeInteger(perGroup) || perGroup <= 0)) {
      throw new RangeError(`perGroup must be a positive whole number, got ${String(perGroup)}`);
    }
    this.hold = ports.hold;
    this.originGroup = ports.originGroup ?? ((origin) => origin);
    this.userPages = new ListSnapshot(this.options.listReplyBytes);
    this.roomPages = new ListSnapshot(this.options.listReplyBytes);
    this.helpLimits = Object.freeze({
      defaultRoom: this.lobby,
      roomCapacity: this.options.roomCapacity,
      maxTextLength: this.options.maxTextLength,
    });
  }

  /**
   * A connection arrived from `origin` (its source address, when known); it is not named yet. Opening an
   * open session again changes nothing.
   */
  open(session: SessionId, now: number, origin?: string): HubOutput[] {
    if (!this.sessions.has(session)) {
      const group = origin === undefined ? undefined : this.originGroup(origin);
      this.sessions.set(session, { name: undefined, key: '', rooms: new Set(), current: '', claiming: false, origin, group, lastActive: now });
    }
    return [];
  }

  /** A command from a session. Never throws; every refusal is an error reply plus a log event. */
  handle(session: SessionId, command: HubCommand, now: number): HubOutput[] {
    const state = this.sessions.get(session);
    if (state === undefined) {
      // Not open (never opened, or already closed): nobody to answer. Log it for the operator.
      return [log({ type: 'refused', session, command: kindOf(command), code: 'not-connected' })];
    }
    if (!isWellFormed(command)) {
      return this.refuse(session, 'malformed', 'bad-command', 'the command is malformed');
    }
    if (state.name === undefined) return this.handleUnnamed(session, state, command, now);
    const me = state as NamedSession;

    switch (command.kind) {
      case 'connect':
      case 'authenticate':
        return this.refuse(session, command.kind, 'already-connected', `you are already connected as ${me.name}`);
      case 'disconnect':
        return this.disconnect(session, me, now);
      case 'users':
        return [this.reply(session, this.listPage(this.userPages, command.page, now, () => ({ kind: 'users', users: this.users() }))), this.request(session, me, 'users')];
      case 'rooms':
        return [this.reply(session, this.listPage(this.roomPages, command.page, now, () => ({ kind: 'rooms', rooms: this.rooms() }))), this.request(session, me, 'rooms')];
      case 'help':
        return [this.reply(session, { kind: 'help', limits: this.helpLimits }), this.request(session, me, 'help')];
      case 'stats':
        return [{ type: 'stats', session, operator: me.operator === true || (this.operators.local && isLoopback(me.origin)) }, this.request(session, me, 'stats')];
      case 'broadcast':
        return this.rateLimited(session, me, command.kind, now) ?? this.roomMessage(session, me, 'broadcast', me.current, command.text, now);
      case 'say':
        return this.rateLimited(session, me, command.kind, now) ?? this.say(session, me, command.room, command.text, now);
      case 'private':
        return this.rateLimited(session, me, command.kind, now) ?? this.privateMessage(session, me, command.to, command.text, now);
      case 'join':
        return this.join(session, me, command.room, now);
      case 'leave':
        return this.leave(session, me, now);
      case 'enter':
        return this.enter(session, me, command.room, now);
      case 'part':
        return this.part(session, me, command.room, now);
      case 'rename':
        return this.rename(session, me, command.name, now);
      case 'away':
        return this.setAway(session, me, command.text);
      case 'action':
        return this.rateLimited(session, me, command.kind, now) ?? this.action(session, me, command.text, now);
      case 'topic':
        return command.text === undefined ? this.showTopic(session, me) : this.setTopic(session, me, me.current, command.text, now);
      case 'room-topic':
        return this.roomTopic(session, me, command.room, command.text, now);
      case 'room-action': {
        const checked = checkRoomName(command.room);
        if (!checked.ok) return this.refuse(session, 'room-action', 'bad-room', checked.message);
        if (!me.rooms.has(checked.name)) return this.refuse(session, 'room-action', 'bad-room', `you are not in #${checked.name}; enter it first`);
        return this.rateLimited(session, me, command.kind, now) ?? this.action(session, me, command.text, now, checked.name);
      }
      case 'whois':
        return this.whois(session, me, command.name, now);
      case 'listfiles':
        return this.files(session, me, command.page === undefined ? { kind: 'listfiles' } : { kind: 'listfiles', page: command.page });
      case 'download':
        return this.download(session, me, command.file);
      case 'upload':
      case 'sendfile':
      case 'cancel':
        return this.files(session, me, command);
      case 'register':
        return this.register(session, me, command.password);
      case 'password':
        return this.changePassword(session, me, command.old, command.password, now);
      case 'unregister':
        return this.unregister(session, me, command.password, now);
      case 'oper':
        return this.oper(session, me, command.password, now);
      case 'history':
        return this.rateLimited(session, me, command.kind, now) ?? this.historyPage(session, me, command.room, command.count, command.before);
      case 'hold':
        return this.giveHold(session, me);
      case 'reconnect':
        return this.refuse(session, command.kind, 'already-connected', `you are already connected as ${me.name}`);
      default:
        return assertNever(command, () => this.refuse(session, 'malformed', 'unknown-command', 'unknown command'));
    }
  }

  /** The connection is gone. For a named session its rooms hear `left` with `reason`. Idempotent. */
  close(session: SessionId, now: number, reason: CloseReason): HubOutput[] {
    const state = this.sessions.get(session);
    if (state === undefined || state.heldUntil !== undefined) return [];
    if (state.name !== undefined && state.holdToken !== undefined && this.hold !== undefined && this.held.size < MAX_HELD_NAMES && this.groupMayHold(state.group)) {
      // Quiet while held: the rooms hear of it only if the hold ends (wake).
      state.heldUntil = now + this.hold.holdMs;
      state.lostAt = now;
      this.held.set(state.key, session);
      return [log({ type: 'held', name: state.name, room: state.current, until: state.heldUntil })];
    }
    this.sessions.delete(session);
    if (state.name === undefined) return [];
    const me = state as NamedSession;
    const out = this.removeNamed(session, me, now, reason);
    out.push(log({ type: 'disconnect', name: me.name, room: me.current, reason }));
    return out;
  }

  /** Whether a session from address group `group` may leave its name held: that group holds fewer than `perGroup`. */
  private groupMayHold(group: string | undefined): boolean {
    const perGroup = this.hold?.perGroup;
    if (perGroup === undefined || group === undefined) return true;
    let count = 0;
    for (const id of this.held.values()) if (this.sessions.get(id)?.group === group) count += 1;
    return count < perGroup;
  }

  /** When the next hold ends (the shell calls `wake` then), or undefined when no name is held. */
  nextWake(): number | undefined {
    let next: number | undefined;
    for (const id of this.held.values()) {
      const until = this.sessions.get(id)?.heldUntil;
      if (until !== undefined && (next === undefined || until < next)) next = until;
    }
    return next;
  }

  /** Ends the holds that are over by `now`: their rooms hear `left … lost`, their names are free again. */
  wake(now: number): HubOutput[] {
    const out: HubOutput[] = [];
    for (const [key, id] of [...this.held]) {
      const state = this.sessions.get(id);
      if (state === undefined || state.heldUntil === undefined || state.heldUntil > now) continue;
      this.held.delete(key);
      this.sessions.delete(id);
      const me = state as NamedSession;
      out.push(...this.removeNamed(id, me, now, 'lost'));
      out.push(log({ type: 'disconnect', name: me.name, room: me.current, reason: 'lost' }));
    }
    return out;
  }

  /** Names held for their owners now (their connections gone). */
  heldCount(): number {
    return this.held.size;
  }

  nameOf(session: SessionId): string | undefined {
    return this.sessions.get(session)?.name;
  }

  /** The session's current room (undefined before `<connect>`). */
  roomOf(session: SessionId): string | undefined {
    const state = this.sessions.get(session);
    return state?.name === undefined ? undefined : state.current;
  }

  /** The session's away text, when it is marked away. */
  awayOf(session: SessionId): string | undefined {
    return this.sessions.get(session)?.away;
  }

  /** The topic of `room` (canonical name) and who set it when, when it has one. */
  topicOf(room: string): Readonly<Topic> | undefined {
    return this.topics.get(room);
  }

  /** Every room the session is in, in the order entered. */
  roomsOf(session: SessionId): string[] {
    const state = this.sessions.get(session);
    return state?.name === undefined ? [] : [...state.rooms];
  }

  /** The session on this node using `name`, compared case-insensitively. */
  sessionOf(name: string): SessionId | undefined {
    return this.byName.get(nameKey(name));
  }

  /** The members of `room` on this node (read-only; empty when none): where a `room` output goes here. */
  localMembers(room: string): ReadonlySet<SessionId> {
    return this.roomMembers.get(room) ?? NO_MEMBERS;
  }

  /** Grows with every change of any room's members on this node: whoever keeps a room's members for a while sees when they are stale. */
  get membershipVersion(): number {
    return this.membershipChanges;
  }

  /** Page `asked` of a list (`whole` taken only for a fresh snapshot: ListSnapshot), lines within `listReplyBytes`. */
  private listPage<K extends ListReply['kind']>(snapshot: ListSnapshot<K>, asked: number | undefined, now: number, whole: () => Extract<ListReply, { kind: K }>): Extract<ListReply, { kind: K }> {
    return (snapshot.reuse(asked, now) ?? snapshot.keep(whole(), now))(asked);
  }

  /** Everyone online with their current room, sorted by name (case-insensitively). */
  users(): UserEntry[] {
    const keyed = this.presence.users().map((user) => ({ key: nameKey(user.name), user }));
    keyed.sort((a, b) => compareStrings(a.key, b.key));
    return keyed.map((k) => k.user);
  }

  /** Every room with its member count: the default room first (always listed), then by name. */
  rooms(): RoomEntry[] {
    const listed = this.presence.rooms();
    const lobby = listed.find((r) => r.name === this.lobby) ?? { name: this.lobby, count: 0 };
    const others = listed.filter((r) => r.name !== this.lobby).sort((a, b) => compareStrings(a.name, b.name));
    return [lobby, ...others];
  }

  /** Open sessions on this node, named or not. */
  sessionCount(): number {
    return this.sessions.size;
  }

  /** Named users on this node. */
  userCount(): number {
    return this.byName.size;
  }

  /** Refusal outputs when the session's message allowance is spent, else undefined (a token taken). */
  private rateLimited(session: SessionId, state: SessionState, kind: HubCommandKind, now: number): HubOutput[] | undefined {
    const { rateLimit, rateBurst } = this.options;
    if (rateLimit <= 0) return undefined;
    state.bucket ??= fullBucket(rateBurst, now);
    if (takeToken(state.bucket, rateLimit, rateBurst, now)) return undefined;
    const wait = msUntilToken(state.bucket, rateLimit);
    return this.refuse(session, kind, 'rate-limited', chatRateRefusal(rateLimit, rateBurst, wait));
  }

  // ---- before <connect> -------------------------------------------------------------------------

  private handleUnnamed(session: SessionId, state: SessionState, command: HubCommand, now: number): HubOutput[] {
    switch (command.kind) {
      case 'connect':
        return this.connect(session, state, command.name, command.password, now);
      case 'authenticate':
        return this.authenticate(session, state, command.name, command.password, now);
      case 'reconnect':
        return this.resume(session, state, command.name, command.token, now);
      case 'help':
        return [this.reply(session, { kind: 'help', limits: this.helpLimits }), this.request(session, undefined, 'help')];
      case 'disconnect':
        this.sessions.delete(session);
        return [
          this.reply(session, { kind: 'disconnected' }),
          { type: 'close', session },
          this.request(session, undefined, 'disconnect'),
        ];
      default:
        return this.refuse(session, command.kind, 'not-connected', 'send <connect>NAME first');
    }
  }

  /**
   * `<connect>NAME`, or `<connect>NAME PASSWORD` for a registered name. A text whose first word is not a
   * registered name is judged whole, as before accounts (a name with a space is a bad name).
   */
  private connect(session: SessionId, state: SessionState, rawName: string, given: string | undefined, now: number): HubOutput[] {
    const whole = checkUserName(rawName, this.isRegistered);
    let name: string;
    let password: string | undefined;
    if (whole.ok) {
      name = whole.name;
      password = given;
    } else {
      const split = splitCredentials(rawName);
      const first = split === undefined ? undefined : checkUserName(split.name, this.isRegistered);
      if (split === undefined || first?.ok !== true || this.accounts?.registeredName(nameKey(first.name)) === undefined) {
        // Quoted as the log keeps it (cut at the first blank): what follows may be a password.
        const quoted = split === undefined ? whole : checkUserName(loggedName(rawName));
        return this.refuseName(session, rawName, 'bad-name', quoted.ok ? whole.message : quoted.message);
      }
      name = first.name;
      password = split.password;
    }
    const key = nameKey(name);
    if (state.claiming) return this.refuse(session, 'connect', 'bad-argument', 'your <connect> is still being answered');
    const registered = this.accounts?.registeredName(key);
    if (registered !== undefined) {
      if (password === undefined && state.signedIn === key) {
        return this.claimAndEnter(session, state, registered, key, now, true);
      }
      if (password === undefined) {
        return this.refuseName(session, name, 'name-registered', `the name ${registered} is registered: connect with <connect>${registered} PASSWORD`);
      }
      return this.login(session, state, registered, key, password, now);
    }
    return this.claimAndEnter(session, state, name, key, now);
  }

  /** A registered name's password checked (unless the guard refuses at once), then the name claimed. */
  private login(session: SessionId, state: SessionState, name: string, key: string, password: string, now: number): HubOutput[] {
    const accounts = this.accounts;
    if (accounts === undefined) return this.claimAndEnter(session, state, name, key, now);
    const wait = this.guard.waitFor(key, state.group, now);
    if (wait > 0) {
      return this.refuseName(session, name, 'rate-limited', `too many wrong passwords for ${name}; try again in ${Math.ceil(wait / 1000)} s`);
    }
    state.claiming = true;
    return this.after(session, 'connect', accounts.verify(key, password), () => (state.claiming = false), (right) => {
      if (this.sessions.get(session) !== state) return [];
      if (!right) {
        this.guard.failed(key, state.group, now);
        return this.refuseName(session, name, 'bad-password', `wrong password for ${name}`);
      }
      this.guard.succeeded(key);
      return this.claimAndEnter(session, state, name, key, now, true);
    });
  }

  /** `authenticate`: a registered name's password checked before the connection takes a name (guarded like a login). */
  private authenticate(session: SessionId, state: SessionState, rawName: string, password: string, now: number): HubOutput[] {
    const accounts = this.accounts;
    if (accounts === undefined) return this.refuse(session, 'authenticate', 'refused', 'this server keeps no accounts');
    const checked = checkUserName(rawName, this.isRegistered);
    if (!checked.ok) return this.refuse(session, 'authenticate', 'bad-name', checked.message);
    const key = nameKey(checked.name);
    const name = accounts.registeredName(key);
    if (name === undefined) return this.refuse(session, 'authenticate', 'bad-argument', `${checked.name} is not registered`);
    if (state.claiming) return this.refuse(session, 'authenticate', 'bad-argument', 'a sign-in is still being answered');
    const wait = this.guard.waitFor(key, state.group, now);
    if (wait > 0) return this.refuse(session, 'authenticate', 'rate-limited', `too many wrong passwords for ${name}; try again in ${Math.ceil(wait / 1000)} s`);
    state.claiming = true;
    return this.after(session, 'authenticate', accounts.verify(key, password), () => (state.claiming = false), (right) => {
      if (this.sessions.get(session) !== state) return [];
      if (!right) {
        this.guard.failed(key, state.group, now);
        return this.refuse(session, 'authenticate', 'bad-password', `wrong password for ${name}`);
      }
      this.guard.succeeded(key);
      state.signedIn = key;
      return [log({ type: 'account', session, name, action: 'authenticate' })];
    });
  }

  /**
   * Take `name` for a connecting session; it enters the chat once the name is its own. A held name is
   * taken back when the session `proved` it is its owner's (a registered name's password), else refused.
   */
  private claimAndEnter(session: SessionId, state: SessionState, name: string, key: string, now: number, proved = false): HubOutput[] {
    const heldId = this.held.get(key);
    if (heldId !== undefined) return proved ? this.takeBack(session, state, heldId, now) : this.refuseHeld(session, name, heldId, now);
    return this.claim(session, state, 'connect', key, name, () => this.enterChat(session, state, name, key, now));
  }

  /** `<hold>`: a token for this session (the same one if asked again); its name is held if its connection goes. */
  private giveHold(session: SessionId, me: NamedSession): HubOutput[] {
    const hold = this.hold;
    if (hold === undefined) return this.refuse(session, 'hold', 'refused', 'this server holds no names for lost connections');
    me.holdToken ??= hold.token();
    return [this.reply(session, { kind: 'hold', token: me.holdToken, seconds: Math.ceil(hold.holdMs / 1000) }), this.request(session, me, 'hold')];
  }

  /**
   * `<reconnect>NAME TOKEN`: the held session of NAME taken back with its token; a name that is not held is
   * signed in as by `<connect>NAME` (after a server restart nothing is held, and the name is likely free).
   */
  private resume(session: SessionId, state: SessionState, rawName: string, token: string, now: number): HubOutput[] {
    const checked = checkUserName(rawName, this.isRegistered);
    if (!checked.ok) return this.refuseName(session, rawName, 'bad-name', checked.message);
    const key = nameKey(checked.name);
    if (state.claiming) return this.refuse(session, 'reconnect', 'bad-argument', 'your sign-in is still being answered');
    const heldId = this.held.get(key);
    if (heldId === undefined) {
      // Still connected as far as we know (a client that changed networks: its old connection has not
      // been seen to go yet): the token's owner takes the session over, and the old connection is closed.
      const liveId = this.byName.get(key);
      const live = liveId === undefined ? undefined : this.sessions.get(liveId);
      if (liveId !== undefined && live?.holdToken !== undefined && sameSecret(token, live.holdToken)) {
        live.heldUntil = now;
        live.lostAt = now;
        this.held.set(key, liveId);
        return [{ type: 'close', session: liveId }, ...this.takeBack(session, state, liveId, now)];
      }
      return this.connect(session, state, checked.name, undefined, now);
    }
    const heldState = this.sessions.get(heldId);
    if (heldState?.holdToken === undefined || !sameSecret(token, heldState.holdToken)) return this.refuseHeld(session, checked.name, heldId, now);
    return this.takeBack(session, state, heldId, now);
  }

  private refuseHeld(session: SessionId, name: string, heldId: SessionId, now: number): HubOutput[] {
    const until = this.sessions.get(heldId)?.heldUntil ?? now;
    const seconds = Math.max(1, Math.ceil((until - now) / 1000));
    return this.refuseName(session, name, 'name-taken', `the name ${name} is held for its owner, whose connection was lost, for ${seconds} s more: choose another`);
  }

  /**
   * The held session `heldId` becomes `session`: its name, rooms (current one too), away text, allowance
   * and token move over, the presence is told the name's new address, and the session is welcomed back
   * in its current room. Its rooms hear nothing: for them it never left.
   */
  private takeBack(session: SessionId, state: SessionState, heldId: SessionId, now: number): HubOutput[] {
    const old = this.sessions.get(heldId) as NamedSession;
    this.held.delete(old.key);
    this.sessions.delete(heldId);
    const afterMs = now - (old.lostAt ?? now);
    Object.assign(state, { name: old.name, key: old.key, rooms: old.rooms, current: old.current, bucket: old.bucket, away: old.away, lastActive: old.lastActive, operator: old.operator });
    state.holdToken = old.holdToken;
    this.byName.set(old.key, session);
    for (const room of old.rooms) {
      const members = this.roomMembers.get(room);
      members?.delete(heldId);
      members?.add(session);
    }
    this.membershipChanges++;
    const me = state as NamedSession;
    const name = old.name;
    // The name moves to the new address: given back by the old, claimed by the new (on a shared presence
    // another node could take it in between: then the session leaves its rooms and is refused).
    this.presence.releaseName(old.key, this.address(heldId));
    state.name = undefined; // not signed in until the claim is answered
    return this.after(session, 'reconnect', this.presence.claimName(old.key, name, this.address(session)), undefined, (claimed) => {
      if (this.sessions.get(session) !== state) return [];
      state.name = name;
      if (!claimed) {
        const out = this.removeNamed(session, me, now, 'lost');
        state.name = undefined;
        return [...out, ...this.refuseName(session, name, 'name-taken', `the name ${name} was taken while you were away: choose another`)];
      }
      this.presence.setListedRoom(old.key, me.current);
      return [
        this.reply(session, { kind: 'greeting', name, room: me.current, online: this.presence.userCount(), limits: { rate: this.options.rateLimit, burst: this.options.rateBurst } }),
        log({ type: 'resumed', session, name, room: me.current, afterMs }),
        ...this.onEntry(session, me.current),
      ];
    });
  }

  /**
   * Claim `name` (`key`) for the session through the presence, then `k()`: refused as taken, or nothing
   * when the connection went while the claim was on its way (the name given back).
   */
  private claim(session: SessionId, state: SessionState, kind: 'connect' | 'rename', key: string, name: string, k: () => HubOutput[]): HubOutput[] {
    const who = this.address(session);
    state.claiming = true;
    return this.after(session, kind, this.presence.claimName(key, name, who), () => (state.claiming = false), (claimed) => {
      if (this.sessions.get(session) !== state) {
        if (claimed) this.presence.releaseName(key, who);
        return [];
      }
      if (!claimed) return this.refuseName(session, name, 'name-taken', `the name ${name} is taken: choose another`);
      return k();
    });
  }

  /** The name is ours: the session is placed in the default room. */
  private enterChat(session: SessionId, state: SessionState, name: string, key: string, now: number): HubOutput[] {
    state.name = name;
    state.key = key;
    this.byName.set(key, session);
    this.addMember(session, state, this.lobby);
    state.current = this.lobby;
    this.presence.setListedRoom(key, this.lobby);
    const out: HubOutput[] = [
      this.reply(session, { kind: 'greeting', name, room: this.lobby, online: this.presence.userCount(), limits: { rate: this.options.rateLimit, burst: this.options.rateBurst } }),
      { type: 'room', room: this.lobby, reply: { kind: 'joined', name, room: this.lobby, ts: now } },
      log({ type: 'connect', session, name, room: this.lobby }),
    ];
    if (this.accounts?.registeredName(key) !== undefined) out.push(log({ type: 'account', session, name, action: 'login' }));
    out.push(...this.onEntry(session, this.lobby, this.accounts?.registeredName(key) !== undefined ? key : undefined));
    return out;
  }

  /**
   * What a session hears after entering `room`: its last lines (history on join) and, at sign-in of
   * registered `mailboxOf`, the private messages that waited — in that order, as one later output.
   */
  private onEntry(session: SessionId, room: string, mailboxOf?: string): HubOutput[] {
    const topic = this.topicReply(room);
    const told = topic === undefined ? [] : [this.reply(session, topic)];
    return [...told, ...this.replayOnEntry(session, room, mailboxOf)];
  }

  /** The room's last lines, and the mailbox of a registered name signing in. */
  private replayOnEntry(session: SessionId, room: string, mailboxOf?: string): HubOutput[] {
    const limit = this.historyOnJoin;
    const lines: Answer<StoredRoomMessage[]> = this.history !== undefined && limit > 0 ? this.history.roomHistory(room, limit) : [];
    const mail: Answer<StoredPrivate[]> = mailboxOf !== undefined && this.accounts !== undefined ? this.accounts.collect(mailboxOf) : [];
    if (!(lines instanceof Promise) && !(mail instanceof Promise) && lines.length === 0 && mail.length === 0) return [];
    return this.after(session, 'join', bothAnswers(lines, mail), undefined, ([past, waiting]) => {
      const out = past.map((line) => this.reply(session, historyReply(line)));
      if (waiting.length > 0) {
        const count = waiting.length === 1 ? '1 message' : `${waiting.length} messages`;
        out.push(this.reply(session, { kind: 'system', text: `${count} while you were away` }));
        for (const m of waiting) out.push(this.reply(session, { kind: 'private', from: m.from, to: m.to, ts: m.ts, self: false, text: m.text }));
      }
      return out;
    });
  }

  private refuseName(session: SessionId, name: string, code: NameRefusal, message: string): HubOutput[] {
    return [
      this.reply(session, { kind: 'error', code, message }),
      log({ type: 'name-refused', session, name: loggedName(name), code }),
    ];
  }

  // ---- connected --------------------------------------------------------------------------------

  /** A message to `room` (checked to be one of the sender's): the echo to the sender, one shared copy to the rest. */
  private roomMessage(session: SessionId, me: NamedSession, kind: 'broadcast' | 'say', room: string, raw: string, now: number): HubOutput[] {
    const checked = normalizeChatText(raw, me.name, this.options.maxTextLength);
    if (!checked.ok) return this.refuse(session, kind, checked.code, checked.message);
    const text = checked.text;
    me.lastActive = now;
    this.store?.recordRoomMessage({ room, from: me.name, ts: now, text });
    const others = (this.roomMembers.get(room)?.size ?? 1) - 1;
    return [
      this.reply(session, { kind: 'message', from: me.name, room, ts: now, self: true, text }),
      { type: 'room', room, except: session, reply: { kind: 'message', from: me.name, room, ts: now, self: false, text } },
      log({ type: 'message', name: me.name, room, length: checked.length, recipients: others }),
    ];
  }

  private say(session: SessionId, me: NamedSession, rawRoom: string, raw: string, now: number): HubOutput[] {
    const checked = checkRoomName(rawRoom);
    if (!checked.ok) return this.refuse(session, 'say', 'bad-room', checked.message);
    if (!me.rooms.has(checked.name)) return this.refuse(session, 'say', 'bad-room', `you are not in #${checked.name}; enter it first`);
    return this.roomMessage(session, me, 'say', checked.name, raw, now);
  }

  private privateMessage(session: SessionId, me: NamedSession, rawTo: string, raw: string, now: number): HubOutput[] {
    const target = this.presence.locate(nameKey(rawTo.trim()));
    if (target === undefined) {
      const registered = this.accounts?.registeredName(nameKey(rawTo.trim()));
      if (registered !== undefined) return this.toMailbox(session, me, registered, raw, now);
      return this.refuse(session, 'private', 'unknown-user', `no user named ${quoteName(rawTo.trim())} is online`);
    }
    const local = target.who.node === this.node;
    if (local && target.who.session === session) {
      return this.refuse(session, 'private', 'bad-argument', 'that is you: private messages go to another user');
    }
    const checked = normalizeChatText(raw, me.name, this.options.maxTextLength);
    if (!checked.ok) return this.refuse(session, 'private', checked.code, checked.message);
    me.lastActive = now;
    const base = { kind: 'private', from: me.name, to: target.name, ts: now, text: checked.text } as const;
    const theirs: HubReply = { ...base, self: false };
    const out: HubOutput[] = [
      local ? this.reply(target.who.session, theirs) : { type: 'user', to: target.who, reply: theirs },
      this.reply(session, { ...base, self: true }),
      log({ type: 'private', from: me.name, to: target.name, length: checked.length }),
    ];
    // Away is this node's state: a user away on another node is not announced (yet). A held session
    // (its connection lost) hears nothing until it is back: the sender is told so, as of an away user.
    const targetState = local ? this.sessions.get(target.who.session) : undefined;
    const away = targetState?.heldUntil !== undefined ? 'lost the connection (their name is held for their return; this message did not reach them)' : targetState?.away;
    if (away !== undefined) out.push(this.reply(session, { kind: 'away', name: target.name, text: away }));
    return out;
  }

  /** `<me>ACTION`: an action line to the current room (not kept in the room's history: it is not a message). */
  private action(session: SessionId, me: NamedSession, raw: string, now: number, room = me.current): HubOutput[] {
    const checked = normalizeChatText(raw, me.name, this.options.maxTextLength);
    if (!checked.ok) return this.refuse(session, 'action', checked.code, checked.message);
    me.lastActive = now;
    const text = checked.text;
    const others = (this.roomMembers.get(room)?.size ?? 1) - 1;
    return [
      this.reply(session, { kind: 'action', from: me.name, room, ts: now, self: true, text }),
      { type: 'room', room, except: session, reply: { kind: 'action', from: me.name, room, ts: now, self: false, text } },
      log({ type: 'message', name: me.name, room, length: checked.length, recipients: others }),
    ];
  }

  /** `<topic>`: the current room's topic, or a line saying it has none. */
  private showTopic(session: SessionId, me: NamedSession): HubOutput[] {
    const topic = this.topicReply(me.current);
    return [this.reply(session, topic ?? { kind: 'system', text: `no topic is set in #${me.current}` }), this.request(session, me, 'topic')];
  }

  /** A topic for one of the session's rooms, named: blank text clears it (the room hears an empty topic). */
  private roomTopic(session: SessionId, me: NamedSession, rawRoom: string, raw: string, now: number): HubOutput[] {
    const checked = checkRoomName(rawRoom);
    if (!checked.ok) return this.refuse(session, 'room-topic', 'bad-room', checked.message);
    if (!me.rooms.has(checked.name)) return this.refuse(session, 'room-topic', 'bad-room', `you are not in #${checked.name}`);
    if (raw.trim() !== '') return this.setTopic(session, me, checked.name, raw, now);
    const room = checked.name;
    this.topics.delete(room);
    return [
      { type: 'room', room, reply: { kind: 'topic', room, by: me.name, ts: now, text: '' } },
      log({ type: 'topic', name: me.name, room, length: 0 }),
    ];
  }

  /** `<topic>TEXT`: any member sets the topic of a room they are in; the room (the setter too) is told. */
  private setTopic(session: SessionId, me: NamedSession, room: string, raw: string, now: number): HubOutput[] {
    const checked = normalizeChatText(raw, me.name, TOPIC_MAX_LENGTH);
    if (!checked.ok) {
      const message = checked.code === 'too-large' ? `a topic is at most ${TOPIC_MAX_LENGTH} characters` : checked.message;
      return this.refuse(session, 'topic', checked.code, message);
    }
    this.topics.set(room, { text: checked.text, by: me.name, ts: now });
    return [
      { type: 'room', room, reply: { kind: 'topic', room, by: me.name, ts: now, text: checked.text } },
      log({ type: 'topic', name: me.name, room, length: checked.length }),
    ];
  }

  private topicReply(room: string): HubReply | undefined {
    const topic = this.topics.get(room);
    return topic === undefined ? undefined : { kind: 'topic', room, by: topic.by, ts: topic.ts, text: topic.text };
  }

  /** `<whois>NAME`: rooms, away text and idle time of a user on this node; the listed room of one elsewhere. */
  private whois(session: SessionId, me: NamedSession, rawName: string, now: number): HubOutput[] {
    const key = nameKey(rawName.trim());
    const request = this.request(session, me, 'whois');
    const local = this.byName.get(key);
    const state = local === undefined ? undefined : this.sessions.get(local);
    if (state?.name !== undefined) {
      const idle = Math.max(0, Math.floor((now - state.lastActive) / 1000));
      const away = state.away === undefined ? {} : { away: state.away };
      return [this.reply(session, { kind: 'whois', name: state.name, rooms: [...state.rooms], idle, ...away }), request];
    }
    const remote = this.presence.users().find((user) => nameKey(user.name) === key);
    if (remote === undefined) return this.refuse(session, 'whois', 'unknown-user', `no user named ${quoteName(rawName.trim())} is online`);
    return [this.reply(session, { kind: 'whois', name: remote.name, rooms: [remote.room] }), request];
  }

  /** A private message to registered `to`, who is offline: kept in their mailbox, the sender told so. */
  private toMailbox(session: SessionId, me: NamedSession, to: string, raw: string, now: number): HubOutput[] {
    const accounts = this.accounts;
    if (accounts === undefined) return [];
    const checked = normalizeChatText(raw, me.name, this.options.maxTextLength);
    if (!checked.ok) return this.refuse(session, 'private', checked.code, checked.message);
    const message: StoredPrivate = { from: me.name, to, ts: now, text: checked.text };
    if (!accounts.deposit(nameKey(to), message)) {
      return this.refuse(session, 'private', 'refused', `${to} is offline and has ${MAILBOX_MAX_MESSAGES} messages waiting already; try later`);
    }
    return [
      this.reply(session, { kind: 'private', ...message, self: true }),
      this.reply(session, { kind: 'system', text: `${to} is offline: the message waits until they sign in` }),
      log({ type: 'mailbox', from: me.name, to, length: checked.length }),
    ];
  }

  // ---- accounts ---------------------------------------------------------------------------------

  /** `<register>PASSWORD`: the name this session holds becomes registered. */
  private register(session: SessionId, me: NamedSession, password: string): HubOutput[] {
    const accounts = this.accounts;
    if (accounts === undefined) return this.refuse(session, 'register', 'refused', 'this server keeps no accounts');
    const shape = checkPassword(password);
    if (!shape.ok) return this.refuse(session, 'register', 'bad-password', shape.message);
    // Signed in under a reserved name registered before the word was reserved, then unregistered: it stays free.
    const reserved = reservedNameRefusal(me.name);
    if (reserved !== undefined) return this.refuse(session, 'register', 'bad-name', reserved);
    if (accounts.registeredName(me.key) !== undefined) {
      return this.refuse(session, 'register', 'name-registered', `${me.name} is registered already; <password>OLD NEW changes its password`);
    }
    return this.after(session, 'register', accounts.register(me.key, me.name, password), undefined, (done) => {
      if (!done) return this.refuse(session, 'register', 'name-registered', `${me.name} is registered already`);
      return [
        this.reply(session, { kind: 'system', text: `${me.name} is registered: from now on connect with <connect>${me.name} PASSWORD` }),
        log({ type: 'account', session, name: me.name, action: 'register' }),
      ];
    });
  }

  /** `<password>OLD NEW`. */
  private changePassword(session: SessionId, me: NamedSession, old: string, password: string, now: number): HubOutput[] {
    const shape = checkPassword(password);
    if (!shape.ok) return this.refuse(session, 'password', 'bad-password', `the new password is not allowed: ${shape.message}`);
    return this.withPassword(session, me, 'password', now, (accounts) => accounts.changePassword(me.key, old, password), () => [
      this.reply(session, { kind: 'system', text: `the password of ${me.name} is changed` }),
      log({ type: 'account', session, name: me.name, action: 'password' }),
    ]);
  }

  /** `<unregister>PASSWORD`: the name is anyone's again once this session leaves it. */
  private unregister(session: SessionId, me: NamedSession, password: string, now: number): HubOutput[] {
    return this.withPassword(session, me, 'unregister', now, (accounts) => accounts.unregister(me.key, password), () => [
      this.reply(session, { kind: 'system', text: `${me.name} is no longer registered` }),
      log({ type: 'account', session, name: me.name, action: 'unregister' }),
    ]);
  }

  /** An account change that needs the current password: guarded like a login, refused when wrong. */
  private withPassword(
    session: SessionId,
    me: NamedSession,
    kind: 'password' | 'unregister',
    now: number,
    change: (accounts: Accounts) => Answer<boolean>,
    done: () => HubOutput[],
  ): HubOutput[] {
    const accounts = this.accounts;
    if (accounts === undefined) return this.refuse(session, kind, 'refused', 'this server keeps no accounts');
    if (accounts.registeredName(me.key) === undefined) return this.refuse(session, kind, 'bad-argument', `${me.name} is not registered; <register>PASSWORD registers it`);
    const wait = this.guard.waitFor(me.key, me.group, now);
    if (wait > 0) return this.refuse(session, kind, 'rate-limited', `too many wrong passwords for ${me.name}; try again in ${Math.ceil(wait / 1000)} s`);
    return this.after(session, kind, change(accounts), undefined, (right) => {
      if (right) return done();
      this.guard.failed(me.key, me.group, now);
      return this.refuse(session, kind, 'bad-password', `wrong password for ${me.name}`);
    });
  }

  /** `<history>ROOM [N] [BEFORE]`: a page of a room's kept lines, oldest first. */
  private historyPage(session: SessionId, me: NamedSession, rawRoom: string, count: number | undefined, before: number | undefined): HubOutput[] {
    const history = this.history;
    if (history === undefined) return this.refuse(session, 'history', 'refused', 'this server keeps no history');
    const checked = checkRoomName(rawRoom);
    if (!checked.ok) return this.refuse(session, 'history', 'bad-room', checked.message);
    const limit = count ?? HISTORY_PAGE_DEFAULT;
    if (limit < 1 || limit > HISTORY_PAGE_MAX) return this.refuse(session, 'history', 'bad-argument', `N is 1 to ${HISTORY_PAGE_MAX} lines`);
    const room = checked.name;
    const request = this.request(session, me, 'history');
    return [
      request,
      ...this.after(session, 'history', history.roomHistory(room, limit, before), undefined, (lines) =>
        lines.length === 0
          ? [this.reply(session, { kind: 'system', text: `no ${before === undefined ? '' : 'earlier '}messages kept in #${room}` })]
          : lines.map((line) => this.reply(session, historyReply(line))),
      ),
    ];
  }

  /** `<join>`: move the current room to `rawRoom`. */
  private join(session: SessionId, me: NamedSession, rawRoom: string, now: number): HubOutput[] {
    const checked = checkRoomName(rawRoom);
    if (!checked.ok) return this.refuse(session, 'join', 'bad-room', checked.message);
    const room = checked.name;
    if (room === me.current) return this.refuse(session, 'join', 'bad-room', `you are already in #${room}`);
    return this.withRoomFor(session, me, 'join', room, (seated) => {
      const from = me.current;
      const out = this.move(session, me, room, now, seated);
      out.push(log({ type: 'join', name: me.name, room, from }));
      out.push(...this.onEntry(session, room));
      return out;
    });
  }

  /** `<leave>`: move the current room back to the default room. */
  private leave(session: SessionId, me: NamedSession, now: number): HubOutput[] {
    if (me.current === this.lobby) {
      // In no door's syntax: every door (bracket, slash, IRC) shows this text as it is.
      const already = `you are already in #${this.lobby}, the default room: join another room first`;
      return this.refuse(session, 'leave', 'bad-room', already);
    }
    const from = me.current;
    const out = this.move(session, me, this.lobby, now, false);
    out.push(log({ type: 'leave', name: me.name, room: from, reason: 'moved' }));
    return out;
  }

  /** Enter one more room, keeping the others. */
  private enter(session: SessionId, me: NamedSession, rawRoom: string, now: number): HubOutput[] {
    const checked = checkRoomName(rawRoom);
    if (!checked.ok) return this.refuse(session, 'enter', 'bad-room', checked.message);
    const room = checked.name;
    if (me.rooms.has(room)) return this.refuse(session, 'enter', 'bad-room', `you are already in #${room}`);
    return this.withRoomFor(session, me, 'enter', room, (seated) => {
      this.addMember(session, me, room, seated);
      this.makeCurrent(me, room);
      return [
        { type: 'room', room, reply: { kind: 'joined', name: me.name, room, ts: now } },
        log({ type: 'enter', name: me.name, room }),
        ...this.onEntry(session, room),
      ];
    });
  }

  /** Leave one room; the session stays in the others (and must keep one). */
  private part(session: SessionId, me: NamedSession, rawRoom: string, now: number): HubOutput[] {
    const checked = checkRoomName(rawRoom);
    if (!checked.ok) return this.refuse(session, 'part', 'bad-room', checked.message);
    const room = checked.name;
    if (!me.rooms.has(room)) return this.refuse(session, 'part', 'bad-room', `you are not in #${room}`);
    if (me.rooms.size === 1) return this.refuse(session, 'part', 'bad-room', `#${room} is your only room; enter another first`);
    const left: HubReply = { kind: 'left', name: me.name, room, ts: now, reason: 'moved' };
    this.removeMember(session, me, room);
    if (me.current === room) this.makeCurrent(me, lastOf(me.rooms));
    return [this.reply(session, left), { type: 'room', room, reply: left }, log({ type: 'leave', name: me.name, room, reason: 'moved' })];
  }

  /**
   * Take `rawName` instead of the current name: validated and claimed like a new name (atomically through
   * the presence), then the old one is released; each room hears `renamed` (the session too, as a member).
   * The same name in another spelling (alice → Alice) is a rename too.
   */
  private rename(session: SessionId, me: NamedSession, rawName: string, now: number): HubOutput[] {
    const checked = checkUserName(rawName);
    if (!checked.ok) return this.refuseName(session, rawName, 'bad-name', checked.message);
    const name = checked.name;
    if (name === me.name) return [];
    const key = nameKey(name);
    if (me.claiming) return this.refuse(session, 'rename', 'bad-argument', 'your last name change is still being answered');
    const registered = key === me.key ? undefined : this.accounts?.registeredName(key);
    if (registered !== undefined) {
      return this.refuseName(session, name, 'name-registered', `the name ${registered} is registered: reconnect with <connect>${registered} PASSWORD to use it`);
    }
    const sameKey = key === me.key;
    if (sameKey) this.presence.releaseName(me.key, this.address(session));
    return this.claim(session, me, 'rename', key, name, () => {
      const from = me.name;
      if (!sameKey) {
        this.presence.releaseName(me.key, this.address(session));
        this.byName.delete(me.key);
        for (const room of me.rooms) {
          this.presence.leaveRoom(room, me.key);
          this.presence.enterRoom(room, key);
        }
        this.presence.setListedRoom(key, me.current);
      }
      this.byName.set(key, session);
      me.name = name;
      me.key = key;
      const renamed: HubReply = { kind: 'renamed', from, to: name, ts: now };
      const out: HubOutput[] = [...me.rooms].map((room) => ({ type: 'room', room, reply: renamed }));
      out.push(log({ type: 'rename', from, to: name }));
      return out;
    });
  }

  /** Mark the session away (a text) or back (none, or only blanks). */
  private setAway(session: SessionId, me: NamedSession, raw: string | undefined): HubOutput[] {
    const checked = raw === undefined || raw.trim() === '' ? undefined : normalizeChatText(raw, me.name, AWAY_TEXT_MAX_LENGTH);
    if (checked !== undefined && !checked.ok && checked.code === 'too-large') {
      return this.refuse(session, 'away', 'too-large', `an away text is at most ${AWAY_TEXT_MAX_LENGTH} characters`);
    }
    me.away = checked?.ok === true ? checked.text : undefined;
    return [this.reply(session, { kind: 'away-set', text: me.away }), this.request(session, me, 'away')];
  }

  /** `<disconnect>`: leave at once, then `disconnected` and `close` for the shell. */
  private disconnect(session: SessionId, me: NamedSession, now: number): HubOutput[] {
    this.sessions.delete(session);
    const out = this.removeNamed(session, me, now, 'disconnect');
    out.push(this.reply(session, { kind: 'disconnected' }), { type: 'close', session });
    out.push(log({ type: 'disconnect', name: me.name, room: me.current, reason: 'disconnect' }));
    return out;
  }

  private download(session: SessionId, me: NamedSession, raw: string): HubOutput[] {
    let file = raw.trim();
    const comma = file.indexOf(',');
    if (comma > 0 && nameKey(file.slice(0, comma).trim()) === me.key) file = file.slice(comma + 1).trim();
    if (file.length === 0) return this.refuse(session, 'download', 'bad-argument', 'name the file: <download>FILE');
    return this.files(session, me, { kind: 'download', file });
  }

  private files(session: SessionId, me: NamedSession, command: FileCommand): HubOutput[] {
    return [{ type: 'files', session, command }, this.request(session, me, command.kind)];
  }

  // ---- room membership --------------------------------------------------------------------------

  /**
   * Run `enterIt` once the session has a seat in `room`, taken through the presence at once with the
   * capacity check (`seated`: the presence counts it already) — the default room is unbounded, and a room
   * the session is in already needs none (a move makes it current) — else refuse with room-full.
   */
  private withRoomFor(
    session: SessionId,
    me: NamedSession,
    kind: 'join' | 'enter',
    room: string,
    enterIt: (seated: boolean) => HubOutput[],
  ): HubOutput[] {
    if (room === this.lobby || me.rooms.has(room)) return enterIt(false);
    const capacity = this.options.roomCapacity;
    return this.after(session, kind, this.presence.takeSeat(room, me.key, capacity), undefined, (seat) => {
      if (this.sessions.get(session) !== me) {
        // The connection went while the seat was being taken.
        if (seat.taken) this.presence.leaveRoom(room, me.key);
        return [];
      }
      if (!seat.taken) return this.refuse(session, kind, 'room-full', `#${room} is full (${seat.size} of ${capacity} people); try another room`);
      return enterIt(true);
    });
  }

  /** Move the current room to `target` (its seat taken, or not needed): `left` to the old room, `joined` to the new. */
  private move(session: SessionId, me: NamedSession, target: string, now: number, seated: boolean): HubOutput[] {
    const old = me.current;
    const left: HubReply = { kind: 'left', name: me.name, room: old, ts: now, reason: 'moved' };
    this.removeMember(session, me, old);
    const out: HubOutput[] = [this.reply(session, left), { type: 'room', room: old, reply: left }];
    if (me.rooms.has(target)) {
      // Already a member (a door that keeps several rooms): the room only becomes current.
      this.makeCurrent(me, target);
      return out;
    }
    this.addMember(session, me, target, seated);
    this.makeCurrent(me, target);
    out.push({ type: 'room', room: target, reply: { kind: 'joined', name: me.name, room: target, ts: now } });
    return out;
  }

  /** Remove a named session everywhere; each of its rooms (the others there) hears `left` with `reason`. */
  private removeNamed(session: SessionId, me: NamedSession, now: number, reason: CloseReason): HubOutput[] {
    this.byName.delete(me.key);
    const out: HubOutput[] = [];
    for (const room of [...me.rooms]) {
      this.removeMember(session, me, room);
      out.push({ type: 'room', room, reply: { kind: 'left', name: me.name, room, ts: now, reason } });
    }
    this.presence.releaseName(me.key, this.address(session));
    return out;
  }

  /** `seated`: the presence took this member's seat already (takeSeat). */
  private addMember(session: SessionId, state: SessionState, room: string, seated = false): void {
    state.rooms.add(room);
    let members = this.roomMembers.get(room);
    if (members === undefined) {
      members = new Set();
      this.roomMembers.set(room, members);
    }
    members.add(session);
    this.membershipChanges++;
    if (!seated) this.presence.enterRoom(room, state.key);
  }

  private removeMember(session: SessionId, state: SessionState, room: string): void {
    state.rooms.delete(room);
    const members = this.roomMembers.get(room);
    if (members !== undefined) {
      members.delete(session);
      this.membershipChanges++;
      if (members.size === 0) {
        this.roomMembers.delete(room);
        this.topics.delete(room);
      }
    }
    this.presence.leaveRoom(room, state.key);
  }

  private makeCurrent(me: NamedSession, room: string): void {
    me.current = room;
    this.presence.setListedRoom(me.key, room);
  }

  // ---- output helpers ---------------------------------------------------------------------------

  private address(session: SessionId): SessionAddress {
    return { node: this.node, session };
  }

  /**
   * `k(answer)` now when the port answered now; else an `await` output that settles with k's outputs. A
   * port that fails refuses the command (`kind`). `settled` runs first either way.
   */
  private after<T>(
    session: SessionId,
    kind: HubCommandKind,
    answer: Answer<T>,
    settled: (() => void) | undefined,
    k: (value: T) => HubOutput[],
  ): HubOutput[] {
    if (!(answer instanceof Promise)) {
      settled?.();
      return k(answer);
    }
    const outputs = answer.then(
      (value) => {
        settled?.();
        return k(value);
      },
      () => {
        settled?.();
        return this.refuse(session, kind, 'internal', 'the chat could not answer right now; try again');
      },
    );
    return [{ type: 'await', outputs }];
  }

  private reply(to: SessionId, reply: HubReply): HubOutput {
    return { type: 'reply', to, reply };
  }

  /**
   * `<oper>PASSWORD`: the server's operator password makes this session an operator. Wrong passwords are
   * counted by the login guard (per user and per address), so the password cannot be guessed faster
   * than an account's.
   */
  private oper(session: SessionId, me: NamedSession, password: string, now: number): HubOutput[] {
    const expected = this.operators.password;
    if (expected === undefined) {
      const why = this.operators.local ? 'operators are the connections from the server\'s own machine' : 'the server was started without --operator-password';
      return this.refuse(session, 'oper', 'refused', `this server takes no operator password: ${why}`);
    }
    const key = `${OPER_GUARD_PREFIX}${me.key}`;
    const wait = this.guard.waitFor(key, me.group, now);
    if (wait > 0) return this.refuse(session, 'oper', 'rate-limited', `too many wrong operator passwords; try again in ${Math.ceil(wait / 1000)} s`);
    if (!sameSecret(password, expected)) {
      this.guard.failed(key, me.group, now);
      return this.refuse(session, 'oper', 'bad-password', 'wrong operator password');
    }
    this.guard.succeeded(key);
    me.operator = true;
    return [
      this.reply(session, { kind: 'system', text: 'you are an operator now: <stats> shows the whole server' }),
      log({ type: 'account', session, name: me.name, action: 'oper' }),
    ];
  }

  private refuse(session: SessionId, command: HubCommandKind | 'malformed', code: ErrorCode, message: string): HubOutput[] {
    return [this.reply(session, { kind: 'error', code, message }), log({ type: 'refused', session, command, code })];
  }

  private request(session: SessionId, me: NamedSession | undefined, command: HubCommandKind): HubOutput {
    if (me === undefined) return log({ type: 'request', session, command });
    return log({ type: 'request', session, name: me.name, command });
  }
}

const NO_MEMBERS: ReadonlySet<SessionId> = new Set();

function log(event: HubLogEvent): HubOutput {
  return { type: 'log', event };
}

function historyReply(line: StoredRoomMessage): HubReply {
  return { kind: 'history', room: line.room, id: line.id, from: line.from, ts: line.ts, text: line.text };
}

/** Two answers as one: a value when both are values, else a promise of both. */
function bothAnswers<A, B>(a: Answer<A>, b: Answer<B>): Answer<[A, B]> {
  if (!(a instanceof Promise) && !(b instanceof Promise)) return [a, b];
  return Promise.all([a, b]);
}

function lastOf(rooms: Set<string>): string {
  let last = '';
  for (const room of rooms) last = room;
  return last;
}

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function assertNever(_value: never, fallback: () => HubOutput[]): HubOutput[] {
  return fallback();
}

/** Every command kind the hub takes: a Record, so a kind added to HubCommand without one here does not compile. */
const KINDS: Readonly<Record<HubCommandKind, true>> = {
  connect: true,
  disconnect: true,
  users: true,
  broadcast: true,
  private: true,
  listfiles: true,
  download: true,
  join: true,
  leave: true,
  rooms: true,
  help: true,
  upload: true,
  sendfile: true,
  cancel: true,
  stats: true,
  enter: true,
  part: true,
  say: true,
  'room-topic': true,
  'room-action': true,
  rename: true,
  away: true,
  authenticate: true,
  action: true,
  topic: true,
  whois: true,
  register: true,
  password: true,
  unregister: true,
  history: true,
  oper: true,
  hold: true,
  reconnect: true,
};

function optionalCount(value: unknown): boolean {
  return value === undefined || (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0);
}

function kindOf(command: unknown): HubCommandKind | 'malformed' {
  if (typeof command !== 'object' || command === null) return 'malformed';
  const kind: unknown = (command as { kind?: unknown }).kind;
  return typeof kind === 'string' && Object.hasOwn(KINDS, kind) ? (kind as HubCommandKind) : 'malformed';
}

/**
 * A shallow runtime check of what the types promise, for the fields the hub reads: a command that
 * reached the hub through an untyped path cannot make it throw.
 */
function isWellFormed(command: unknown): command is HubCommand {
  if (kindOf(command) === 'malformed') return false;
  const c = command as Record<string, unknown>;
  switch (c['kind']) {
    case 'connect':
      return typeof c['name'] === 'string' && (c['password'] === undefined || typeof c['password'] === 'string');
    case 'authenticate':
      return typeof c['name'] === 'string' && typeof c['password'] === 'string';
    case 'broadcast':
      return typeof c['text'] === 'string';
    case 'private':
      return typeof c['to'] === 'string' && typeof c['text'] === 'string';
    case 'download':
      return typeof c['file'] === 'string';
    case 'join':
    case 'enter':
    case 'part':
      return typeof c['room'] === 'string';
    case 'say':
    case 'room-topic':
    case 'room-action':
      return typeof c['room'] === 'string' && typeof c['text'] === 'string';
    case 'rename':
      return typeof c['name'] === 'string';
    case 'away':
    case 'topic':
      return c['text'] === undefined || typeof c['text'] === 'string';
    case 'action':
      return typeof c['text'] === 'string';
    case 'whois':
      return typeof c['name'] === 'string';
    case 'reconnect':
      return typeof c['name'] === 'string' && typeof c['token'] === 'string';
    case 'register':
    case 'unregister':
    case 'oper':
      return typeof c['password'] === 'string';
    case 'password':
      return typeof c['old'] === 'string' && typeof c['password'] === 'string';
    case 'history':
      return typeof c['room'] === 'string' && optionalCount(c['count']) && optionalCount(c['before']);
    case 'users':
    case 'rooms':
    case 'listfiles':
      // A page is numbered from 1.
      return optionalCount(c['page']) && c['page'] !== 0;
    default:
      return true;
  }
}
