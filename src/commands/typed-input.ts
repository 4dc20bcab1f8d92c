// What a person types into the CLI client → what the client should do. Pure and total.
// Accepts the bracket language itself plus the slash and dash commands of dualchat's ancestors;
// anything else is chat text for the current room. The table is in docs/protocol.md, "Typed input".
import { asciiLower } from './aliases.ts';
import { parseCommand } from './command-syntax.ts';
import { shorten } from './quoting.ts';
import { parseTransferId } from './transfer-syntax.ts';
import type { Command } from './types.ts';

export type TypedInput =
  /** Goes to the server as is. */
  | { kind: 'send'; command: Command }
  /** `/users` (members of your room), `/users all` (everyone): send <get_users>, filter locally. */
  | { kind: 'users'; scope: 'room' | 'all' }
  /** `/quit`, `/exit`, `<disconnect>`: send <disconnect>, then exit. (A bare `bye` is chat: people say it.) */
  | { kind: 'quit' }
  /** `/help`: local help. */
  | { kind: 'help' }
  /** `/status`: local connection status. */
  | { kind: 'status' }
  /** `-file PATH`, `/upload PATH`: read the file, announce it. */
  | { kind: 'upload'; path: string }
  /** `/sendfile USER PATH`, `/sendimage USER PATH` (or PATH USER). */
  | { kind: 'sendfile'; to: string; path: string; image: boolean }
  /** `/cancel [ID]`. */
  | { kind: 'cancel'; id?: string }
  /** `/accept ID`, `/decline ID`: answer a file offered by another user (offers wait for them unless the client runs with `--auto-accept`). */
  | { kind: 'accept' | 'decline'; id: number }
  /** `/history [#ROOM] [N]`: a page of stored lines; without a room the client's current one. */
  | { kind: 'history'; room?: string; count?: number }
  /** `/r TEXT`, `/reply TEXT`: a private message to whoever last sent you one (the client knows who). */
  | { kind: 'reply'; text: string }
  /** `/query NAME`: plain lines go privately to NAME from now on; `/query` alone: back to the room. */
  | { kind: 'query'; name?: string }
  | { kind: 'empty' }
  /** Not understood; the message says what was expected. */
  | { kind: 'error'; message: string };

/**
 * What a user name looks like (1–16 letters or digits, the hub's naming rule). Used here only to
 * guess the argument order of /sendfile; the hub remains the judge of names.
 */
const LOOKS_LIKE_USER = /^[\p{L}\p{N}]{1,16}$/u;
/** A path that ends with a file extension (`notes.txt`, `dir/photo.jpeg`): strong evidence. */
const ENDS_WITH_EXTENSION = /\.[^.\s/\\]+$/;
/** Characters a path may start with: relative (`./x`), home (`~/x`), absolute (`/x`). */
const PATH_START = /^[.~/]/;

/** The text after the last white space (all of `s` if it has none). */
function lastWord(s: string): string {
  const ws = /\s/;
  let i = s.length;
  while (i > 0 && !ws.test(s[i - 1] ?? '')) i--;
  return s.slice(i);
}

/** How much `path` looks like a path: 2 = ends with an extension; 1 = its last word holds a
 * directory separator, or it starts like a path; 0 = no sign. */
function pathScore(path: string): number {
  if (ENDS_WITH_EXTENSION.test(path)) return 2;
  const tail = lastWord(path);
  return tail.includes('/') || tail.includes('\\') || PATH_START.test(path) ? 1 : 0;
}

/** Slash verbs, lowercase, without the slash. */
type SlashVerb =
  | 'join'
  | 'leave'
  | 'rooms'
  | 'users'
  | 'msg'
  | 'private'
  | 'whisper'
  | 'broadcast'
  | 'help'
  | 'quit'
  | 'exit'
  | 'upload'
  | 'sendfile'
  | 'sendimage'
  | 'download'
  | 'files'
  | 'status'
  | 'cancel'
  | 'accept'
  | 'decline'
  | 'stats'
  | 'register'
  | 'password'
  | 'unregister'
  | 'oper'
  | 'history'
  | 'nick'
  | 'away'
  | 'me'
  | 'topic'
  | 'whois'
  | 'r'
  | 'reply'
  | 'query';

const SLASH_VERBS: ReadonlySet<string> = new Set<SlashVerb>([
  'join',
  'leave',
  'rooms',
  'users',
  'msg',
  'private',
  'whisper',
  'broadcast',
  'help',
  'quit',
  'exit',
  'upload',
  'sendfile',
  'sendimage',
  'download',
  'files',
  'status',
  'cancel',
  'accept',
  'decline',
  'stats',
  'register',
  'password',
  'unregister',
  'oper',
  'history',
  'nick',
  'away',
  'me',
  'topic',
  'whois',
  'r',
  'reply',
  'query',
]);

/** Dash verbs of the ancestors, lowercase, with the dash, and the slash verb each one means. */
const DASH_VERBS: ReadonlyMap<string, SlashVerb> = new Map<string, SlashVerb>([
  ['-goto', 'join'],
  ['-pr', 'msg'],
  ['-file', 'upload'],
]);

function send(command: Command): TypedInput {
  return { kind: 'send', command };
}

function error(message: string): TypedInput {
  return { kind: 'error', message };
}

/** Splits `verb rest` at the first white space; rest is trimmed. */
function splitWord(s: string): [string, string] {
  const m = /\s/.exec(s);
  return m === null ? [s, ''] : [s.slice(0, m.index), s.slice(m.index).trim()];
}

/** Removes one pair of matching surrounding quotes, as a shell would for a path with spaces. */
function unquote(path: string): string {
  if (path.length >= 2) {
    const q = path[0];
    if ((q === '"' || q === "'") && path.endsWith(q)) return path.slice(1, -1);
  }
  return path;
}

/**
 * USER PATH or PATH USER (the latter is the order of one ancestor). Candidates: the first word as
 * user (the rest is the path) and the last word as user (what precedes it is the path). When both
 * are possible, the one whose path looks more like a path wins (pathScore); on a tie, USER PATH.
 */
function sendfileArgs(args: string): { to: string; path: string } | undefined {
  const [first, afterFirst] = splitWord(args);
  const last = lastWord(args);
  const beforeLast = args.slice(0, args.length - last.length).trim();

  const userPath =
    LOOKS_LIKE_USER.test(first) && afterFirst !== '' ? { to: first, path: unquote(afterFirst) } : undefined;
  const pathUser =
    LOOKS_LIKE_USER.test(last) && beforeLast !== '' ? { to: last, path: unquote(beforeLast) } : undefined;
  if (userPath === undefined || pathUser === undefined) return userPath ?? pathUser;
  return pathScore(pathUser.path) > pathScore(userPath.path) ? pathUser : userPath;
}

function noArguments(written: string, args: string, result: TypedInput): TypedInput {
  return args === '' ? result : error(`${written} takes no arguments`);
}

function slashCommand(verb: SlashVerb, written: string, args: string): TypedInput {
  switch (verb) {
    case 'join':
      return args === '' ? error(`${written} needs a room: ${written} ROOM`) : send({ kind: 'join', room: args });
    case 'leave':
      return noArguments(written, args, send({ kind: 'leave' }));
    case 'rooms':
      return noArguments(written, args, send({ kind: 'rooms' }));
    case 'users':
      if (args === '') return { kind: 'users', scope: 'room' };
      if (asciiLower(args) === 'all') return { kind: 'users', scope: 'all' };
      return error(`${written} takes nothing (your room) or "all" (everyone): ${written}, ${written} all`);
    case 'msg':
    case 'private':
    case 'whisper': {
      const [to, text] = splitWord(args);
      if (to === '' || text === '') return error(`${written} needs a user and a text: ${written} USER TEXT`);
      return send({ kind: 'private', to, text });
    }
    case 'broadcast':
      return args === '' ? error(`${written} needs a text: ${written} TEXT`) : send({ kind: 'broadcast', text: args });
    case 'help':
      // A topic after /help is accepted and ignored: the local help shows everything.
      return { kind: 'help' };
    case 'quit':
    case 'exit':
      return noArguments(written, args, { kind: 'quit' });
    case 'upload': {
      const path = unquote(args);
      return path === '' ? error(`${written} needs a file path: ${written} PATH`) : { kind: 'upload', path };
    }
    case 'sendfile':
    case 'sendimage': {
      const parsed = args === '' ? undefined : sendfileArgs(args);
      if (parsed === undefined || parsed.path === '') {
        return error(`${written} needs a user and a file: ${written} USER PATH`);
      }
      return { kind: 'sendfile', to: parsed.to, path: parsed.path, image: verb === 'sendimage' };
    }
    case 'download':
      return args === ''
        ? error(`${written} needs a file name: ${written} FILE`)
        : send({ kind: 'download', file: args });
    case 'files':
      return noArguments(written, args, send({ kind: 'listfiles' }));
    case 'status':
      return noArguments(written, args, { kind: 'status' });
    case 'cancel':
      return args === '' ? { kind: 'cancel' } : { kind: 'cancel', id: args };
    case 'accept':
    case 'decline': {
      const id = parseTransferId(args);
      return id === undefined ? error(`${written} needs the number of a file offer: ${written} ID`) : { kind: verb, id };
    }
    case 'stats':
      return noArguments(written, args, send({ kind: 'stats' }));
    case 'register':
    case 'unregister':
    case 'oper': {
      const words = args.split(/\s+/).filter((w) => w !== '');
      if (words.length !== 1) return error(`${written} needs ${verb === 'oper' ? "the server's operator password" : 'your password'} (one word): ${written} PASSWORD`);
      return send({ kind: verb, password: words[0] ?? '' });
    }
    case 'password': {
      const words = args.split(/\s+/).filter((w) => w !== '');
      if (words.length !== 2) return error(`${written} needs the old and the new password: ${written} OLD NEW`);
      return send({ kind: 'password', old: words[0] ?? '', password: words[1] ?? '' });
    }
    case 'history':
      return historyInput(written, args);
    case 'nick':
      return oneWord(written, args, 'your new name', 'NEW', (name) => send({ kind: 'rename', name }));
    case 'whois':
      return oneWord(written, args, 'a user', 'NAME', (name) => send({ kind: 'whois', name }));
    case 'query':
      return args === '' ? { kind: 'query' } : oneWord(written, args, 'a user', 'NAME', (name) => ({ kind: 'query', name }));
    case 'away':
      return send(args === '' ? { kind: 'away' } : { kind: 'away', text: args });
    case 'topic':
      return send(args === '' ? { kind: 'topic' } : { kind: 'topic', text: args });
    case 'me':
      return args === '' ? error(`${written} needs an action: ${written} waves`) : send({ kind: 'action', text: args });
    case 'r':
    case 'reply':
      return args === '' ? error(`${written} needs a text: ${written} TEXT`) : { kind: 'reply', text: args };
  }
}

/** One word argument (a name), or a usage error saying what is missing. */
function oneWord(written: string, args: string, what: string, usage: string, make: (word: string) => TypedInput): TypedInput {
  const words = args.split(/\s+/).filter((w) => w !== '');
  return words.length === 1 ? make(words[0] ?? '') : error(`${written} needs ${what} (one word): ${written} ${usage}`);
}

/**
 * True when `text` is plain chat — no command of any kind (`/…`, `<verb>…`, the dash verbs, `bye`): the
 * line a `/query` conversation sends to its partner instead of the room.
 */
export function isPlainText(text: string): boolean {
  const t = text.trim();
  if (t.startsWith('/')) return false;
  const typed = translateInput(t);
  return typed.kind === 'send' && typed.command.kind === 'broadcast' && !(t.startsWith('<') && t.includes('>'));
}

/** `/history`, `/history N`, `/history #ROOM`, `/history #ROOM N`. */
function historyInput(written: string, args: string): TypedInput {
  const words = args.split(/\s+/).filter((w) => w !== '');
  const usage = error(`${written} takes an optional room and line count: ${written} [#ROOM] [N]`);
  if (words.length > 2) return usage;
  let room: string | undefined;
  if (words[0] !== undefined && !/^\d+$/.test(words[0])) room = words.shift();
  if (words.length > 1) return usage;
  const n = words[0];
  if (n !== undefined && !/^\d{1,6}$/.test(n)) return usage;
  const count = n === undefined ? undefined : Number(n);
  return { kind: 'history', ...(room !== undefined ? { room } : {}), ...(count !== undefined ? { count } : {}) };
}

function isSlashVerb(s: string): s is SlashVerb {
  return SLASH_VERBS.has(s);
}

/** One typed line → what to do. Never throws. */
export function translateInput(text: string): TypedInput {
  const t = text.trim();
  if (t === '') return { kind: 'empty' };
  // A bracket command: `<` and a closing `>`. Without any `>` ("<3 you all") it is chat text.
  if (t.startsWith('<') && t.includes('>')) {
    const parsed = parseCommand(t);
    if (parsed.ok) return parsed.value.kind === 'disconnect' ? { kind: 'quit' } : send(parsed.value);
    if (parsed.error.code === 'unknown-command') {
      return error(`${parsed.error.message} (to say it as text: /broadcast TEXT)`);
    }
    return error(parsed.error.message);
  }
  // `//text` sends `/text` as chat: the way to say something that starts with a slash.
  if (t.startsWith('//')) return send({ kind: 'broadcast', text: t.slice(1) });
  const [written, args] = splitWord(t);
  const lower = asciiLower(written);
  if (t.startsWith('/')) {
    const verb = lower.slice(1);
    if (isSlashVerb(verb)) return slashCommand(verb, written, args);
    return error(`unknown command ${shorten(written)}; type /help for the list`);
  }
  const dash = DASH_VERBS.get(lower);
  if (dash !== undefined) return slashCommand(dash, written, args);
  return send({ kind: 'broadcast', text: t });
}
