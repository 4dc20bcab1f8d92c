// How the client shows things, as pure functions: a server reply (or a client-side notice) becomes
// either one JSON event (scripted `--json` mode) or terminal lines (interactive and plain scripted mode).
// No I/O and no clock here: the current time and the colour functions come in as arguments.
import type { ReconnectEvent } from './reconnect.ts';
import pc from 'picocolors';
import { isPlumbingReply } from '../commands/plumbing.ts';
import type { ErrorCode, FileEntry, LeaveReason, RoomEntry, Transport, UserEntry } from '../commands/types.ts';
import { formatReply } from '../commands/grammar.ts';
import type { ClientFileEvent, Direction } from '../files/client-files.ts';
import { formatSize } from '../files/format.ts';
import { helpLines } from './help.ts';
import { sameName, type Display, type UsersScope } from './state.ts';

export type Colors = ReturnType<typeof pc.createColors>;
type Formatter = Colors['red'];

/** Why chat changed transport (the `transport` event). */
export type TransportChangeReason =
  /** The UDP binding completed: chat travels over the reliable engine. */
  | 'bound'
  /** The server never answered our hellos (UDP blocked). */
  | 'binding-timeout'
  /** The server refused our hello. */
  | 'binding-refused'
  /** Our engine declared the server lost. */
  | 'peer-lost'
  /** The server closed the data plane (a close datagram). */
  | 'server-closed'
  /** The server's engine declared us lost. */
  | 'server-lost'
  /** The server moved chat to TCP for another reason. */
  | 'server-fallback';

export const TRANSPORT_CHANGE_TEXT: Readonly<Record<TransportChangeReason, string>> = {
  bound: 'chat now travels over UDP',
  'binding-timeout': 'no answer to the UDP binding in time (is UDP blocked?)',
  'binding-refused': 'the server refused the UDP binding',
  'peer-lost': 'the server stopped answering over UDP',
  'server-closed': 'the server closed the UDP data plane',
  'server-lost': 'the server stopped hearing us over UDP',
  'server-fallback': 'the server moved chat to TCP',
};

/** The UDP data plane, for `/status`. */
export interface UdpStatus {
  /**
   * disabled (--no-udp), not-offered (the server offered no binding yet), unavailable (no UDP socket),
   * binding, bound, fallen-back (chat moved to TCP for the rest of the session).
   */
  state: 'disabled' | 'not-offered' | 'unavailable' | 'binding' | 'bound' | 'fallen-back';
  /** Where datagrams go (the server, or a relay). */
  target: string | null;
  /** Why the transport last changed. */
  reason: TransportChangeReason | null;
  /** Smoothed and smallest round-trip time in ms (null before a sample). */
  srttMs: number | null;
  minRttMs: number | null;
  packetsSent: number;
  packetsReceived: number;
  /** Our packets declared lost (found by the peer's ACKs), and that as a fraction of those sent (null before any). */
  packetsLost: number;
  lossRate: number | null;
  /** The server's packets that never reached us (gaps in its packet numbers), of those it sent up to the last we got. */
  peerPacketsMissing: number;
  peerPacketsSpanned: number;
  /** peerPacketsMissing / peerPacketsSpanned (null before any packet arrived). */
  inboundLossRate: number | null;
  /** Retransmissions (after a timeout or a fast loss detection). */
  retransmissions: number;
}

/** How the session is protected, for `/status`. */
export interface SecurityStatus {
  /** The control connection is TLS — and the UDP datagrams are sealed with keys from it. */
  encrypted: boolean;
  /** The server's certificate was verified (false with --insecure); null on a plain connection. */
  verified: boolean | null;
}

/** What the client knows about its link, for `/status`. */
export interface StatusInfo {
  host: string;
  port: number;
  name: string | undefined;
  room: string | undefined;
  /** How chat travels now. */
  transport: Transport;
  /** When the server welcomed us (client clock, ms since the epoch), if it did. */
  connectedAt: number | undefined;
  udp: UdpStatus;
  /** Absent: not known to the caller (shown as plain). */
  security?: SecurityStatus;
  /** File transfers running or waiting (absent: none known to the caller). */
  transfers?: TransferStatus[];
  /** Typed lines waiting for the server's chat rate (absent: none known to the caller). */
  queued?: number;
}

/** One file transfer, for `/status`. */
export interface TransferStatus {
  id: number;
  direction: Direction;
  name: string;
  done: number;
  size: number;
  phase: string;
}

/** Things the client shows that did not come from the server as a valid reply. */
export type ClientNotice =
  /** A refusal decided by the client (bad typed input, a feature not available yet). */
  | { kind: 'client-error'; code: ErrorCode; message: string }
  /** A `/query` conversation opened with `name`, or closed (undefined). */
  | { kind: 'query'; name: string | undefined }
  /** A server line that is not a reply in our grammar, shown as it came. */
  | { kind: 'raw'; line: string }
  /** A server line too long to keep was dropped. */
  | { kind: 'oversize'; bytes: number }
  | { kind: 'status'; status: StatusInfo }
  | { kind: 'help' }
  /** Chat changed transport; `target` is where datagrams go. */
  | { kind: 'transport'; transport: Transport; reason: TransportChangeReason; target?: string }
  /** Something about a file transfer (src/client/transfers.ts). */
  | { kind: 'file'; event: ClientFileEvent }
  /** Typed lines waiting for the server's chat rate (src/client/pacer.ts): they go as it allows; 0 when all went. */
  | { kind: 'outbox'; queued: number }
  /** Coming back after a lost connection (src/client/reconnect.ts). */
  | { kind: 'reconnect'; event: ReconnectEvent };

export type Shown = Display | ClientNotice;

/** One line of `--json` output. Every event has a `type`. */
export type JsonEvent =
  | { type: 'welcome'; name: string; room: string; text: string }
  | { type: 'message'; from: string; room: string; text: string; ts: number; self: boolean; transport: Transport }
  | { type: 'private'; from: string; to: string; text: string; ts: number; self: boolean; transport: Transport }
  | { type: 'users'; scope: UsersScope; room?: string; users: UserEntry[] }
  | { type: 'rooms'; rooms: RoomEntry[] }
  | { type: 'files'; files: FileEntry[] }
  | { type: 'joined'; name: string; room: string; ts: number; self: boolean }
  | { type: 'left'; name: string; room: string; ts: number; reason: LeaveReason; self: boolean }
  | { type: 'error'; code: ErrorCode; message: string; source: 'server' | 'client' }
  | { type: 'system'; text: string; raw?: true }
  /** A stored room line replayed (on join or `/history`): context, never a new message. */
  | { type: 'history'; room: string; id: number; from: string; text: string; ts: number; seen?: true }
  /** `/me`: `from` does `text` in `room`. */
  | { type: 'action'; from: string; room: string; text: string; ts: number; self: boolean }
  /** A room's topic: set (or cleared: `text` ''), shown on entering, or asked with `/topic`. */
  | { type: 'topic'; room: string; by: string; text: string; ts: number }
  /** A `/whois` answer; `idle` in seconds, null when the server does not know it; `away` null when not away. */
  | { type: 'whois'; name: string; rooms: string[]; idle: number | null; away: string | null }
  /** `/query`: plain lines now go privately to `name`, or to the room again (null). */
  | { type: 'query'; name: string | null }
  | { type: 'disconnected' }
  | {
      type: 'status';
      host: string;
      port: number;
      name: string | null;
      room: string | null;
      transport: Transport;
      connectedAt: number | null;
      connectedForMs: number | null;
      udp: UdpStatus;
      /** TLS on the control connection, and so sealed datagrams (absent when the link did not say). */
      encrypted?: boolean;
      /** The server's certificate verified; null when not encrypted. */
      verified?: boolean | null;
      transfers: TransferStatus[];
      /** Typed lines waiting for the server's chat rate (absent when the link did not say). */
      queued?: number;
    }
  | { type: 'help'; lines: string[] }
  /** Typed lines waiting for the server's chat rate; they are sent as it allows, never dropped (0: all sent). */
  | { type: 'outbox'; queued: number }
  | { type: 'transport'; transport: Transport; reason: TransportChangeReason; target?: string }
  /** `--reconnect`: the connection went (`reason`); try `attempt` of `of` in `inMs`. */
  | { type: 'reconnecting'; attempt: number; of: number; inMs: number; reason: string }
  /** Signed in again as `name`, in `room`. */
  | { type: 'reconnected'; attempt: number; name: string; room: string }
  /** No more tries: the client exits 1. */
  | { type: 'reconnect-failed'; attempts: number; reason: string }
  /** A command sent just before the connection was lost, never answered and not sent again: `check` says how to tell. */
  | { type: 'reconnect-unsure'; command: string; check: string }
  | FileJsonEvent;

/** The `--json` events of file transfers (docs/client.md, "File transfer events"). */
export type FileJsonEvent =
  /** A download asked for; `resumeFrom`: bytes already here from an interrupted one. */
  | { type: 'requested'; name: string; resumeFrom?: number }
  | { type: 'queued'; id: number; name: string; position: number }
  /** A transfer started: `type` is its direction. `offset`: where a download resumes (else 0). */
  | { type: Direction; id: number; name: string; size: number; offset: number }
  | { type: 'progress'; id: number; direction: Direction; name: string; bytes: number; size: number; percent: number }
  | { type: 'offer'; id: number; from: string; name: string; size: number; accepted: boolean }
  | { type: 'declined'; id: number; from: string; name: string }
  /** A download or a file received from a user is verified and stored at `path` (`savedAs`: its name). */
  | { type: 'saved'; id: number; direction: 'download' | 'receive'; name: string; path: string; savedAs: string; size: number }
  /** An upload is verified and stored on the server as `storedAs`. */
  | { type: 'stored'; id: number; name: string; storedAs: string; size: number }
  /** A file sent to `to` was received and verified by them. */
  | { type: 'delivered'; id: number; name: string; to: string; size: number }
  | { type: 'transfer-error'; id?: number; direction: Direction; name: string; code: string; message: string; resumable: boolean };

export interface JsonContext {
  /** Our name, to mark our own joins and leaves (`self`). */
  me: string | undefined;
  /** The client's clock, for `/status` durations. */
  now: number;
}

export interface TerminalContext extends JsonContext {
  colors: Colors;
}

/** The `--json` event for one file event. */
export function fileJsonEvent(e: ClientFileEvent): JsonEvent {
  switch (e.type) {
    case 'requested':
      return e.resumeFrom === undefined ? { type: 'requested', name: e.name } : { type: 'requested', name: e.name, resumeFrom: e.resumeFrom };
    case 'queued':
      return { type: 'queued', id: e.id, name: e.name, position: e.position };
    case 'started':
      return { type: e.direction, id: e.id, name: e.name, size: e.size, offset: e.offset };
    case 'progress':
      return { type: 'progress', id: e.id, direction: e.direction, name: e.name, bytes: e.done, size: e.size, percent: e.percent };
    case 'offer':
      return { type: 'offer', id: e.id, from: e.from, name: e.name, size: e.size, accepted: e.accepted };
    case 'declined':
      return { type: 'declined', id: e.id, from: e.from, name: e.name };
    case 'finished':
      if (e.direction === 'upload') return { type: 'stored', id: e.id, name: e.name, storedAs: e.savedAs ?? e.name, size: e.size };
      if (e.direction === 'send') return { type: 'delivered', id: e.id, name: e.name, to: e.to ?? '', size: e.size };
      return { type: 'saved', id: e.id, direction: e.direction, name: e.name, path: e.path ?? '', savedAs: e.savedAs ?? e.name, size: e.size };
    case 'failed': {
      const base = { type: 'transfer-error' as const, direction: e.direction, name: e.name, code: e.code, message: e.message, resumable: e.resumable };
      return e.id === undefined ? base : { ...base, id: e.id };
    }
    case 'error':
      return { type: 'error', code: 'bad-argument', message: e.message, source: 'client' };
  }
}

const DIRECTION_NOUN: Readonly<Record<Direction, string>> = {
  download: 'download',
  upload: 'upload',
  send: 'sending',
  receive: 'receiving',
};

/** Terminal lines for one file event (progress too: the plain scripted mode prints it as a line). */
export function fileTerminalLines(e: ClientFileEvent, ctx: TerminalContext): string[] {
  const c = ctx.colors;
  const now = c.dim(formatClock(ctx.now));
  const safe = sanitizeForTerminal;
  const note = (text: string): string => `${now} ${c.gray(`* ${text}`)}`;
  const size = formatSize;
  switch (e.type) {
    case 'requested':
      return e.resumeFrom === undefined
        ? [note(`Requesting ${safe(e.name)}…`)]
        : [note(`Resuming ${safe(e.name)} at ${size(e.resumeFrom)} (what an earlier download left)`)];
    case 'queued':
      return [note(`${safe(e.name)} waits for an upload slot: position ${e.position} (transfer ${e.id}; /cancel ${e.id} to give up)`)];
    case 'started': {
      const what = { download: 'Downloading', upload: 'Uploading', send: 'Sending', receive: 'Receiving' }[e.direction];
      const from = e.offset > 0 ? `, from ${size(e.offset)}` : '';
      return [note(`${what} ${safe(e.name)} (${size(e.size)}${from}) as transfer ${e.id} — /cancel ${e.id} to stop`)];
    }
    case 'progress':
      return [`${now} ${c.dim(`  ${safe(e.name)} ${String(e.percent).padStart(3)}% ${size(e.done)} of ${size(e.size)}`)}`];
    case 'offer':
      return e.accepted
        ? [`${now} ${c.gray('*')} ${colorName(e.from, ctx)} ${c.gray(`sends you ${safe(e.name)} (${size(e.size)}) — receiving`)}`]
        : [
            `${now} ${c.yellow('*')} ${colorName(e.from, ctx)} ${c.yellow(`offers you ${safe(e.name)} (${size(e.size)}): /accept ${e.id} or /decline ${e.id}`)}`,
          ];
    case 'finished':
      if (e.direction === 'upload') {
        const as = e.savedAs !== undefined && e.savedAs !== e.name ? ` (stored as ${safe(e.savedAs)}: the name was taken)` : '';
        return [`${now} ${c.green(`✓ ${safe(e.name)} uploaded${as}`)}`];
      }
      if (e.direction === 'send') return [`${now} ${c.green(`✓ ${safe(e.name)} delivered to ${safe(e.to ?? '?')}`)}`];
      return [`${now} ${c.green(`✓ ${safe(e.name)} saved to ${safe(e.path ?? e.savedAs ?? e.name)} (${size(e.size)}, CRC-32 checked)`)}`];
    case 'declined':
      return [`${now} ${c.gray(`* declined ${safe(e.name)} from ${safe(e.from)} (offer ${e.id}): ${safe(e.from)} is told`)}`];
    case 'failed': {
      // Cancelled on request: what the user asked for, not a failure.
      if (e.code === 'cancelled') return [`${now} ${c.gray(`* ${DIRECTION_NOUN[e.direction]} ${safe(e.name)} cancelled`)}`];
      const hint = e.resumable ? ` — /download ${safe(e.name)} resumes it` : '';
      return [`${now} ${c.red(`! ${DIRECTION_NOUN[e.direction]} ${safe(e.name)} failed: ${safe(e.message)}${hint}`)} ${c.dim(`(${e.code})`)}`];
    }
    case 'error':
      return [`${now} ${c.red(`! ${safe(e.message)}`)}`];
  }
}

/** The `--json` event for one shown item. */
export function toJsonEvent(item: Shown, ctx: JsonContext): JsonEvent {
  const isMe = (name: string): boolean => ctx.me !== undefined && sameName(name, ctx.me);
  switch (item.kind) {
    case 'users':
      return item.room === undefined
        ? { type: 'users', scope: item.scope, users: item.users }
        : { type: 'users', scope: item.scope, room: item.room, users: item.users };
    case 'client-error':
      return { type: 'error', code: item.code, message: item.message, source: 'client' };
    case 'query':
      return { type: 'query', name: item.name ?? null };
    case 'raw':
      return { type: 'system', text: item.line, raw: true };
    case 'reconnect':
      return reconnectJsonEvent(item.event);
    case 'oversize':
      return { type: 'system', text: `(a server line of ${item.bytes} bytes was too long and was dropped)`, raw: true };
    case 'help':
      return { type: 'help', lines: helpLines() };
    case 'status': {
      const s = item.status;
      return {
        type: 'status',
        host: s.host,
        port: s.port,
        name: s.name ?? null,
        room: s.room ?? null,
        transport: s.transport,
        connectedAt: s.connectedAt ?? null,
        connectedForMs: s.connectedAt === undefined ? null : Math.max(0, ctx.now - s.connectedAt),
        udp: s.udp,
        ...(s.security === undefined ? {} : { encrypted: s.security.encrypted, verified: s.security.verified }),
        transfers: s.transfers ?? [],
        ...(s.queued === undefined ? {} : { queued: s.queued }),
      };
    }
    case 'outbox':
      return { type: 'outbox', queued: item.queued };
    case 'transport':
      return item.target === undefined
        ? { type: 'transport', transport: item.transport, reason: item.reason }
        : { type: 'transport', transport: item.transport, reason: item.reason, target: item.target };
    case 'file':
      return fileJsonEvent(item.event);
    case 'reply': {
      const r = item.reply;
      // The link and the file features act on these; should one be shown, it is shown as it came.
      if (isPlumbingReply(r)) return { type: 'system', text: formatReply(r), raw: true };
      switch (r.kind) {
        case 'welcome':
          return { type: 'welcome', name: r.name, room: r.room, text: r.text };
        case 'message':
          return { type: 'message', from: r.from, room: r.room, text: r.text, ts: r.ts, self: r.self, transport: item.via ?? 'tcp' };
        case 'private':
          return { type: 'private', from: r.from, to: r.to, text: r.text, ts: r.ts, self: r.self, transport: item.via ?? 'tcp' };
        case 'rooms':
          return { type: 'rooms', rooms: r.rooms };
        case 'files':
          return { type: 'files', files: r.files };
        case 'joined':
          return { type: 'joined', name: r.name, room: r.room, ts: r.ts, self: isMe(r.name) };
        case 'left':
          return { type: 'left', name: r.name, room: r.room, ts: r.ts, reason: r.reason, self: isMe(r.name) };
        case 'error':
          return { type: 'error', code: r.code, message: r.message, source: 'server' };
        case 'system':
          return { type: 'system', text: r.text };
        case 'history':
          // `seen`: this client showed the line before it reconnected (the terminal leaves it out).
          return item.repeat === true
            ? { type: 'history', room: r.room, id: r.id, from: r.from, text: r.text, ts: r.ts, seen: true }
            : { type: 'history', room: r.room, id: r.id, from: r.from, text: r.text, ts: r.ts };
        case 'action':
          return { type: 'action', from: r.from, room: r.room, text: r.text, ts: r.ts, self: r.self };
        case 'topic':
          return { type: 'topic', room: r.room, by: r.by, text: r.text, ts: r.ts };
        case 'whois':
          return { type: 'whois', name: r.name, rooms: r.rooms, idle: r.idle ?? null, away: r.away ?? null };
        case 'disconnected':
          return { type: 'disconnected' };
      }
    }
  }
}

function reconnectJsonEvent(e: ReconnectEvent): JsonEvent {
  switch (e.phase) {
    case 'reconnecting':
      return { type: 'reconnecting', attempt: e.attempt, of: e.of, inMs: e.inMs, reason: e.reason };
    case 'reconnected':
      return { type: 'reconnected', attempt: e.attempt, name: e.name, room: e.room };
    case 'gave-up':
      return { type: 'reconnect-failed', attempts: e.attempts, reason: e.reason };
    case 'unsure':
      return { type: 'reconnect-unsure', command: e.command, check: e.check };
  }
}

/** `[HH:MM:SS]` in the local time zone of this process. */
export function formatClock(ms: number): string {
  const d = new Date(ms);
  if (Number.isNaN(d.getTime())) return '[--:--:--]';
  const two = (n: number): string => String(n).padStart(2, '0');
  return `[${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}]`;
}

/**
 * Text from the network made safe for a terminal: control characters (C0, DEL, C1 — which include the
 * escape that starts colour and cursor sequences) become U+FFFD, so a peer cannot move our cursor,
 * clear our screen or fake a prompt.
 */
export function sanitizeForTerminal(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, '\uFFFD');
}

/** Name colours: distinct from red (errors), gray (system) and magenta (private messages). */
const NAME_PALETTE: ReadonlyArray<Exclude<keyof Colors, 'isColorSupported'>> = [
  'cyan',
  'green',
  'yellow',
  'blue',
  'cyanBright',
  'greenBright',
  'yellowBright',
  'blueBright',
];

/** FNV-1a over the lower-cased name: the same person gets the same colour in every session. */
export function nameColorIndex(name: string): number {
  let hash = 0x811c9dc5;
  const key = name.toLowerCase();
  for (let i = 0; i < key.length; i++) {
    hash ^= key.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash % NAME_PALETTE.length;
}

function nameColor(name: string, colors: Colors): Formatter {
  return colors[NAME_PALETTE[nameColorIndex(name)] ?? 'cyan'];
}

/** A user name in its stable colour (bold when it is us). */
export function colorName(name: string, ctx: TerminalContext): string {
  const safe = sanitizeForTerminal(name);
  const coloured = nameColor(name, ctx.colors)(safe);
  return ctx.me !== undefined && sameName(name, ctx.me) ? ctx.colors.bold(coloured) : coloured;
}

/** A duration as `1h 02m 03s`, `4m 05s` or `6s`. */
export function formatDuration(ms: number): string {
  const total = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const two = (n: number): string => String(n).padStart(2, '0');
  if (h > 0) return `${h}h ${two(m)}m ${two(s)}s`;
  if (m > 0) return `${m}m ${two(s)}s`;
  return `${s}s`;
}

/** The line above a run of replayed history. */
export const HISTORY_SEPARATOR = '— history —';

const LEFT_REASON: Record<LeaveReason, string> = {
  moved: 'moved to another room',
  disconnect: 'disconnected',
  lost: 'connection lost',
};

/** Terminal lines for one shown item (one line for most; lists and help take several). */
export function toTerminalLines(item: Shown, ctx: TerminalContext): string[] {
  const c = ctx.colors;
  const clock = (ms: number): string => c.dim(formatClock(ms));
  const now = clock(ctx.now);
  const notice = (text: string): string => `${now} ${c.gray(`* ${sanitizeForTerminal(text)}`)}`;
  const safe = sanitizeForTerminal;

  switch (item.kind) {
    case 'users': {
      if (item.scope === 'room') {
        const where = item.room === undefined ? 'your room' : `#${safe(item.room)}`;
        if (item.users.length === 0) return [`${now} ${c.bold(`Nobody in ${where}`)}`];
        const names = item.users.map((u) => colorName(u.name, ctx)).join(', ');
        return [`${now} ${c.bold(`In ${where} (${item.users.length}):`)} ${names}`];
      }
      if (item.users.length === 0) return [`${now} ${c.bold('Nobody online')}`];
      const byRoom = new Map<string, string[]>();
      for (const u of item.users) {
        const names = byRoom.get(u.room) ?? [];
        names.push(colorName(u.name, ctx));
        byRoom.set(u.room, names);
      }
      const groups = [...byRoom].map(([room, names]) => `${c.dim(`#${safe(room)}`)} ${names.join(', ')}`);
      return [`${now} ${c.bold(`Online (${item.users.length}):`)} ${groups.join('; ')}`];
    }
    case 'client-error':
      return [`${now} ${c.red(`! ${safe(item.message)}`)}`];
    case 'query':
      return [notice(item.name === undefined ? 'plain lines go to your room again' : `plain lines now go privately to ${item.name} (/query alone ends this)`)];
    case 'raw':
      return [`${now} ${c.gray(`? ${safe(item.line)}`)}`];
    case 'reconnect': {
      const e = item.event;
      if (e.phase === 'reconnecting') {
        return [`${now} ${c.yellow(`* connection lost (${safe(e.reason)}): reconnecting in ${Math.max(1, Math.round(e.inMs / 1000))} s (try ${e.attempt} of ${e.of}); what you type is kept`)}`];
      }
      if (e.phase === 'reconnected') return [`${now} ${c.green(`* reconnected: you are ${safe(e.name)} in #${safe(e.room)}`)}`];
      if (e.phase === 'unsure') return [`${now} ${c.yellow(`* ${safe(e.command)} was sent just before the connection was lost and may or may not have been done: ${safe(e.check)}`)}`];
      return [`${now} ${c.red(`! could not reconnect after ${e.attempts} tries (${safe(e.reason)})`)}`];
    }
    case 'oversize':
      return [notice(`a server line of ${item.bytes} bytes was too long and was dropped`)];
    case 'help':
      return helpLines().map((line) => (line.startsWith(' ') ? line : c.bold(line)));
    case 'status': {
      const s = item.status;
      const since =
        s.connectedAt === undefined
          ? 'not signed in'
          : `${formatDuration(ctx.now - s.connectedAt)} (since ${formatClock(s.connectedAt).slice(1, -1)})`;
      return [
        c.bold('Status:'),
        `  server     ${safe(s.host)}:${s.port}`,
        `  name       ${s.name === undefined ? '(none yet)' : safe(s.name)}`,
        `  room       ${s.room === undefined ? '(none yet)' : `#${safe(s.room)}`}`,
        `  transport  ${s.transport}`,
        `  udp        ${udpStatusText(s.udp)}`,
        `  security   ${securityText(s.security)}`,
        `  connected  ${since}`,
        ...(s.queued === undefined || s.queued === 0 ? [] : [`  queued     ${queuedText(s.queued)}`]),
        ...(s.transfers === undefined || s.transfers.length === 0
          ? []
          : [
              `  transfers  ${s.transfers.length}`,
              ...s.transfers.map(
                (t) => `    #${t.id} ${t.direction} ${safe(t.name)}: ${formatSize(t.done)} of ${formatSize(t.size)} (${t.phase})`,
              ),
            ]),
      ];
    }
    case 'file':
      return fileTerminalLines(item.event, ctx);
    case 'outbox':
      return [notice(item.queued === 0 ? 'every queued line was sent' : queuedText(item.queued))];
    case 'transport': {
      const where = item.transport === 'udp' && item.target !== undefined ? ` (datagrams to ${safe(item.target)})` : '';
      return item.transport === 'udp'
        ? [notice(`${TRANSPORT_CHANGE_TEXT[item.reason]}${where}`)]
        : [`${now} ${c.yellow(`* chat moves to TCP: ${TRANSPORT_CHANGE_TEXT[item.reason]}`)}`];
    }
    case 'reply': {
      const r = item.reply;
      if (isPlumbingReply(r)) return [`${now} ${c.gray(`? ${safe(formatReply(r))}`)}`];
      switch (r.kind) {
        case 'welcome':
          return [
            `${now} ${c.gray(`* ${safe(withoutBracketHelp(r.text))}`)}`,
            `${now} ${c.gray('* You are')} ${colorName(r.name, ctx)} ${c.gray(`in #${safe(r.room)} — type /help for commands`)}`,
          ];
        case 'message': {
          const text = !r.self && mentions(r.text, ctx.me) ? c.bold(c.yellow(safe(r.text))) : safe(r.text);
          return [`${clock(r.ts)} ${colorName(r.from, ctx)}${c.dim(':')} ${text}`];
        }
        case 'action': {
          const text = !r.self && mentions(r.text, ctx.me) ? c.bold(c.yellow(safe(r.text))) : c.italic(safe(r.text));
          return [`${clock(r.ts)} ${c.dim('*')} ${colorName(r.from, ctx)} ${text}`];
        }
        case 'topic':
          return r.text === ''
            ? [`${clock(r.ts)} ${c.gray('*')} ${colorName(r.by, ctx)} ${c.gray(`cleared the topic of #${safe(r.room)}`)}`]
            : [`${clock(r.ts)} ${c.gray(`* Topic of #${safe(r.room)}:`)} ${safe(r.text)} ${c.dim(`(set by ${safe(r.by)})`)}`];
        case 'whois': {
          const rooms = r.rooms.map((room) => `#${safe(room)}`).join(', ');
          const idle = r.idle === undefined ? '' : `; idle ${formatDuration(r.idle * 1000)}`;
          const away = r.away === undefined ? '' : `; away: ${safe(r.away)}`;
          return [`${now} ${colorName(r.name, ctx)} ${c.gray(`is in ${rooms}${idle}${away}`)}`];
        }
        case 'private': {
          const label = c.magenta(c.bold('[private]'));
          const who = r.self
            ? `${c.magenta('you →')} ${colorName(r.to, ctx)}`
            : `${colorName(r.from, ctx)} ${c.magenta('→ you')}`;
          return [`${clock(r.ts)} ${label} ${who}${c.dim(':')} ${c.magenta(safe(r.text))}`];
        }
        case 'rooms': {
          if (r.rooms.length === 0) return [`${now} ${c.bold('No rooms')}`];
          const list = r.rooms.map((room) => `#${safe(room.name)} (${room.count})`).join(', ');
          return [`${now} ${c.bold(`Rooms (${r.rooms.length}):`)} ${list}`];
        }
        case 'files':
          if (r.files.length === 0) return [`${now} ${c.bold('No files shared on the server')}`];
          return [
            `${now} ${c.bold(`Files (${r.files.length}):`)}`,
            ...r.files.map((f) => `  ${safe(f.name)}  ${c.dim(formatSize(f.size))}`),
          ];
        case 'joined': {
          const self = ctx.me !== undefined && sameName(r.name, ctx.me);
          // The join into the room we were welcomed to tells nothing the welcome did not.
          if (self && item.repeat === true) return [];
          return self
            ? [`${clock(r.ts)} ${c.gray(`* You are now in #${safe(r.room)}`)}`]
            : [`${clock(r.ts)} ${c.gray('*')} ${colorName(r.name, ctx)} ${c.gray(`joined #${safe(r.room)}`)}`];
        }
        case 'left':
          // Our own move is told by the `joined` that follows; our own disconnect by `disconnected`.
          if (ctx.me !== undefined && sameName(r.name, ctx.me)) return [];
          return [
            `${clock(r.ts)} ${c.gray('*')} ${colorName(r.name, ctx)} ${c.gray(`left #${safe(r.room)} (${LEFT_REASON[r.reason]})`)}`,
          ];
        case 'error':
          return [`${now} ${c.red(`! ${safe(r.message)}`)} ${c.dim(`(${r.code})`)}`];
        case 'system':
          return [notice(r.text)];
        case 'history': {
          // Shown before the client reconnected: not twice.
          if (item.repeat === true) return [];
          // Dimmed whole, so the eye tells replayed context from what is said now.
          const line = c.dim(`${formatClock(r.ts)} #${safe(r.room)} ${safe(r.from)}: ${safe(r.text)}`);
          return item.historyStart === true ? [c.dim(HISTORY_SEPARATOR), line] : [line];
        }
        case 'disconnected':
          return [notice('Disconnected. Bye!')];
      }
    }
  }
}

/** `3 lines queued: …` (the server's chat rate holds them back). */
function queuedText(queued: number): string {
  return `${queued} line${queued === 1 ? '' : 's'} queued: sent as the server's chat rate allows`;
}

/** A duration in ms for people: `0.42 ms`, `12 ms`. */
function formatMs(ms: number): string {
  return ms < 10 ? `${ms.toFixed(2)} ms` : `${Math.round(ms)} ms`;
}

/** The `/status` line about encryption. */
function securityText(security: SecurityStatus | undefined): string {
  if (security === undefined || !security.encrypted) return 'not encrypted (plain TCP, datagrams with a CRC only)';
  const who = security.verified === true ? 'server certificate verified' : 'server NOT verified (--insecure)';
  return `encrypted: TLS, ${who}; datagrams sealed (ChaCha20-Poly1305)`;
}

/** The `/status` line about the UDP data plane: its state, and the engine's RTT, loss and retransmissions. */
export function udpStatusText(u: UdpStatus): string {
  switch (u.state) {
    case 'disabled':
      return 'off (--no-udp)';
    case 'not-offered':
      return 'not offered by the server';
    case 'unavailable':
      return 'unavailable (no UDP socket)';
    case 'binding':
      return `binding${u.target === null ? '' : ` to ${u.target}`}…`;
    default:
      break;
  }
  const rtt = u.srttMs === null ? 'rtt –' : `rtt ${formatMs(u.srttMs)}${u.minRttMs === null ? '' : ` (min ${formatMs(u.minRttMs)})`}`;
  // Both directions, each said for what it counts: ours from the server's ACKs, the server's from the
  // gaps in its packet numbers (a download's loss is on the way in, where ACKs of ours cannot see it).
  const out = u.lossRate === null ? 'out –' : `out ${(u.lossRate * 100).toFixed(1)}% (${u.packetsLost} of ${u.packetsSent} sent, by ACKs)`;
  const inbound =
    u.inboundLossRate === null ? 'in –' : `in ${(u.inboundLossRate * 100).toFixed(1)}% (${u.peerPacketsMissing} of the server's ${u.peerPacketsSpanned} missing)`;
  const loss = `loss ${out}, ${inbound}`;
  const engine = `${rtt}, ${loss}, ${u.retransmissions} retransmission${u.retransmissions === 1 ? '' : 's'}`;
  if (u.state === 'bound') return `bound to ${u.target ?? '?'}: ${engine}`;
  const why = u.reason === null ? '' : `: ${TRANSPORT_CHANGE_TEXT[u.reason]}`;
  return `gave up${why}${u.packetsSent > 0 ? ` (was ${engine})` : ''}`;
}

/**
 * The server's welcome without its pointer to `<help>` (the bracket form, for clients that type raw
 * commands): this client says `/help` on the next line, and one pointer is enough.
 */
export function withoutBracketHelp(text: string): string {
  return text.replace(/\s*Type <help> for the commands\.\s*$/, '');
}

/**
 * The prompt: `name@room> ` once signed in (`name@room→bob> ` while a `/query` with bob is open), `name: `
 * while asking for a name; `(3 queued) ` before it while typed lines wait for the server's chat rate.
 */
export function promptText(name: string | undefined, room: string | undefined, colors: Colors, query?: string, queued = 0): string {
  if (name === undefined) return `${colors.bold('name')}: `;
  if (queued > 0) return `${colors.yellow(`(${queued} queued)`)} ${promptText(name, room, colors, query)}`;
  const where = room === undefined ? '' : `${colors.dim('@')}${colors.bold(sanitizeForTerminal(room))}`;
  const partner = query === undefined ? '' : `${colors.magenta('→')}${nameColor(query, colors)(sanitizeForTerminal(query))}`;
  return `${nameColor(name, colors)(sanitizeForTerminal(name))}${where}${partner}${colors.dim('>')} `;
}

/** True when `text` names `me` as a whole word (case-insensitively): `bob, look` and `hi @Bob!` do, `bobby` does not. */
export function mentions(text: string, me: string | undefined): boolean {
  if (me === undefined || me === '') return false;
  const lower = text.toLowerCase();
  const name = me.toLowerCase();
  const isWord = (ch: string | undefined): boolean => ch !== undefined && /[\p{L}\p{N}_]/u.test(ch);
  for (let at = lower.indexOf(name); at >= 0; at = lower.indexOf(name, at + 1)) {
    if (!isWord(lower[at - 1]) && !isWord(lower[at + name.length])) return true;
  }
  return false;
}

/** Does this item call for the terminal bell: a private message to us, or a room line that names us? */
export function wantsBell(item: Shown, me: string | undefined): boolean {
  if (item.kind !== 'reply') return false;
  const r = item.reply;
  if (r.kind === 'private') return !r.self;
  return (r.kind === 'message' || r.kind === 'action') && !r.self && mentions(r.text, me);
}
