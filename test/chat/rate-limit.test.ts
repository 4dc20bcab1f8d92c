import { describe, expect, it } from 'vitest';
import { Hub, hubWith, repliesTo, type HubCommand } from './helpers.ts';
import { fullBucket, RATE_LIMITED_KINDS, takeToken } from '../../src/chat/rate-limit.ts';

describe('token bucket', () => {
  it('allows a burst, then the rate', () => {
    const b = fullBucket(3, 0);
    expect([takeToken(b, 10, 3, 0), takeToken(b, 10, 3, 0), takeToken(b, 10, 3, 0)]).toEqual([true, true, true]);
    expect(takeToken(b, 10, 3, 0)).toBe(false);
    expect(takeToken(b, 10, 3, 99)).toBe(false);
    expect(takeToken(b, 10, 3, 100)).toBe(true);
    // Refill never exceeds the burst.
    expect([1, 2, 3, 4].map(() => takeToken(b, 10, 3, 100_000))).toEqual([true, true, true, false]);
  });

  it('is off at rate 0', () => {
    const b = fullBucket(1, 0);
    for (let i = 0; i < 100; i++) expect(takeToken(b, 0, 1, 0)).toBe(true);
  });
});

describe('hub rate limit', () => {
  const connect = (hub: Hub, id: number, name: string) => {
    hub.open(id, 0);
    hub.handle(id, { kind: 'connect', name }, 0);
  };
  const errors = (out: ReturnType<Hub['handle']>) =>
    out.flatMap((o) => (o.type === 'reply' && o.reply.kind === 'error' ? [o.reply] : []));

  it('refuses messages beyond the burst with a clear error, and recovers at the rate', () => {
    const hub = new Hub({ rateLimit: 2, rateBurst: 3 });
    connect(hub, 1, 'alice');
    connect(hub, 2, 'bob');
    for (let i = 0; i < 3; i++) expect(errors(hub.handle(1, { kind: 'broadcast', text: `m${i}` }, 1000))).toEqual([]);
    const refused = errors(hub.handle(1, { kind: 'private', to: 'bob', text: 'x' }, 1000));
    expect(refused).toHaveLength(1);
    expect(refused[0]).toMatchObject({ code: 'rate-limited' });
    expect(refused[0]!.message).toMatch(/at most 2 messages per second/);
    // Another session is not affected.
    expect(errors(hub.handle(2, { kind: 'broadcast', text: 'hi' }, 1000))).toEqual([]);
    expect(errors(hub.handle(1, { kind: 'broadcast', text: 'later' }, 1500))).toEqual([]);
  });

  it('does not count other commands', () => {
    const hub = new Hub({ rateLimit: 1, rateBurst: 1 });
    connect(hub, 1, 'alice');
    for (let i = 0; i < 10; i++) expect(errors(hub.handle(1, { kind: 'users' }, 0))).toEqual([]);
    expect(errors(hub.handle(1, { kind: 'broadcast', text: 'ok' }, 0))).toEqual([]);
  });

  it('refuses invalid options', () => {
    expect(() => new Hub({ rateLimit: -1 })).toThrow(/rateLimit/);
    expect(() => new Hub({ rateBurst: 0 })).toThrow(/rateBurst/);
  });
});

describe('RATE_LIMITED_KINDS (the set the client paces by)', () => {
  // A command of each kind the set names, and of kinds it does not: the hub's own switch must agree.
  const samples: HubCommand[] = [
    { kind: 'broadcast', text: 'hi' },
    { kind: 'say', room: 'lobby', text: 'hi' },
    { kind: 'private', to: 'bob', text: 'hi' },
    { kind: 'action', text: 'waves' },
    { kind: 'room-action', room: 'lobby', text: 'waves' },
    { kind: 'history', room: 'lobby' },
    { kind: 'users' },
    { kind: 'rooms' },
    { kind: 'whois', name: 'bob' },
    { kind: 'topic', text: undefined },
    { kind: 'join', room: 'games' },
    { kind: 'away', text: 'lunch' },
  ];

  it('names exactly the commands the hub refuses as rate-limited once the burst is spent', () => {
    for (const command of samples) {
      const hub = hubWith(['alice', 'bob'], { rateLimit: 1, rateBurst: 1 });
      hub.handle(1, { kind: 'broadcast', text: 'spends the burst' }, 0);
      const refused = repliesTo(hub.handle(1, command, 0), 1).some((r) => r.kind === 'error' && r.code === 'rate-limited');
      expect(refused, command.kind).toBe(RATE_LIMITED_KINDS.has(command.kind));
    }
    expect(samples.filter((c) => RATE_LIMITED_KINDS.has(c.kind)).map((c) => c.kind).sort()).toEqual([...RATE_LIMITED_KINDS].sort());
  });
});
