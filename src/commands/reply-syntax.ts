// Server → client lines: Reply ⇄ `<kind>FIELDS - TEXT`. One line each, readable as raw text by a
// person watching a Python client, exact in both directions (docs/protocol.md, "Replies").
//
//   <welcome>NAME ROOM [RATE BURST] - TEXT <joined>ROOM NAME TS
//   <message>ROOM FROM TS [self] - TEXT   <left>ROOM NAME TS REASON
//   <private>FROM TO TS [self] - TEXT     <error>CODE MESSAGE
//   <users>NAME@ROOM,…[,+page P/N of T]   <system>TEXT
//   <rooms>ROOM:COUNT,…[,+page P/N of T]  <disconnected>
//   <files>NAME:SIZE,…[,+page P/N of T]   <udp>PORT CONNID TOKEN
//   <history>ROOM ID FROM TS - TEXT       <action>ROOM FROM TS [self] - TEXT
//   <topic>ROOM BY TS - TEXT              <whois>NAME ROOM,… IDLE - AWAY
//   <hold>TOKEN SECONDS                   <transport>tcp RECEIVED REASON
//
// Fields are separated by exactly one space and percent-encoded (field-encoding.ts); the free
// text is last and taken verbatim to the end of the line, so it may hold anything but CR/LF.
import { asciiLower } from './aliases.ts';
import { isErrorCode, isLeaveReason } from './error-codes.ts';
import { decodeField, encodeField } from './field-encoding.ts';
import { parseDecimal } from './numbers.ts';
import { formatPageMarker, parsePageMarker, slicePage, utf8Bytes, type PageSlice } from './list-pages.ts';
import { hasLineBreak, toOneLine } from './one-line.ts';
import { quote, quoteBare } from './quoting.ts';
import { FILE_REPLY_USAGE, formatFileReply, parseFileReplyBody } from './transfer-syntax.ts';
import { formatTransportBody, parseTransportBody, parseUdpBody, TRANSPORT_USAGE, UDP_USAGE } from './transport-syntax.ts';
import type { FileEntry, ListPage, ParseError, ParseResult, Reply, ReplyKind, RoomEntry, UserEntry } from './types.ts';

/** Each reply kind's syntax after its verb, for error messages. The verb is the kind's name. */
const REPLY_USAGE: Readonly<Record<ReplyKind, string>> = {
  welcome: 'NAME ROOM - TEXT', // or NAME ROOM RATE BURST - TEXT: the usage names the form every client knows
  message: 'ROOM FROM TS [self] - TEXT',
  private: 'FROM TO TS [self] - TEXT',
  users: 'NAME@ROOM,…[,+page P/N of T]',
  rooms: 'ROOM:COUNT,…[,+page P/N of T]',
  files: 'NAME:SIZE,…[,+page P/N of T]',
  joined: 'ROOM NAME TS',
  left: 'ROOM NAME TS REASON',
  error: 'CODE MESSAGE',
  system: 'TEXT',
  history: 'ROOM ID FROM TS - TEXT',
  action: 'ROOM FROM TS [self] - TEXT',
  topic: 'ROOM BY TS - TEXT',
  whois: 'NAME ROOM,… IDLE - AWAY',
  disconnected: '',
  udp: UDP_USAGE,
  hold: 'TOKEN SECONDS',
  transport: TRANSPORT_USAGE,
  ...FILE_REPLY_USAGE,
};

/**
 * The `<system>` text every client receives when the server shuts down in order. dualchat's client
 * reads it to tell an orderly shutdown from a lost connection (no fallback or broken-pipe messages
 * follow it); for other clients it is a plain notice.
 */
export const SHUTDOWN_NOTICE = 'server shutting down';

/** Marks a message, private message or action as the recipient's own, echoed back. */
const SELF_FLAG = 'self';
/** The IDLE of a `<whois>` about a user on another node, whose activity this node does not see. */
const IDLE_UNKNOWN = '?';
/** Ends the fields of a reply whose free text follows. */
const TEXT_MARK = '-';

function isReplyKind(s: string): s is ReplyKind {
  return Object.hasOwn(REPLY_USAGE, s);
}

function fail(code: ParseError['code'], message: string): { ok: false; error: ParseError } {
  return { ok: false, error: { kind: 'parse-error', code, message } };
}

function usage(kind: ReplyKind, why: string): { ok: false; error: ParseError } {
  return fail('bad-argument', `${why}; expected <${kind}>${REPLY_USAGE[kind]}`);
}

/** A decoded, non-empty field, or undefined. */
function field(wire: string): string | undefined {
  const v = decodeField(wire);
  return v === undefined || v === '' ? undefined : v;
}

interface Header {
  fields: string[];
  self: boolean;
  text: string;
}

/** `F1 F2 … Fn [self] -[ TEXT]`: n raw fields, the optional flag, the mark, the verbatim text. */
function splitHeader(body: string, n: number, allowSelf: boolean): Header | undefined {
  const fields: string[] = [];
  let pos = 0;
  for (let i = 0; i < n; i++) {
    const sp = body.indexOf(' ', pos);
    if (sp < 0) return undefined;
    fields.push(body.slice(pos, sp));
    pos = sp + 1;
  }
  let self = false;
  if (allowSelf && body.startsWith(`${SELF_FLAG} `, pos)) {
    self = true;
    pos += SELF_FLAG.length + 1;
  }
  if (!body.startsWith(TEXT_MARK, pos)) return undefined;
  pos += TEXT_MARK.length;
  if (pos === body.length) return { fields, self, text: '' };
  if (body[pos] !== ' ') return undefined;
  return { fields, self, text: body.slice(pos + 1) };
}

/** `F1 F2 TS [self] - TEXT` (message, private, action, topic): two non-empty fields and a time stamp, decoded. */
function namesAndTime(body: string, allowSelf: boolean): { first: string; second: string; ts: number; self: boolean; text: string } | undefined {
  const h = splitHeader(body, 3, allowSelf);
  const first = h && field(h.fields[0] ?? '');
  const second = h && field(h.fields[1] ?? '');
  const ts = h && parseDecimal(h.fields[2] ?? '');
  if (h === undefined || first === undefined || second === undefined || ts === undefined) return undefined;
  return { first, second, ts, self: h.self, text: h.text };
}

/** A list's items and, when its last item is a page marker, the page. */
interface SplitList {
  items: Array<[string, string]>;
  page?: ListPage;
}

/**
 * A comma-separated list whose items are `A<sep>B`, split at the first `@` or the last `:`; a last
 * item that is a page marker (list-pages.ts) is the page instead.
 */
function splitList(body: string, sep: '@' | ':'): SplitList | undefined {
  if (body === '') return { items: [] };
  const all = body.split(',');
  const page = parsePageMarker(all[all.length - 1] ?? '');
  if (page !== undefined) all.pop();
  const out: Array<[string, string]> = [];
  for (const item of all) {
    const at = sep === '@' ? item.indexOf(sep) : item.lastIndexOf(sep);
    if (at < 0) return undefined;
    out.push([item.slice(0, at), item.slice(at + 1)]);
  }
  return page === undefined ? { items: out } : { items: out, page };
}

/** `page` as a reply's optional field. */
function withPage(page: ListPage | undefined): { page?: ListPage } {
  return page === undefined ? {} : { page };
}

function parseBody(kind: ReplyKind, body: string): ParseResult<Reply> {
  switch (kind) {
    case 'welcome': {
      // With the chat rate limit (RATE BURST) or without it (an older server).
      const withLimits = splitHeader(body, 4, false);
      const rate = withLimits && parseRateFigure(withLimits.fields[2] ?? '');
      const burst = withLimits && parseRateFigure(withLimits.fields[3] ?? '');
      const limited = rate !== undefined && burst !== undefined;
      const h = limited ? withLimits : splitHeader(body, 2, false);
      const name = h && field(h.fields[0] ?? '');
      const room = h && field(h.fields[1] ?? '');
      if (h === undefined || name === undefined || room === undefined) return usage(kind, 'bad welcome');
      return { ok: true, value: { kind, name, room, text: h.text, ...(limited ? { limits: { rate, burst } } : {}) } };
    }
    case 'message':
    case 'action': {
      const h = namesAndTime(body, true);
      if (h === undefined) return usage(kind, `bad ${kind} header`);
      return { ok: true, value: { kind, from: h.second, room: h.first, ts: h.ts, self: h.self, text: h.text } };
    }
    case 'topic': {
      const h = namesAndTime(body, false);
      if (h === undefined) return usage(kind, 'bad topic');
      return { ok: true, value: { kind, room: h.first, by: h.second, ts: h.ts, text: h.text } };
    }
    case 'whois':
      return parseWhois(body);
    case 'private': {
      const h = namesAndTime(body, true);
      if (h === undefined) return usage(kind, 'bad private message header');
      return { ok: true, value: { kind, from: h.first, to: h.second, ts: h.ts, self: h.self, text: h.text } };
    }
    case 'users': {
      const list = splitList(body, '@');
      const users: UserEntry[] = [];
      for (const [n, r] of list?.items ?? []) {
        const name = field(n);
        const room = field(r);
        if (name === undefined || room === undefined) return usage(kind, 'bad user entry');
        users.push({ name, room });
      }
      return list === undefined ? usage(kind, 'a user entry lacks "@"') : { ok: true, value: { kind, users, ...withPage(list.page) } };
    }
    case 'rooms': {
      const list = splitList(body, ':');
      const rooms: RoomEntry[] = [];
      for (const [n, c] of list?.items ?? []) {
        const name = field(n);
        const count = parseDecimal(c);
        if (name === undefined || count === undefined) return usage(kind, 'bad room entry');
        rooms.push({ name, count });
      }
      return list === undefined ? usage(kind, 'a room entry lacks ":"') : { ok: true, value: { kind, rooms, ...withPage(list.page) } };
    }
    case 'files': {
      const list = splitList(body, ':');
      const files: FileEntry[] = [];
      for (const [n, s] of list?.items ?? []) {
        const name = field(n);
        const size = parseDecimal(s);
        if (name === undefined || size === undefined) return usage(kind, 'bad file entry');
        files.push({ name, size });
      }
      return list === undefined ? usage(kind, 'a file entry lacks ":"') : { ok: true, value: { kind, files, ...withPage(list.page) } };
    }
    case 'joined':
    case 'left': {
      const parts = body.split(' ');
      const want = kind === 'joined' ? 3 : 4;
      if (parts.length !== want) return usage(kind, `expected ${want} fields, got ${parts.length}`);
      const room = field(parts[0] ?? '');
      const name = field(parts[1] ?? '');
      const ts = parseDecimal(parts[2] ?? '');
      if (room === undefined || name === undefined || ts === undefined) return usage(kind, 'bad field');
      if (kind === 'joined') return { ok: true, value: { kind, name, room, ts } };
      const reason = parts[3] ?? '';
      if (!isLeaveReason(reason)) return usage(kind, `unknown reason ${quote(reason)}`);
      return { ok: true, value: { kind, name, room, ts, reason } };
    }
    case 'error': {
      const sp = body.indexOf(' ');
      const code = sp < 0 ? body : body.slice(0, sp);
      if (!isErrorCode(code)) return usage(kind, `unknown error code ${quote(code)}`);
      return { ok: true, value: { kind, code, message: sp < 0 ? '' : body.slice(sp + 1) } };
    }
    case 'system':
      return { ok: true, value: { kind, text: body } };
    case 'history': {
      const h = splitHeader(body, 4, false);
      const room = h && field(h.fields[0] ?? '');
      const id = h && parseDecimal(h.fields[1] ?? '');
      const from = h && field(h.fields[2] ?? '');
      const ts = h && parseDecimal(h.fields[3] ?? '');
      if (h === undefined || room === undefined || id === undefined || from === undefined || ts === undefined) {
        return usage(kind, 'bad history header');
      }
      return { ok: true, value: { kind, room, id, from, ts, text: h.text } };
    }
    case 'disconnected':
      return body === '' ? { ok: true, value: { kind } } : usage(kind, 'unexpected text after the verb');
    case 'udp': {
      const offer = parseUdpBody(body);
      return offer.ok ? { ok: true, value: { kind, ...offer.value } } : usage(kind, offer.why);
    }
    case 'hold': {
      const [token, seconds, ...extra] = body.split(' ');
      const s = parseDecimal(seconds ?? '');
      if (token === undefined || !/^[0-9a-f]+$/.test(token) || s === undefined || extra.length > 0) return usage(kind, 'bad hold');
      return { ok: true, value: { kind, token, seconds: s } };
    }
    case 'transport': {
      const fields = parseTransportBody(body);
      return fields.ok ? { ok: true, value: { kind, ...fields.value } } : usage(kind, fields.why);
    }
    case 'sending':
    case 'queued':
    case 'ready':
    case 'stored':
    case 'offer':
    case 'delivered':
    case 'aborted':
    case 'refused':
    case 'chunk': {
      const file = parseFileReplyBody(kind, body);
      return file.ok ? { ok: true, value: file.value } : usage(kind, file.why);
    }
  }
}

/** `NAME ROOM,… IDLE - AWAY`: at least one room; IDLE seconds or `?`; an empty AWAY is not away. */
function parseWhois(body: string): ParseResult<Reply> {
  const h = splitHeader(body, 3, false);
  const name = h && field(h.fields[0] ?? '');
  const rooms = h === undefined || h.fields[1] === '' ? [] : (h.fields[1] ?? '').split(',').map(field);
  const idleField = h?.fields[2] ?? '';
  const idle = idleField === IDLE_UNKNOWN ? undefined : parseDecimal(idleField);
  if (h === undefined || name === undefined || rooms.length === 0 || (idle === undefined && idleField !== IDLE_UNKNOWN)) {
    return usage('whois', 'bad whois');
  }
  const named: string[] = [];
  for (const room of rooms) {
    if (room === undefined) return usage('whois', 'bad room');
    named.push(room);
  }
  return {
    ok: true,
    value: { kind: 'whois', name, rooms: named, ...(idle !== undefined ? { idle } : {}), ...(h.text !== '' ? { away: h.text } : {}) },
  };
}

/** One server → client line (without its terminator) → Reply, or why not. Never throws.
 * Leading white space is ignored; nothing else is trimmed, because free text is verbatim. */
export function parseReply(line: string): ParseResult<Reply> {
  if (hasLineBreak(line)) return fail('bad-command', 'a reply is one line: it cannot contain CR or LF');
  const s = line.trimStart();
  if (!s.startsWith('<')) return fail('bad-command', 'a reply starts with "<", e.g. <system>hello');
  const close = s.indexOf('>');
  if (close < 0) return fail('bad-command', 'missing ">" after the reply verb');
  const verb = asciiLower(s.slice(1, close));
  if (!isReplyKind(verb)) {
    return fail('unknown-command', `unknown reply <${quoteBare(verb)}>`);
  }
  return parseBody(verb, s.slice(close + 1));
}

/** A rate or burst figure of `<welcome>`: a non-negative decimal, a fraction allowed (`--rate-limit 0.5`). */
const RATE_FIGURE = /^\d{1,7}(?:\.\d{1,17})?$/;

function parseRateFigure(text: string): number | undefined {
  return RATE_FIGURE.test(text) ? Number(text) : undefined;
}

/** Written without an exponent (`String(1e-7)` would be `1e-7`): fractions to 9 places, trailing zeros dropped. */
function formatRateFigure(n: number): string {
  if (Number.isInteger(n)) return String(n);
  const written = n.toFixed(9).replace(/\.?0+$/, '');
  return written === '0' ? '0.000000001' : written; // a tiny limit is still a limit, never "none"
}

const userEntry = (u: UserEntry): string => `${encodeField(u.name)}@${encodeField(u.room)}`;
const roomEntry = (x: RoomEntry): string => `${encodeField(x.name)}:${x.count}`;
const fileEntry = (f: FileEntry): string => `${encodeField(f.name)}:${f.size}`;

/** HEAD, the entries joined by ",", the page marker last if there is one. */
function listLine(head: string, entries: string[], page: ListPage | undefined): string {
  if (page !== undefined) entries.push(formatPageMarker(page));
  return head + entries.join(',');
}

/** A list reply: users, rooms or files. */
export type ListReply = Extract<Reply, { kind: 'users' | 'rooms' | 'files' }>;

/** Page `asked` (undefined: the first) of one whole list: see listPager. */
export type ListPager<K extends ListReply['kind']> = (asked: number | undefined) => Extract<ListReply, { kind: K }>;

/**
 * The pages of the whole list `reply`, each a line of at most `maxBytes` bytes (list-pages.ts): the
 * whole list, unmarked, when it fits and no page was asked for. Every entry is measured once, here, so
 * a shell that keeps the pager serves each further page in time linear in the count, not the bytes.
 */
export function listPager<K extends ListReply['kind']>(reply: Extract<ListReply, { kind: K }>, maxBytes: number): ListPager<K> {
  const list: ListReply = reply;
  const sizes = entryLines(list).map(utf8Bytes);
  const head = list.kind.length + 2;
  // Each case builds a reply of the kind it was given: the kind, and so the type, is kept.
  return (asked) => pageOf(list, slicePage(sizes, head, maxBytes, asked)) as Extract<ListReply, { kind: K }>;
}

/** Page `asked` of the whole list `reply` (listPager, used once). */
export function pagedReply<K extends ListReply['kind']>(reply: Extract<ListReply, { kind: K }>, asked: number | undefined, maxBytes: number): Extract<ListReply, { kind: K }> {
  return listPager(reply, maxBytes)(asked);
}

/** Each entry of a list reply as written on its line. */
function entryLines(reply: ListReply): string[] {
  switch (reply.kind) {
    case 'users':
      return reply.users.map(userEntry);
    case 'rooms':
      return reply.rooms.map(roomEntry);
    case 'files':
      return reply.files.map(fileEntry);
  }
}

/** The entries `[from, to)` of `reply`, with the page marker if any. */
function pageOf(reply: ListReply, s: PageSlice): ListReply {
  switch (reply.kind) {
    case 'users':
      return { kind: 'users', users: reply.users.slice(s.from, s.to), ...withPage(s.page) };
    case 'rooms':
      return { kind: 'rooms', rooms: reply.rooms.slice(s.from, s.to), ...withPage(s.page) };
    case 'files':
      return { kind: 'files', files: reply.files.slice(s.from, s.to), ...withPage(s.page) };
  }
}

function withText(head: string, self: boolean, text: string): string {
  const flagged = self ? `${head} ${SELF_FLAG}` : head;
  const t = toOneLine(text);
  return t === '' ? `${flagged} ${TEXT_MARK}` : `${flagged} ${TEXT_MARK} ${t}`;
}

/**
 * Reply → its line (no terminator). parseReply(formatReply(r)) deep-equals r for every valid r:
 * name/room/file fields non-empty, numbers non-negative safe integers, no CR/LF in free text
 * (CR and LF in free text are written as spaces; fields encode them exactly). Never throws.
 */
export function formatReply(r: Reply): string {
  const e = encodeField;
  switch (r.kind) {
    case 'welcome': {
      const limits = r.limits === undefined ? '' : ` ${formatRateFigure(r.limits.rate)} ${formatRateFigure(r.limits.burst)}`;
      return withText(`<welcome>${e(r.name)} ${e(r.room)}${limits}`, false, r.text);
    }
    case 'message':
      return withText(`<message>${e(r.room)} ${e(r.from)} ${r.ts}`, r.self, r.text);
    case 'private':
      return withText(`<private>${e(r.from)} ${e(r.to)} ${r.ts}`, r.self, r.text);
    case 'users':
      return listLine('<users>', r.users.map(userEntry), r.page);
    case 'rooms':
      return listLine('<rooms>', r.rooms.map(roomEntry), r.page);
    case 'files':
      return listLine('<files>', r.files.map(fileEntry), r.page);
    case 'joined':
      return `<joined>${e(r.room)} ${e(r.name)} ${r.ts}`;
    case 'left':
      return `<left>${e(r.room)} ${e(r.name)} ${r.ts} ${r.reason}`;
    case 'error': {
      const m = toOneLine(r.message);
      return m === '' ? `<error>${r.code}` : `<error>${r.code} ${m}`;
    }
    case 'system':
      return `<system>${toOneLine(r.text)}`;
    case 'history':
      return withText(`<history>${e(r.room)} ${r.id} ${e(r.from)} ${r.ts}`, false, r.text);
    case 'action':
      return withText(`<action>${e(r.room)} ${e(r.from)} ${r.ts}`, r.self, r.text);
    case 'topic':
      return withText(`<topic>${e(r.room)} ${e(r.by)} ${r.ts}`, false, r.text);
    case 'whois':
      return withText(`<whois>${e(r.name)} ${r.rooms.map(e).join(',')} ${r.idle === undefined ? IDLE_UNKNOWN : r.idle}`, false, r.away ?? '');
    case 'disconnected':
      return '<disconnected>';
    case 'udp':
      return `<udp>${r.port} ${r.connectionId} ${r.token.toLowerCase()}`;
    case 'hold':
      return `<hold>${r.token.toLowerCase()} ${r.seconds}`;
    case 'transport':
      return `<transport>${formatTransportBody(r)}`;
    case 'sending':
    case 'queued':
    case 'ready':
    case 'stored':
    case 'offer':
    case 'delivered':
    case 'aborted':
    case 'refused':
    case 'chunk':
      return formatFileReply(r);
  }
}
