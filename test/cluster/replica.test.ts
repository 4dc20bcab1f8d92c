// The cluster's pure parts: a node's replica of the presence, the events' wire form, the --redis URL.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeEvent, encodeEvent, type ClusterEvent, type PresenceEvent } from '../../src/cluster/events.ts';
import { describeTarget, parseRedisUrl } from '../../src/cluster/redis-url.ts';
import { PresenceReplica } from '../../src/cluster/replica.ts';

describe('PresenceReplica', () => {
  it('applies other nodes\' events, skips its own, and a dead node\'s users go with their rooms', () => {
    const r = new PresenceReplica('a');
    r.claim('alice', 'Alice', { node: 'a', session: 1 });
    r.enter('lobby', 'alice');
    r.apply({ op: 'claim', from: 'b', key: 'bob', name: 'Bob', who: { node: 'b', session: 4 } });
    r.apply({ op: 'enter', from: 'b', room: 'lobby', key: 'bob' });
    r.apply({ op: 'enter', from: 'b', room: 'games', key: 'bob' });
    r.apply({ op: 'listed', from: 'b', key: 'bob', room: 'games' });
    r.apply({ op: 'enter', from: 'a', room: 'ignored', key: 'alice' });
    expect(r.rooms()).toEqual([
      { name: 'lobby', count: 2 },
      { name: 'games', count: 1 },
    ]);
    expect(r.hasRemoteMembers('lobby')).toBe(true);
    expect(r.hasRemoteMembers('ignored')).toBe(false);
    expect(r.users()).toEqual([
      { name: 'Alice', room: '' },
      { name: 'Bob', room: 'games' },
    ]);
    expect(r.apply({ op: 'gone', from: 'c', node: 'b' })).toEqual([{ key: 'bob', name: 'Bob', node: 'b', rooms: ['lobby', 'games'] }]);
    expect(r.rooms()).toEqual([{ name: 'lobby', count: 1 }]);
    expect(r.hasRemoteMembers('lobby')).toBe(false);
    // A node told it is gone keeps its own users: it states them again.
    expect(r.apply({ op: 'gone', from: 'c', node: 'a' })).toEqual([]);
    expect(r.locate('alice')?.who).toEqual({ node: 'a', session: 1 });
  });

  it('a sync replaces what a node held; a snapshot replaces the other nodes\' part', () => {
    const r = new PresenceReplica('a');
    r.claim('alice', 'alice', { node: 'a', session: 1 });
    r.apply({ op: 'claim', from: 'b', key: 'bob', name: 'bob', who: { node: 'b', session: 2 } });
    r.apply({ op: 'claim', from: 'b', key: 'ben', name: 'ben', who: { node: 'b', session: 3 } });
    r.apply({ op: 'enter', from: 'b', room: 'lobby', key: 'ben' });
    const gone = r.apply({ op: 'sync', from: 'b', users: [{ key: 'bob', name: 'bob', session: 2, room: 'games', rooms: ['games'] }] });
    expect(gone).toEqual([{ key: 'ben', name: 'ben', node: 'b', rooms: ['lobby'] }]);
    expect(r.users().map((u) => u.name).sort()).toEqual(['alice', 'bob']);
    const lost = r.load({ users: [{ key: 'cy', name: 'cy', who: { node: 'c', session: 9 }, room: 'x' }], members: [{ room: 'x', keys: ['cy'] }] });
    expect(lost).toEqual([{ key: 'bob', name: 'bob', node: 'b', rooms: ['games'] }]);
    expect(r.users().map((u) => u.name).sort()).toEqual(['alice', 'cy']);
    expect(r.ownUsers()).toEqual([{ key: 'alice', name: 'alice', session: 1, room: '', rooms: [] }]);
    expect(r.rooms()).toEqual([{ name: 'x', count: 1 }]);
  });

  it('a claim over another holder drops the rooms it left behind; a release by a non-holder does nothing', () => {
    const r = new PresenceReplica('a');
    r.apply({ op: 'claim', from: 'b', key: 'x', name: 'x', who: { node: 'b', session: 1 } });
    r.apply({ op: 'enter', from: 'b', room: 'r', key: 'x' });
    r.apply({ op: 'release', from: 'c', key: 'x', who: { node: 'c', session: 1 } });
    expect(r.roomSize('r')).toBe(1);
    r.apply({ op: 'claim', from: 'c', key: 'x', name: 'X', who: { node: 'c', session: 5 } });
    expect(r.roomSize('r')).toBe(0);
    expect(r.locate('x')).toEqual({ name: 'X', who: { node: 'c', session: 5 }, room: '' });
  });
});

describe('PresenceReplica: whether a room has members on another node', () => {
  const KEYS = ['k0', 'k1', 'k2'];
  const ROOMS = ['r0', 'r1'];
  const NODES = ['a', 'b', 'c'];
  const who = fc.record({ node: fc.constantFrom('b', 'c'), session: fc.constant(1) });
  const key = fc.constantFrom(...KEYS);
  const room = fc.constantFrom(...ROOMS);
  const event: fc.Arbitrary<PresenceEvent> = fc.oneof(
    fc.record({ op: fc.constant('claim' as const), from: fc.constantFrom('b', 'c'), key, name: key, who }),
    fc.record({ op: fc.constant('release' as const), from: fc.constantFrom('b', 'c'), key, who }),
    fc.record({ op: fc.constant('enter' as const), from: fc.constantFrom('b', 'c'), room, key }),
    fc.record({ op: fc.constant('leave' as const), from: fc.constantFrom('b', 'c'), room, key }),
    fc.record({ op: fc.constant('gone' as const), from: fc.constant('c'), node: fc.constantFrom(...NODES) }),
  );
  /** This node's own changes, made on the replica directly (as RedisPresence does). */
  const own = fc.oneof(
    fc.record({ op: fc.constant('own-claim' as const), key, session: fc.integer({ min: 1, max: 2 }) }),
    fc.record({ op: fc.constant('own-release' as const), key, session: fc.integer({ min: 1, max: 2 }) }),
    fc.record({ op: fc.constant('own-enter' as const), key, room }),
    fc.record({ op: fc.constant('own-leave' as const), key, room }),
  );

  it('is kept by count exactly as a scan of the members would say (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(event, own), { maxLength: 80 }), (steps) => {
        const r = new PresenceReplica('a');
        for (const step of steps) {
          if (step.op === 'own-claim') r.claim(step.key, step.key, { node: 'a', session: step.session });
          else if (step.op === 'own-release') r.release(step.key, { node: 'a', session: step.session });
          else if (step.op === 'own-enter') r.enter(step.room, step.key);
          else if (step.op === 'own-leave') r.leave(step.room, step.key);
          else r.apply(step);
          for (const rm of ROOMS) {
            const scanned = KEYS.some((k) => r.isMember(rm, k) && r.locate(k)?.who.node !== 'a');
            expect(r.hasRemoteMembers(rm)).toBe(scanned);
          }
        }
      }),
      { numRuns: 500 },
    );
  });
});

describe('cluster events', () => {
  it('round-trip through their JSON form (property)', () => {
    const text = fc.string({ maxLength: 20 });
    const who = fc.record({ node: text, session: fc.nat() });
    const event: fc.Arbitrary<ClusterEvent> = fc.oneof(
      fc.record({ t: fc.constant('presence' as const), event: fc.record({ op: fc.constant('claim' as const), from: text, key: text, name: text, who }) }),
      fc.record({ t: fc.constant('presence' as const), event: fc.record({ op: fc.constant('gone' as const), from: text, node: text }) }),
      fc.record({ t: fc.constant('bus' as const), event: fc.record({ type: fc.constant('user' as const), from: text, to: who, reply: fc.record({ kind: fc.constant('system' as const), text }) }) }),
      fc.record({
        t: fc.constant('bus' as const),
        event: fc.record({ type: fc.constant('room' as const), from: text, room: text, reply: fc.record({ kind: fc.constant('system' as const), text }), except: who }),
      }),
    );
    fc.assert(
      fc.property(event, (e) => {
        expect(decodeEvent(encodeEvent(e))).toEqual({ ok: true, event: e });
      }),
    );
  });

  it('refuses what does not fit, with the reason', () => {
    expect(decodeEvent('{')).toEqual({ ok: false, reason: 'not JSON' });
    expect(decodeEvent('{"t":"presence","event":{"op":"claim","from":"b","key":"x"}}')).toEqual({ ok: false, reason: 'a presence event of an unknown shape' });
    expect(decodeEvent('{"t":"bus","event":{"type":"room","from":"b","room":"r","reply":{}}}')).toEqual({ ok: false, reason: 'a bus event of an unknown shape' });
    expect(decodeEvent('{"t":"x","event":{}}')).toEqual({ ok: false, reason: 'an event of unknown type "x"' });
  });
});

describe('--redis URL', () => {
  it('reads host, port and database, and never shows a password', () => {
    const parsed = parseRedisUrl('redis://:s3cret@10.0.0.5:7000/3');
    expect(parsed).toEqual({ ok: true, target: { host: '10.0.0.5', port: 7000, db: 3, password: 's3cret' } });
    if (parsed.ok) expect(describeTarget(parsed.target)).toBe('redis://10.0.0.5:7000/3');
    expect(parseRedisUrl('redis://[::1]')).toEqual({ ok: true, target: { host: '::1', port: 6379, db: 0 } });
  });

  it.each([
    ['http://h:1', /the scheme must be redis:/],
    ['redis://h:1/x', /the database must be a whole number/],
    ['redis://h:1/0?x=1', /no query or fragment/],
    ['nonsense', /not a URL/],
  ])('refuses %s', (url, message) => {
    const parsed = parseRedisUrl(url);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.message).toMatch(message);
  });
});
