// 10,000 sessions: the hub's structures stay consistent and broadcasts share one Reply object.

import { describe, expect, it } from 'vitest';
import { Hub, type HubOutput } from './helpers.ts';

const N = 10_000;

describe('hub at 10,000 sessions', () => {
  it('connects, moves, broadcasts and closes 10,000 sessions', () => {
    const hub = new Hub({ roomCapacity: 15 });
    let outputs = 0;
    for (let s = 0; s < N; s++) {
      hub.open(s, 0);
      const out = hub.handle(s, { kind: 'connect', name: `user${s}` }, s);
      // welcome + joined to every lobby member (the newcomer included) + log
      expect(out.length).toBe(1 + (s + 1) + 1);
      outputs += out.length;
    }
    expect(hub.sessionCount()).toBe(N);
    expect(hub.userCount()).toBe(N);
    expect(hub.sessionOf('USER9999')).toBe(9999);

    // one lobby broadcast: N replies, all but the echo sharing one object
    const out = hub.handle(0, { kind: 'broadcast', text: 'hello everyone' }, N);
    const replies = out.filter((o): o is Extract<HubOutput, { type: 'reply' }> => o.type === 'reply');
    expect(replies).toHaveLength(N);
    expect(new Set(replies.map((r) => r.reply)).size).toBe(2);

    // the last 1,500 users spread over 100 rooms of 15
    for (let s = N - 1500; s < N; s++) hub.handle(s, { kind: 'join', room: `room${s % 100}` }, N);
    const rooms = hub.rooms();
    expect(rooms).toHaveLength(101);
    expect(rooms[0]).toEqual({ name: 'lobby', count: N - 1500 });
    expect(rooms.slice(1).every((r) => r.count === 15)).toBe(true);
    const full = hub.handle(0, { kind: 'join', room: 'room7' }, N);
    expect(full.some((o) => o.type === 'reply' && o.reply.kind === 'error' && o.reply.code === 'room-full')).toBe(true);

    const users = hub.users();
    expect(users).toHaveLength(N);
    expect(new Set(users.map((u) => u.name.toLowerCase())).size).toBe(N);

    for (let s = N - 1; s >= 0; s--) hub.close(s, N + 1, 'lost');
    expect(hub.sessionCount()).toBe(0);
    expect(hub.users()).toEqual([]);
    expect(hub.rooms()).toEqual([{ name: 'lobby', count: 0 }]);
    expect(outputs).toBeGreaterThan(N);
  });
});
