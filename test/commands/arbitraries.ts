// fast-check generators for valid commands and replies (docs/protocol.md, "Valid values"), and
// for hostile strings. Characters the grammar treats specially are drawn far more often than
// chance would, so brackets, commas, colons and spaces meet in every possible arrangement.
// Records are spread into plain objects: fc.record builds null-prototype objects, which
// toStrictEqual would tell apart from the parser's.
import fc from 'fast-check';
import { ERROR_CODE_MEANINGS, LEAVE_REASON_MEANINGS } from '../../src/commands/error-codes.ts';
import { ABORT_CODE_MEANINGS } from '../../src/commands/transfer-syntax.ts';
import { TRANSPORT_REASON_MEANINGS } from '../../src/commands/transport-syntax.ts';
import type { AbortCode, Command, ErrorCode, LeaveReason, Reply, TransferCommand, TransportReason } from '../../src/commands/types.ts';

const SPECIAL = ['<', '>', ',', ':', '@', '%', '-', ' ', ' ', '\t', '\u00a0', '\u2028', '"', '/', '.'];
const LETTERS = ['a', 'b', 'Z', '0', '7', 'é', 'ß', 'İ', '\u212a', '😀', '中'];

/** One character (or code unit): specials, letters, any code point, a lone surrogate. */
export const anyChar: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...SPECIAL) },
  { weight: 4, arbitrary: fc.constantFrom(...LETTERS) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }) },
  { weight: 1, arbitrary: fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c)) },
  { weight: 1, arbitrary: fc.constantFrom('\r', '\n', '\x00', '\x7f') },
);

const withoutLineBreaks = (s: string): string => s.replace(/[\r\n]/g, ' ');

/** Any string without CR/LF: reply free text (may be empty, may have outer spaces). */
export const lineText: fc.Arbitrary<string> = fc.string({ unit: anyChar, maxLength: 40 }).map(withoutLineBreaks);

/** Command free text: one line, trimmed, non-empty. */
export const commandText: fc.Arbitrary<string> = lineText.map((s) => s.trim()).filter((s) => s !== '');

/** A token (user name in a command): bare, or bracketable (no brackets) when it has spaces/commas. */
export const commandToken: fc.Arbitrary<string> = fc.oneof(
  commandText.map((s) => s.replace(/[\s,]/g, '_')).filter((s) => !s.startsWith('<')),
  commandText.map((s) => s.replace(/[<>]/g, '').trim()).filter((s) => s !== ''),
);

const size = fc.maxSafeNat();
const crc = fc.integer({ min: 0, max: 0xffffffff });

const optionalText = fc.option(commandText, { nil: undefined });
/** The own name of `<get_users>NAME` and `<get_files>NAME`: any text but a page (`+N`). */
const ownName = optionalText.filter((arg) => arg === undefined || !/^\+[0-9]+$/.test(arg));
const listPageNumber = fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER });

/** Every Command kind, with valid fields. */
export const command: fc.Arbitrary<Command> = fc.oneof(
  commandText.map((name): Command => ({ kind: 'connect', name })),
  optionalText.map((arg): Command => (arg === undefined ? { kind: 'disconnect' } : { kind: 'disconnect', arg })),
  ownName.map((arg): Command => (arg === undefined ? { kind: 'users' } : { kind: 'users', arg })),
  ownName.map((arg): Command => (arg === undefined ? { kind: 'listfiles' } : { kind: 'listfiles', arg })),
  fc.record({ kind: fc.constantFrom('users' as const, 'listfiles' as const, 'rooms' as const), page: listPageNumber }).map(({ kind, page }): Command => ({ kind, page })),
  commandText.map((text): Command => ({ kind: 'broadcast', text })),
  fc.record({ to: commandToken, text: commandText }).map(({ to, text }): Command => ({ kind: 'private', to, text })),
  commandText.map((file): Command => ({ kind: 'download', file })),
  commandText.map((room): Command => ({ kind: 'join', room })),
  fc.constantFrom<Command>({ kind: 'leave' }, { kind: 'rooms' }, { kind: 'help' }, { kind: 'stats' }),
  fc.record({ name: commandText, size, crc }).map((r): Command => ({ kind: 'upload', ...r })),
  fc.record({ to: commandToken, name: commandText, size, crc }).map((r): Command => ({ kind: 'sendfile', ...r })),
  commandText.map((id): Command => ({ kind: 'cancel', id })),
  // The IRC habits.
  commandText.map((name): Command => ({ kind: 'rename', name })),
  commandText.map((name): Command => ({ kind: 'whois', name })),
  commandText.map((text): Command => ({ kind: 'action', text })),
  optionalText.map((text): Command => (text === undefined ? { kind: 'away' } : { kind: 'away', text })),
  optionalText.map((text): Command => (text === undefined ? { kind: 'topic' } : { kind: 'topic', text })),
);

/** A reply field (name, room, file name): any non-empty string, line breaks included. */
export const replyField: fc.Arbitrary<string> = fc.string({ unit: anyChar, minLength: 1, maxLength: 20 });

const nat = fc.maxSafeNat();
/** A list reply's page marker, or none. */
const optionalPage = fc.option(
  fc.record({ page: fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }), pages: fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }), total: nat }).map(({ page, pages, total }) => ({ page, pages, total })),
  { nil: undefined },
);
const errorCode = fc.constantFrom(...(Object.keys(ERROR_CODE_MEANINGS) as ErrorCode[]));
const leaveReason = fc.constantFrom(...(Object.keys(LEAVE_REASON_MEANINGS) as LeaveReason[]));
export const transportReason = fc.constantFrom(...(Object.keys(TRANSPORT_REASON_MEANINGS) as TransportReason[]));

/** A transfer id: 1 … 2^32 − 1. */
export const transferId = fc.integer({ min: 1, max: 0xffff_ffff });
const abortCode = fc.constantFrom(...(Object.keys(ABORT_CODE_MEANINGS) as AbortCode[]));

/** Canonical base64 of 0–64 bytes (a chunk message in the TCP fallback). */
export const base64 = fc.uint8Array({ minLength: 1, maxLength: 64 }).map((b) => Buffer.from(b).toString('base64'));

/** Every file reply (and `<chunk>`), with valid fields. */
export const fileReply: fc.Arbitrary<Reply> = fc.oneof(
  fc
    .record({ id: transferId, size: nat, crc, name: replyField })
    .chain((r) => fc.integer({ min: 0, max: r.size }).map((offset): Reply => ({ kind: 'sending', ...r, offset }))),
  fc.record({ id: transferId, position: fc.integer({ min: 1, max: 1_000_000 }), name: replyField }).map((r): Reply => ({ kind: 'queued', ...r })),
  fc.record({ id: transferId, name: replyField }).map((r): Reply => ({ kind: 'ready', ...r })),
  fc.record({ id: transferId, name: replyField }).map((r): Reply => ({ kind: 'stored', ...r })),
  fc.record({ id: transferId, from: replyField, size: nat, crc, name: replyField }).map((r): Reply => ({ kind: 'offer', ...r })),
  fc.record({ id: transferId, to: replyField, name: replyField }).map((r): Reply => ({ kind: 'delivered', ...r })),
  fc.record({ id: transferId, code: abortCode, message: lineText }).map((r): Reply => ({ kind: 'aborted', ...r })),
  fc
    .record({ request: fc.constantFrom('download' as const, 'upload' as const, 'sendfile' as const), code: errorCode, name: replyField, message: lineText })
    .map((r): Reply => ({ kind: 'refused', ...r })),
  base64.map((data): Reply => ({ kind: 'chunk', data })),
);

/** Every TransferCommand, with valid fields. */
export const transferCommand: fc.Arbitrary<TransferCommand> = fc.oneof(
  fc
    .record({ size, crc, name: commandText })
    .chain((r) => fc.integer({ min: 0, max: r.size }).map((offset): TransferCommand => ({ kind: 'resume', offset, ...r }))),
  fc.record({ to: commandToken, size, crc, name: commandText }).map((r): TransferCommand => ({ kind: 'sendimage', ...r })),
  fc.record({ kind: fc.constantFrom('accept' as const, 'decline' as const, 'received' as const), id: transferId }).map((r): TransferCommand => ({ ...r })),
  base64.map((data): TransferCommand => ({ kind: 'chunk', data })),
);

/** Every Reply kind, with valid fields. */
export const reply: fc.Arbitrary<Reply> = fc.oneof(
  fileReply,
  fc.record({ name: replyField, room: replyField, text: lineText }).map((r): Reply => ({ kind: 'welcome', ...r })),
  // With the chat rate: whole figures, and fractions of at most 9 decimals (the written precision).
  fc
    .record({
      name: replyField,
      room: replyField,
      text: lineText,
      rate: fc.oneof(fc.integer({ min: 0, max: 1_000_000 }), fc.integer({ min: 1, max: 999_999_999 }).map((n) => n / 1e9)),
      burst: fc.integer({ min: 1, max: 1_000_000 }),
    })
    .map(({ rate, burst, ...r }): Reply => ({ kind: 'welcome', ...r, limits: { rate, burst } })),
  fc
    .record({ from: replyField, room: replyField, ts: nat, self: fc.boolean(), text: lineText })
    .map((r): Reply => ({ kind: 'message', ...r })),
  fc
    .record({ from: replyField, to: replyField, ts: nat, self: fc.boolean(), text: lineText })
    .map((r): Reply => ({ kind: 'private', ...r })),
  fc
    .array(fc.record({ name: replyField, room: replyField }).map((u) => ({ ...u })), { maxLength: 5 })
    .chain((users) => optionalPage.map((page): Reply => (page === undefined ? { kind: 'users', users } : { kind: 'users', users, page }))),
  fc
    .array(fc.record({ name: replyField, count: nat }).map((x) => ({ ...x })), { maxLength: 5 })
    .chain((rooms) => optionalPage.map((page): Reply => (page === undefined ? { kind: 'rooms', rooms } : { kind: 'rooms', rooms, page }))),
  fc
    .array(fc.record({ name: replyField, size: nat }).map((f) => ({ ...f })), { maxLength: 5 })
    .chain((files) => optionalPage.map((page): Reply => (page === undefined ? { kind: 'files', files } : { kind: 'files', files, page }))),
  fc.record({ name: replyField, room: replyField, ts: nat }).map((r): Reply => ({ kind: 'joined', ...r })),
  fc
    .record({ name: replyField, room: replyField, ts: nat, reason: leaveReason })
    .map((r): Reply => ({ kind: 'left', ...r })),
  fc.record({ code: errorCode, message: lineText }).map((r): Reply => ({ kind: 'error', ...r })),
  lineText.map((text): Reply => ({ kind: 'system', text })),
  fc.constant<Reply>({ kind: 'disconnected' }),
  fc
    .record({ from: replyField, room: replyField, ts: nat, self: fc.boolean(), text: lineText })
    .map((r): Reply => ({ kind: 'action', ...r })),
  fc.record({ room: replyField, by: replyField, ts: nat, text: lineText }).map((r): Reply => ({ kind: 'topic', ...r })),
  fc
    .record({
      name: replyField,
      rooms: fc.array(replyField, { minLength: 1, maxLength: 4 }),
      idle: fc.option(nat, { nil: undefined }),
      away: fc.option(lineText.filter((t) => t !== ''), { nil: undefined }),
    })
    .map(({ name, rooms, idle, away }): Reply => ({ kind: 'whois', name, rooms, ...(idle !== undefined ? { idle } : {}), ...(away !== undefined ? { away } : {}) })),
  fc
    .record({
      port: fc.integer({ min: 1, max: 65_535 }),
      connectionId: fc.integer({ min: 1, max: 0xffff_ffff }),
      token: fc.uint8Array({ minLength: 1, maxLength: 64 }).map((b) => Buffer.from(b).toString('hex')),
    })
    .map((r): Reply => ({ kind: 'udp', ...r })),
  fc
    .record({ received: nat, reason: transportReason })
    .map((r): Reply => ({ kind: 'transport', transport: 'tcp', ...r })),
);

const PIECES = [
  '<', '>', ',', ':', '@', '%', '%2', '%zz', '%C3', ' ', '  ', '\t', '-', ' - ', 'self', '/', '//', 'bye',
  '0', '12', '99999999999999999999', 'ffffffff', '0A0B0C0D', 'alice', 'my file.txt',
  'connect', 'disconnect', 'get_users', 'set_msg', 'set_msg_all', 'listfiles', 'download', 'get_list_file',
  'get_files', 'msg_all', 'end_connection', 'join', 'leave', 'rooms', 'help', 'stats', 'upload', 'sendfile',
  'cancel', 'SET_MSG', 'welcome', 'message', 'private', 'users', 'files', 'joined', 'left', 'error',
  'system', 'disconnected', 'name-taken', 'moved', 'lost', 'udp', 'transport', 'tcp', 'timeout', 'requested',
  '/msg', '/join', '-pr', '-goto', '-file', '/sendfile', '/sendimage', '/users', 'all', '/cancel', '/upload',
  'resume', 'sendimage', 'accept', 'decline', 'received', 'chunk', 'sending', 'queued', 'ready', 'stored', 'offer',
  'delivered', 'aborted', 'refused', 'cancelled', 'link-lost', 'QUJD', 'QQ==', '/accept', '/decline',
];

/** Strings assembled from the grammar's own pieces: the inputs most likely to hit a corner. */
export const grammarSoup: fc.Arbitrary<string> = fc
  .array(fc.oneof(fc.constantFrom(...PIECES), anyChar), { maxLength: 16 })
  .map((parts) => parts.join(''));

/** Arbitrary strings of every flavour. */
export const hostileString: fc.Arbitrary<string> = fc.oneof(
  fc.string(),
  fc.string({ unit: 'binary' }),
  fc.string({ unit: anyChar }),
  grammarSoup,
  grammarSoup.map((s) => `<${s}`),
);
