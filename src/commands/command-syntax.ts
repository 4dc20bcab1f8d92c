// Client → server lines: `<verb>ARGUMENTS` ⇄ Command. Pure and total: every string gives a
// Command or a ParseError, nothing throws. The grammar is written out in docs/protocol.md.
import { CANONICAL_VERBS, kindOfVerb } from './aliases.ts';
import { appendFreeText, readFreeText, readToken, writeFreeText, writeToken } from './arguments.ts';
import { formatPageArgument, readPageArgument } from './list-pages.ts';
import { formatCrc32, parseCrc32, parseDecimal } from './numbers.ts';
import { quote, quoteBare } from './quoting.ts';
import type { Command, CommandKind, ParseError, ParseResult } from './types.ts';
import { parseFailure as fail, splitVerb } from './verb.ts';

/** Argument syntax of each kind, as shown after `usage: <verb>`. */
const ARGUMENT_USAGE: Readonly<Record<CommandKind, string>> = {
  connect: 'NAME',
  disconnect: '[NAME]',
  users: '[NAME | +PAGE]',
  private: 'USER TEXT',
  broadcast: 'TEXT',
  listfiles: '[NAME | +PAGE]',
  download: 'FILE',
  join: 'ROOM',
  leave: '',
  rooms: '[+PAGE]',
  help: '',
  stats: '',
  upload: 'SIZE CRC NAME',
  sendfile: 'USER SIZE CRC NAME',
  cancel: 'ID',
  register: 'PASSWORD',
  password: 'OLD NEW',
  unregister: 'PASSWORD',
  oper: 'PASSWORD',
  history: 'ROOM [N] [BEFORE]',
  rename: 'NEW',
  away: '[TEXT]',
  action: 'ACTION',
  topic: '[TEXT]',
  whois: 'NAME',
  hold: '',
  reconnect: 'NAME TOKEN',
};

function usage(verb: string, kind: CommandKind, why?: string): { ok: false; error: ParseError } {
  const args = ARGUMENT_USAGE[kind];
  const form = args === '' ? `<${verb}> (no arguments)` : `<${verb}>${args}`;
  return fail('bad-argument', why === undefined ? `usage: ${form}` : `${why}; usage: ${form}`);
}

function ok(value: Command): ParseResult<Command> {
  return { ok: true, value };
}

/** SIZE CRC NAME, shared by upload and sendfile. */
function parseFileAnnouncement(
  rest: string,
  verb: string,
  kind: CommandKind,
): { ok: true; size: number; crc: number; name: string } | { ok: false; error: ParseError } {
  const sizeTok = readToken(rest);
  if (!sizeTok.ok || sizeTok.token === '') return usage(verb, kind);
  const size = parseDecimal(sizeTok.token);
  if (size === undefined) {
    return usage(verb, kind, `SIZE must be a decimal number of bytes, got ${quote(sizeTok.token)}`);
  }
  const crcTok = readToken(sizeTok.rest);
  if (!crcTok.ok || crcTok.token === '') return usage(verb, kind);
  const crc = parseCrc32(crcTok.token);
  if (crc === undefined) {
    return usage(verb, kind, `CRC must be 8 hexadecimal digits, got ${quote(crcTok.token)}`);
  }
  const name = readFreeText(crcTok.rest);
  if (name === '') return usage(verb, kind, 'missing file NAME');
  return { ok: true, size, crc, name };
}

/** The arguments of a chat command whose verb names `kind` (`verb` as written, lower-cased, for usage lines). */
export function parseArguments(kind: CommandKind, verb: string, rest: string): ParseResult<Command> {
  switch (kind) {
    case 'connect':
    case 'rename':
    case 'whois': {
      const name = readFreeText(rest);
      return name === '' ? usage(verb, kind) : ok({ kind, name });
    }
    case 'disconnect': {
      const arg = readFreeText(rest);
      return ok(arg === '' ? { kind } : { kind, arg });
    }
    case 'users':
    case 'listfiles':
    case 'rooms': {
      // `+N` is a page (list-pages.ts); anything else is the family's own name (not for <rooms>).
      const arg = readFreeText(rest);
      if (arg === '') return ok({ kind });
      const page = readPageArgument(arg);
      if (page?.ok === false) return usage(verb, kind, page.why);
      if (page !== undefined) return ok({ kind, page: page.page });
      return kind === 'rooms' ? usage(verb, kind, `unexpected ${quote(arg)}`) : ok({ kind, arg });
    }
    case 'broadcast':
    case 'action': {
      const text = readFreeText(rest);
      return text === '' ? usage(verb, kind) : ok({ kind, text });
    }
    case 'private': {
      const to = readToken(rest);
      if (!to.ok || to.token === '') return usage(verb, kind);
      const text = readFreeText(to.rest);
      return text === '' ? usage(verb, kind, 'missing TEXT') : ok({ kind, to: to.token, text });
    }
    case 'download': {
      const file = readFreeText(rest);
      return file === '' ? usage(verb, kind) : ok({ kind, file });
    }
    case 'join': {
      const room = readFreeText(rest);
      return room === '' ? usage(verb, kind) : ok({ kind, room });
    }
    case 'leave':
    case 'help':
    case 'stats':
    case 'hold': {
      const extra = readFreeText(rest);
      return extra === '' ? ok({ kind }) : usage(verb, kind, `unexpected ${quote(extra)}`);
    }
    case 'upload': {
      const a = parseFileAnnouncement(rest, verb, kind);
      return a.ok ? ok({ kind, name: a.name, size: a.size, crc: a.crc }) : a;
    }
    case 'sendfile': {
      const to = readToken(rest);
      if (!to.ok || to.token === '') return usage(verb, kind);
      const a = parseFileAnnouncement(to.rest, verb, kind);
      return a.ok ? ok({ kind, to: to.token, name: a.name, size: a.size, crc: a.crc }) : a;
    }
    case 'cancel': {
      const id = readFreeText(rest);
      return id === '' ? usage(verb, kind) : ok({ kind, id });
    }
    case 'register':
    case 'unregister':
    case 'oper': {
      const password = readToken(rest);
      if (!password.ok || password.token === '') return usage(verb, kind);
      const extra = readFreeText(password.rest);
      return extra === '' ? ok({ kind, password: password.token }) : usage(verb, kind, 'a password is one word');
    }
    case 'password': {
      const words = twoWords(rest, verb, kind, 'missing NEW', 'a password is one word');
      return words.ok ? ok({ kind, old: words.first, password: words.second }) : words;
    }
    case 'history':
      return parseHistory(rest, verb);
    case 'reconnect': {
      const words = twoWords(rest, verb, kind, 'missing TOKEN', 'a token is one word');
      return words.ok ? ok({ kind, name: words.first, token: words.second }) : words;
    }
    case 'away':
    case 'topic': {
      const text = readFreeText(rest);
      return ok(text === '' ? { kind } : { kind, text });
    }
  }
}

/** `ROOM [N] [BEFORE]`: a room token, then up to two decimal numbers. */
/** Exactly two words (`<password>OLD NEW`, `<reconnect>NAME TOKEN`), else the usage with why. */
function twoWords(
  rest: string,
  verb: string,
  kind: CommandKind,
  missingSecond: string,
  extraWords: string,
): { ok: true; first: string; second: string } | { ok: false; error: ParseError } {
  const first = readToken(rest);
  if (!first.ok || first.token === '') return usage(verb, kind);
  const second = readToken(first.rest);
  if (!second.ok || second.token === '') return usage(verb, kind, missingSecond);
  return readFreeText(second.rest) === '' ? { ok: true, first: first.token, second: second.token } : usage(verb, kind, extraWords);
}

function parseHistory(rest: string, verb: string): ParseResult<Command> {
  const room = readToken(rest);
  if (!room.ok || room.token === '') return usage(verb, 'history');
  const numbers: number[] = [];
  let tail = room.rest;
  while (tail.trim() !== '') {
    const token = readToken(tail);
    const value = token.ok ? parseDecimal(token.token) : undefined;
    if (!token.ok || value === undefined) return usage(verb, 'history', 'N and BEFORE are decimal numbers');
    if (numbers.length === 2) return usage(verb, 'history', 'at most N and BEFORE follow ROOM');
    numbers.push(value);
    tail = token.rest;
  }
  const [count, before] = numbers;
  return ok({ kind: 'history', room: room.token, ...(count !== undefined ? { count } : {}), ...(before !== undefined ? { before } : {}) });
}

/** One client → server line (without its terminator) → Command, or why not. Never throws. */
export function parseCommand(line: string): ParseResult<Command> {
  const split = splitVerb(line);
  if (!split.ok) return split;
  const kind = kindOfVerb(split.verb);
  if (kind === undefined) return unknownVerb(split.written);
  return parseArguments(kind, split.verb, split.rest);
}

/** The refusal of a verb no family knows. */
export function unknownVerb(written: string): { ok: false; error: ParseError } {
  return fail('unknown-command', `unknown command <${quoteBare(written)}>; send <help> for the list`);
}

/**
 * Command → its canonical line (no terminator): seed verbs, space-separated arguments, free text
 * last. parseCommand(formatCommand(c)) deep-equals c for every valid c (docs/protocol.md, "Valid
 * values"); CR and LF in any field are written as spaces. Never throws.
 */
export function formatCommand(c: Command): string {
  const verb = `<${CANONICAL_VERBS[c.kind]}>`;
  switch (c.kind) {
    case 'connect':
    case 'rename':
    case 'whois':
      return verb + writeFreeText(c.name);
    case 'disconnect':
      return c.arg === undefined ? verb : verb + writeFreeText(c.arg);
    case 'users':
    case 'listfiles':
      if (c.page !== undefined) return verb + formatPageArgument(c.page);
      return c.arg === undefined ? verb : verb + writeFreeText(c.arg);
    case 'rooms':
      return c.page === undefined ? verb : verb + formatPageArgument(c.page);
    case 'broadcast':
    case 'action':
      return verb + writeFreeText(c.text);
    case 'private':
      return appendFreeText(verb + writeToken(c.to), c.text);
    case 'download':
      return verb + writeFreeText(c.file);
    case 'join':
      return verb + writeFreeText(c.room);
    case 'leave':
    case 'help':
    case 'stats':
    case 'hold':
      return verb;
    case 'reconnect':
      return `${verb}${writeToken(c.name)} ${writeToken(c.token)}`;
    case 'upload':
      return appendFreeText(`${verb}${String(c.size)} ${formatCrc32(c.crc)}`, c.name);
    case 'sendfile':
      return appendFreeText(`${verb}${writeToken(c.to)} ${String(c.size)} ${formatCrc32(c.crc)}`, c.name);
    case 'cancel':
      return verb + writeFreeText(c.id);
    case 'register':
    case 'unregister':
    case 'oper':
      return verb + writeToken(c.password);
    case 'password':
      return `${verb}${writeToken(c.old)} ${writeToken(c.password)}`;
    case 'history': {
      // BEFORE is positional after N: it is written only with N (a valid history command has both or N alone).
      const head = verb + writeToken(c.room);
      if (c.count === undefined) return head;
      return c.before === undefined ? `${head} ${c.count}` : `${head} ${c.count} ${c.before}`;
    }
    case 'away':
    case 'topic':
      return c.text === undefined ? verb : verb + writeFreeText(c.text);
  }
}
