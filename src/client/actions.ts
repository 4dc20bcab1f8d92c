// What one typed line makes the client do, decided purely: send a command (with the scope of a
// `/users` request), show something locally, quit, or nothing. Both shells (interactive and scripted)
// use it, so the two modes understand exactly the same input.
import { parseTransferId } from '../commands/transfer-syntax.ts';
import { isPlainText, translateInput, type TypedInput } from '../commands/typed-input.ts';
import type { Command } from '../commands/types.ts';
import type { ClientNotice } from './render.ts';
import type { UsersScope } from './state.ts';

export type ClientAction =
  | { type: 'send'; command: Command; scope?: UsersScope }
  | { type: 'show'; item: ClientNotice }
  | { type: 'status' }
  /** `/query NAME` opens a private conversation (plain lines go to NAME); `/query` alone closes it. */
  | { type: 'query'; name?: string }
  /** A file transfer command: the client's file features carry it out (src/client/transfers.ts). */
  | { type: 'file'; file: FileAction }
  | { type: 'quit' }
  | { type: 'none' };

export type FileAction =
  | { kind: 'download'; name: string }
  | { kind: 'upload'; path: string }
  | { kind: 'sendfile'; to: string; path: string; image: boolean }
  /** No id: the only transfer there is. */
  | { kind: 'cancel'; id?: number }
  | { kind: 'accept' | 'decline'; id: number };

/** Upload and sendfile lines carry a size and CRC the client computes itself from a local file. */
const ANNOUNCE_WITH_PATH = 'send files with /upload PATH or /sendfile USER PATH: the client reads the file and announces it';

function file(action: FileAction): ClientAction {
  return { type: 'file', file: action };
}

function clientError(code: 'bad-argument' | 'bad-command', message: string): ClientAction {
  return { type: 'show', item: { kind: 'client-error', code, message } };
}

function cancelAction(id: string | undefined): ClientAction {
  if (id === undefined) return file({ kind: 'cancel' });
  const n = parseTransferId(id);
  return n === undefined ? clientError('bad-argument', `/cancel takes a transfer number (as shown when it started), got "${id}"`) : file({ kind: 'cancel', id: n });
}

/** The local commands that mean the same before and after signing in. */
type LocalInput = Extract<TypedInput, { kind: 'quit' | 'help' | 'status' | 'empty' }>;

function localAction(typed: LocalInput): ClientAction {
  switch (typed.kind) {
    case 'quit':
      return { type: 'quit' };
    case 'help':
      return { type: 'show', item: { kind: 'help' } };
    case 'status':
      return { type: 'status' };
    case 'empty':
      return { type: 'none' };
  }
}

/** Who the private habits address: the last sender of a private message, the open `/query` partner. */
export interface Conversation {
  replyTo?: string | undefined;
  query?: string | undefined;
}

/**
 * The action for a line typed once we are signed in (`room`: the current room, for `/history`;
 * `talk`: where `/reply` and, during a `/query`, plain lines go).
 */
export function planInput(line: string, room?: string, talk: Conversation = {}): ClientAction {
  if (talk.query !== undefined && isPlainText(line)) return { type: 'send', command: { kind: 'private', to: talk.query, text: line.trim() } };
  const typed = translateInput(line);
  switch (typed.kind) {
    case 'reply':
      return talk.replyTo === undefined
        ? clientError('bad-argument', 'nobody has sent you a private message yet: /msg USER TEXT')
        : { type: 'send', command: { kind: 'private', to: talk.replyTo, text: typed.text } };
    case 'query':
      return typed.name === undefined ? { type: 'query' } : { type: 'query', name: typed.name };
    case 'history': {
      const target = typed.room ?? room;
      if (target === undefined) return clientError('bad-argument', 'you are in no room yet: /history #ROOM');
      return { type: 'send', command: { kind: 'history', room: target, ...(typed.count !== undefined ? { count: typed.count } : {}) } };
    }
    case 'send':
      // `<disconnect>` typed as a bracket command is a quit like /quit: wait for the answer, then exit.
      if (typed.command.kind === 'disconnect') return { type: 'quit' };
      if (typed.command.kind === 'download') return file({ kind: 'download', name: typed.command.file });
      if (typed.command.kind === 'upload' || typed.command.kind === 'sendfile') return clientError('bad-argument', ANNOUNCE_WITH_PATH);
      if (typed.command.kind === 'cancel') return cancelAction(typed.command.id);
      return typed.command.kind === 'users'
        ? { type: 'send', command: typed.command, scope: 'all' }
        : { type: 'send', command: typed.command };
    case 'users':
      return { type: 'send', command: { kind: 'users' }, scope: typed.scope };
    case 'upload':
      return file({ kind: 'upload', path: typed.path });
    case 'sendfile':
      return file({ kind: 'sendfile', to: typed.to, path: typed.path, image: typed.image });
    case 'cancel':
      return cancelAction(typed.id);
    case 'accept':
    case 'decline':
      return file({ kind: typed.kind, id: typed.id });
    case 'quit':
    case 'help':
    case 'status':
    case 'empty':
      return localAction(typed);
    case 'error':
      return { type: 'show', item: { kind: 'client-error', code: 'bad-command', message: typed.message } };
  }
}

/**
 * The action for a line typed before the server welcomed us: the line is the name we ask for, unless
 * it is a `<connect>NAME` command itself or one of the local commands that make sense before signing
 * in (/help, /status, /quit). Other commands are refused locally with a clear hint.
 */
export function planNameInput(line: string): ClientAction {
  const text = line.trim();
  if (text.length === 0) return { type: 'none' };
  const typed = translateInput(text);
  switch (typed.kind) {
    case 'send':
      if (typed.command.kind === 'connect') return { type: 'send', command: typed.command };
      if (typed.command.kind === 'disconnect') return { type: 'quit' };
      break;
    case 'quit':
    case 'help':
    case 'status':
    case 'empty':
      return localAction(typed);
    default:
      break;
  }
  if (/^[</-]/.test(text)) {
    return {
      type: 'show',
      item: { kind: 'client-error', code: 'not-connected', message: 'choose a name first (type just the name)' },
    };
  }
  return { type: 'send', command: { kind: 'connect', name: text } };
}
