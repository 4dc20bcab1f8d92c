// The file-transfer lines (docs/protocol.md, "File transfers"; flows in docs/files.md): the client's
// TransferCommands (`<resume>`, `<sendimage>`, `<accept>`, `<decline>`, `<received>`, `<chunk>`),
// which the server shell hands to the files coordinator without the hub, and the bodies of the file
// replies (`<sending>`, `<queued>`, `<ready>`, `<stored>`, `<offer>`, `<delivered>`, `<aborted>`,
// `<refused>`, `<chunk>`), which reply-syntax.ts reads and writes. Pure and total.
import { appendFreeText, readFreeText, readToken, writeFreeText, writeToken } from './arguments.ts';
import { isErrorCode } from './error-codes.ts';
import { decodeField, encodeField } from './field-encoding.ts';
import { formatCrc32, parseCrc32, parseDecimal } from './numbers.ts';
import { toOneLine } from './one-line.ts';
import { quote } from './quoting.ts';
import type {
  AbortCode,
  FileReply,
  FileReplyKind,
  ParseError,
  ParseResult,
  RefusedRequest,
  TransferCommand,
  TransferCommandKind,
} from './types.ts';
import { parseFailure as fail, splitVerb, verbOf } from './verb.ts';

/** Transfer ids are u32 other than 0 (docs/files.md, "Chunk messages"). */
export const MAX_TRANSFER_ID = 0xffff_ffff;

/** Every AbortCode and its meaning (docs/protocol.md copies these). */
export const ABORT_CODE_MEANINGS: Readonly<Record<AbortCode, string>> = {
  cancelled: 'one side cancelled the transfer',
  changed: 'the file changed while it was being sent',
  'read-failed': 'the sender could not read the file',
  'link-lost': 'the data plane carrying the chunks went away',
  protocol: 'a chunk arrived out of place',
  size: 'more or fewer bytes arrived than announced',
  crc: 'the bytes arrived damaged (whole-file CRC-32 mismatch)',
  'write-failed': 'the receiver could not write the file (disk full, permissions)',
  declined: 'the recipient declined the file',
  expired: 'the recipient did not answer the offer in time',
  'user-left': 'the other party went away',
  internal: 'the server could not open, create or store a file',
};

export function isAbortCode(s: string): s is AbortCode {
  return Object.hasOwn(ABORT_CODE_MEANINGS, s);
}

const REFUSED_REQUESTS: readonly RefusedRequest[] = ['download', 'upload', 'sendfile'];

function isRefusedRequest(s: string): s is RefusedRequest {
  return (REFUSED_REQUESTS as readonly string[]).includes(s);
}

/** Argument syntax of each TransferCommand, after `usage: <verb>`. */
export const TRANSFER_USAGE: Readonly<Record<TransferCommandKind, string>> = {
  resume: 'OFFSET SIZE CRC NAME',
  sendimage: 'USER SIZE CRC NAME',
  accept: 'ID',
  decline: 'ID',
  received: 'ID',
  chunk: 'BASE64',
};

/** The client verbs that are TransferCommands (lower case; the verb is the kind's name). */
export const TRANSFER_VERBS: ReadonlySet<string> = new Set(Object.keys(TRANSFER_USAGE));

export function isTransferVerb(s: string): s is TransferCommandKind {
  return TRANSFER_VERBS.has(s);
}

/** Syntax of each file reply after its verb, for error messages. */
export const FILE_REPLY_USAGE: Readonly<Record<FileReplyKind | 'chunk', string>> = {
  sending: 'ID SIZE CRC OFFSET NAME',
  queued: 'ID POSITION NAME',
  ready: 'ID NAME',
  stored: 'ID NAME',
  offer: 'ID FROM SIZE CRC NAME',
  delivered: 'ID USER NAME',
  aborted: 'ID CODE MESSAGE',
  refused: 'REQUEST CODE NAME - MESSAGE',
  chunk: 'BASE64',
};

/** Canonical-alphabet base64 with padding only at the end (RFC 4648 §4). */
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Is `s` standard base64 (full quads, `=` padding only at the end)? The decoder checks canonical bits. */
export function isBase64(s: string): boolean {
  return BASE64.test(s);
}

/** A transfer id written in decimal (1 … 2^32 − 1), or undefined. */
export function parseTransferId(s: string): number | undefined {
  const n = parseDecimal(s.trim());
  return n !== undefined && n >= 1 && n <= MAX_TRANSFER_ID ? n : undefined;
}

// ---- client → server ---------------------------------------------------------------------------

function usage(kind: TransferCommandKind, why?: string): { ok: false; error: ParseError } {
  const form = `<${kind}>${TRANSFER_USAGE[kind]}`;
  return fail('bad-argument', why === undefined ? `usage: ${form}` : `${why}; usage: ${form}`);
}

type Scan<T> = { ok: true; value: T; rest: string } | { ok: false; error: ParseError };

function number(rest: string, kind: TransferCommandKind, what: string): Scan<number> {
  const tok = readToken(rest);
  if (!tok.ok || tok.token === '') return usage(kind);
  const n = parseDecimal(tok.token);
  if (n === undefined) return usage(kind, `${what} must be a decimal number of bytes, got ${quote(tok.token)}`);
  return { ok: true, value: n, rest: tok.rest };
}

function crc(rest: string, kind: TransferCommandKind): Scan<number> {
  const tok = readToken(rest);
  if (!tok.ok || tok.token === '') return usage(kind);
  const n = parseCrc32(tok.token);
  if (n === undefined) return usage(kind, `CRC must be 8 hexadecimal digits, got ${quote(tok.token)}`);
  return { ok: true, value: n, rest: tok.rest };
}

function transferId(rest: string, kind: TransferCommandKind): ParseResult<number> {
  const text = readFreeText(rest);
  if (text === '') return usage(kind);
  const id = parseTransferId(text);
  return id === undefined ? usage(kind, `ID must be a transfer number from 1 to ${MAX_TRANSFER_ID}, got ${quote(text)}`) : { ok: true, value: id };
}

/** The arguments of a file-transfer line whose verb is `kind`. */
export function parseTransferArguments(kind: TransferCommandKind, rest: string): ParseResult<TransferCommand> {
  switch (kind) {
    case 'resume': {
      const offset = number(rest, kind, 'OFFSET');
      if (!offset.ok) return offset;
      const size = number(offset.rest, kind, 'SIZE');
      if (!size.ok) return size;
      const c = crc(size.rest, kind);
      if (!c.ok) return c;
      const name = readFreeText(c.rest);
      if (name === '') return usage(kind, 'missing file NAME');
      if (offset.value > size.value) return usage(kind, `OFFSET ${offset.value} is past the end of a ${size.value}-byte file`);
      return { ok: true, value: { kind, offset: offset.value, size: size.value, crc: c.value, name } };
    }
    case 'sendimage': {
      const to = readToken(rest);
      if (!to.ok || to.token === '') return usage(kind);
      const size = number(to.rest, kind, 'SIZE');
      if (!size.ok) return size;
      const c = crc(size.rest, kind);
      if (!c.ok) return c;
      const name = readFreeText(c.rest);
      if (name === '') return usage(kind, 'missing file NAME');
      return { ok: true, value: { kind, to: to.token, size: size.value, crc: c.value, name } };
    }
    case 'accept':
    case 'decline':
    case 'received': {
      const id = transferId(rest, kind);
      return id.ok ? { ok: true, value: { kind, id: id.value } } : id;
    }
    case 'chunk': {
      const data = rest.trim();
      if (data === '') return usage(kind, 'missing chunk data');
      return isBase64(data) ? { ok: true, value: { kind, data } } : usage(kind, 'the chunk is not standard base64');
    }
  }
}

/**
 * A client line → TransferCommand if its verb is one of TRANSFER_VERBS (any case), else undefined
 * (the line is for parseCommand or parseTransportCommand). Never throws.
 */
export function parseTransferCommand(line: string): ParseResult<TransferCommand> | undefined {
  const verb = verbOf(line);
  if (verb === undefined || !isTransferVerb(verb)) return undefined;
  const split = splitVerb(line);
  return split.ok ? parseTransferArguments(verb, split.rest) : split;
}

/** TransferCommand → its line (no terminator); parseTransferCommand gives it back exactly. */
export function formatTransferCommand(c: TransferCommand): string {
  const verb = `<${c.kind}>`;
  switch (c.kind) {
    case 'resume':
      return appendFreeText(`${verb}${c.offset} ${c.size} ${formatCrc32(c.crc)}`, c.name);
    case 'sendimage':
      return appendFreeText(`${verb}${writeToken(c.to)} ${c.size} ${formatCrc32(c.crc)}`, c.name);
    case 'accept':
    case 'decline':
    case 'received':
      return `${verb}${c.id}`;
    case 'chunk':
      return `${verb}${writeFreeText(c.data)}`;
  }
}

// ---- server → client ---------------------------------------------------------------------------

/** The verbs of the file replies (the verb is the kind's name). */
export const FILE_REPLY_VERBS: ReadonlySet<string> = new Set(Object.keys(FILE_REPLY_USAGE));

export function isFileReplyKind(s: string): s is FileReplyKind | 'chunk' {
  return FILE_REPLY_VERBS.has(s);
}

/** Ends the fields of `<refused>`, whose free text follows (as in `<message>`). */
const TEXT_MARK = '-';

export type BodyResult = { ok: true; value: FileReply | { kind: 'chunk'; data: string } } | { ok: false; why: string };

/** A decoded, non-empty field, or undefined. */
function field(wire: string | undefined): string | undefined {
  if (wire === undefined) return undefined;
  const v = decodeField(wire);
  return v === undefined || v === '' ? undefined : v;
}

function id(wire: string | undefined): number | undefined {
  return wire === undefined ? undefined : parseTransferId(wire);
}

function nat(wire: string | undefined): number | undefined {
  return wire === undefined ? undefined : parseDecimal(wire);
}

function fields(body: string, n: number): string[] | undefined {
  const parts = body.split(' ');
  return parts.length === n ? parts : undefined;
}

function bad(why: string): { ok: false; why: string } {
  return { ok: false, why };
}

/** The body of a file reply (after `<kind>`) → the reply, or why not (a phrase). */
export function parseFileReplyBody(kind: FileReplyKind | 'chunk', body: string): BodyResult {
  switch (kind) {
    case 'sending': {
      const p = fields(body, 5);
      const [i, s, c, o, n] = [id(p?.[0]), nat(p?.[1]), parseCrc32(p?.[2] ?? ''), nat(p?.[3]), field(p?.[4])];
      if (i === undefined || s === undefined || c === undefined || o === undefined || n === undefined) return bad('bad sending header');
      if (o > s) return bad(`OFFSET ${o} is past the end of a ${s}-byte file`);
      return { ok: true, value: { kind, id: i, size: s, crc: c, offset: o, name: n } };
    }
    case 'queued': {
      const p = fields(body, 3);
      const [i, pos, n] = [id(p?.[0]), nat(p?.[1]), field(p?.[2])];
      if (i === undefined || pos === undefined || pos < 1 || n === undefined) return bad('bad queued header');
      return { ok: true, value: { kind, id: i, position: pos, name: n } };
    }
    case 'ready':
    case 'stored': {
      const p = fields(body, 2);
      const [i, n] = [id(p?.[0]), field(p?.[1])];
      if (i === undefined || n === undefined) return bad(`bad ${kind} header`);
      return { ok: true, value: { kind, id: i, name: n } };
    }
    case 'offer': {
      const p = fields(body, 5);
      const [i, from, s, c, n] = [id(p?.[0]), field(p?.[1]), nat(p?.[2]), parseCrc32(p?.[3] ?? ''), field(p?.[4])];
      if (i === undefined || from === undefined || s === undefined || c === undefined || n === undefined) return bad('bad offer header');
      return { ok: true, value: { kind, id: i, from, size: s, crc: c, name: n } };
    }
    case 'delivered': {
      const p = fields(body, 3);
      const [i, to, n] = [id(p?.[0]), field(p?.[1]), field(p?.[2])];
      if (i === undefined || to === undefined || n === undefined) return bad('bad delivered header');
      return { ok: true, value: { kind, id: i, to, name: n } };
    }
    case 'aborted': {
      const first = body.indexOf(' ');
      const i = id(first < 0 ? body : body.slice(0, first));
      if (i === undefined) return bad('bad transfer id');
      const rest = first < 0 ? '' : body.slice(first + 1);
      const sp = rest.indexOf(' ');
      const code = sp < 0 ? rest : rest.slice(0, sp);
      if (!isAbortCode(code)) return bad(`unknown abort code ${quote(code)}`);
      return { ok: true, value: { kind, id: i, code, message: sp < 0 ? '' : rest.slice(sp + 1) } };
    }
    case 'refused': {
      const p = body.split(' ');
      const [request = '', code = '', name = '', mark] = p;
      if (!isRefusedRequest(request)) return bad(`unknown request ${quote(request)}`);
      if (!isErrorCode(code)) return bad(`unknown error code ${quote(code)}`);
      const n = field(name);
      if (n === undefined || mark !== TEXT_MARK) return bad('bad refused header');
      const head = `${request} ${code} ${name} ${TEXT_MARK}`;
      const text = body.length === head.length ? '' : body.startsWith(' ', head.length) ? body.slice(head.length + 1) : undefined;
      if (text === undefined) return bad('bad refused header');
      return { ok: true, value: { kind, request, code, name: n, message: text } };
    }
    case 'chunk':
      return body !== '' && isBase64(body) ? { ok: true, value: { kind, data: body } } : bad('the chunk is not standard base64');
  }
}

/** A file reply → its line (no terminator). parseReply gives it back exactly for valid values. */
export function formatFileReply(r: FileReply | { kind: 'chunk'; data: string }): string {
  const e = encodeField;
  switch (r.kind) {
    case 'sending':
      return `<sending>${r.id} ${r.size} ${formatCrc32(r.crc)} ${r.offset} ${e(r.name)}`;
    case 'queued':
      return `<queued>${r.id} ${r.position} ${e(r.name)}`;
    case 'ready':
    case 'stored':
      return `<${r.kind}>${r.id} ${e(r.name)}`;
    case 'offer':
      return `<offer>${r.id} ${e(r.from)} ${r.size} ${formatCrc32(r.crc)} ${e(r.name)}`;
    case 'delivered':
      return `<delivered>${r.id} ${e(r.to)} ${e(r.name)}`;
    case 'aborted': {
      const m = toOneLine(r.message);
      return m === '' ? `<aborted>${r.id} ${r.code}` : `<aborted>${r.id} ${r.code} ${m}`;
    }
    case 'refused': {
      const m = toOneLine(r.message);
      const head = `<refused>${r.request} ${r.code} ${e(r.name)} ${TEXT_MARK}`;
      return m === '' ? head : `${head} ${m}`;
    }
    case 'chunk':
      return `<chunk>${r.data}`;
  }
}
