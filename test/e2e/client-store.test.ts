// The client with accounts and history: --password, a refusal without it, history shown apart (events
// of their own in --json; a separator and dimmed lines in the terminal form).
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../src/server/server.ts';
import { spawnClient, stopAll, type ClientProcess } from './client-helpers.ts';

let server: RunningServer;
let filesDir: string;
const clients: ClientProcess[] = [];

beforeAll(async () => {
  filesDir = await mkdtemp(path.join(os.tmpdir(), 'dualchat-client-store-'));
  server = await startServer({ host: '127.0.0.1', tcpPort: 0, udpPort: 0, filesDir, logLevel: 'silent', historyOnJoin: 50, passwordCost: { cost: 1024, block: 8, par: 1 } });
});
afterAll(async () => {
  await stopAll(clients);
  await server.close();
  await rm(filesDir, { recursive: true, force: true });
});

function client(args: string[]): ClientProcess {
  const c = spawnClient(['--tcp', String(server.tcpPort), ...args]);
  clients.push(c);
  return c;
}

describe('dualchat client with accounts and history', () => {
  it('registers, is refused without the password, signs in with --password and sees history apart', async () => {
    const alice = client(['--name', 'alice', '--json']);
    await alice.waitFor((e) => e.type === 'welcome', 'welcome');
    alice.send('/register pw-alice1', 'the line to remember');
    await alice.waitFor((e) => e.type === 'system' && String(e['text']).includes('alice is registered'), 'registered');
    await alice.waitFor((e) => e.type === 'message' && e['text'] === 'the line to remember', 'echo');
    alice.end();
    expect((await alice.waitExit()).code).toBe(0);

    const refused = client(['--name', 'alice', '--json']);
    expect((await refused.waitExit()).code).toBe(1);
    expect(refused.events).toContainEqual(expect.objectContaining({ type: 'error', code: 'name-registered' }));

    const back = client(['--name', 'alice', '--password', 'pw-alice1', '--json']);
    const history = await back.waitFor((e) => e.type === 'history', 'a history event');
    expect(history).toMatchObject({ type: 'history', room: 'lobby', from: 'alice', text: 'the line to remember' });
    expect(typeof history['id']).toBe('number');
    expect(back.events.some((e) => e.type === 'message')).toBe(false);
    back.end();
    expect((await back.waitExit()).code).toBe(0);
    expect(back.stderr()).not.toContain('pw-alice1');

    const plain = client(['--name', 'alice', '--password', 'pw-alice1']);
    plain.send('/history 5');
    plain.end();
    expect((await plain.waitExit()).code).toBe(0);
    const shown = plain.junk.join('\n');
    expect(shown).toContain('— history —');
    expect(shown.match(/#lobby alice: the line to remember/g)?.length).toBe(2);
  });
});
