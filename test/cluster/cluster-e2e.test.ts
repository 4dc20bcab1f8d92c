// `dualchat server --redis`: two and three server processes on one real redis-server, with raw bracket
// clients (as the Python chats speak) and dualchat's own client mixed across the nodes.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Reply } from '../../src/commands/types.ts';
import { is, signedInClient, stopAll, type ClientProcess } from '../e2e/client-helpers.ts';
import { spawn } from 'node:child_process';
import { BIN, spawnServer, withDeadline, type ServerChild } from '../e2e/hardening-helpers.ts';
import { connectedClient, rawClient, type RawClient } from '../e2e/helpers.ts';
import { hasPython, repliesOfKind, runPythonSteps } from '../compat/python.ts';
import { NO_REDIS, startRedis, type TestRedis } from './redis-server.ts';

/** A dead node's users are gone from the others within its heartbeat's TTL (3 s) + one beat (1 s), with a margin for a loaded machine. */
const DEAD_NODE_DEADLINE_MS = 8_000;

/** `dualchat server ARGS` that is to refuse to start: its exit code and stderr. */
async function refusedStart(args: string[]): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, [BIN, 'server', '--host', '127.0.0.1', '--tcp', '0', '--udp', '0', '--db', ':memory:', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const code = await withDeadline(
    new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c))),
    10_000,
    `dualchat server ${args.join(' ')} to exit`,
  ).catch((error: unknown) => {
    child.kill('SIGKILL');
    throw error;
  });
  return { code, stderr };
}

describe.skipIf(NO_REDIS !== undefined)(`cluster of server processes${NO_REDIS === undefined ? '' : ` (skipped: ${NO_REDIS})`}`, () => {
  let redis: TestRedis;
  let db = 0;
  const servers: ServerChild[] = [];
  const raws: RawClient[] = [];
  const jsons: ClientProcess[] = [];

  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    await redis?.stop();
  });
  afterEach(async () => {
    for (const c of raws.splice(0)) c.destroy();
    await stopAll(jsons);
    await Promise.all(
      servers.splice(0).map((s) => {
        s.kill();
        return s.exited;
      }),
    );
  });

  /** A database of its own for each test. */
  function url(): string {
    db++;
    return `redis://127.0.0.1:${redis.port}/${db}`;
  }

  async function node(redisUrl: string, id: string): Promise<ServerChild> {
    const s = await spawnServer(['--redis', redisUrl, '--node-id', id]);
    servers.push(s);
    return s;
  }

  async function user(s: ServerChild, name: string): Promise<RawClient> {
    const c = await connectedClient(s.tcpPort, name);
    raws.push(c);
    return c;
  }

  /** `<connect>NAME` on node `s` is refused as taken. */
  async function refusedName(s: ServerChild, name: string): Promise<void> {
    const c = await rawClient(s.tcpPort);
    raws.push(c);
    c.send(`<connect>${name}\n`);
    await c.expectReply((r) => r.kind === 'error' && r.code === 'name-taken', `${name} refused as taken`);
  }

  const said = (from: string, text: string) => (r: Reply): boolean => r.kind === 'message' && r.from === from && r.text === text;
  const userNames = (r: Reply): string[] | undefined => (r.kind === 'users' ? r.users.map((u) => u.name).sort() : undefined);

  it('chat across nodes: room, private messages, user and room lists, a bracket client and a dualchat client', async () => {
    const u = url();
    const a = await node(u, 'a');
    const b = await node(u, 'b');
    const alice = await user(a, 'alice');
    const bob = await signedInClient(b.tcpPort, 'bob');
    jsons.push(bob);
    await alice.expectReply((r) => r.kind === 'joined' && r.name === 'bob', 'bob joining the lobby, from node b');
    alice.send('<set_msg_all>hello from a\n');
    await bob.waitFor(is('message', { from: 'alice', room: 'lobby', text: 'hello from a', self: false }), 'alice\'s line on node b');
    bob.send('/msg alice psst');
    await alice.expectReply((r) => r.kind === 'private' && r.from === 'bob' && r.text === 'psst', 'bob\'s private message on node a');
    bob.send('hi from b');
    await alice.expectReply(said('bob', 'hi from b'), 'bob\'s line on node a');
    alice.send('<get_users>\n');
    expect(userNames(await alice.expectReply((r) => r.kind === 'users', 'the user list on a'))).toEqual(['alice', 'bob']);
    bob.send('/join games');
    await alice.expectReply((r) => r.kind === 'left' && r.name === 'bob' && r.reason === 'moved', 'bob leaving the lobby');
    alice.send('<rooms>\n');
    const rooms = await alice.expectReply((r) => r.kind === 'rooms', 'the room list on a');
    expect(rooms.kind === 'rooms' ? rooms.rooms : []).toEqual([
      { name: 'lobby', count: 1 },
      { name: 'games', count: 1 },
    ]);
    // A second raw client on b in the room bob moved to hears alice once she joins it.
    const carol = await user(b, 'carol');
    carol.send('<join>games\n');
    await carol.expectReply((r) => r.kind === 'joined' && r.name === 'carol' && r.room === 'games', 'carol in games');
    alice.send('<join>games\n');
    await carol.expectReply((r) => r.kind === 'joined' && r.name === 'alice', 'alice joining games, from a');
    alice.send('<set_msg_all>one\n<set_msg_all>two\n<set_msg_all>three\n');
    for (const text of ['one', 'two', 'three']) await carol.expectReply(said('alice', text), `alice's "${text}" in order`);
    await bob.waitFor(is('message', { from: 'alice', room: 'games', text: 'three' }), 'alice\'s last line for bob');
    expect(bob.events.filter((e) => e.type === 'message' && e.from === 'alice' && e.room === 'games').map((e) => e.text)).toEqual(['one', 'two', 'three']);
    // A file for a user on another node is refused with the reason; <stats> names the node and the chat.
    alice.send('<sendfile>bob 5 000004d2 notes.txt\n');
    const refused = await alice.expectReply((r) => r.kind === 'refused', 'the sendfile refusal');
    expect(refused).toMatchObject({ kind: 'refused', request: 'sendfile', code: 'unknown-user', name: 'notes.txt' });
    expect(refused.kind === 'refused' ? refused.message : '').toMatch(/^bob is on another server of this chat: files go only between users of the same server/);
    alice.send('<stats>\n');
    await alice.expectReply((r) => r.kind === 'system' && /^cluster: node a of 2 nodes, 3 users and 1 room in the chat, link to redis:\/\/127\.0\.0\.1:\d+\/\d+ up$/.test(r.text), 'the cluster line of <stats>');
    // Names are unique across the chat.
    await refusedName(b, 'Alice');
  });

  it.skipIf(!hasPython)('the Python chat client on one node and dualchat\'s client on another', async () => {
    const u = url();
    const a = await node(u, 'a');
    const b = await node(u, 'b');
    const bob = await signedInClient(b.tcpPort, 'bob');
    jsons.push(bob);
    const python = runPythonSteps(
      [
        '127.0.0.1',
        String(a.tcpPort),
        'send:<connect>pyuser',
        'expect:<welcome>',
        'send:<set_msg_all>pyuser : hello from python',
        'expect:<message>', // its own echo
        'expect:<message>', // bob's line, from node b
        'expect:<private>',
        'send:<get_users>',
        'expect:<users>',
        'send:<disconnect>',
        'expect:<disconnected>',
      ],
      20_000,
    );
    await bob.waitFor(is('message', { from: 'pyuser', text: 'hello from python' }), 'the Python line on node b', 10_000);
    bob.send('hi python', '/msg pyuser a secret');
    await bob.waitFor(is('left', { name: 'pyuser', reason: 'disconnect' }), 'the Python client leaving, seen on node b', 15_000);
    const record = await python;
    expect(record.error).toBeNull();
    expect(repliesOfKind(record.replies, 'message')).toMatchObject([
      { from: 'pyuser', self: true, text: 'hello from python' },
      { from: 'bob', self: false, text: 'hi python' },
    ]);
    expect(repliesOfKind(record.replies, 'private')).toMatchObject([{ from: 'bob', to: 'pyuser', text: 'a secret' }]);
    expect(repliesOfKind(record.replies, 'users')).toMatchObject([{ users: [{ name: 'bob' }, { name: 'pyuser' }] }]);
  });

  it('two nodes claim one name at once: exactly one wins', async () => {
    const u = url();
    const a = await node(u, 'a');
    const b = await node(u, 'b');
    for (let round = 0; round < 5; round++) {
      const [x, y] = await Promise.all([rawClient(a.tcpPort), rawClient(b.tcpPort)]);
      raws.push(x, y);
      x.send(`<connect>dave${round}\n`);
      y.send(`<connect>dave${round}\n`);
      const answers = await Promise.all(
        [x, y].map((c) => c.expectReply((r) => r.kind === 'welcome' || (r.kind === 'error' && r.code === 'name-taken'), `an answer to dave${round}`)),
      );
      expect(answers.map((r) => r.kind).sort()).toEqual(['error', 'welcome']);
    }
  });

  it('kill -9 one node: its users leave the others\' rooms and lists within seconds; the others chat on, nothing lost', async () => {
    const u = url();
    const a = await node(u, 'a');
    const b = await node(u, 'b');
    const c = await node(u, 'c');
    const alice = await user(a, 'alice');
    const bob = await user(b, 'bob');
    await user(c, 'erin');
    await alice.expectReply((r) => r.kind === 'joined' && r.name === 'erin', 'erin joining, from c');
    const killedAt = performance.now();
    c.child.kill('SIGKILL');
    await alice.expectReply((r) => r.kind === 'left' && r.name === 'erin' && r.reason === 'lost', 'erin leaving when c died', DEAD_NODE_DEADLINE_MS);
    await bob.expectReply((r) => r.kind === 'left' && r.name === 'erin', 'erin leaving for bob', DEAD_NODE_DEADLINE_MS);
    expect(performance.now() - killedAt).toBeLessThan(DEAD_NODE_DEADLINE_MS);
    alice.send('<get_users>\n');
    expect(userNames(await alice.expectReply((r) => r.kind === 'users', 'users after c died'))).toEqual(['alice', 'bob']);
    await a.waitLog((r) => r.msg === 'cluster node gone: its users left every room' && r['node'] === 'c', 'the log line of c gone');
    for (let i = 0; i < 20; i++) alice.send(`<set_msg_all>n${i}\n`);
    await bob.expectReply(said('alice', 'n19'), 'alice\'s last line');
    expect(bob.replies.filter((r) => r.kind === 'message' && r.from === 'alice').map((r) => (r.kind === 'message' ? r.text : ''))).toEqual(Array.from({ length: 20 }, (_, i) => `n${i}`));
    // erin's name is free again.
    await user(b, 'erin');
  });

  it('Redis stopped and started mid-chat: local chat goes on, the sender of a cross-node line is told, chat resumes with no duplicates', async () => {
    const u = url();
    const a = await node(u, 'a');
    const b = await node(u, 'b');
    const alice = await user(a, 'alice');
    const amy = await user(a, 'amy');
    const bob = await user(b, 'bob');
    await alice.expectReply((r) => r.kind === 'joined' && r.name === 'bob', 'bob joining');
    alice.send('<set_msg_all>before\n');
    await bob.expectReply(said('alice', 'before'), 'the line before the outage');

    await redis.stop();
    await alice.expectReply((r) => r.kind === 'system' && r.text.includes('link between this server and the rest of the chat is down'), 'the outage notice', 10_000);
    await a.waitLog((r) => typeof r.msg === 'string' && r.msg.startsWith('cluster link lost'), 'the outage log line');
    alice.send('<set_msg_all>during\n');
    await amy.expectReply(said('alice', 'during'), 'a line between users of one node during the outage');
    await alice.expectReply((r) => r.kind === 'system' && r.text.startsWith('not delivered to the members of #lobby on other servers'), 'the drop notice');
    alice.send('<set_msg>bob are you there\n');
    await alice.expectReply((r) => r.kind === 'system' && r.text.startsWith('not delivered to bob'), 'the drop notice of a private message');
    // A new name needs the cluster: refused, the session kept.
    const late = await rawClient(a.tcpPort);
    raws.push(late);
    late.send('<connect>zed\n');
    await late.expectReply((r) => r.kind === 'error' && r.code === 'internal', 'zed refused during the outage');

    await redis.start();
    await alice.expectReply((r) => r.kind === 'system' && r.text.startsWith('the link to the rest of the chat is back'), 'the link-back notice', 10_000);
    await bob.expectReply((r) => r.kind === 'system' && r.text.startsWith('the link to the rest of the chat is back'), 'the link-back notice on b', 10_000);
    // Both nodes stated their presence again: a user list has everyone, a line crosses once.
    const listed = async (): Promise<string[] | undefined> => {
      alice.send('<get_users>\n');
      return userNames(await alice.expectReply((r) => r.kind === 'users', 'users after the outage'));
    };
    let names = await listed();
    for (let i = 0; i < 50 && names?.includes('bob') !== true; i++) {
      await b.waitLog((r) => typeof r.msg === 'string' && r.msg.startsWith('cluster link restored'), 'b restored');
      names = await listed();
    }
    expect(names).toEqual(['alice', 'amy', 'bob']);
    alice.send('<set_msg_all>after\n');
    await bob.expectReply(said('alice', 'after'), 'the line after the outage');
    bob.send('<set_msg_all>bye\n');
    await alice.expectReply(said('bob', 'bye'), 'bob\'s line after the outage');
    const texts = bob.replies.filter((r) => r.kind === 'message' && r.from === 'alice').map((r) => (r.kind === 'message' ? r.text : ''));
    expect(texts).toEqual(['before', 'after']);
    // Redis was emptied: the sessions are back in it, so a name of b is still refused on a.
    await refusedName(a, 'bob');
  });

  it('refuses to start: a node id a live node holds, or Redis unreachable — one line, exit 1', async () => {
    const u = url();
    await node(u, 'a');
    const twin = await refusedStart(['--redis', u, '--node-id', 'a']);
    expect(twin.code).toBe(1);
    expect(twin.stderr).toMatch(/^dualchat server: node id a is in use by a running node of the chat at redis:\/\/127\.0\.0\.1:\d+\/\d+/m);
    const dead = await refusedStart(['--redis', 'redis://127.0.0.1:1/0']);
    expect(dead.code).toBe(1);
    expect(dead.stderr).toMatch(/^dualchat server: cannot reach Redis at redis:\/\/127\.0\.0\.1:1\/0: .*ECONNREFUSED/m);
  });
});
