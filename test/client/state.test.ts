import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Reply } from '../../src/commands/types.ts';
import { PENDING_EXPIRY_MS } from '../../src/client/constants.ts';
import { answers, ClientState, filterUsers } from '../../src/client/state.ts';
import { replyArb, roomArb, userArb } from './arbitraries.ts';

const T = 1_700_000_000_000;
const USERS = [
  { name: 'alice', room: 'lobby' },
  { name: 'bob', room: 'games' },
  { name: 'carol', room: 'lobby' },
];

function welcomed(name = 'alice', room = 'lobby'): ClientState {
  const s = new ClientState();
  s.sent({ kind: 'connect', name }, T);
  s.receive({ kind: 'welcome', name, room, text: 'hi' }, T + 1);
  return s;
}

describe('ClientState: name and room', () => {
  it('learns name and room from welcome, and when it was welcomed', () => {
    const s = new ClientState();
    expect(s.welcomed).toBe(false);
    s.sent({ kind: 'connect', name: 'alice' }, T);
    expect(s.connecting).toBe(true);
    s.receive({ kind: 'welcome', name: 'Alice', room: 'lobby', text: 'hi' }, T + 5);
    expect(s.name).toBe('Alice');
    expect(s.room).toBe('lobby');
    expect(s.connectedAt).toBe(T + 5);
    expect(s.connecting).toBe(false);
    expect(s.pendingCount).toBe(0);
  });

  it('remembers why a name was refused, and forgets it on the next attempt', () => {
    const s = new ClientState();
    s.sent({ kind: 'connect', name: 'bob' }, T);
    s.receive({ kind: 'error', code: 'name-taken', message: 'Name "bob" is taken' }, T + 1);
    expect(s.welcomed).toBe(false);
    expect(s.connecting).toBe(false);
    expect(s.nameRefusal).toEqual({ code: 'name-taken', message: 'Name "bob" is taken' });
    s.sent({ kind: 'connect', name: 'bob2' }, T + 2);
    expect(s.nameRefusal).toBeUndefined();
  });

  it('follows its own joins only', () => {
    const s = welcomed();
    s.receive({ kind: 'joined', name: 'bob', room: 'games', ts: T }, T);
    expect(s.room).toBe('lobby');
    s.sent({ kind: 'join', room: 'games' }, T);
    s.receive({ kind: 'joined', name: 'ALICE', room: 'games', ts: T }, T + 1);
    expect(s.room).toBe('games');
    expect(s.pendingCount).toBe(0);
    s.sent({ kind: 'leave' }, T + 2);
    s.receive({ kind: 'left', name: 'alice', room: 'games', ts: T, reason: 'moved' }, T + 3);
    s.receive({ kind: 'joined', name: 'alice', room: 'lobby', ts: T }, T + 3);
    expect(s.room).toBe('lobby');
  });

  it('marks its join into the room it was welcomed to as a repeat', () => {
    const s = welcomed();
    expect(s.receive({ kind: 'joined', name: 'alice', room: 'lobby', ts: T }, T)).toEqual({
      kind: 'reply',
      reply: { kind: 'joined', name: 'alice', room: 'lobby', ts: T },
      repeat: true,
    });
    expect(s.receive({ kind: 'joined', name: 'alice', room: 'games', ts: T }, T)).not.toHaveProperty('repeat');
    expect(s.receive({ kind: 'joined', name: 'bob', room: 'games', ts: T }, T)).not.toHaveProperty('repeat');
  });

  it('knows the names it has seen, and forgets those who disconnect', () => {
    const s = welcomed();
    s.receive({ kind: 'users', users: USERS }, T);
    expect(s.knownNames.sort()).toEqual(['alice', 'bob', 'carol']);
    s.receive({ kind: 'joined', name: 'Dave', room: 'lobby', ts: T }, T);
    s.receive({ kind: 'message', from: 'erin', room: 'lobby', ts: T, self: false, text: 'x' }, T);
    s.receive({ kind: 'left', name: 'bob', room: 'games', ts: T, reason: 'disconnect' }, T);
    s.receive({ kind: 'left', name: 'carol', room: 'lobby', ts: T, reason: 'moved' }, T);
    expect(s.knownNames.sort()).toEqual(['Dave', 'alice', 'carol', 'erin']);
  });

  it('knows the rooms it has seen (for /join completion); a room list replaces them', () => {
    const s = welcomed();
    s.receive({ kind: 'joined', name: 'bob', room: 'Games', ts: T }, T);
    s.receive({ kind: 'users', users: [{ name: 'carol', room: 'dev' }] }, T);
    expect(s.knownRooms.sort()).toEqual(['Games', 'dev', 'lobby']);
    s.receive({ kind: 'rooms', rooms: [{ name: 'lobby', count: 2 }, { name: 'music', count: 1 }] }, T);
    expect(s.knownRooms.sort()).toEqual(['lobby', 'music']);
  });

  it('notes the server disconnect', () => {
    const s = welcomed();
    s.sent({ kind: 'disconnect' }, T);
    s.receive({ kind: 'disconnected' }, T + 1);
    expect(s.disconnected).toBe(true);
    expect(s.pendingCount).toBe(0);
  });
});

describe('ClientState: /users scopes', () => {
  it('filters a users reply to the room when /users asked, not for /users all', () => {
    const s = welcomed();
    s.sent({ kind: 'users' }, T, 'room');
    s.sent({ kind: 'users' }, T, 'all');
    expect(s.receive({ kind: 'users', users: USERS }, T + 1)).toEqual({
      kind: 'users',
      scope: 'room',
      room: 'lobby',
      users: [USERS[0], USERS[2]],
    });
    expect(s.receive({ kind: 'users', users: USERS }, T + 2)).toEqual({
      kind: 'users',
      scope: 'all',
      room: undefined,
      users: USERS,
    });
  });

  it('a chat echo overtaken by the TCP reply to /users (the echo came over UDP): both matched, nothing left pending', () => {
    const s = welcomed();
    s.sent({ kind: 'broadcast', text: 'hello' }, T);
    s.sent({ kind: 'users' }, T, 'room');
    expect(s.receive({ kind: 'users', users: USERS }, T + 1)).toMatchObject({ kind: 'users', scope: 'room', room: 'lobby' });
    expect(s.pendingCount).toBe(1);
    s.receive({ kind: 'message', from: 'alice', room: 'lobby', text: 'hello', ts: T, self: true }, T + 2);
    expect(s.pendingCount).toBe(0);
  });

  it('a chat echo (over UDP) that overtakes the replies to an earlier /join answers its line, and the join is still answered', () => {
    const s = welcomed();
    s.sent({ kind: 'join', room: 'games' }, T);
    s.sent({ kind: 'broadcast', text: 'hello' }, T);
    s.sent({ kind: 'users' }, T, 'room');
    s.receive({ kind: 'message', from: 'alice', room: 'games', text: 'hello', ts: T, self: true }, T + 1);
    expect(s.pendingCount).toBe(2);
    s.receive({ kind: 'joined', name: 'alice', room: 'games', ts: T }, T + 2);
    expect(s.receive({ kind: 'users', users: [{ name: 'alice', room: 'games' }] }, T + 3)).toMatchObject({ scope: 'room', room: 'games' });
    expect(s.pendingCount).toBe(0);
  });

  it('only chat echoes may be overtaken: a reply never answers past another kind of command, and an error answers the oldest', () => {
    const s = welcomed();
    s.sent({ kind: 'rooms' }, T);
    s.sent({ kind: 'users' }, T, 'room');
    expect(s.receive({ kind: 'users', users: USERS }, T + 1)).toMatchObject({ scope: 'all' }); // not an answer: rooms is owed first
    expect(s.pendingCount).toBe(2);
    const t = welcomed();
    t.sent({ kind: 'broadcast', text: 'x' }, T);
    t.sent({ kind: 'users' }, T, 'room');
    t.receive({ kind: 'error', code: 'rate-limited', message: 'slow down' }, T + 1);
    expect(t.receive({ kind: 'users', users: USERS }, T + 2)).toMatchObject({ scope: 'room' });
    expect(t.pendingCount).toBe(0);
  });

  it('uses the room it is in when the answer arrives (after a join)', () => {
    const s = welcomed();
    s.sent({ kind: 'join', room: 'games' }, T);
    s.sent({ kind: 'users' }, T, 'room');
    s.receive({ kind: 'joined', name: 'alice', room: 'games', ts: T }, T + 1);
    const shown = s.receive({ kind: 'users', users: [...USERS, { name: 'alice', room: 'games' }] }, T + 2);
    expect(shown).toMatchObject({ scope: 'room', room: 'games' });
    expect(shown.kind === 'users' ? shown.users.map((u) => u.name) : []).toEqual(['bob', 'alice']);
  });

  it('shows an unsolicited users list in full', () => {
    const s = welcomed();
    expect(s.receive({ kind: 'users', users: USERS }, T)).toMatchObject({ scope: 'all', users: USERS });
  });

  it('keeps the scopes in step when a request is refused', () => {
    const s = welcomed();
    s.sent({ kind: 'users' }, T, 'all');
    s.sent({ kind: 'users' }, T, 'room');
    s.receive({ kind: 'error', code: 'rate-limited', message: 'slow down' }, T + 1);
    expect(s.receive({ kind: 'users', users: USERS }, T + 2)).toMatchObject({ scope: 'room' });
  });
});

describe('ClientState: pending replies', () => {
  it("does not take other people's chat as answers", () => {
    const s = welcomed();
    s.sent({ kind: 'broadcast', text: 'hello' }, T);
    s.receive({ kind: 'message', from: 'bob', room: 'lobby', ts: T, self: false, text: 'yo' }, T + 1);
    s.receive({ kind: 'joined', name: 'carol', room: 'lobby', ts: T }, T + 1);
    expect(s.pendingCount).toBe(1);
    s.receive({ kind: 'message', from: 'alice', room: 'lobby', ts: T, self: true, text: 'hello' }, T + 2);
    expect(s.pendingCount).toBe(0);
  });

  it('matches each answer kind to its command', () => {
    const cases: Array<[Parameters<ClientState['sent']>[0], Reply]> = [
      [{ kind: 'private', to: 'bob', text: 'x' }, { kind: 'private', from: 'alice', to: 'bob', ts: T, self: true, text: 'x' }],
      [{ kind: 'rooms' }, { kind: 'rooms', rooms: [] }],
      [{ kind: 'listfiles' }, { kind: 'files', files: [] }],
      [{ kind: 'help' }, { kind: 'system', text: 'Commands:' }],
      [{ kind: 'stats' }, { kind: 'system', text: 'sessions 1' }],
      [{ kind: 'download', file: 'a' }, { kind: 'error', code: 'refused', message: 'later' }],
      [{ kind: 'leave' }, { kind: 'error', code: 'bad-room', message: 'already in lobby' }],
    ];
    for (const [command, reply] of cases) {
      const s = welcomed();
      s.sent(command, T);
      s.receive(reply, T + 1);
      expect(s.pendingCount, command.kind).toBe(0);
    }
    expect(answers('private', { kind: 'private', from: 'bob', to: 'alice', ts: T, self: false, text: 'x' }, 'alice')).toBe(
      false,
    );
    expect(answers('join', { kind: 'joined', name: 'bob', room: 'x', ts: T }, 'alice')).toBe(false);
    expect(answers('join', { kind: 'joined', name: 'x', room: 'x', ts: T }, undefined)).toBe(false);
  });

  it('forgets overdue commands', () => {
    const s = welcomed();
    s.sent({ kind: 'rooms' }, T);
    s.expire(T + PENDING_EXPIRY_MS);
    expect(s.pendingCount).toBe(1);
    s.expire(T + PENDING_EXPIRY_MS + 1);
    expect(s.pendingCount).toBe(0);
  });

  it('never holds more pending commands than were sent, whatever the server says', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(replyArb.map((r) => ({ r })), fc.constant('send' as const)), { maxLength: 60 }),
        (steps) => {
          const s = new ClientState();
          let sent = 0;
          let answered = 0;
          for (const step of steps) {
            if (step === 'send') {
              s.sent({ kind: 'rooms' }, T);
              sent++;
            } else {
              const before = s.pendingCount;
              s.receive(step.r, T);
              answered += before - s.pendingCount;
            }
            expect(s.pendingCount).toBe(sent - answered);
            expect(s.pendingCount).toBeGreaterThanOrEqual(0);
          }
        },
      ),
    );
  });
});

describe('filterUsers', () => {
  it('keeps exactly the users of the room, in order (case-insensitively)', () => {
    fc.assert(
      fc.property(fc.array(userArb, { maxLength: 20 }), roomArb, (users, room) => {
        const inRoom = filterUsers(users, 'room', room.toUpperCase());
        expect(inRoom).toEqual(users.filter((u) => u.room === room));
        expect(filterUsers(users, 'all', room)).toEqual(users);
        expect(filterUsers(users, 'room', undefined)).toEqual(users);
      }),
    );
  });
});

describe('ClientState: a replay after a reconnect', () => {
  const history = (room: string, id: number, from: string, text: string, ts: number): Reply => ({ kind: 'history', room, id, from, ts, text });
  const message = (room: string, from: string, text: string, ts: number): Reply => ({ kind: 'message', room, from, text, ts, self: false });
  const shown = (d: ReturnType<ClientState['receive']>): string => (d.kind === 'reply' && d.repeat !== true && (d.reply.kind === 'history' || d.reply.kind === 'message') ? d.reply.text : '-');

  it('leaves out the replayed lines the old connection showed, up to and including the last one; the rest starts the history run', () => {
    const old = welcomed('alice', 'dev');
    old.receive(message('dev', 'bob', 'one', T + 10), T + 10);
    old.receive(message('DEV', 'bob', 'two', T + 20), T + 20);
    old.receive(message('lobby', 'carol', 'elsewhere', T + 25), T + 25);

    const fresh = welcomed('alice', 'dev');
    fresh.rememberSeen(old.seenLines());
    const replay = [history('dev', 1, 'bob', 'zero', T + 5), history('dev', 2, 'bob', 'one', T + 10), history('dev', 3, 'bob', 'two', T + 20), history('dev', 4, 'bob', 'missed', T + 30), history('dev', 5, 'bob', 'missed too', T + 40)];
    const displays = replay.map((r) => fresh.receive(r, T + 50));
    expect(displays.map(shown)).toEqual(['-', '-', '-', 'missed', 'missed too']);
    expect(displays[3]).toMatchObject({ historyStart: true });
    // The replay is over: an explicit /history page shows everything again.
    fresh.receive(message('dev', 'bob', 'live', T + 60), T + 60);
    expect(replay.map((r) => fresh.receive(r, T + 70)).map(shown)).toEqual(['zero', 'one', 'two', 'missed', 'missed too']);
  });

  it('keeps each room apart: the lobby’s replay first does not end the one of the room we go back to', () => {
    const old = welcomed('alice', 'dev');
    old.receive(message('dev', 'bob', 'seen', T + 10), T + 10);
    const fresh = welcomed('alice', 'lobby');
    fresh.rememberSeen(old.seenLines());
    expect(shown(fresh.receive(history('lobby', 1, 'carol', 'lobby line', T + 1), T + 20))).toBe('lobby line');
    fresh.receive({ kind: 'joined', name: 'alice', room: 'dev', ts: T + 21 }, T + 21);
    expect([history('dev', 2, 'bob', 'seen', T + 10), history('dev', 3, 'bob', 'new', T + 15)].map((r) => shown(fresh.receive(r, T + 22)))).toEqual(['-', 'new']);
  });

  it('shows a line of the same millisecond that is not the one seen, and everything when nothing was seen', () => {
    const old = welcomed('alice', 'dev');
    old.receive(message('dev', 'bob', 'seen', T + 10), T + 10);
    const fresh = welcomed('alice', 'dev');
    fresh.rememberSeen(old.seenLines());
    expect(shown(fresh.receive(history('dev', 7, 'carol', 'same ms, other line', T + 10), T + 20))).toBe('same ms, other line');
    const blank = welcomed('alice', 'dev');
    blank.rememberSeen(new ClientState().seenLines());
    expect(shown(blank.receive(history('dev', 1, 'bob', 'old', T), T + 20))).toBe('old');
  });
});
