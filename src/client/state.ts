// What the client knows about its session, kept pure: its name and room (learned from `welcome` and
// its own `joined` events), the commands still waiting for their reply (so `/users` answers can be
// filtered by the scope that asked for them, and stdin EOF can wait for what was sent), and when it
// connected. Inputs carry `now`; nothing here reads a clock or touches I/O.
import type { Command, CommandKind, ErrorCode, ListPage, Reply, Transport, UserEntry } from '../commands/types.ts';
import type { ListReply } from '../commands/reply-syntax.ts';
import { readRenamedNotice } from '../commands/notices.ts';
import { SHUTDOWN_NOTICE } from '../commands/reply-syntax.ts';
import { MAX_KNOWN_NAMES, MAX_LIST_PAGES, MAX_PENDING, PENDING_EXPIRY_MS } from './constants.ts';

export type UsersScope = 'room' | 'all';

/**
 * A server reply as the client shows it. `users` is filtered to the scope of the request it answers;
 * `via` says which transport brought a reply (set by the link).
 */
export type Display =
  /**
   * `repeat`: the reply tells nothing new (our own join into the room we are already in; a replayed
   * `history` line this client had shown before it reconnected).
   * `historyStart`: the first of a run of replayed `history` lines (shown under a separator).
   */
  | { kind: 'reply'; reply: Exclude<Reply, { kind: 'users' }>; repeat?: true; via?: Transport; historyStart?: true }
  | { kind: 'users'; scope: UsersScope; room: string | undefined; users: UserEntry[] };

/** Not to show: a page of a long list came, ask for the next (`scope` for `users`) before showing it. */
export interface NextPage {
  kind: 'next-page';
  command: Extract<Command, { kind: 'users' | 'rooms' | 'listfiles' }>;
  scope?: UsersScope;
}

/** The pages of a long list received so far: their entries as one reply, one entry per key (keysOf). */
interface Collected {
  reply: ListReply;
  keys: Set<string>;
}

/** A list entry's identity: names and rooms compare case-insensitively, file names exactly. */
function keysOf(reply: ListReply): string[] {
  switch (reply.kind) {
    case 'users':
      return reply.users.map((u) => u.name.toLowerCase());
    case 'rooms':
      return reply.rooms.map((r) => r.name.toLowerCase());
    case 'files':
      return reply.files.map((f) => f.name);
  }
}

/** `reply`'s entries at `at` appended to `into` (a reply of the same kind). */
function appendEntries(into: ListReply, reply: ListReply, at: readonly number[]): void {
  if (into.kind === 'users' && reply.kind === 'users') for (const i of at) into.users.push(reply.users[i]!);
  else if (into.kind === 'rooms' && reply.kind === 'rooms') for (const i of at) into.rooms.push(reply.rooms[i]!);
  else if (into.kind === 'files' && reply.kind === 'files') for (const i of at) into.files.push(reply.files[i]!);
}

/** A list reply that is one page of a longer list. */
function isListPage(reply: Reply): reply is ListReply & { page: ListPage } {
  return (reply.kind === 'users' || reply.kind === 'rooms' || reply.kind === 'files') && reply.page !== undefined;
}

/** The command that asks for page `page` of the list `reply` is part of. */
function pageCommand(kind: ListReply['kind'], page: number): NextPage['command'] {
  return { kind: kind === 'files' ? 'listfiles' : kind, page };
}

/** An empty whole list of `kind`, for the pages to fill. */
function emptyOf(kind: ListReply['kind']): ListReply {
  return kind === 'users' ? { kind, users: [] } : kind === 'rooms' ? { kind, rooms: [] } : { kind, files: [] };
}

interface Pending {
  command: CommandKind;
  /** The command as sent: what a new connection repeats, or tells the user about, if it is never answered. */
  sent: Command;
  scope: UsersScope | undefined;
  sentAt: number;
}

/** Names compare case-insensitively (the hub's rule: unique case-insensitively). */
export function sameName(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

/** Rooms compare case-insensitively too (the hub treats `Games` and `games` as one room). */
export function sameRoom(a: string, b: string): boolean {
  return roomKey(a) === roomKey(b);
}

/** A room's identity: its name in lower case. */
function roomKey(room: string): string {
  return room.toLowerCase();
}

/** The users in `room` (or everyone, for scope 'all', or when the room is still unknown). */
export function filterUsers(users: readonly UserEntry[], scope: UsersScope, room: string | undefined): UserEntry[] {
  if (scope === 'all' || room === undefined) return [...users];
  return users.filter((u) => sameRoom(u.room, room));
}

/**
 * Does `reply` answer `command`, sent by the user called `me`? The server handles one connection's
 * commands in order and answers each before the next, so the first answer-like reply completes the
 * oldest pending command. Chat from others (other senders, other people's joins) answers nothing.
 */
export function answers(command: CommandKind, reply: Reply, me: string | undefined): boolean {
  if (reply.kind === 'error') return true;
  switch (command) {
    case 'connect':
    case 'reconnect':
      return reply.kind === 'welcome';
    case 'hold':
      return reply.kind === 'hold';
    case 'disconnect':
      return reply.kind === 'disconnected';
    case 'users':
      return reply.kind === 'users';
    case 'rooms':
      return reply.kind === 'rooms';
    case 'listfiles':
      return reply.kind === 'files';
    case 'broadcast':
      return reply.kind === 'message' && reply.self;
    case 'private':
      return reply.kind === 'private' && reply.self;
    case 'join':
    case 'leave':
      return (reply.kind === 'joined' && me !== undefined && sameName(reply.name, me)) || reply.kind === 'system';
    case 'help':
    case 'stats':
    case 'register':
    case 'password':
    case 'unregister':
    case 'oper':
      return reply.kind === 'system';
    case 'history':
      return reply.kind === 'history' || reply.kind === 'system';
    case 'rename':
    case 'away':
      return reply.kind === 'system';
    case 'action':
      return reply.kind === 'action' && reply.self;
    case 'topic':
      return reply.kind === 'topic' || reply.kind === 'system';
    case 'whois':
      return reply.kind === 'whois';
    case 'download':
    case 'upload':
    case 'sendfile':
    case 'cancel':
      return reply.kind === 'system' || reply.kind === 'files';
  }
}

/** The last line shown in a room: what a replay after a reconnect starts after. */
export interface SeenLine {
  ts: number;
  from: string;
  text: string;
}

/** Commands answered by an echo that may travel over UDP while other replies come over TCP. */
const ECHO_MAY_BE_OVERTAKEN: ReadonlySet<CommandKind> = new Set<CommandKind>(['broadcast', 'private']);

export class ClientState {
  private myName: string | undefined;
  /** The last reply was a replayed history line (of `historyRoom`). */
  private inHistory = false;
  private historyRoom: string | undefined;
  /** Per room (its key): the last room line shown, by this state or the one before a reconnect. */
  private readonly lastSeen = new Map<string, SeenLine>();
  /**
   * Per room: the last line shown before a reconnect, while the first replay after it is on its way:
   * replayed lines up to it are repeats. Ends with that replay, or at the room's first live line.
   */
  private readonly seenBefore = new Map<string, SeenLine>();
  private myRoom: string | undefined;
  private welcomedAt: number | undefined;
  private shuttingDown = false;
  private disconnectedByServer = false;
  private refusal: { code: ErrorCode; message: string } | undefined;
  private readonly pending: Pending[] = [];
  private readonly seen = new Map<string, string>();
  /** Room names seen (from room lists, user lists and joins), for completing `/join ga⇥`. */
  private readonly seenRooms = new Map<string, string>();
  /** Long lists being fetched page by page, one per kind (`/users` and `/rooms` may be fetched at once). */
  private readonly collected = new Map<ListReply['kind'], Collected>();
  /** Who last sent us a private message: where `/reply` goes. */
  private lastPrivateFrom: string | undefined;
  /** The partner of a `/query` conversation: where plain lines go while it is open. */
  private queryPartner: string | undefined;

  /** Our name once the server welcomed us. */
  get name(): string | undefined {
    return this.myName;
  }

  /** The room we are in, as the server last told us. */
  get room(): string | undefined {
    return this.myRoom;
  }

  /** When the server welcomed us (the client's clock), for `/status`. */
  get connectedAt(): number | undefined {
    return this.welcomedAt;
  }

  get welcomed(): boolean {
    return this.myName !== undefined;
  }

  /** True once the server said it is shutting down (SHUTDOWN_NOTICE): what follows is no failure. */
  get serverShuttingDown(): boolean {
    return this.shuttingDown;
  }

  /** The last line shown in each room (by room key): carried to the state of a new connection. */
  seenLines(): ReadonlyMap<string, SeenLine> {
    return this.lastSeen;
  }

  /** A new connection after a lost one: what the old one showed, so a replay of it is not shown twice. */
  rememberSeen(lines: ReadonlyMap<string, SeenLine>): void {
    for (const [room, line] of lines) {
      this.lastSeen.set(room, line);
      this.seenBefore.set(room, line);
    }
  }

  /** True once the server sent `disconnected`. */
  get disconnected(): boolean {
    return this.disconnectedByServer;
  }

  /** The commands sent whose answer never came, oldest first (what a lost connection may or may not have done). */
  unanswered(): Command[] {
    return this.pending.map((p) => p.sent);
  }

  /** The kind of the oldest command still waiting for its reply (the one an error answers). */
  get oldestPending(): CommandKind | undefined {
    return this.pending[0]?.command;
  }

  /** How many sent commands still wait for their reply. */
  get pendingCount(): number {
    return this.pending.length;
  }

  /** True while a `<connect>` is waiting for welcome or error. */
  get connecting(): boolean {
    return this.pending.some((p) => p.command === 'connect' || p.command === 'reconnect');
  }

  /** Why the server refused our last `<connect>` (cleared when a new one is sent). */
  get nameRefusal(): { code: ErrorCode; message: string } | undefined {
    return this.refusal;
  }

  /** Who last sent us a private message (`/reply` answers them). */
  get replyTarget(): string | undefined {
    return this.lastPrivateFrom;
  }

  /** The open `/query` conversation's partner, if any. */
  get query(): string | undefined {
    return this.queryPartner;
  }

  /** Opens a `/query` conversation with `name`, or closes it (undefined). */
  setQuery(name: string | undefined): void {
    this.queryPartner = name;
  }

  /** User names seen online (from lists, joins and messages; forgotten when they disconnect). */
  get knownNames(): string[] {
    return [...this.seen.values()];
  }

  /** Room names seen (a `/rooms` answer replaces them). */
  get knownRooms(): string[] {
    return [...this.seenRooms.values()];
  }

  /** Records a command just sent. `scope` matters only for `users` (default: everyone). */
  sent(command: Command, now: number, scope?: UsersScope): void {
    this.expire(now);
    if (command.kind === 'connect' || command.kind === 'reconnect') this.refusal = undefined;
    this.pending.push({
      command: command.kind,
      scope: command.kind === 'users' ? (scope ?? 'all') : undefined,
      sentAt: now,
      sent: command,
    });
    if (this.pending.length > MAX_PENDING) this.pending.shift();
  }

  /** Forgets commands whose reply is overdue (see PENDING_EXPIRY_MS). */
  expire(now: number): void {
    while (this.pending.length > 0 && now - (this.pending[0]?.sentAt ?? now) > PENDING_EXPIRY_MS) {
      this.pending.shift();
    }
  }

  // A method, not a closure made per reply: every chat line passes here (and the tsx build names each
  // closure it creates with an Object.defineProperty call — 3 % of a chatting client's CPU).
  private noteName(name: string): void {
    if (this.seen.size < MAX_KNOWN_NAMES || this.seen.has(name.toLowerCase())) this.seen.set(name.toLowerCase(), name);
  }

  private noteRoom(room: string): void {
    if (this.seenRooms.size < MAX_KNOWN_NAMES || this.seenRooms.has(room.toLowerCase())) this.seenRooms.set(room.toLowerCase(), room);
  }

  /**
   * Keeps the last line shown per room, and says whether `reply` is a replayed line already shown before
   * a reconnect (history comes oldest first: up to and including the last line seen, or older).
   */
  private noteSeen(reply: Reply): boolean {
    if (reply.kind === 'history') {
      const room = roomKey(reply.room);
      if (this.historyRoom !== undefined && this.historyRoom !== room) this.seenBefore.delete(this.historyRoom);
      this.historyRoom = room;
      const before = this.seenBefore.get(room);
      if (before !== undefined) {
        const same = reply.ts === before.ts && reply.from === before.from && reply.text === before.text;
        if (reply.ts < before.ts || same) {
          if (same) this.seenBefore.delete(room);
          return true;
        }
        this.seenBefore.delete(room);
      }
      this.lastSeen.set(room, { ts: reply.ts, from: reply.from, text: reply.text });
      return false;
    }
    // A run of history ended: its room's replay is over.
    if (this.historyRoom !== undefined) {
      this.seenBefore.delete(this.historyRoom);
      this.historyRoom = undefined;
    }
    if (reply.kind === 'message' || reply.kind === 'action') {
      const room = roomKey(reply.room);
      this.seenBefore.delete(room);
      this.lastSeen.set(room, { ts: reply.ts, from: reply.from, text: reply.text });
    }
    return false;
  }

  private noteNames(reply: Reply): void {
    switch (reply.kind) {
      case 'users':
        this.seen.clear();
        for (const u of reply.users) {
          this.noteName(u.name);
          this.noteRoom(u.room);
        }
        break;
      case 'rooms':
        this.seenRooms.clear();
        for (const r of reply.rooms) this.noteRoom(r.name);
        break;
      case 'welcome':
        this.noteRoom(reply.room);
        break;
      case 'joined':
        this.noteName(reply.name);
        this.noteRoom(reply.room);
        break;
      case 'message':
      case 'action':
        this.noteName(reply.from);
        break;
      case 'private':
        this.noteName(reply.from);
        this.noteName(reply.to);
        break;
      case 'left':
        if (reply.reason !== 'moved') this.seen.delete(reply.name.toLowerCase());
        break;
      default:
        break;
    }
  }

  /**
   * Which pending command `reply` answers, or −1. The server answers a connection's commands in order,
   * so it is the oldest — except that a chat line's echo may travel over UDP while the other replies
   * come over TCP, and either may overtake the other (`/join games`, `hello`, `/users`: the echo of
   * `hello` can arrive before the join's replies or after the reply to `/users`). So an echo answers the
   * oldest pending chat line, wherever it is; any other reply looks past pending chat lines for the
   * command it answers. An error answers the oldest command.
   */
  private answeredIndex(reply: Reply): number {
    const echo = (reply.kind === 'message' || reply.kind === 'private') && reply.self;
    for (let i = 0; i < this.pending.length; i++) {
      const p = this.pending[i] as Pending;
      if (answers(p.command, reply, this.myName)) return i;
      if (echo) continue;
      if (reply.kind === 'error' || !ECHO_MAY_BE_OVERTAKEN.has(p.command)) return -1;
    }
    return -1;
  }

  /** Someone took a new name: ours, the reply target's or the query partner's follow it. */
  private renamed(from: string, to: string): void {
    this.seen.delete(from.toLowerCase());
    this.noteName(to);
    if (this.myName !== undefined && sameName(from, this.myName)) this.myName = to;
    if (this.lastPrivateFrom !== undefined && sameName(from, this.lastPrivateFrom)) this.lastPrivateFrom = to;
    if (this.queryPartner !== undefined && sameName(from, this.queryPartner)) this.queryPartner = to;
  }

  /**
   * A page of a long list that answers our request: kept with the pages before it; the next page to ask
   * for, or (after the last, or MAX_LIST_PAGES) the whole list as one reply without a page.
   */
  private receivePage(reply: ListReply, page: ListPage, scope: UsersScope | undefined): NextPage | ListReply {
    let c = this.collected.get(reply.kind);
    if (page.page === 1 || c === undefined) {
      c = { reply: emptyOf(reply.kind), keys: new Set() };
      this.collected.set(reply.kind, c);
    }
    const fresh: number[] = [];
    keysOf(reply).forEach((key, i) => {
      if (c.keys.has(key)) return;
      c.keys.add(key);
      fresh.push(i);
    });
    appendEntries(c.reply, reply, fresh);
    if (page.page < page.pages && page.page < MAX_LIST_PAGES) {
      const command = pageCommand(reply.kind, page.page + 1);
      return scope === undefined ? { kind: 'next-page', command } : { kind: 'next-page', command, scope };
    }
    this.collected.delete(reply.kind);
    return c.reply;
  }

  /**
   * Takes in one server reply: updates name/room/pending, returns what to show — or, for a page of a
   * long list that is not the last, the request for the next page (the list is shown once whole).
   */
  receive(received: Reply, now: number): Display | NextPage {
    this.expire(now);
    const at = this.answeredIndex(received);
    const head = at < 0 ? undefined : this.pending[at];
    const answered = head !== undefined;
    if (answered) {
      this.pending.splice(at, 1);
      if ((head.command === 'connect' || head.command === 'reconnect') && received.kind === 'error') {
        this.refusal = { code: received.code, message: received.message };
      }
    }
    const step = answered && isListPage(received) ? this.receivePage(received, received.page, head.scope) : received;
    if (step.kind === 'next-page') return step;
    const reply: Reply = step;

    this.noteNames(reply);
    if (this.noteSeen(reply) && reply.kind === 'history') return { kind: 'reply', reply, repeat: true };
    const historyStart = reply.kind === 'history' && !this.inHistory;
    this.inHistory = reply.kind === 'history';
    if (historyStart) return { kind: 'reply', reply, historyStart };
    switch (reply.kind) {
      case 'welcome':
        this.myName = reply.name;
        this.myRoom = reply.room;
        this.welcomedAt = now;
        return { kind: 'reply', reply };
      case 'joined': {
        if (this.myName === undefined || !sameName(reply.name, this.myName)) return { kind: 'reply', reply };
        const repeat = this.myRoom !== undefined && sameRoom(this.myRoom, reply.room);
        this.myRoom = reply.room;
        return repeat ? { kind: 'reply', reply, repeat } : { kind: 'reply', reply };
      }
      case 'system': {
        if (reply.text === SHUTDOWN_NOTICE) this.shuttingDown = true;
        const renamed = readRenamedNotice(reply.text);
        if (renamed !== undefined) this.renamed(renamed.from, renamed.to);
        return { kind: 'reply', reply };
      }
      case 'private':
        if (!reply.self) this.lastPrivateFrom = reply.from;
        return { kind: 'reply', reply };
      case 'disconnected':
        this.disconnectedByServer = true;
        return { kind: 'reply', reply };
      case 'users': {
        const scope: UsersScope = answered && head.scope !== undefined ? head.scope : 'all';
        return {
          kind: 'users',
          scope,
          room: scope === 'room' ? this.myRoom : undefined,
          users: filterUsers(reply.users, scope, this.myRoom),
        };
      }
      default:
        return { kind: 'reply', reply };
    }
  }
}
