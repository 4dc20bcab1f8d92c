// Reconnecting, end to end: the real server (the bin, a child process) is killed while two `--json
// --reconnect` clients chat and one downloads a file through a slow relay; a new server starts on the
// same ports. Both clients come back to their room within the backoff, the download resumes and ends
// with the exact file, and every line typed — before, during and after the outage — reaches the other.
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RECONNECT_FIRST_MS, RECONNECT_MAX_DELAY_MS } from '../../src/client/constants.ts';
import type { RunningProxy } from '../../src/udp/proxy.ts';
import { is, spawnClient, type ClientProcess, type JsonObject } from './client-helpers.ts';
import { fileEvent, MIB, randomFile, sha256, sha256File, tempDir } from './files-helpers.ts';
import { spawnServer, type ServerChild } from './hardening-helpers.ts';
import { proxyTo } from './udp-helpers.ts';

const BIG = randomFile(8 * MIB);
/** The first tries of the backoff (1 + 2 + 4 + 8 s) cover a restart that takes a few seconds. */
const BACK_WITHIN_MS = RECONNECT_FIRST_MS * 15 + RECONNECT_MAX_DELAY_MS;

let home: { dir: string; remove: () => Promise<void> };
let filesDir: string;
let slow: RunningProxy | undefined;
const servers: ServerChild[] = [];
const clients: ClientProcess[] = [];

beforeAll(async () => {
  home = await tempDir('reconnect');
  filesDir = path.join(home.dir, 'files');
  await mkdir(filesDir);
  await writeFile(path.join(filesDir, 'big.bin'), BIG);
});

afterAll(async () => {
  for (const c of clients) c.kill();
  await Promise.all(clients.map((c) => c.exited));
  for (const s of servers) s.kill();
  await Promise.all(servers.map((s) => s.exited));
  await slow?.close();
  await home.remove();
});

function client(port: number, name: string, args: string[] = []): ClientProcess {
  const c = spawnClient([
    '--tcp', String(port), '--name', name, '--json', '--reconnect',
    '--downloads', path.join(home.dir, `${name}-downloads`), '--received', path.join(home.dir, `${name}-received`),
    ...args,
  ]);
  clients.push(c);
  return c;
}

const message = (from: string, text: string) => (e: JsonObject) => e.type === 'message' && e.from === from && e.text === text && e.self === false;

describe('reconnect after the server is killed and started again', () => {
  it('both clients are back in their room, the download completes intact, nothing typed is lost', async () => {
    // The store on a file: the restarted server still has the room's history, and replays it on return.
    const db = ['--db', path.join(home.dir, 'chat.db')];
    const first = await spawnServer(['--files', filesDir, ...db]);
    servers.push(first);
    const ports = ['--tcp', String(first.tcpPort), '--udp', String(first.udpPort)];
    // 16 Mbit/s: 2 MB a second, so the download is still running when the server dies.
    slow = await proxyTo(first.udpPort, { rateBps: 16_000_000 }, 'slow');

    const alice = client(first.tcpPort, 'alice', ['--udp-via', `127.0.0.1:${slow.port}`]);
    const bob = client(first.tcpPort, 'bob');
    for (const c of [alice, bob]) {
      await c.waitFor(is('welcome'), 'welcome');
      c.send('/join games');
      await c.waitFor((e) => e.type === 'joined' && e.room === 'games' && e.self === true, 'in #games');
    }
    alice.send('before the outage');
    await bob.waitFor(message('alice', 'before the outage'), 'the first line');

    alice.send('/download big.bin');
    await alice.waitFor((e) => e.type === 'progress' && e.name === 'big.bin' && typeof e.bytes === 'number' && e.bytes >= 2.2 * MIB, 'a checkpointed part', 20_000);
    first.kill();
    await first.exited;
    const lostAt = Date.now();

    // Both say they are reconnecting; what is typed meanwhile is kept.
    await alice.waitFor(is('reconnecting'), 'alice reconnecting');
    await bob.waitFor(is('reconnecting'), 'bob reconnecting');
    alice.send('typed during the outage');
    bob.send('me too');

    const second = await spawnServer(['--files', filesDir, ...db, ...ports]);
    servers.push(second);
    expect(second.tcpPort).toBe(first.tcpPort);

    const aliceBack = await alice.waitFor(is('reconnected'), 'alice reconnected', BACK_WITHIN_MS);
    const bobBack = await bob.waitFor(is('reconnected'), 'bob reconnected', BACK_WITHIN_MS);
    expect(aliceBack).toMatchObject({ name: 'alice', room: 'games' });
    expect(bobBack).toMatchObject({ name: 'bob', room: 'games' });
    expect(Date.now() - lostAt).toBeLessThan(BACK_WITHIN_MS);

    // What was typed during the outage went out once back: its sender has the echo, and the other has
    // it live, or — said before they were back in the room — replayed as the room's history.
    await alice.waitFor((e) => e.type === 'message' && e.text === 'typed during the outage' && e.self === true, 'alice\'s echo');
    await bob.waitFor((e) => e.type === 'message' && e.text === 'me too' && e.self === true, 'bob\'s echo');
    const heard = (from: string, text: string) => (e: JsonObject) => (e.type === 'message' || e.type === 'history') && e.from === from && e.text === text;
    await bob.waitFor(heard('alice', 'typed during the outage'), 'alice\'s line typed during the outage');
    await alice.waitFor(heard('bob', 'me too'), 'bob\'s line typed during the outage');
    alice.send('after the outage');
    await bob.waitFor(message('alice', 'after the outage'), 'a line after').catch((e: unknown) => {
      throw new Error(`${String(e)}\nALICE: ${JSON.stringify(alice.events.filter((x) => x.type !== 'progress'))} ${alice.stderr()}`);
    });

    // The download resumed by itself from its verified part and ends with the exact file.
    const requested = await alice.waitFor((e) => e.type === 'requested' && e.name === 'big.bin' && typeof e.resumeFrom === 'number', 'the download asked for again');
    expect(Number(requested.resumeFrom)).toBeGreaterThan(0);
    await alice.waitFor(fileEvent('saved', 'big.bin'), 'saved', 30_000);
    expect(await sha256File(path.join(home.dir, 'alice-downloads', 'big.bin'))).toBe(sha256(BIG));

    // Each line reached bob once.
    expect(bob.events.filter(heard('alice', 'typed during the outage'))).toHaveLength(1);
    // Back in #games, the replay of its history held the line both had shown before the outage: marked
    // seen (the terminal leaves it out), never shown as new.
    for (const c of [alice, bob]) {
      const replayed = c.events.filter((e) => e.type === 'history' && e.text === 'before the outage');
      expect(replayed.length, `${JSON.stringify(c.events.filter((e) => e.type === 'history'))}`).toBeGreaterThanOrEqual(1);
      expect(replayed.every((e) => e.seen === true)).toBe(true);
    }
    for (const c of [alice, bob]) {
      c.end();
      expect((await c.waitExit(20_000)).code).toBe(0);
    }
  }, 120_000);

  it('a server that holds no names refuses the client\'s <hold> quietly: no error shown, replies matched as ever', async () => {
    const noHold = await spawnServer(['--name-hold', '0']);
    servers.push(noHold);
    const c = client(noHold.tcpPort, 'quinn');
    await c.waitFor(is('welcome'), 'welcome');
    c.send('/users');
    expect(await c.waitFor(is('users'), 'the users')).toMatchObject({ scope: 'room' });
    c.end();
    expect((await c.waitExit()).code).toBe(0);
    expect(c.events.filter((e) => e.type === 'error')).toEqual([]);
    expect(c.stderr()).toBe('');
  });
});
