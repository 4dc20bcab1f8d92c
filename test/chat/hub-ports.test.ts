// The hub's seams: outputs addressed to rooms (not one per member), rooms per session (enter/part/say
// beside the bracket commands' move), session addresses with a node id, and the ports — a presence that
// answers later, a store that keeps room messages.
import { describe, expect, it } from 'vitest';
import { Hub as RealHub, type HubOutput } from '../../src/chat/hub.ts';
import type { SessionAddress } from '../../src/chat/ids.ts';
import { MemoryPresence } from '../../src/chat/memory-presence.ts';
import type { Answer, Presence, RoomMessage, Store } from '../../src/chat/ports.ts';
import { Hub, logs, repliesTo } from './helpers.ts';

function connected(names: string[], ports: ConstructorParameters<typeof Hub>[1] = {}, roomCapacity = 3): Hub {
  const hub = new Hub({ roomCapacity }, ports);
  names.forEach((name, i) => {
    hub.open(i + 1, 0);
    hub.handle(i + 1, { kind: 'connect', name }, 0);
  });
  return hub;
}

describe('outputs addressed to rooms', () => {
  it('a broadcast is three outputs however many members: the echo, one room output (but the sender), the log', () => {
    const hub = new RealHub({ roomCapacity: 500 });
    for (let s = 1; s <= 300; s++) {
      hub.open(s, 0);
      hub.handle(s, { kind: 'connect', name: `u${s}` }, 0);
    }
    const out = hub.handle(7, { kind: 'broadcast', text: 'hi' }, 5);
    expect(out.map((o) => o.type)).toEqual(['reply', 'room', 'log']);
    const room = out[1] as Extract<HubOutput, { type: 'room' }>;
    expect(room).toMatchObject({ room: 'lobby', except: 7, reply: { kind: 'message', from: 'u7', self: false, text: 'hi' } });
    expect(hub.localMembers('lobby').size).toBe(300);
    expect(hub.localMembers('nowhere').size).toBe(0);
  });

  it('a newcomer is greeted with facts (name, room, how many online, the chat rate); the door words them', () => {
    const hub = new RealHub();
    hub.open(1, 0);
    const out = hub.handle(1, { kind: 'connect', name: 'ann' }, 9);
    expect(out[0]).toEqual({ type: 'reply', to: 1, reply: { kind: 'greeting', name: 'ann', room: 'lobby', online: 1, limits: { rate: 20, burst: 40 } } });
    expect(out[1]).toEqual({ type: 'room', room: 'lobby', reply: { kind: 'joined', name: 'ann', room: 'lobby', ts: 9 } });
    expect(hub.handle(1, { kind: 'help' }, 9)[0]).toEqual({
      type: 'reply',
      to: 1,
      reply: { kind: 'help', limits: { defaultRoom: 'lobby', roomCapacity: 15, maxTextLength: 4096 } },
    });
  });
});

describe('rooms per session', () => {
  it('enter keeps the other rooms and makes the new one current; say reaches one room; part leaves one', () => {
    const hub = connected(['ann', 'bob', 'cy']);
    hub.handle(2, { kind: 'join', room: 'dev' }, 1); // bob moves to dev
    const entered = hub.handle(1, { kind: 'enter', room: '#Dev' }, 2);
    expect(hub.roomsOf(1)).toEqual(['lobby', 'dev']);
    expect(hub.roomOf(1)).toBe('dev');
    expect(repliesTo(entered, 2)).toEqual([{ kind: 'joined', name: 'ann', room: 'dev', ts: 2 }]);
    expect(repliesTo(entered, 3)).toEqual([]);
    expect(logs(entered)).toEqual([{ type: 'enter', name: 'ann', room: 'dev' }]);

    const toLobby = hub.handle(1, { kind: 'say', room: 'lobby', text: 'hello lobby' }, 3);
    expect(repliesTo(toLobby, 3)).toEqual([{ kind: 'message', from: 'ann', room: 'lobby', ts: 3, self: false, text: 'hello lobby' }]);
    expect(repliesTo(toLobby, 2)).toEqual([]);
    expect(repliesTo(toLobby, 1)).toMatchObject([{ kind: 'message', room: 'lobby', self: true }]);
    // <set_msg_all> goes to the current room
    const toDev = hub.handle(1, { kind: 'broadcast', text: 'hello dev' }, 4);
    expect(repliesTo(toDev, 2)).toMatchObject([{ kind: 'message', room: 'dev', text: 'hello dev' }]);
    expect(repliesTo(toDev, 3)).toEqual([]);

    const parted = hub.handle(1, { kind: 'part', room: 'dev' }, 5);
    expect(repliesTo(parted, 1)).toEqual([{ kind: 'left', name: 'ann', room: 'dev', ts: 5, reason: 'moved' }]);
    expect(repliesTo(parted, 2)).toEqual([{ kind: 'left', name: 'ann', room: 'dev', ts: 5, reason: 'moved' }]);
    expect(hub.roomsOf(1)).toEqual(['lobby']);
    expect(hub.roomOf(1)).toBe('lobby');
    expect(hub.users()).toEqual([
      { name: 'ann', room: 'lobby' },
      { name: 'bob', room: 'dev' },
      { name: 'cy', room: 'lobby' },
    ]);
  });

  it('refuses what would do nothing or break the rules, each with bad-room and a reason', () => {
    const hub = connected(['ann', 'bob']);
    const cases: Array<[Parameters<Hub['handle']>[1], RegExp]> = [
      [{ kind: 'enter', room: 'lobby' }, /already in #lobby/],
      [{ kind: 'part', room: 'dev' }, /not in #dev/],
      [{ kind: 'part', room: 'lobby' }, /only room/],
      [{ kind: 'say', room: 'dev', text: 'x' }, /not in #dev/],
      [{ kind: 'enter', room: 'bad room' }, /room names are/],
    ];
    for (const [command, why] of cases) {
      const out = hub.handle(1, command, 0);
      expect(repliesTo(out, 1)).toEqual([{ kind: 'error', code: 'bad-room', message: expect.stringMatching(why) as string }]);
      expect(logs(out)).toEqual([{ type: 'refused', session: 1, command: command.kind, code: 'bad-room' }]);
    }
  });

  it('join or leave to a room already held makes it current: no capacity check, no second joined', () => {
    const hub = connected(['ann', 'bob'], {}, 2);
    hub.handle(2, { kind: 'enter', room: 'dev' }, 0);
    hub.handle(1, { kind: 'enter', room: 'dev' }, 0);
    hub.handle(1, { kind: 'enter', room: 'x' }, 0);
    // dev is full (2 of 2), but ann is in it already
    const moved = hub.handle(1, { kind: 'join', room: 'dev' }, 1);
    expect(repliesTo(moved, 1)).toEqual([{ kind: 'left', name: 'ann', room: 'x', ts: 1, reason: 'moved' }]);
    expect(repliesTo(moved, 2)).toEqual([]);
    expect(hub.roomOf(1)).toBe('dev');
    const back = hub.handle(1, { kind: 'leave' }, 2);
    expect(repliesTo(back, 2)).toEqual([{ kind: 'left', name: 'ann', room: 'dev', ts: 2, reason: 'moved' }]);
    expect(repliesTo(back, 1)).toEqual([{ kind: 'left', name: 'ann', room: 'dev', ts: 2, reason: 'moved' }]);
    expect(hub.roomsOf(1)).toEqual(['lobby']);
  });

  it('enter checks capacity like join; leaving on close tells every room once', () => {
    const hub = connected(['a', 'b', 'c', 'd']);
    for (const s of [1, 2, 3]) hub.handle(s, { kind: 'enter', room: 'x' }, 0);
    const full = hub.handle(4, { kind: 'enter', room: 'x' }, 0);
    expect(repliesTo(full, 4)).toMatchObject([{ kind: 'error', code: 'room-full' }]);
    const gone = hub.close(1, 7, 'lost');
    for (const s of [2, 3]) {
      expect(repliesTo(gone, s)).toEqual([
        { kind: 'left', name: 'a', room: 'lobby', ts: 7, reason: 'lost' },
        { kind: 'left', name: 'a', room: 'x', ts: 7, reason: 'lost' },
      ]);
    }
    expect(hub.rooms()).toEqual([
      { name: 'lobby', count: 3 },
      { name: 'x', count: 2 },
    ]);
  });
});

describe('ports', () => {
  /** A presence whose claims and room sizes answer on a later turn, as a cluster's would. */
  function laterPresence(inner = new MemoryPresence(), claim?: () => Answer<boolean>): Presence & { inner: MemoryPresence } {
    return {
      inner,
      claimName: (key: string, name: string, who: SessionAddress) => claim?.() ?? Promise.resolve().then(() => inner.claimName(key, name, who)),
      releaseName: (key, who) => inner.releaseName(key, who),
      locate: (key) => inner.locate(key),
      enterRoom: (room, key) => inner.enterRoom(room, key),
      leaveRoom: (room, key) => inner.leaveRoom(room, key),
      setListedRoom: (key, room) => inner.setListedRoom(key, room),
      takeSeat: (room, key, capacity) => Promise.resolve().then(() => inner.takeSeat(room, key, capacity)),
      userCount: () => inner.userCount(),
      users: () => inner.users(),
      rooms: () => inner.rooms(),
    };
  }

  async function settle(hub: RealHub, out: HubOutput[]): Promise<HubOutput[]> {
    const all: HubOutput[] = [];
    for (const o of out) all.push(...(o.type === 'await' ? await settle(hub, await o.outputs) : [o]));
    return all;
  }

  it('a presence that answers later: the hub says await, and the outputs arrive when it answers', async () => {
    const presence = laterPresence();
    const hub = new RealHub({ roomCapacity: 1 }, { presence, node: 'n1' });
    hub.open(1, 0);
    hub.open(2, 0);
    const first = hub.handle(1, { kind: 'connect', name: 'ann' }, 0);
    expect(first.map((o) => o.type)).toEqual(['await']);
    expect(hub.nameOf(1)).toBeUndefined();
    expect((await settle(hub, first)).map((o) => o.type)).toEqual(['reply', 'room', 'log']);
    expect(hub.nameOf(1)).toBe('ann');
    expect(presence.locate('ann')).toMatchObject({ name: 'ann', who: { node: 'n1', session: 1 } });

    const taken = await settle(hub, hub.handle(2, { kind: 'connect', name: 'ANN' }, 0));
    expect(taken[0]).toMatchObject({ type: 'reply', to: 2, reply: { kind: 'error', code: 'name-taken' } });
    await settle(hub, hub.handle(2, { kind: 'connect', name: 'bob' }, 0));
    await settle(hub, hub.handle(1, { kind: 'join', room: 'dev' }, 0));
    const full = await settle(hub, hub.handle(2, { kind: 'join', room: 'dev' }, 0));
    expect(full[0]).toMatchObject({ type: 'reply', to: 2, reply: { kind: 'error', code: 'room-full' } });
  });

  it('a connection that goes while its claim is on the way gives the name back', async () => {
    const presence = laterPresence();
    const hub = new RealHub({}, { presence });
    hub.open(1, 0);
    const pending = hub.handle(1, { kind: 'connect', name: 'ann' }, 0);
    hub.close(1, 0, 'lost');
    expect(await settle(hub, pending)).toEqual([]);
    expect(presence.locate('ann')).toBeUndefined();
    expect(hub.sessionCount()).toBe(0);
  });

  it('a port that fails refuses the command with internal, and the session goes on (it may try again)', async () => {
    let fail = true;
    const inner = new MemoryPresence();
    const flaky = laterPresence(inner, () => (fail ? Promise.reject(new Error('cluster down')) : Promise.resolve().then(() => inner.claimName('ann', 'ann', { node: 'local', session: 1 }))));
    const hub = new RealHub({}, { presence: flaky });
    hub.open(1, 0);
    const out = await settle(hub, hub.handle(1, { kind: 'connect', name: 'ann' }, 0));
    expect(out[0]).toMatchObject({ type: 'reply', to: 1, reply: { kind: 'error', code: 'internal' } });
    expect(out[1]).toEqual({ type: 'log', event: { type: 'refused', session: 1, command: 'connect', code: 'internal' } });
    expect(hub.handle(1, { kind: 'help' }, 0)[0]).toMatchObject({ type: 'reply', reply: { kind: 'help' } });
    fail = false;
    const again = await settle(hub, hub.handle(1, { kind: 'connect', name: 'ann' }, 0));
    expect(again[0]).toMatchObject({ type: 'reply', to: 1, reply: { kind: 'greeting', name: 'ann' } });
  });

  it('a seat taken for a connection that went meanwhile is given back', async () => {
    const presence = laterPresence();
    const hub = new RealHub({ roomCapacity: 1 }, { presence });
    hub.open(1, 0);
    await settle(hub, hub.handle(1, { kind: 'connect', name: 'ann' }, 0));
    const pending = hub.handle(1, { kind: 'join', room: 'dev' }, 0);
    hub.close(1, 0, 'lost');
    expect(await settle(hub, pending)).toEqual([]);
    expect(presence.inner.rooms()).toEqual([]);
  });

  it('the store keeps every room message; a private message to a user on another node goes out addressed to it', () => {
    const kept: RoomMessage[] = [];
    const store: Store = { recordRoomMessage: (m) => void kept.push(m) };
    const presence = new MemoryPresence();
    const hub = new RealHub({}, { presence, store, node: 'here' });
    hub.open(1, 0);
    hub.handle(1, { kind: 'connect', name: 'ann' }, 0);
    hub.handle(1, { kind: 'broadcast', text: ' ann : hello ' }, 42);
    expect(kept).toEqual([{ room: 'lobby', from: 'ann', ts: 42, text: 'hello' }]);
    // bob is on node "there" (as a cluster's presence would know him)
    presence.claimName('bob', 'Bob', { node: 'there', session: 9 });
    const out = hub.handle(1, { kind: 'private', to: 'BOB', text: 'psst' }, 43);
    expect(out[0]).toEqual({
      type: 'user',
      to: { node: 'there', session: 9 },
      reply: { kind: 'private', from: 'ann', to: 'Bob', ts: 43, self: false, text: 'psst' },
    });
    expect(out[1]).toMatchObject({ type: 'reply', to: 1, reply: { self: true } });
  });
});

describe('rooms per session, as a model', () => {
  it('keeps its books over arbitrary enter/part/say/join/leave/close sequences', async () => {
    const fc = (await import('fast-check')).default;
    const SESSIONS = [1, 2, 3, 4];
    const roomName = fc.constantFrom('lobby', 'dev', 'ops', 'Dev', 'x y');
    const command = fc.oneof(
      roomName.map((room) => ({ kind: 'enter' as const, room })),
      roomName.map((room) => ({ kind: 'part' as const, room })),
      roomName.map((room) => ({ kind: 'say' as const, room, text: 'hi' })),
      roomName.map((room) => ({ kind: 'join' as const, room })),
      fc.constant({ kind: 'leave' as const }),
      fc.constant({ kind: 'broadcast' as const, text: 'all' }),
    );
    const step = fc.oneof(
      { weight: 12, arbitrary: fc.tuple(fc.constantFrom(...SESSIONS), command).map(([s, c]) => ({ op: 'handle' as const, s, c })) },
      { weight: 1, arbitrary: fc.constantFrom(...SESSIONS).map((s) => ({ op: 'close' as const, s })) },
    );
    fc.assert(
      fc.property(fc.array(step, { maxLength: 60 }), (steps) => {
        const hub = new RealHub({ roomCapacity: 2 });
        for (const s of SESSIONS) {
          hub.open(s, 0);
          hub.handle(s, { kind: 'connect', name: `u${s}` }, 0);
        }
        for (const st of steps) {
          if (st.op === 'close') {
            hub.close(st.s, 0, 'lost');
            continue;
          }
          const roomsBefore = new Map(SESSIONS.map((s) => [s, new Set(hub.roomsOf(s))]));
          const out = hub.handle(st.s, st.c, 0);
          expect(out.filter((o) => o.type === 'log')).toHaveLength(1);
          for (const o of out) {
            if (o.type !== 'room' || o.reply.kind !== 'message') continue;
            // a message goes to a room its sender was in, to the members there now
            expect(roomsBefore.get(st.s)?.has(o.room)).toBe(true);
          }
          // the books: each named session is in ≥ 1 room, its current one among them; members and counts agree
          const counts = new Map<string, number>();
          for (const s of SESSIONS) {
            if (hub.nameOf(s) === undefined) continue;
            const rooms = hub.roomsOf(s);
            expect(rooms.length).toBeGreaterThan(0);
            expect(rooms).toContain(hub.roomOf(s));
            for (const r of rooms) {
              counts.set(r, (counts.get(r) ?? 0) + 1);
              expect(hub.localMembers(r).has(s)).toBe(true);
            }
          }
          for (const r of hub.rooms()) {
            expect(r.count).toBe(counts.get(r.name) ?? 0);
            if (r.name !== 'lobby') expect(r.count).toBeGreaterThan(0);
            if (r.name !== 'lobby') expect(r.count).toBeLessThanOrEqual(2);
          }
          for (const [r, n] of counts) expect(hub.localMembers(r).size).toBe(n);
        }
      }),
      { numRuns: 300 },
    );
  });
});
