import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatCommand } from '../../src/commands/grammar.ts';
import { translateInput, type TypedInput } from '../../src/commands/typed-input.ts';
import type { Command } from '../../src/commands/types.ts';
import { command, hostileString } from './arbitraries.ts';

const send = (command: Command): TypedInput => ({ kind: 'send', command });
const errorMatching = (fragment: string) => ({ kind: 'error', message: expect.stringContaining(fragment) });

describe('translateInput', () => {
  it('never throws, on anything', () => {
    fc.assert(
      fc.property(hostileString, (s) => {
        const t = translateInput(s);
        if (t.kind === 'error') expect(t.message.length).toBeGreaterThan(0);
      }),
      { numRuns: 5000 },
    );
  });

  it('bracket commands go to the server as parsed', () => {
    expect(translateInput('<set_msg>bob hi')).toEqual(send({ kind: 'private', to: 'bob', text: 'hi' }));
    expect(translateInput('<get_users>')).toEqual(send({ kind: 'users' }));
    expect(translateInput('  <JOIN>games  ')).toEqual(send({ kind: 'join', room: 'games' }));
    expect(translateInput('<help>')).toEqual(send({ kind: 'help' }));
  });

  it('every formatted command typed as is is sent unchanged (disconnect quits)', () => {
    fc.assert(
      fc.property(command, (c) => {
        expect(translateInput(formatCommand(c))).toStrictEqual(c.kind === 'disconnect' ? { kind: 'quit' } : send(c));
      }),
    );
  });

  it('a bracket parse error is shown with its message', () => {
    expect(translateInput('<set_msg>bob')).toEqual({ kind: 'error', message: 'missing TEXT; usage: <set_msg>USER TEXT' });
    expect(translateInput('<nope>')).toEqual({
      kind: 'error',
      message: 'unknown command <nope>; send <help> for the list (to say it as text: /broadcast TEXT)',
    });
    expect(translateInput('<>')).toEqual(errorMatching('empty verb'));
  });

  it('text starting with "<" but without any ">" is chat, not a command', () => {
    expect(translateInput('<3 you all')).toEqual(send({ kind: 'broadcast', text: '<3 you all' }));
  });

  it('rooms: /join, -goto, /leave, /rooms', () => {
    expect(translateInput('/join games')).toEqual(send({ kind: 'join', room: 'games' }));
    expect(translateInput('/JOIN games')).toEqual(send({ kind: 'join', room: 'games' }));
    expect(translateInput('-goto games')).toEqual(send({ kind: 'join', room: 'games' }));
    expect(translateInput('-GOTO   games ')).toEqual(send({ kind: 'join', room: 'games' }));
    expect(translateInput('/leave')).toEqual(send({ kind: 'leave' }));
    expect(translateInput('/rooms')).toEqual(send({ kind: 'rooms' }));
    expect(translateInput('/join')).toEqual({ kind: 'error', message: '/join needs a room: /join ROOM' });
    expect(translateInput('-goto')).toEqual({ kind: 'error', message: '-goto needs a room: -goto ROOM' });
    expect(translateInput('/leave now')).toEqual({ kind: 'error', message: '/leave takes no arguments' });
    expect(translateInput('/rooms x')).toEqual({ kind: 'error', message: '/rooms takes no arguments' });
  });

  it('/users and /users all', () => {
    expect(translateInput('/users')).toEqual({ kind: 'users', scope: 'room' });
    expect(translateInput('/users all')).toEqual({ kind: 'users', scope: 'all' });
    expect(translateInput('/Users ALL')).toEqual({ kind: 'users', scope: 'all' });
    expect(translateInput('/users some')).toEqual(errorMatching('/users takes nothing (your room) or "all"'));
  });

  it('private messages: /msg, /private, /whisper, -pr', () => {
    for (const verb of ['/msg', '/private', '/whisper', '-pr', '/MSG', '-PR']) {
      expect(translateInput(`${verb} bob hi there, <you>`)).toEqual(
        send({ kind: 'private', to: 'bob', text: 'hi there, <you>' }),
      );
      expect(translateInput(`${verb} bob`)).toEqual({
        kind: 'error',
        message: `${verb} needs a user and a text: ${verb} USER TEXT`,
      });
      expect(translateInput(verb)).toEqual(errorMatching('needs a user and a text'));
    }
    expect(translateInput('/msg needs')).toEqual({ kind: 'error', message: '/msg needs a user and a text: /msg USER TEXT' });
  });

  it('/broadcast and plain text go to the room', () => {
    expect(translateInput('/broadcast hello all')).toEqual(send({ kind: 'broadcast', text: 'hello all' }));
    expect(translateInput('/broadcast')).toEqual({ kind: 'error', message: '/broadcast needs a text: /broadcast TEXT' });
    expect(translateInput('hello there')).toEqual(send({ kind: 'broadcast', text: 'hello there' }));
    expect(translateInput('  a <b>bold</b> claim  ')).toEqual(send({ kind: 'broadcast', text: 'a <b>bold</b> claim' }));
    expect(translateInput('-_- tired')).toEqual(send({ kind: 'broadcast', text: '-_- tired' }));
    expect(translateInput('-5 degrees')).toEqual(send({ kind: 'broadcast', text: '-5 degrees' }));
    expect(translateInput('bye bye')).toEqual(send({ kind: 'broadcast', text: 'bye bye' }));
    expect(translateInput('//shrug')).toEqual(send({ kind: 'broadcast', text: '/shrug' }));
  });

  it('plain text that is not a command is broadcast as typed (trimmed)', () => {
    const plain = hostileString
      .map((s) => s.trim())
      .filter((s) => s !== '' && !/^[/-]/.test(s) && !/^<.*>/s.test(s) && s.toLowerCase() !== 'bye');
    fc.assert(
      fc.property(plain, (s) => {
        expect(translateInput(s)).toStrictEqual(send({ kind: 'broadcast', text: s }));
      }),
    );
  });

  it('local commands: /help, /status, /quit, /exit, <disconnect>; a bare bye is chat', () => {
    expect(translateInput('/help')).toEqual({ kind: 'help' });
    expect(translateInput('/HELP join')).toEqual({ kind: 'help' });
    expect(translateInput('/status')).toEqual({ kind: 'status' });
    expect(translateInput('/status x')).toEqual({ kind: 'error', message: '/status takes no arguments' });
    expect(translateInput('bye')).toEqual({ kind: 'send', command: { kind: 'broadcast', text: 'bye' } });
    for (const q of ['/quit', '/exit', '/Quit', '<disconnect>', '<end_connection>', '<disconnect>alice']) {
      expect(translateInput(q), q).toEqual({ kind: 'quit' });
    }
    expect(translateInput('/quit now')).toEqual({ kind: 'error', message: '/quit takes no arguments' });
  });

  it('files: /files, /download, /upload, -file', () => {
    expect(translateInput('/files')).toEqual(send({ kind: 'listfiles' }));
    expect(translateInput('/download notes.txt')).toEqual(send({ kind: 'download', file: 'notes.txt' }));
    expect(translateInput('/download my notes.txt')).toEqual(send({ kind: 'download', file: 'my notes.txt' }));
    expect(translateInput('/download')).toEqual({ kind: 'error', message: '/download needs a file name: /download FILE' });
    expect(translateInput('/upload ./a b.txt')).toEqual({ kind: 'upload', path: './a b.txt' });
    expect(translateInput('-file /tmp/x.png')).toEqual({ kind: 'upload', path: '/tmp/x.png' });
    expect(translateInput('-file "/tmp/my x.png"')).toEqual({ kind: 'upload', path: '/tmp/my x.png' });
    expect(translateInput("/upload 'a.txt'")).toEqual({ kind: 'upload', path: 'a.txt' });
    expect(translateInput('/upload')).toEqual({ kind: 'error', message: '/upload needs a file path: /upload PATH' });
    expect(translateInput('-file')).toEqual({ kind: 'error', message: '-file needs a file path: -file PATH' });
    expect(translateInput('/upload ""')).toEqual({ kind: 'error', message: '/upload needs a file path: /upload PATH' });
  });

  it('/sendfile and /sendimage, USER PATH and PATH USER', () => {
    const sf = (to: string, path: string, image = false): TypedInput => ({ kind: 'sendfile', to, path, image });
    expect(translateInput('/sendfile bob notes.txt')).toEqual(sf('bob', 'notes.txt'));
    expect(translateInput('/sendfile notes.txt bob')).toEqual(sf('bob', 'notes.txt'));
    expect(translateInput('/sendimage bob ~/pics/cat.jpg')).toEqual(sf('bob', '~/pics/cat.jpg', true));
    expect(translateInput('/sendimage ~/pics/cat.jpg bob')).toEqual(sf('bob', '~/pics/cat.jpg', true));
    expect(translateInput('/sendfile bob my notes.txt')).toEqual(sf('bob', 'my notes.txt'));
    expect(translateInput('/sendfile my notes.txt bob')).toEqual(sf('bob', 'my notes.txt'));
    expect(translateInput('/sendfile my dir/Makefile bob')).toEqual(sf('bob', 'my dir/Makefile'));
    expect(translateInput('/sendfile "my notes.txt" bob')).toEqual(sf('bob', 'my notes.txt'));
    expect(translateInput('/sendfile bob "my notes.txt"')).toEqual(sf('bob', 'my notes.txt'));
    // Both words could be user names: USER PATH.
    expect(translateInput('/sendfile alice Makefile')).toEqual(sf('alice', 'Makefile'));
    expect(translateInput('/sendfile Makefile alice')).toEqual(sf('Makefile', 'alice'));
    const usage = '/sendfile needs a user and a file: /sendfile USER PATH';
    expect(translateInput('/sendfile')).toEqual({ kind: 'error', message: usage });
    expect(translateInput('/sendfile bob')).toEqual({ kind: 'error', message: usage });
    expect(translateInput('/sendfile a.txt b.txt')).toEqual({ kind: 'error', message: usage });
    expect(translateInput('/sendfile bob ""')).toEqual({ kind: 'error', message: usage });
    expect(translateInput('/sendimage x')).toEqual(errorMatching('/sendimage needs a user and a file'));
  });

  it('/sendfile detects either order for any user name and file path', () => {
    const user = fc.stringMatching(/^[A-Za-z0-9]{1,16}$/);
    const word = fc.stringMatching(/^[A-Za-z0-9_~-]{1,8}$/);
    const path = fc
      .tuple(fc.array(word, { maxLength: 3 }), fc.array(word, { maxLength: 2 }), word, fc.constantFrom('txt', 'png', 'tar.gz'))
      .map(([spaced, dirs, base, ext]) => [...spaced, [...dirs, `${base}.${ext}`].join('/')].join(' '));
    fc.assert(
      fc.property(user, path, fc.boolean(), (to, p, image) => {
        const verb = image ? '/sendimage' : '/sendfile';
        const want: TypedInput = { kind: 'sendfile', to, path: p, image };
        expect(translateInput(`${verb} ${to} ${p}`)).toStrictEqual(want);
        expect(translateInput(`${verb} ${p} ${to}`)).toStrictEqual(want);
      }),
    );
  });

  it('/cancel [ID] and /stats', () => {
    expect(translateInput('/cancel')).toEqual({ kind: 'cancel' });
    expect(translateInput('/cancel t7')).toEqual({ kind: 'cancel', id: 't7' });
    expect(translateInput('/stats')).toEqual(send({ kind: 'stats' }));
    expect(translateInput('/stats x')).toEqual({ kind: 'error', message: '/stats takes no arguments' });
  });

  it('/accept ID and /decline ID answer a file offer', () => {
    expect(translateInput('/accept 3')).toEqual({ kind: 'accept', id: 3 });
    expect(translateInput('/DECLINE  4294967295 ')).toEqual({ kind: 'decline', id: 4294967295 });
    expect(translateInput('/accept')).toEqual({ kind: 'error', message: '/accept needs the number of a file offer: /accept ID' });
    expect(translateInput('/decline 0')).toEqual({ kind: 'error', message: '/decline needs the number of a file offer: /decline ID' });
    expect(translateInput('/accept x')).toMatchObject({ kind: 'error' });
  });

  it('empty input and unknown slash commands', () => {
    expect(translateInput('')).toEqual({ kind: 'empty' });
    expect(translateInput(' \t ')).toEqual({ kind: 'empty' });
    expect(translateInput('/frob x')).toEqual({ kind: 'error', message: 'unknown command /frob; type /help for the list' });
    expect(translateInput('/')).toEqual({ kind: 'error', message: 'unknown command /; type /help for the list' });
    const long = translateInput(`/${'z'.repeat(500)}`);
    expect(long.kind === 'error' && long.message.length < 100).toBe(true);
  });
});
