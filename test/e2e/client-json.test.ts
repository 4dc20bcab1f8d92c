// `dualchat client --json` as a child process against a real server on 127.0.0.1.
import net from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  is,
  signedInClient,
  spawnClient,
  startTestServer,
  type ClientProcess,
  type JsonObject,
  type TestServer,
} from './client-helpers.ts';

let ts: TestServer;
let port: number;
const clients: ClientProcess[] = [];

beforeAll(async () => {
  ts = await startTestServer({ 'notes.txt': 'hello notes\n' });
  port = ts.server.tcpPort;
});
afterAll(async () => {
  await ts.stop();
});
afterEach(async () => {
  for (const c of clients.splice(0)) {
    c.kill();
    await c.exited;
  }
});

async function join(name: string): Promise<ClientProcess> {
  const c = await signedInClient(port, name);
  clients.push(c);
  return c;
}

function track(c: ClientProcess): ClientProcess {
  clients.push(c);
  return c;
}

/** Event types in order, without `transport` events (when the UDP binding completes depends on timing). */
function typesBesidesTransport(c: ClientProcess): string[] {
  return c.events.map((e) => e.type).filter((t) => t !== 'transport');
}

/** A port nobody listens on: bind one, then close it. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

describe('dualchat client --json', () => {
  it('two clients chat in the lobby; the echo of your own message is marked self', async () => {
    const alice = await join('alice');
    const bob = await join('bob');
    expect(alice.events[0]).toMatchObject({ type: 'welcome', name: 'alice', room: 'lobby' });
    await alice.waitFor(is('joined', { name: 'bob', room: 'lobby', self: false }), 'bob joining');

    alice.send('hello bob, <b>bold</b>, commas');
    const own = await alice.waitFor(is('message', { from: 'alice' }), 'own echo');
    expect(own).toMatchObject({ room: 'lobby', text: 'hello bob, <b>bold</b>, commas', self: true });
    expect(typeof own.ts).toBe('number');
    const seen = await bob.waitFor(is('message', { from: 'alice' }), 'alice message at bob');
    expect(seen).toMatchObject({ room: 'lobby', text: 'hello bob, <b>bold</b>, commas', self: false, ts: own.ts });

    bob.send('<set_msg_all>hi alice');
    await alice.waitFor(is('message', { from: 'bob', text: 'hi alice', self: false }), 'bob bracket broadcast');
    expect(alice.junk).toEqual([]);
    expect(bob.junk).toEqual([]);
  });

  it('joins a room, sends private messages across rooms, and lists users and rooms by scope', async () => {
    const [carol, dave, erin] = await Promise.all([join('carol'), join('dave'), join('erin')]);

    dave.send('/join games');
    await dave.waitFor(is('joined', { name: 'dave', room: 'games', self: true }), 'dave in games');
    await carol.waitFor(is('left', { name: 'dave', room: 'lobby', reason: 'moved', self: false }), 'dave leaving lobby');

    carol.send('/msg dave psst, are you there?');
    await carol.waitFor(is('private', { from: 'carol', to: 'dave', self: true }), 'private echo');
    const got = await dave.waitFor(is('private', { from: 'carol' }), 'private at dave');
    expect(got).toMatchObject({ to: 'dave', text: 'psst, are you there?', self: false });
    dave.send('-pr carol yes');
    await carol.waitFor(is('private', { from: 'dave', to: 'carol', text: 'yes', self: false }), 'reply via -pr');
    // Nobody else sees private messages.
    erin.send('/rooms');
    await erin.waitFor(is('rooms'), 'rooms at erin');
    expect(erin.events.filter((e) => e.type === 'private')).toEqual([]);

    const mark = dave.events.length;
    dave.send('/users', '/users all', '/rooms');
    const inRoom = await dave.waitForAfter(mark, is('users', { scope: 'room' }), '/users');
    expect(inRoom).toEqual({ type: 'users', scope: 'room', room: 'games', users: [{ name: 'dave', room: 'games' }] });
    const all = await dave.waitForAfter(mark, is('users', { scope: 'all' }), '/users all');
    const everyone = (all.users as Array<{ name: string; room: string }>).map((u) => `${u.name}@${u.room}`);
    expect(everyone).toEqual(expect.arrayContaining(['carol@lobby', 'dave@games', 'erin@lobby']));
    const rooms = await dave.waitForAfter(mark, is('rooms'), '/rooms');
    expect(rooms.rooms).toEqual(
      expect.arrayContaining([
        { name: 'lobby', count: expect.any(Number) as number },
        { name: 'games', count: 1 },
      ]),
    );

    carol.send('/users');
    const lobby = await carol.waitFor(is('users', { scope: 'room' }), 'carol /users');
    const names = (lobby.users as Array<{ name: string; room: string }>).map((u) => u.name);
    expect(names).toEqual(expect.arrayContaining(['carol', 'erin']));
    expect(names).not.toContain('dave');
    expect(lobby.room).toBe('lobby');
  });

  it('answers bad typed input, unknown users and file commands with error events', async () => {
    const fay = await join('fay');
    fay.send('/frobnicate now', '/msg onlyaname', '/msg ghost hello', '/upload ./no-such-file.txt', '/files');
    const unknown = await fay.waitFor(is('error', { source: 'client', code: 'bad-command' }), 'unknown /command');
    expect(unknown.message).toMatch(/frobnicate/);
    const usage = await fay.waitFor(
      (e) => e.type === 'error' && typeof e.message === 'string' && e.message.includes('USER TEXT'),
      'usage error for /msg',
    );
    expect(usage.source).toBe('client');
    const ghost = await fay.waitFor(is('error', { code: 'unknown-user' }), 'unknown user');
    expect(ghost).toMatchObject({ source: 'server' });
    expect(ghost.message).toMatch(/ghost/);
    const upload = await fay.waitFor(is('error', { code: 'bad-argument', source: 'client' }), 'upload of a missing file');
    expect(upload.message).toMatch(/no-such-file\.txt/);
    const files = await fay.waitFor(is('files'), '/files');
    expect(files.files).toEqual([{ name: 'notes.txt', size: 12 }]);
    // Client-side refusals keep their place in the input order.
    const order = fay.events.map((e) => `${String(e.type)}:${String(e.source ?? e.code ?? '')}`);
    expect(order.indexOf('error:client')).toBeLessThan(order.indexOf('files:'));
  });

  it('on stdin EOF waits for its replies, disconnects cleanly and exits 0; the others see it leave', async () => {
    const gus = await join('gus');
    const hal = await join('hal');
    await gus.waitFor(is('joined', { name: 'hal' }), 'hal joining');
    hal.send('last words', '/rooms');
    hal.end();
    const exit = await hal.waitExit();
    expect(exit).toEqual({ code: 0, signal: null });
    expect(hal.events.map((e) => e.type)).toEqual(expect.arrayContaining(['message', 'rooms', 'disconnected']));
    expect(hal.events.at(-1)).toEqual({ type: 'disconnected' });
    await gus.waitFor(is('message', { from: 'hal', text: 'last words' }), 'last words');
    await gus.waitFor(is('left', { name: 'hal', room: 'lobby', reason: 'disconnect' }), 'hal leaving');
    expect(hal.junk).toEqual([]);
  });

  it('/quit sends <disconnect>, waits for it and exits 0, ignoring later lines', async () => {
    const ivy = track(spawnClient(['--tcp', String(port), '--name', 'ivy', '--json']));
    ivy.send('/quit', 'this must not be sent');
    expect(await ivy.waitExit()).toEqual({ code: 0, signal: null });
    expect(typesBesidesTransport(ivy)).toEqual(['welcome', 'joined', 'disconnected']);
  });

  it('takes the first line as the name when --name is absent, and holds later lines until welcome', async () => {
    const jay = track(spawnClient(['--tcp', String(port), '--json']));
    jay.send('jay', 'first message', '/users');
    jay.end();
    expect(await jay.waitExit()).toEqual({ code: 0, signal: null });
    expect(typesBesidesTransport(jay)).toEqual(['welcome', 'joined', 'message', 'users', 'disconnected']);
    expect(jay.events.find((e) => e.type === 'message')).toMatchObject({ from: 'jay', text: 'first message', self: true });
  });

  it('without --json prints plain readable lines, no colours when piped', async () => {
    const ned = await join('ned');
    const plain = track(spawnClient(['--tcp', String(port), '--name', 'ola']));
    await ned.waitFor(is('joined', { name: 'ola' }), 'ola joining');
    ned.send('hi ola');
    plain.send('/users all', 'hello ned', '/status');
    plain.end();
    expect(await plain.waitExit()).toEqual({ code: 0, signal: null });
    const out = plain.junk.join('\n');
    expect(out).not.toMatch(/\u001b/);
    expect(out).toMatch(/^\[\d\d:\d\d:\d\d\] \* You are ola in #lobby/m);
    const online = out.split('\n').find((l) => l.includes('Online (')) ?? '';
    expect(online).toMatch(/^\[\d\d:\d\d:\d\d\] Online \(\d+\): #lobby /);
    expect(online).toMatch(/\bned\b/);
    expect(online).toMatch(/\bola\b/);
    expect(out).toMatch(/^\[\d\d:\d\d:\d\d\] ola: hello ned$/m);
    expect(out).toMatch(/^ {2}transport {2}(tcp|udp)$/m);
    expect(out).toMatch(/^ {2}udp {8}\S/m);
    expect(out).toMatch(/Disconnected/);
    await ned.waitFor(is('message', { from: 'ola', text: 'hello ned' }), 'hello from ola');
  });

  it('exits non-zero when the name is refused', async () => {
    await join('kim');
    const impostor = track(spawnClient(['--tcp', String(port), '--name', 'KIM', '--json']));
    impostor.end();
    const exit = await impostor.waitExit();
    expect(exit.code).toBe(1);
    expect(impostor.events).toEqual([
      { type: 'error', code: 'name-taken', message: expect.any(String) as string, source: 'server' },
    ]);
    expect(impostor.stderr()).toMatch(/refused/);

    const bad = track(spawnClient(['--tcp', String(port), '--name', 'no_underscores', '--json']));
    bad.end();
    expect((await bad.waitExit()).code).toBe(1);
    expect(bad.events[0]).toMatchObject({ type: 'error', code: 'bad-name' });
  });

  it('exits non-zero within 10 s when the server is unreachable or mute', async () => {
    const refusedPort = await closedPort();
    // A peer that accepts TCP but never answers <connect>: not a dualchat server.
    const mute = net.createServer((socket) => {
      socket.resume(); // read and ignore everything: the peer hears nothing back
      socket.on('error', () => {});
    });
    await new Promise<void>((resolve) => mute.listen(0, '127.0.0.1', resolve));
    const muteAddress = mute.address();
    if (muteAddress === null || typeof muteAddress === 'string') throw new Error('no port');
    try {
      const started = Date.now();
      const refused = track(spawnClient(['--tcp', String(refusedPort), '--name', 'lee', '--json']));
      const silent = track(spawnClient(['--tcp', String(muteAddress.port), '--name', 'lee', '--json']));
      const [a, b] = await Promise.all([refused.waitExit(10_000), silent.waitExit(10_000)]);
      expect(Date.now() - started).toBeLessThan(10_000);
      expect(a.code).toBe(1);
      expect(refused.stderr()).toMatch(/connection refused by 127\.0\.0\.1:\d+/);
      expect(b.code).toBe(1);
      expect(silent.stderr()).toMatch(/no answer to <connect>/);
      expect(refused.events).toEqual([]);
      expect(silent.events).toEqual([]);
    } finally {
      await new Promise<void>((resolve) => mute.close(() => resolve()));
    }
  });

  it('exits non-zero when the server goes away before the input ends, saying the server shut down (no broken pipe)', async () => {
    const other = await startTestServer();
    try {
      const max = track(spawnClient(['--tcp', String(other.server.tcpPort), '--name', 'max', '--json']));
      await max.waitFor(is('welcome'), 'welcome');
      await other.server.close();
      const exit = await max.waitExit();
      expect(exit.code).toBe(1);
      expect(max.stderr()).toMatch(/the server shut down/);
      expect(max.stderr()).not.toMatch(/broken pipe|connection lost|chat moves/);
      expect(max.events).toContainEqual({ type: 'system', text: 'server shutting down' });
      expect(max.junk).toEqual([]);
    } finally {
      await other.stop();
    }
  });
});
