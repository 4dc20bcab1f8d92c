// The chat hub: sessions, names, rooms and routing as a pure state machine.
//
// Inputs are events (a connection opened, a command arrived, a connection closed) with the time
// `now`; outputs are data: replies addressed to sessions, `close` requests, file and stats requests
// for the shells that own those resources, and one log event per user action. No sockets, no clock.
// The hub does not know how a reply travels (TCP line or UDP datagram): the server shell decides.
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
// - Replies that go to several sessions share one Reply object: treat replies as read-only.

import type {
  Command,
  CommandKind,
  ErrorCode,
  LeaveReason,
  Reply,
  RoomEntry,
  UserEntry,
} from '../commands/types.ts';
import { helpLines } from './help.ts';
import type { HubOptions } from './limits.ts';
import { checkRoomName, checkUserName, nameKey, quoteName } from './names.ts';
import { fullBucket, msUntilToken, takeToken, type TokenBucket } from './rate-limit.ts';
import { resolveHubOptions } from './options.ts';
import { normalizeChatText } from './text.ts';

export { DEFAULT_HUB_OPTIONS, type HubOptions } from './limits.ts';

/** The shell's handle for one connection. Any number, chosen by the shell, unique while open. */
export type SessionId = number;

/** The commands the hub hands to the files shell. */
export type FileCommand = Extract<
  Command,
  { kind: 'listfiles' | 'download' | 'upload' | 'sendfile' | 'cancel' }
>;

/** Why a connection went away, as told to `close()`. */
export type CloseReason = Extract<LeaveReason, 'disconnect' | 'lost'>;

export type HubOutput =
  /** Deliver `reply` to session `to`. */
  | { type: 'reply'; to: SessionId; reply: Reply }
  /** Close the connection (after the `disconnected` reply that precedes this output was sent). */
  | { type: 'close'; session: SessionId }
  /** A file command from a connected session, own-name forms resolved; the files shell answers. */
  | { type: 'files'; session: SessionId; command: FileCommand }
  /** Operator statistics requested by a connected session; the shell, which knows transports, answers. */
  | { type: 'stats'; session: SessionId }
  /** One per user action, for the server's log. */
  | { type: 'log'; event: HubLogEvent };

/** What happened, as metadata for the server log. Never carries message text. */
export type HubLogEvent =
  | { type: 'connect'; session: SessionId; name: string; room: string }
  | { type: 'name-refused'; session: SessionId; name: string; code: 'bad-name' | 'name-taken' }
  /** `<join>`: `name` moved from room `from` to `room`. */
  | { type: 'join'; name: string; room: string; from: string }
  /** `<leave>`: `name` left `room` for the default room. */
  | { type: 'leave'; name: string; room: string; reason: LeaveReason }
  /** A room broadcast of `length` code points to `recipients` other members (the echo not counted). */
  | { type: 'message'; name: string; room: string; length: number; recipients: number }
  | { type: 'private'; from: string; to: string; length: number }
  | { type: 'disconnect'; name: string; room: string; reason: CloseReason }
  /** A command was refused; `command` is 'malformed' when the input was not a Command at all. */
  | { type: 'refused'; session: SessionId; command: CommandKind | 'malformed'; code: ErrorCode }
  /** A query or a request handed to another shell (help, users, rooms, stats, files, early disconnect). */
  | { type: 'request'; session: SessionId; name?: string; command: CommandKind };

/** Longest refused name kept in a log event (the raw input can be anything). */
const LOGGED_NAME_MAX_LENGTH = 64;

/** Per-session state: a name (with its lower-case key) and a room once connected. */
interface Session {
  name: string | undefined;
  key: string | undefined;
  room: string | undefined;
  /** Chat-message allowance (created on first message). */
  bucket?: TokenBucket;
}

interface NamedSession {
  name: string;
  key: string;
  room: string;
}

export class Hub {
  private readonly options: HubOptions;
  private readonly lobby: string;
  private readonly sessions = new Map<SessionId, Session>();
  /** Lower-case name → session. */
  private readonly byName = new Map<string, SessionId>();
  /** Canonical room name → member sessions. The default room is always present. */
  private readonly roomMembers = new Map<string, Set<SessionId>>();
  private readonly help: readonly string[];

  /**
   * Throws RangeError for invalid options (a configuration error at start-up). Shells taking
   * options from users should call `resolveHubOptions` first and report its message.
   */
  constructor(options: Partial<HubOptions> = {}) {
    const resolved = resolveHubOptions(options);
    if (!resolved.ok) throw new RangeError(resolved.message);
    this.options = resolved.options;
    this.lobby = resolved.options.defaultRoom;
    this.roomMembers.set(this.lobby, new Set());
    this.help = helpLines(this.options);
  }

  /** A connection arrived; it is not named yet. Opening an open session again changes nothing. */
  open(session: SessionId, _now: number): HubOutput[] {
    if (!this.sessions.has(session)) {
      this.sessions.set(session, { name: undefined, key: undefined, room: undefined });
    }
    return [];
  }

  /** A command from a session. Never throws; every refusal is an error reply plus a log event. */
  handle(session: SessionId, command: Command, now: number): HubOutput[] {
    const state = this.sessions.get(session);
    if (state === undefined) {
      // Not open (never opened, or already closed): nobody to answer. Log it for the operator.
      return [log({ type: 'refused', session, command: kindOf(command), code: 'not-connected' })];
    }
    if (!isWellFormed(command)) {
      return this.refuse(session, 'malformed', 'bad-command', 'the command is malformed');
    }
    const named = asNamed(state);
    if (named === undefined) return this.handleUnnamed(session, state, command, now);

    switch (command.kind) {
      case 'connect':
        return this.refuse(session, 'connect', 'already-connected', `you are already connected as ${named.name}`);
      case 'disconnect':
        return this.disconnect(session, named, now);
      case 'users':
        return [this.reply(session, { kind: 'users', users: this.users() }), this.request(session, named, 'users')];
      case 'rooms':
        return [this.reply(session, { kind: 'rooms', rooms: this.rooms() }), this.request(session, named, 'rooms')];
      case 'help':
        return [...this.helpReplies(session), this.request(session, named, 'help')];
      case 'stats':
        return [{ type: 'stats', session }, this.request(session, named, 'stats')];
      case 'broadcast':
      case 'private': {
        const limited = this.rateLimited(session, state, command.kind, now);
        if (limited) return limited;
        return command.kind === 'broadcast'
          ? this.broadcast(session, named, command.text, now)
          : this.privateMessage(session, named, command.to, command.text, now);
      }
      case 'join':
        return this.join(session, named, command.room, now);
      case 'leave':
        return this.leave(session, named, now);
      case 'listfiles':
        return this.files(session, named, { kind: 'listfiles' });
      case 'download':
        return this.download(session, named, command.file);
      case 'upload':
      case 'sendfile':
      case 'cancel':
        return this.files(session, named, command);
      default:
        return assertNever(command, () => this.refuse(session, 'malformed', 'unknown-command', 'unknown command'));
    }
  }

  /** The connection is gone. For a named session the room hears `left` with `reason`. Idempotent. */
  close(session: SessionId, now: number, reason: CloseReason): HubOutput[] {
    const state = this.sessions.get(session);
    if (state === undefined) return [];
    const named = asNamed(state);
    if (named === undefined) {
      this.sessions.delete(session);
      return [];
    }
    const out = this.removeNamed(session, named, now, reason);
    out.push(log({ type: 'disconnect', name: named.name, room: named.room, reason }));
    return out;
  }

  nameOf(session: SessionId): string | undefined {
    return this.sessions.get(session)?.name;
  }

  roomOf(session: SessionId): string | undefined {
    return this.sessions.get(session)?.room;
  }

  /** The session using `name`, compared case-insensitively. */
  sessionOf(name: string): SessionId | undefined {
    return this.byName.get(nameKey(name));
  }

  /** Everyone online with their room, sorted by name (case-insensitively). */
  users(): UserEntry[] {
    const keys = [...this.byName.keys()].sort(compareStrings);
    const out: UserEntry[] = [];
    for (const key of keys) {
      const state = this.sessions.get(this.byName.get(key) ?? -1);
      if (state?.name !== undefined && state.room !== undefined) out.push({ name: state.name, room: state.room });
    }
    return out;
  }

  /** Every room with its member count: the default room first (always listed), then by name. */
  rooms(): RoomEntry[] {
    const others = [...this.roomMembers.keys()].filter((r) => r !== this.lobby).sort(compareStrings);
    return [this.lobby, ...others].map((name) => ({ name, count: this.roomMembers.get(name)?.size ?? 0 }));
  }

  /** Open sessions, named or not. */
  sessionCount(): number {
    return this.sessions.size;
  }

  /** Named (connected) users. */
  userCount(): number {
    return this.byName.size;
  }

  /** Refusal outputs when the session's message allowance is spent, else undefined (a token taken). */
  private rateLimited(session: SessionId, state: Session, kind: 'broadcast' | 'private', now: number): HubOutput[] | undefined {
    const { rateLimit, rateBurst } = this.options;
    if (rateLimit <= 0) return undefined;
    state.bucket ??= fullBucket(rateBurst, now);
    if (takeToken(state.bucket, rateLimit, rateBurst, now)) return undefined;
    const wait = msUntilToken(state.bucket, rateLimit);
    return this.refuse(session, kind, 'rate-limited', `slow down: at most ${rateLimit} messages per second (burst ${rateBurst}); try again in ${wait} ms`);
  }

  // ---- before <connect> -------------------------------------------------------------------------

  private handleUnnamed(session: SessionId, state: Session, command: Command, now: number): HubOutput[] {
    switch (command.kind) {
      case 'connect':
        return this.connect(session, state, command.name, now);
      case 'help':
        return [...this.helpReplies(session), this.request(session, undefined, 'help')];
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

  private connect(session: SessionId, state: Session, rawName: string, now: number): HubOutput[] {
    const checked = checkUserName(rawName);
    if (!checked.ok) return this.refuseName(session, rawName, 'bad-name', checked.message);
    const name = checked.name;
    const key = nameKey(name);
    if (this.byName.has(key)) {
      return this.refuseName(session, name, 'name-taken', `the name ${name} is taken: choose another`);
    }
    state.name = name;
    state.key = key;
    state.room = this.lobby;
    this.byName.set(key, session);
    const members = this.members(this.lobby);
    members.add(session);

    const online = this.byName.size;
    const text =
      `Welcome, ${name}! ${online} ${online === 1 ? 'user' : 'users'} online, you are in #${this.lobby}. ` +
      'Type <help> for the commands.';
    const out: HubOutput[] = [this.reply(session, { kind: 'welcome', name, room: this.lobby, text })];
    this.fanout(out, members, { kind: 'joined', name, room: this.lobby, ts: now });
    out.push(log({ type: 'connect', session, name, room: this.lobby }));
    return out;
  }

  private refuseName(session: SessionId, name: string, code: 'bad-name' | 'name-taken', message: string): HubOutput[] {
    return [
      this.reply(session, { kind: 'error', code, message }),
      log({ type: 'name-refused', session, name: name.slice(0, LOGGED_NAME_MAX_LENGTH), code }),
    ];
  }

  // ---- connected --------------------------------------------------------------------------------

  private broadcast(session: SessionId, me: NamedSession, raw: string, now: number): HubOutput[] {
    const checked = normalizeChatText(raw, me.name, this.options.maxTextLength);
    if (!checked.ok) return this.refuse(session, 'broadcast', checked.code, checked.message);
    const members = this.members(me.room);
    const base = { kind: 'message', from: me.name, room: me.room, ts: now, text: checked.text } as const;
    const shared: Reply = { ...base, self: false };
    const out: HubOutput[] = [];
    for (const member of members) {
      out.push(this.reply(member, member === session ? { ...base, self: true } : shared));
    }
    out.push(
      log({ type: 'message', name: me.name, room: me.room, length: checked.length, recipients: members.size - 1 }),
    );
    return out;
  }

  private privateMessage(session: SessionId, me: NamedSession, rawTo: string, raw: string, now: number): HubOutput[] {
    const target = this.sessionOf(rawTo.trim());
    const targetName = target === undefined ? undefined : this.sessions.get(target)?.name;
    if (target === undefined || targetName === undefined) {
      return this.refuse(session, 'private', 'unknown-user', `no user named ${quoteName(rawTo.trim())} is online`);
    }
    if (target === session) {
      return this.refuse(session, 'private', 'bad-argument', 'that is you: private messages go to another user');
    }
    const checked = normalizeChatText(raw, me.name, this.options.maxTextLength);
    if (!checked.ok) return this.refuse(session, 'private', checked.code, checked.message);
    const base = { kind: 'private', from: me.name, to: targetName, ts: now, text: checked.text } as const;
    return [
      this.reply(target, { ...base, self: false }),
      this.reply(session, { ...base, self: true }),
      log({ type: 'private', from: me.name, to: targetName, length: checked.length }),
    ];
  }

  private join(session: SessionId, me: NamedSession, rawRoom: string, now: number): HubOutput[] {
    const checked = checkRoomName(rawRoom);
    if (!checked.ok) return this.refuse(session, 'join', 'bad-room', checked.message);
    const room = checked.name;
    if (room === me.room) return this.refuse(session, 'join', 'bad-room', `you are already in #${room}`);
    if (room !== this.lobby) {
      const size = this.roomMembers.get(room)?.size ?? 0;
      if (size >= this.options.roomCapacity) {
        const full = `#${room} is full (${size} of ${this.options.roomCapacity} people); try another room`;
        return this.refuse(session, 'join', 'room-full', full);
      }
    }
    const from = me.room;
    const out = this.move(session, me, room, now);
    out.push(log({ type: 'join', name: me.name, room, from }));
    return out;
  }

  private leave(session: SessionId, me: NamedSession, now: number): HubOutput[] {
    if (me.room === this.lobby) {
      const already = `you are already in #${this.lobby}; <join>ROOM to enter another room`;
      return this.refuse(session, 'leave', 'bad-room', already);
    }
    const from = me.room;
    const out = this.move(session, me, this.lobby, now);
    out.push(log({ type: 'leave', name: me.name, room: from, reason: 'moved' }));
    return out;
  }

  /** `<disconnect>`: leave at once, then `disconnected` and `close` for the shell. */
  private disconnect(session: SessionId, me: NamedSession, now: number): HubOutput[] {
    const out = this.removeNamed(session, me, now, 'disconnect');
    out.push(this.reply(session, { kind: 'disconnected' }), { type: 'close', session });
    out.push(log({ type: 'disconnect', name: me.name, room: me.room, reason: 'disconnect' }));
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

  /** Move a member to `target` (capacity already checked): `left` to the old room, `joined` to the new. */
  private move(session: SessionId, me: NamedSession, target: string, now: number): HubOutput[] {
    const out: HubOutput[] = [];
    const old = me.room;
    const oldMembers = this.members(old);
    oldMembers.delete(session);
    const left: Reply = { kind: 'left', name: me.name, room: old, ts: now, reason: 'moved' };
    out.push(this.reply(session, left));
    this.fanout(out, oldMembers, left);
    this.dropIfEmpty(old, oldMembers);

    const state = this.sessions.get(session);
    if (state !== undefined) state.room = target;
    const newMembers = this.members(target);
    newMembers.add(session);
    this.fanout(out, newMembers, { kind: 'joined', name: me.name, room: target, ts: now });
    return out;
  }

  /** Remove a named session everywhere; its room (the others) hears `left` with `reason`. */
  private removeNamed(session: SessionId, me: NamedSession, now: number, reason: CloseReason): HubOutput[] {
    this.sessions.delete(session);
    this.byName.delete(me.key);
    const members = this.members(me.room);
    members.delete(session);
    const out: HubOutput[] = [];
    this.fanout(out, members, { kind: 'left', name: me.name, room: me.room, ts: now, reason });
    this.dropIfEmpty(me.room, members);
    return out;
  }

  /** The member set of a room, created empty if the room does not exist yet. */
  private members(room: string): Set<SessionId> {
    let set = this.roomMembers.get(room);
    if (set === undefined) {
      set = new Set();
      this.roomMembers.set(room, set);
    }
    return set;
  }

  private dropIfEmpty(room: string, members: Set<SessionId>): void {
    if (members.size === 0 && room !== this.lobby) this.roomMembers.delete(room);
  }

  // ---- output helpers ---------------------------------------------------------------------------

  private reply(to: SessionId, reply: Reply): HubOutput {
    return { type: 'reply', to, reply };
  }

  /** One shared Reply object to every member. */
  private fanout(out: HubOutput[], members: Iterable<SessionId>, reply: Reply): void {
    for (const member of members) out.push({ type: 'reply', to: member, reply });
  }

  private helpReplies(session: SessionId): HubOutput[] {
    return this.help.map((text) => this.reply(session, { kind: 'system', text }));
  }

  private refuse(
    session: SessionId,
    command: CommandKind | 'malformed',
    code: ErrorCode,
    message: string,
  ): HubOutput[] {
    return [this.reply(session, { kind: 'error', code, message }), log({ type: 'refused', session, command, code })];
  }

  private request(session: SessionId, me: NamedSession | undefined, command: CommandKind): HubOutput {
    if (me === undefined) return log({ type: 'request', session, command });
    return log({ type: 'request', session, name: me.name, command });
  }
}

function log(event: HubLogEvent): HubOutput {
  return { type: 'log', event };
}

function asNamed(state: Session): NamedSession | undefined {
  if (state.name === undefined || state.key === undefined || state.room === undefined) return undefined;
  return { name: state.name, key: state.key, room: state.room };
}

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function assertNever(_value: never, fallback: () => HubOutput[]): HubOutput[] {
  return fallback();
}

const KINDS: ReadonlySet<string> = new Set<CommandKind>([
  'connect', 'disconnect', 'users', 'broadcast', 'private', 'listfiles', 'download',
  'join', 'leave', 'rooms', 'help', 'upload', 'sendfile', 'cancel', 'stats',
]);

function kindOf(command: unknown): CommandKind | 'malformed' {
  if (typeof command !== 'object' || command === null) return 'malformed';
  const kind: unknown = (command as { kind?: unknown }).kind;
  return typeof kind === 'string' && KINDS.has(kind) ? (kind as CommandKind) : 'malformed';
}

/**
 * A shallow runtime check of what the types promise, for the fields the hub reads: a command that
 * reached the hub through an untyped path cannot make it throw.
 */
function isWellFormed(command: unknown): command is Command {
  if (kindOf(command) === 'malformed') return false;
  const c = command as Record<string, unknown>;
  switch (c['kind']) {
    case 'connect':
      return typeof c['name'] === 'string';
    case 'broadcast':
      return typeof c['text'] === 'string';
    case 'private':
      return typeof c['to'] === 'string' && typeof c['text'] === 'string';
    case 'download':
      return typeof c['file'] === 'string';
    case 'join':
      return typeof c['room'] === 'string';
    default:
      return true;
  }
}
