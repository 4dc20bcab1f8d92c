import { describe, expect, it } from 'vitest';
import type { Command } from '../../src/commands/types.ts';
import { DEFAULT_HUB_OPTIONS, Hub } from './helpers.ts';
import { errorTo, hubWith, logs, recipients, repliesTo } from './helpers.ts';

const NAME_RULE = 'names are 1–16 letters or digits';

describe('connect', () => {
  it('welcomes the user into the lobby and announces them to the lobby, newcomer included', () => {
    const hub = hubWith(['alice']);
    hub.open(2, 0);
    const out = hub.handle(2, { kind: 'connect', name: 'Bob' }, 1234);
    const mine = repliesTo(out, 2);
    expect(mine[0]).toMatchObject({ kind: 'welcome', name: 'Bob', room: 'lobby' });
    const welcome = mine[0];
    if (welcome?.kind !== 'welcome') throw new Error('no welcome');
    expect(welcome.text).toContain('2 users online');
    expect(welcome.text).toContain('<help>');
    const joined = { kind: 'joined', name: 'Bob', room: 'lobby', ts: 1234 };
    expect(mine[1]).toEqual(joined);
    expect(repliesTo(out, 1)).toEqual([joined]);
    // one shared object for everyone
    expect(repliesTo(out, 1)[0]).toBe(mine[1]);
    expect(logs(out)).toEqual([{ type: 'connect', session: 2, name: 'Bob', room: 'lobby' }]);
    expect(hub.nameOf(2)).toBe('Bob');
    expect(hub.roomOf(2)).toBe('lobby');
    expect(hub.sessionOf('BOB')).toBe(2);
  });

  it('says "1 user online" to the first user', () => {
    const hub = new Hub();
    hub.open(7, 0);
    const welcome = repliesTo(hub.handle(7, { kind: 'connect', name: 'solo' }, 0), 7)[0];
    expect(welcome?.kind === 'welcome' && welcome.text).toContain('1 user online');
  });

  it('accepts 1 and 16 characters, letters and digits, and trims surrounding blanks', () => {
    const hub = hubWith(['a', 'A234567890123456', 'x9']);
    expect(hub.users().map((u) => u.name)).toEqual(['a', 'A234567890123456', 'x9']);
    hub.open(9, 0);
    hub.handle(9, { kind: 'connect', name: '  carol \t' }, 0);
    expect(hub.nameOf(9)).toBe('carol');
  });

  it.each([
    ['', 'required'],
    ['   ', 'required'],
    ['abcdefghijklmnopq', '17 characters'],
    ['al ice', 'a space'],
    ['al_ice', '"_"'],
    ['zoë', '"ë"'],
    ['bo\u0000b', 'U+0000'],
    ['bo\u001bb', 'U+001B'],
  ])('refuses the name %j with bad-name (%s) and lets the session retry', (name, why) => {
    const hub = new Hub();
    hub.open(1, 0);
    const out = hub.handle(1, { kind: 'connect', name }, 0);
    const err = errorTo(out, 1);
    expect(err.code).toBe('bad-name');
    expect(err.message).toContain(NAME_RULE);
    expect(err.message).toContain(why);
    // What follows a blank may be a password: the log keeps the first word only.
    const logged = name === 'al ice' ? 'al …' : name;
    expect(logs(out)).toEqual([{ type: 'name-refused', session: 1, name: logged, code: 'bad-name' }]);
    // ... and the reply does not quote it back either.
    if (name === 'al ice') expect(err.message).not.toContain('ice');
    expect(hub.nameOf(1)).toBeUndefined();
    expect(hub.users()).toEqual([]);
    expect(repliesTo(hub.handle(1, { kind: 'connect', name: 'alice' }, 0), 1)[0]?.kind).toBe('welcome');
  });

  it('keeps an absurdly long refused name out of the message and the log', () => {
    const hub = new Hub();
    hub.open(1, 0);
    const name = 'x'.repeat(100_000);
    const out = hub.handle(1, { kind: 'connect', name }, 0);
    expect(errorTo(out, 1).message.length).toBeLessThan(200);
    const ev = logs(out)[0];
    expect(ev?.type === 'name-refused' && ev.name.length).toBeLessThanOrEqual(64);
  });

  it('refuses a name taken case-insensitively, naming it, and lets the session retry', () => {
    const hub = hubWith(['Alice']);
    hub.open(2, 0);
    const out = hub.handle(2, { kind: 'connect', name: 'aLiCe' }, 0);
    const err = errorTo(out, 2);
    expect(err.code).toBe('name-taken');
    expect(err.message).toContain('aLiCe');
    expect(recipients(out)).toEqual([2]);
    expect(logs(out)).toEqual([{ type: 'name-refused', session: 2, name: 'aLiCe', code: 'name-taken' }]);
    expect(repliesTo(hub.handle(2, { kind: 'connect', name: 'alice2' }, 0), 2)[0]?.kind).toBe('welcome');
  });

  it('refuses a second connect with already-connected', () => {
    const hub = hubWith(['alice']);
    const out = hub.handle(1, { kind: 'connect', name: 'other' }, 0);
    expect(errorTo(out, 1).code).toBe('already-connected');
    expect(errorTo(out, 1).message).toContain('alice');
    expect(logs(out)).toEqual([{ type: 'refused', session: 1, command: 'connect', code: 'already-connected' }]);
    expect(hub.nameOf(1)).toBe('alice');
    expect(hub.sessionOf('other')).toBeUndefined();
  });
});

describe('before <connect>', () => {
  const early: Command[] = [
    { kind: 'users' },
    { kind: 'users', arg: 'x' },
    { kind: 'broadcast', text: 'hi' },
    { kind: 'private', to: 'bob', text: 'hi' },
    { kind: 'listfiles' },
    { kind: 'download', file: 'a.txt' },
    { kind: 'join', room: 'dev' },
    { kind: 'leave' },
    { kind: 'rooms' },
    { kind: 'stats' },
    { kind: 'upload', name: 'a', size: 1, crc: 0 },
    { kind: 'sendfile', to: 'bob', name: 'a', size: 1, crc: 0 },
    { kind: 'cancel', id: '1' },
  ];
  it.each(early.map((c) => [c.kind, c] as const))('%s is refused with not-connected', (kind, command) => {
    const hub = hubWith(['bob']);
    hub.open(5, 0);
    const out = hub.handle(5, command, 0);
    const err = errorTo(out, 5);
    expect(err).toEqual({ kind: 'error', code: 'not-connected', message: 'send <connect>NAME first' });
    expect(out.filter((o) => o.type !== 'log')).toHaveLength(1);
    expect(logs(out)).toEqual([{ type: 'refused', session: 5, command: kind, code: 'not-connected' }]);
  });

  it('answers <help> with system lines', () => {
    const hub = new Hub();
    hub.open(1, 0);
    const out = hub.handle(1, { kind: 'help' }, 0);
    const lines = repliesTo(out, 1);
    expect(lines.length).toBeGreaterThan(5);
    expect(lines.every((r) => r.kind === 'system' && !/[\r\n]/.test(r.text))).toBe(true);
    const text = lines.map((r) => (r.kind === 'system' ? r.text : '')).join('\n');
    const verbs = ['<connect>', '<set_msg_all>', '<set_msg>', '<get_users>', '<join>', '<leave>', '<rooms>'];
    for (const verb of [...verbs, '<listfiles>', '<download>', '<stats>', '<disconnect>', '<help>']) {
      expect(text).toContain(verb);
    }
    expect(logs(out)).toEqual([{ type: 'request', session: 1, command: 'help' }]);
  });

  it('accepts <disconnect>: disconnected, then close', () => {
    const hub = new Hub();
    hub.open(1, 0);
    const out = hub.handle(1, { kind: 'disconnect' }, 0);
    expect(out.filter((o) => o.type !== 'log')).toEqual([
      { type: 'reply', to: 1, reply: { kind: 'disconnected' } },
      { type: 'close', session: 1 },
    ]);
    expect(logs(out)).toHaveLength(1);
    expect(hub.sessionCount()).toBe(0);
    expect(hub.close(1, 0, 'disconnect')).toEqual([]);
  });
});

describe('rooms', () => {
  it('join creates a room: left (moved) to the old room and the mover, joined to the new', () => {
    const hub = hubWith(['alice', 'bob', 'carol']);
    hub.handle(3, { kind: 'join', room: 'dev' }, 0);
    const out = hub.handle(1, { kind: 'join', room: 'Dev' }, 50);
    const left = { kind: 'left', name: 'alice', room: 'lobby', ts: 50, reason: 'moved' };
    const joined = { kind: 'joined', name: 'alice', room: 'dev', ts: 50 };
    expect(repliesTo(out, 1)).toEqual([left, joined]);
    expect(repliesTo(out, 2)).toEqual([left]);
    expect(repliesTo(out, 3)).toEqual([joined]);
    expect(logs(out)).toEqual([{ type: 'join', name: 'alice', room: 'dev', from: 'lobby' }]);
    expect(hub.roomOf(1)).toBe('dev');
    expect(hub.rooms()).toEqual([
      { name: 'lobby', count: 1 },
      { name: 'dev', count: 2 },
    ]);
  });

  it('room names are case-insensitive, canonically lower-case, and a leading # is accepted', () => {
    const hub = hubWith(['alice', 'bob']);
    hub.handle(1, { kind: 'join', room: 'TeamX' }, 0);
    hub.handle(2, { kind: 'join', room: '#teamx' }, 0);
    expect(hub.roomOf(1)).toBe('teamx');
    expect(hub.roomOf(2)).toBe('teamx');
    expect(hub.rooms()).toEqual([
      { name: 'lobby', count: 0 },
      { name: 'teamx', count: 2 },
    ]);
  });

  it.each([[''], ['two words'], ['a'.repeat(33)], ['dev!'], ['#'], ['ünï']])('refuses the room %j with bad-room', (room) => {
    const hub = hubWith(['alice']);
    const out = hub.handle(1, { kind: 'join', room }, 0);
    const err = errorTo(out, 1);
    expect(err.code).toBe('bad-room');
    expect(err.message).toContain('room names are 1–32 letters or digits');
    expect(logs(out)).toEqual([{ type: 'refused', session: 1, command: 'join', code: 'bad-room' }]);
    expect(hub.roomOf(1)).toBe('lobby');
  });

  it('accepts a 32-character room name', () => {
    const hub = hubWith(['alice']);
    hub.handle(1, { kind: 'join', room: 'R'.repeat(32) }, 0);
    expect(hub.roomOf(1)).toBe('r'.repeat(32));
  });

  it('refuses joining the room you are in', () => {
    const hub = hubWith(['alice']);
    expect(errorTo(hub.handle(1, { kind: 'join', room: 'LOBBY' }, 0), 1)).toMatchObject({ code: 'bad-room', message: 'you are already in #lobby' });
    hub.handle(1, { kind: 'join', room: 'dev' }, 0);
    expect(errorTo(hub.handle(1, { kind: 'join', room: 'Dev' }, 0), 1).code).toBe('bad-room');
  });

  it('a full room refuses with room-full naming the room and the capacity', () => {
    const hub = hubWith(['a', 'b', 'c'], { roomCapacity: 2 });
    hub.handle(1, { kind: 'join', room: 'dev' }, 0);
    hub.handle(2, { kind: 'join', room: 'dev' }, 0);
    const out = hub.handle(3, { kind: 'join', room: 'dev' }, 0);
    const err = errorTo(out, 3);
    expect(err.code).toBe('room-full');
    expect(err.message).toContain('#dev');
    expect(err.message).toContain('2 of 2');
    expect(recipients(out)).toEqual([3]);
    expect(hub.roomOf(3)).toBe('lobby');
    // a place frees up
    hub.handle(1, { kind: 'leave' }, 0);
    hub.handle(3, { kind: 'join', room: 'dev' }, 0);
    expect(hub.roomOf(3)).toBe('dev');
  });

  it('defaults to a capacity of 15', () => {
    expect(DEFAULT_HUB_OPTIONS.roomCapacity).toBe(15);
    const names = Array.from({ length: 16 }, (_, i) => `u${i}`);
    const hub = hubWith(names);
    for (let i = 1; i <= 15; i++) hub.handle(i, { kind: 'join', room: 'big' }, 0);
    expect(errorTo(hub.handle(16, { kind: 'join', room: 'big' }, 0), 16).code).toBe('room-full');
  });

  it('the lobby is unbounded: users beyond the capacity still connect and return', () => {
    const hub = hubWith(['a', 'b', 'c', 'd'], { roomCapacity: 1 });
    expect(hub.rooms()).toEqual([{ name: 'lobby', count: 4 }]);
    hub.handle(1, { kind: 'join', room: 'x' }, 0);
    hub.handle(1, { kind: 'join', room: 'lobby' }, 0);
    expect(hub.roomOf(1)).toBe('lobby');
  });

  it('empty rooms disappear, the lobby stays even when empty', () => {
    const hub = hubWith(['alice']);
    hub.handle(1, { kind: 'join', room: 'dev' }, 0);
    expect(hub.rooms()).toEqual([
      { name: 'lobby', count: 0 },
      { name: 'dev', count: 1 },
    ]);
    hub.handle(1, { kind: 'join', room: 'ops' }, 0);
    expect(hub.rooms()).toEqual([
      { name: 'lobby', count: 0 },
      { name: 'ops', count: 1 },
    ]);
    hub.close(1, 0, 'lost');
    expect(hub.rooms()).toEqual([{ name: 'lobby', count: 0 }]);
  });

  it('<leave> returns to the lobby; in the lobby it is refused', () => {
    const hub = hubWith(['alice', 'bob']);
    expect(errorTo(hub.handle(1, { kind: 'leave' }, 0), 1).code).toBe('bad-room');
    hub.handle(1, { kind: 'join', room: 'dev' }, 0);
    const out = hub.handle(1, { kind: 'leave' }, 9);
    expect(repliesTo(out, 1)).toEqual([
      { kind: 'left', name: 'alice', room: 'dev', ts: 9, reason: 'moved' },
      { kind: 'joined', name: 'alice', room: 'lobby', ts: 9 },
    ]);
    expect(repliesTo(out, 2)).toEqual([{ kind: 'joined', name: 'alice', room: 'lobby', ts: 9 }]);
    expect(logs(out)).toEqual([{ type: 'leave', name: 'alice', room: 'dev', reason: 'moved' }]);
    expect(hub.rooms()).toEqual([{ name: 'lobby', count: 2 }]);
  });

  it('<rooms> lists the lobby first, then rooms by name, with counts', () => {
    const hub = hubWith(['a', 'b', 'c', 'd']);
    hub.handle(1, { kind: 'join', room: 'zeta' }, 0);
    hub.handle(2, { kind: 'join', room: 'alpha' }, 0);
    hub.handle(3, { kind: 'join', room: 'alpha' }, 0);
    const out = hub.handle(4, { kind: 'rooms' }, 0);
    expect(repliesTo(out, 4)).toEqual([
      {
        kind: 'rooms',
        rooms: [
          { name: 'lobby', count: 1 },
          { name: 'alpha', count: 2 },
          { name: 'zeta', count: 1 },
        ],
      },
    ]);
    expect(logs(out)).toEqual([{ type: 'request', session: 4, name: 'd', command: 'rooms' }]);
  });

  it('a custom default room is canonical and used everywhere', () => {
    const hub = hubWith(['alice'], { defaultRoom: 'Main' });
    expect(hub.roomOf(1)).toBe('main');
    expect(hub.rooms()).toEqual([{ name: 'main', count: 1 }]);
  });
});

describe('<get_users>', () => {
  it('lists everyone online with their room, sorted by name; an own-name or other argument is ignored', () => {
    const hub = hubWith(['carol', 'Alice', 'bob']);
    hub.handle(3, { kind: 'join', room: 'dev' }, 0);
    hub.open(9, 0); // unnamed sessions are not users
    const expected = [
      { name: 'Alice', room: 'lobby' },
      { name: 'bob', room: 'dev' },
      { name: 'carol', room: 'lobby' },
    ];
    for (const arg of [undefined, 'alice', 'someoneelse']) {
      const command: Command = arg === undefined ? { kind: 'users' } : { kind: 'users', arg };
      const out = hub.handle(2, command, 0);
      expect(repliesTo(out, 2)).toEqual([{ kind: 'users', users: expected }]);
      expect(recipients(out)).toEqual([2]);
      expect(logs(out)).toHaveLength(1);
    }
    expect(hub.users()).toEqual(expected);
  });
});

describe('<set_msg_all>', () => {
  it('goes to everyone in the sender’s room: echo self:true, one shared object self:false for the rest', () => {
    const hub = hubWith(['alice', 'bob', 'carol', 'dave']);
    hub.handle(4, { kind: 'join', room: 'dev' }, 0);
    const out = hub.handle(1, { kind: 'broadcast', text: 'hello all' }, 777);
    const base = { kind: 'message', from: 'alice', room: 'lobby', ts: 777, text: 'hello all' };
    expect(repliesTo(out, 1)).toEqual([{ ...base, self: true }]);
    expect(repliesTo(out, 2)).toEqual([{ ...base, self: false }]);
    expect(repliesTo(out, 3)).toEqual([{ ...base, self: false }]);
    expect(repliesTo(out, 4)).toEqual([]);
    expect(repliesTo(out, 2)[0]).toBe(repliesTo(out, 3)[0]);
    expect(logs(out)).toEqual([{ type: 'message', name: 'alice', room: 'lobby', length: 9, recipients: 2 }]);
  });

  it('echoes to a sender alone in a room', () => {
    const hub = hubWith(['alice', 'bob']);
    hub.handle(1, { kind: 'join', room: 'quiet' }, 0);
    const out = hub.handle(1, { kind: 'broadcast', text: 'anyone?' }, 0);
    expect(recipients(out)).toEqual([1]);
    expect(logs(out)[0]).toMatchObject({ recipients: 0 });
  });

  it.each([
    ['alice : hi there', 'hi there'],
    ['alice: did you see this?', 'alice: did you see this?'],
    ['alice:5:1234', 'alice:5:1234'],
    ['ALICE : hi', 'hi'],
    ['  Alice  :  spaced  ', 'spaced'],
    ['alicex: not me', 'alicex: not me'],
    ['bob: hi', 'bob: hi'],
    ['alice says hi', 'alice says hi'],
    ['hi: alice: x', 'hi: alice: x'],
    ['line one\r\nline two\nthree\rfour', 'line one line two three four'],
    ['tab\there \u001b[31mred', 'tab here  [31mred'],
  ])('normalises %j to %j', (text, expected) => {
    const hub = hubWith(['alice', 'bob']);
    const reply = repliesTo(hub.handle(1, { kind: 'broadcast', text }, 0), 2)[0];
    expect(reply?.kind === 'message' && reply.text).toBe(expected);
  });

  it.each([[''], ['   '], ['\r\n'], ['alice :'], ['alice :  ']])('refuses empty text %j with bad-argument', (text) => {
    const hub = hubWith(['alice', 'bob']);
    const out = hub.handle(1, { kind: 'broadcast', text }, 0);
    expect(errorTo(out, 1).code).toBe('bad-argument');
    expect(recipients(out)).toEqual([1]);
    expect(logs(out)).toEqual([{ type: 'refused', session: 1, command: 'broadcast', code: 'bad-argument' }]);
  });

  it('refuses text longer than maxTextLength with too-large, counting characters not UTF-16 units', () => {
    const hub = hubWith(['alice', 'bob'], { maxTextLength: 5 });
    expect(recipients(hub.handle(1, { kind: 'broadcast', text: '12345' }, 0))).toEqual([1, 2]);
    expect(recipients(hub.handle(1, { kind: 'broadcast', text: '😀😀😀😀😀' }, 0))).toEqual([1, 2]);
    const out = hub.handle(1, { kind: 'broadcast', text: '123456' }, 0);
    expect(errorTo(out, 1).code).toBe('too-large');
    expect(errorTo(out, 1).message).toContain('5');
    expect(DEFAULT_HUB_OPTIONS.maxTextLength).toBe(4096);
  });

  it('never puts message text in a log event', () => {
    const hub = hubWith(['alice', 'bob']);
    const secret = 'SECRETWORD';
    const out = [
      ...hub.handle(1, { kind: 'broadcast', text: secret }, 0),
      ...hub.handle(1, { kind: 'private', to: 'bob', text: secret }, 0),
    ];
    expect(JSON.stringify(logs(out))).not.toContain(secret);
  });
});

describe('<set_msg>', () => {
  it('reaches only the named user, wherever they are, with an echo to the sender', () => {
    const hub = hubWith(['alice', 'Bob', 'carol']);
    hub.handle(2, { kind: 'join', room: 'dev' }, 0);
    const out = hub.handle(1, { kind: 'private', to: 'bob', text: 'bob: psst' }, 42);
    const base = { kind: 'private', from: 'alice', to: 'Bob', ts: 42, text: 'bob: psst' };
    expect(repliesTo(out, 2)).toEqual([{ ...base, self: false }]);
    expect(repliesTo(out, 1)).toEqual([{ ...base, self: true }]);
    expect(repliesTo(out, 3)).toEqual([]);
    expect(logs(out)).toEqual([{ type: 'private', from: 'alice', to: 'Bob', length: 9 }]);
  });

  it('strips the sender’s own-name prefix', () => {
    const hub = hubWith(['alice', 'bob']);
    const reply = repliesTo(hub.handle(1, { kind: 'private', to: 'bob', text: 'alice : hi' }, 0), 2)[0];
    expect(reply?.kind === 'private' && reply.text).toBe('hi');
  });

  it('refuses an unknown user with unknown-user naming them', () => {
    const hub = hubWith(['alice']);
    const out = hub.handle(1, { kind: 'private', to: 'zed', text: 'hi' }, 0);
    expect(errorTo(out, 1)).toMatchObject({ code: 'unknown-user', message: 'no user named "zed" is online' });
    expect(logs(out)).toEqual([{ type: 'refused', session: 1, command: 'private', code: 'unknown-user' }]);
  });

  it('refuses a message to yourself, empty text and oversized text', () => {
    const hub = hubWith(['alice', 'bob'], { maxTextLength: 3 });
    expect(errorTo(hub.handle(1, { kind: 'private', to: 'ALICE', text: 'hi' }, 0), 1).code).toBe('bad-argument');
    expect(errorTo(hub.handle(1, { kind: 'private', to: 'bob', text: '  ' }, 0), 1).code).toBe('bad-argument');
    expect(errorTo(hub.handle(1, { kind: 'private', to: 'bob', text: 'abcd' }, 0), 1).code).toBe('too-large');
  });
});

describe('file commands and stats', () => {
  it('hands file commands to the files shell with own-name forms resolved', () => {
    const hub = hubWith(['alice']);
    const cases: Array<[Command, Command]> = [
      [{ kind: 'listfiles' }, { kind: 'listfiles' }],
      [{ kind: 'listfiles', arg: 'alice' }, { kind: 'listfiles' }],
      [{ kind: 'listfiles', arg: 'bob' }, { kind: 'listfiles' }],
      [{ kind: 'download', file: 'notes.txt' }, { kind: 'download', file: 'notes.txt' }],
      [{ kind: 'download', file: 'alice,notes.txt' }, { kind: 'download', file: 'notes.txt' }],
      [{ kind: 'download', file: 'ALICE , notes.txt' }, { kind: 'download', file: 'notes.txt' }],
      [{ kind: 'download', file: 'bob,notes.txt' }, { kind: 'download', file: 'bob,notes.txt' }],
      [{ kind: 'download', file: ',x' }, { kind: 'download', file: ',x' }],
      [{ kind: 'upload', name: 'a.bin', size: 10, crc: 5 }, { kind: 'upload', name: 'a.bin', size: 10, crc: 5 }],
      [{ kind: 'sendfile', to: 'bob', name: 'a', size: 1, crc: 2 }, { kind: 'sendfile', to: 'bob', name: 'a', size: 1, crc: 2 }],
      [{ kind: 'cancel', id: 't1' }, { kind: 'cancel', id: 't1' }],
    ];
    for (const [input, resolved] of cases) {
      const out = hub.handle(1, input, 0);
      expect(out.filter((o) => o.type !== 'log')).toEqual([{ type: 'files', session: 1, command: resolved }]);
      expect(logs(out)).toEqual([{ type: 'request', session: 1, name: 'alice', command: input.kind }]);
    }
  });

  it.each([[''], ['  '], ['alice,'], ['alice,  ']])('refuses a download of %j with bad-argument', (file) => {
    const hub = hubWith(['alice']);
    expect(errorTo(hub.handle(1, { kind: 'download', file }, 0), 1).code).toBe('bad-argument');
  });

  it('asks the shell for stats', () => {
    const hub = hubWith(['alice']);
    const out = hub.handle(1, { kind: 'stats' }, 0);
    // An ordinary user (no operator rules): the shell answers with their own link (hub-oper.test.ts: operators).
    expect(out.filter((o) => o.type !== 'log')).toEqual([{ type: 'stats', session: 1, operator: false }]);
    expect(logs(out)).toHaveLength(1);
  });

  it('answers <help> after connect too', () => {
    const hub = hubWith(['alice']);
    const out = hub.handle(1, { kind: 'help' }, 0);
    expect(repliesTo(out, 1).every((r) => r.kind === 'system')).toBe(true);
    expect(logs(out)).toEqual([{ type: 'request', session: 1, name: 'alice', command: 'help' }]);
  });
});

describe('leaving', () => {
  it.each([[undefined], ['alice'], ['bob']])('<disconnect> (arg %j) removes the user at once, answers disconnected, then close', (arg) => {
    const hub = hubWith(['alice', 'bob', 'carol']);
    hub.handle(3, { kind: 'join', room: 'dev' }, 0);
    const command: Command = arg === undefined ? { kind: 'disconnect' } : { kind: 'disconnect', arg };
    const out = hub.handle(1, command, 99);
    expect(out.filter((o) => o.type !== 'log')).toEqual([
      { type: 'reply', to: 2, reply: { kind: 'left', name: 'alice', room: 'lobby', ts: 99, reason: 'disconnect' } },
      { type: 'reply', to: 1, reply: { kind: 'disconnected' } },
      { type: 'close', session: 1 },
    ]);
    expect(logs(out)).toEqual([{ type: 'disconnect', name: 'alice', room: 'lobby', reason: 'disconnect' }]);
    expect(hub.nameOf(1)).toBeUndefined();
    expect(hub.sessionOf('alice')).toBeUndefined();
    expect(hub.users().map((u) => u.name)).toEqual(['bob', 'carol']);
    expect(hub.sessionCount()).toBe(2);
    // the shell then reports the closed connection: nothing more happens
    expect(hub.close(1, 100, 'disconnect')).toEqual([]);
    // a late line from the dead session is only logged
    const late = hub.handle(1, { kind: 'broadcast', text: 'ghost' }, 101);
    expect(late).toEqual([{ type: 'log', event: { type: 'refused', session: 1, command: 'broadcast', code: 'not-connected' } }]);
    // the name is free again
    hub.open(4, 0);
    expect(repliesTo(hub.handle(4, { kind: 'connect', name: 'ALICE' }, 0), 4)[0]?.kind).toBe('welcome');
  });

  it('close() of a named session tells the room with the given reason, once', () => {
    const hub = hubWith(['alice', 'bob']);
    const out = hub.close(1, 5, 'lost');
    expect(out.filter((o) => o.type !== 'log')).toEqual([
      { type: 'reply', to: 2, reply: { kind: 'left', name: 'alice', room: 'lobby', ts: 5, reason: 'lost' } },
    ]);
    expect(logs(out)).toEqual([{ type: 'disconnect', name: 'alice', room: 'lobby', reason: 'lost' }]);
    expect(hub.close(1, 6, 'lost')).toEqual([]);
    expect(hub.sessionCount()).toBe(1);
    expect(hub.users()).toEqual([{ name: 'bob', room: 'lobby' }]);
  });

  it('close() of an unnamed session only cleans up', () => {
    const hub = hubWith(['alice']);
    hub.open(2, 0);
    expect(hub.sessionCount()).toBe(2);
    expect(hub.close(2, 0, 'disconnect')).toEqual([]);
    expect(hub.sessionCount()).toBe(1);
    expect(hub.close(99, 0, 'lost')).toEqual([]);
  });

  it('open() twice keeps the session as it is', () => {
    const hub = hubWith(['alice']);
    expect(hub.open(1, 0)).toEqual([]);
    expect(hub.nameOf(1)).toBe('alice');
    expect(hub.sessionCount()).toBe(1);
  });
});

describe('bad input never throws', () => {
  it.each([
    [{ kind: 'nope' }],
    [{ kind: 'connect', name: 5 }],
    [{ kind: 'broadcast' }],
    [{ kind: 'private', to: 'bob' }],
    [{ kind: 'join', room: null }],
    [{ kind: 'download', file: [] }],
    [null],
    ['connect'],
  ])('a malformed command %j is refused with bad-command', (command) => {
    const hub = hubWith(['alice']);
    const out = hub.handle(1, command as unknown as Command, 0);
    expect(errorTo(out, 1).code).toBe('bad-command');
    expect(logs(out)).toHaveLength(1);
  });

  it('a command for a session never opened is only logged', () => {
    const hub = new Hub();
    const out = hub.handle(3, { kind: 'connect', name: 'alice' }, 0);
    expect(recipients(out)).toEqual([]);
    expect(logs(out)).toEqual([{ type: 'refused', session: 3, command: 'connect', code: 'not-connected' }]);
    expect(hub.sessionCount()).toBe(0);
  });
});
