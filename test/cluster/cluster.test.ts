// The Redis presence and bus of src/cluster/ against a real redis-server: two nodes in one process.
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { Cluster, ClusterStartError } from '../../src/cluster/cluster.ts';
import type { GoneUser } from '../../src/cluster/replica.ts';
import type { BusEvent } from '../../src/chat/ports.ts';
import { parseRedisUrl, type RedisTarget } from '../../src/cluster/redis-url.ts';
import { NO_REDIS, startRedis, type TestRedis } from './redis-server.ts';

const WAIT = { timeout: 5_000, interval: 10 };

describe.skipIf(NO_REDIS !== undefined)(`cluster presence and bus on a real Redis${NO_REDIS === undefined ? '' : ` (skipped: ${NO_REDIS})`}`, () => {
  let redis: TestRedis;
  let target: RedisTarget;
  const open: Cluster[] = [];
  let db = 0;

  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    await redis?.stop();
  });
  afterEach(async () => {
    await Promise.all(open.splice(0).map((c) => c.close()));
  });

  /** A node on a database of its own per test (keys apart; the channel's name carries the database). */
  async function node(id: string, heard: { bus: BusEvent[]; gone: GoneUser[]; told: string[] } = { bus: [], gone: [], told: [] }): Promise<{ cluster: Cluster; heard: typeof heard }> {
    const cluster = await Cluster.open({ target, node: id, logger: pino({ level: 'silent' }) });
    cluster.attach({ fromBus: (e) => heard.bus.push(e), usersGone: (g) => heard.gone.push(...g), tellEveryone: (t) => heard.told.push(t), dropped: () => undefined });
    open.push(cluster);
    return { cluster, heard };
  }

  function freshDb(): void {
    db++;
    const parsed = parseRedisUrl(`${redis.url.replace(/\/0$/, '')}/${db}`);
    if (!parsed.ok) throw new Error(parsed.message);
    target = parsed.target;
  }

  it('two nodes claim one name at once: exactly one wins, and the other node sees the winner', async () => {
    freshDb();
    const a = await node('a');
    const b = await node('b');
    for (let round = 0; round < 20; round++) {
      const key = `carol${round}`;
      const [ra, rb] = await Promise.all([a.cluster.presence.claimName(key, key, { node: 'a', session: round }), b.cluster.presence.claimName(key, key, { node: 'b', session: round })]);
      expect([ra, rb].filter(Boolean)).toHaveLength(1);
      const winner = ra ? 'a' : 'b';
      await vi.waitFor(() => {
        expect(a.cluster.presence.locate(key)?.who.node).toBe(winner);
        expect(b.cluster.presence.locate(key)?.who.node).toBe(winner);
      }, WAIT);
    }
    expect(a.cluster.presence.userCount()).toBe(20);
    expect(b.cluster.presence.users()).toHaveLength(20);
  });

  it('a bounded room is full across nodes: concurrent seats never exceed its capacity', async () => {
    freshDb();
    const a = await node('a');
    const b = await node('b');
    const seats = await Promise.all(
      Array.from({ length: 6 }, (_, i) => (i % 2 === 0 ? a : b).cluster.presence.takeSeat('games', `u${i}`, 3)),
    );
    expect(seats.filter((s) => s.taken)).toHaveLength(3);
    for (const s of seats) if (!s.taken) expect(s.size).toBe(3);
    await vi.waitFor(() => expect(a.cluster.presence.rooms()).toEqual([{ name: 'games', count: 3 }]), WAIT);
    await vi.waitFor(() => expect(b.cluster.presence.rooms()).toEqual([{ name: 'games', count: 3 }]), WAIT);
  });

  it('a room message is published once, only when the room has a member on another node, and reaches that node', async () => {
    freshDb();
    const a = await node('a');
    const b = await node('b');
    const reply = { kind: 'message', from: 'alice', room: 'lobby', ts: 1, self: false, text: 'hi' } as const;
    a.cluster.bus.publish({ type: 'room', from: 'a', room: 'lobby', reply });
    expect(a.cluster.status().published).toBe(0);
    expect(await b.cluster.presence.claimName('bob', 'bob', { node: 'b', session: 1 })).toBe(true);
    b.cluster.presence.enterRoom('lobby', 'bob');
    await vi.waitFor(() => expect(a.cluster.replica.hasRemoteMembers('lobby')).toBe(true), WAIT);
    a.cluster.bus.publish({ type: 'room', from: 'a', room: 'lobby', reply });
    await vi.waitFor(() => expect(b.heard.bus).toHaveLength(1), WAIT);
    expect(b.heard.bus[0]).toEqual({ type: 'room', from: 'a', room: 'lobby', reply });
    expect(a.heard.bus).toEqual([]);
    expect(a.cluster.status().published).toBe(1);
  });

  it('a second node with a live node id is refused; a stopped node frees its names and its id at once', async () => {
    freshDb();
    const a = await node('a');
    const b = await node('b');
    await expect(Cluster.open({ target, node: 'a', logger: pino({ level: 'silent' }) })).rejects.toThrow(/node id a is in use/);
    expect(await a.cluster.presence.claimName('dave', 'dave', { node: 'a', session: 7 })).toBe(true);
    a.cluster.presence.enterRoom('lobby', 'dave');
    await vi.waitFor(() => expect(b.cluster.presence.locate('dave')).toBeDefined(), WAIT);
    await a.cluster.close();
    await vi.waitFor(() => expect(b.cluster.presence.locate('dave')).toBeUndefined(), WAIT);
    expect(b.heard.gone).toEqual([{ key: 'dave', name: 'dave', node: 'a', rooms: ['lobby'] }]);
    const again = await node('a');
    expect(await again.cluster.presence.claimName('dave', 'dave', { node: 'a', session: 8 })).toBe(true);
  });

  it('Redis unreachable at start: a ClusterStartError that says where', async () => {
    const parsed = parseRedisUrl('redis://127.0.0.1:1/0');
    if (!parsed.ok) throw new Error(parsed.message);
    const error = await Cluster.open({ target: parsed.target, node: 'x', logger: pino({ level: 'silent' }) }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ClusterStartError);
    expect(String(error)).toMatch(/cannot reach Redis at redis:\/\/127\.0\.0\.1:1\/0: .*ECONNREFUSED/);
  });
});
