import { describe, expect, it } from 'vitest';
import { Hub } from './helpers.ts';
import { fullBucket, takeToken } from '../../src/chat/rate-limit.ts';

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
