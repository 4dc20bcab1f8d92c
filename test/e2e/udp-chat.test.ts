// Chat over the UDP data plane between real processes: two `dualchat client --json` children bind UDP and
// chat over it; a raw TCP client (the Python family's way) shares the room; control stays on TCP.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { spawnClient, stopAll, type ClientProcess, type JsonObject } from './client-helpers.ts';
import { connectedClient, startTestServer, type RawClient, type TestServer } from './helpers.ts';
import { is, textsFrom } from './udp-helpers.ts';

let ts: TestServer;
const children: ClientProcess[] = [];
const raws: RawClient[] = [];

beforeAll(async () => {
  ts = await startTestServer({ rateLimit: 0 });
});
afterAll(async () => {
  await ts.close();
});
afterEach(async () => {
  await stopAll(children);
  for (const r of raws.splice(0)) r.destroy();
});

/** A JSON client, signed in and bound to UDP (its `transport` event said so). */
async function udpClient(name: string, extra: string[] = []): Promise<ClientProcess> {
  const c = spawnClient(['--tcp', String(ts.port), '--name', name, '--json', ...extra]);
  children.push(c);
  await c.waitFor(is('transport', { transport: 'udp', reason: 'bound' }), `${name} bound to UDP`);
  return c;
}

const chatEvents = (c: ClientProcess): JsonObject[] => c.events.filter((e) => e.type === 'message' || e.type === 'private');

describe('chat over UDP', () => {
  it('two clients chat over UDP; a raw TCP client in the room sees the same; control stays on TCP', async () => {
    const carol = await connectedClient(ts.port, 'carol');
    raws.push(carol);
    const [alice, bob] = await Promise.all([udpClient('alice'), udpClient('bob')]);
    expect(alice.events.find((e) => e.type === 'transport')).toMatchObject({ target: `127.0.0.1:${ts.server.udpPort}` });

    alice.send('hello bob, over datagrams');
    const atBob = await bob.waitFor(is('message', { from: 'alice' }), 'alice at bob');
    expect(atBob).toMatchObject({ text: 'hello bob, over datagrams', transport: 'udp', self: false });
    await alice.waitFor(is('message', { from: 'alice', self: true, transport: 'udp' }), 'own echo over UDP');
    await carol.expectReply((r) => r.kind === 'message' && r.from === 'alice' && r.text === 'hello bob, over datagrams', 'alice at carol');

    bob.send('/msg alice psst', '/users all');
    await alice.waitFor(is('private', { from: 'bob', text: 'psst', transport: 'udp' }), 'private over UDP');
    await bob.waitFor(is('private', { from: 'bob', to: 'alice', self: true, transport: 'udp' }), 'private echo');
    const users = await bob.waitFor(is('users'), 'users over TCP');
    expect((users.users as Array<{ name: string }>).map((u) => u.name).sort()).toEqual(['alice', 'bob', 'carol']);

    carol.send('<set_msg_all>from the tcp side\n');
    await alice.waitFor(is('message', { from: 'carol', text: 'from the tcp side', transport: 'udp' }), 'carol at alice');
    await bob.waitFor(is('message', { from: 'carol', text: 'from the tcp side', transport: 'udp' }), 'carol at bob');

    // An error about a chat line sent over UDP comes back over TCP.
    alice.send('/msg ghost are you there');
    await alice.waitFor(is('error', { code: 'unknown-user', source: 'server' }), 'unknown user error');

    alice.send('/status');
    const status = await alice.waitFor(is('status'), '/status');
    expect(status.transport).toBe('udp');
    expect(status.udp).toMatchObject({ state: 'bound', target: `127.0.0.1:${ts.server.udpPort}`, reason: 'bound' });
    const udp = status.udp as { srttMs: number; packetsSent: number; packetsReceived: number; retransmissions: number };
    expect(udp.srttMs).toBeGreaterThan(0);
    expect(udp.packetsSent).toBeGreaterThan(0);
    expect(udp.packetsReceived).toBeGreaterThan(0);

    for (const c of [alice, bob]) {
      expect(chatEvents(c).every((e) => e.transport === 'udp')).toBe(true);
      expect(c.junk).toEqual([]);
    }
    const stats = ts.server.stats().udp;
    expect(stats.bound).toBeGreaterThanOrEqual(2);
    expect(stats.chatLinesIn).toBeGreaterThanOrEqual(3);
    expect(stats.offered).toBe(0); // carol speaks TCP alone: she never asked for UDP, and holds no offer
  });

  it('keeps the typed order across transports: /join then chat lands in the new room', async () => {
    const watcher = await udpClient('watcher');
    const mover = await udpClient('mover');
    mover.send('in the lobby', '/join den', 'in the den', '/rooms', 'still in the den', '/leave', 'back in the lobby');
    mover.end();
    expect((await mover.waitExit()).code).toBe(0);
    const own = mover.events.filter((e) => e.type === 'message' && e.self === true).map((e) => `${String(e.room)}:${String(e.text)}`);
    expect(own).toEqual(['lobby:in the lobby', 'den:in the den', 'den:still in the den', 'lobby:back in the lobby']);
    // The last line was sent just before /quit's <disconnect>: the watcher got it before mover left.
    await watcher.waitFor(is('left', { name: 'mover', reason: 'disconnect' }), 'mover leaving');
    expect(textsFrom(watcher, 'mover')).toEqual(['in the lobby', 'back in the lobby']);
  });

  it('stays on TCP with --no-udp, in the same room as UDP clients', async () => {
    const udp = await udpClient('dora');
    const tcp = spawnClient(['--tcp', String(ts.port), '--name', 'eve', '--json', '--no-udp']);
    children.push(tcp);
    await tcp.waitFor(is('welcome'), 'eve welcome');
    tcp.send('hi dora', '/status');
    await udp.waitFor(is('message', { from: 'eve', text: 'hi dora', transport: 'udp' }), 'eve at dora');
    await tcp.waitFor(is('message', { from: 'eve', self: true, transport: 'tcp' }), 'eve echo over tcp');
    const status = await tcp.waitFor(is('status'), '/status');
    expect(status).toMatchObject({ transport: 'tcp', udp: { state: 'disabled' } });
    udp.send('hi eve');
    await tcp.waitFor(is('message', { from: 'dora', text: 'hi eve', transport: 'tcp' }), 'dora at eve');
    expect(tcp.events.some((e) => e.type === 'transport')).toBe(false);
  });
});
