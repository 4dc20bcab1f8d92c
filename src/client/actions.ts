// What one typed line makes the client do, decided purely: send a command (with the scope of a
// `/users` request), show something locally, quit, or nothing. Both shells (interactive and scripted)
// use it, so the two modes understand exactly the same input.
import { translateInput } from '../commands/typed-input.ts';
import type { Command } from '../commands/types.ts';
import type { ClientNotice } from './render.ts';
import type { UsersScope } from './state.ts';

export type ClientAction =
  | { type: 'send'; command: Command; scope?: UsersScope }
  | { type: 'show'; item: ClientNotice }
  | { type: 'status' }
  | { type: 'quit' }
  | { type: 'none' };

const NOT_AVAILABLE_UPLOAD =
  'sending files is not available yet in this client (listing and /download FILE are)';

/** The action for a line typed once we are signed in. */
export function planInput(line: string): ClientAction {
  const typed = translateInput(line);
  switch (typed.kind) {
    case 'send':
      // `<disconnect>` typed as a bracket command is a quit like /quit: wait for the answer, then exit.
      if (typed.command.kind === 'disconnect') return { type: 'quit' };
      return typed.command.kind === 'users'
        ? { type: 'send', command: typed.command, scope: 'all' }
        : { type: 'send', command: typed.command };
    case 'users':
      return { type: 'send', command: { kind: 'users' }, scope: typed.scope };
    case 'quit':
      return { type: 'quit' };
    case 'help':
      return { type: 'show', item: { kind: 'help' } };
    case 'status':
      return { type: 'status' };
    case 'upload':
    case 'sendfile':
      return { type: 'show', item: { kind: 'client-error', code: 'refused', message: NOT_AVAILABLE_UPLOAD } };
    case 'cancel':
      return typed.id === undefined
        ? {
            type: 'show',
            item: { kind: 'client-error', code: 'bad-argument', message: 'nothing to cancel: no transfer in progress' },
          }
        : { type: 'send', command: { kind: 'cancel', id: typed.id } };
    case 'empty':
      return { type: 'none' };
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
      return { type: 'quit' };
    case 'help':
      return { type: 'show', item: { kind: 'help' } };
    case 'status':
      return { type: 'status' };
    case 'empty':
      return { type: 'none' };
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
