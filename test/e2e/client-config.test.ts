// The settings file as a user meets it: `--save` writes the settings in force, a later run without
// flags takes them, flags given on the command line win, and a bad file is refused with its path.
import { mkdtemp, readFile, rm, writeFile, mkdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnClient, startTestServer, type TestServer } from './client-helpers.ts';

let server: TestServer;
let home: string;
beforeAll(async () => {
  server = await startTestServer();
  home = await mkdtemp(path.join(os.tmpdir(), 'dualchat-config-'));
});
afterAll(async () => {
  await server.stop();
  await rm(home, { recursive: true, force: true });
});

async function run(args: string[], lines: string[]): Promise<{ code: number | null; events: Array<Record<string, unknown>>; stderr: string }> {
  const client = spawnClient(['--json', '--no-udp', ...args], { XDG_CONFIG_HOME: home });
  client.send(...lines);
  client.end();
  const exit = await client.waitExit(20_000);
  return { code: exit.code, events: client.events, stderr: client.stderr() };
}

describe('the client settings file', () => {
  it('--save writes the settings in force; the next run takes them; a flag given wins', async () => {
    const port = String(server.server.tcpPort);
    const first = await run(['--tcp', port, '--name', 'saver', '--save'], ['/users']);
    expect(first.code, first.stderr).toBe(0);
    const file = path.join(home, 'dualchat', 'config.json');
    expect(first.stderr).toContain(`saved the settings to ${file}`);
    const saved = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
    expect(saved).toMatchObject({ host: '127.0.0.1', tcp: server.server.tcpPort, name: 'saver', udp: false });
    expect(Object.keys(saved)).not.toContain('password');

    const second = await run([], ['/users']);
    expect(second.code, second.stderr).toBe(0);
    expect(second.events.find((e) => e.type === 'welcome')).toMatchObject({ name: 'saver' });

    const third = await run(['--name', 'flagwins'], ['/users']);
    expect(third.events.find((e) => e.type === 'welcome')).toMatchObject({ name: 'flagwins' });
  });

  it('--auto-accept is saved as autoAccept (false without it)', async () => {
    const port = String(server.server.tcpPort);
    const file = path.join(home, 'auto.json');
    const asker = path.join(home, 'ask.json');
    for (const f of [file, asker]) await writeFile(f, '{}');
    const taker = await run(['--config', file, '--tcp', port, '--name', 'taker', '--auto-accept', '--save'], ['/users']);
    expect(taker.code, taker.stderr).toBe(0);
    expect(JSON.parse(await readFile(file, 'utf8'))).toMatchObject({ autoAccept: true, ask: false });
    await run(['--config', asker, '--tcp', port, '--name', 'asker', '--save'], ['/users']);
    expect(JSON.parse(await readFile(asker, 'utf8'))).toMatchObject({ autoAccept: false, ask: false });
  });

  it('a bad settings file stops the client with its path and every problem', async () => {
    const other = path.join(home, 'bad.json');
    await mkdir(home, { recursive: true });
    await writeFile(other, '{"tcp": 0, "colour": 1}');
    const r = await run(['--config', other], []);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`the settings file ${other}: "tcp": a port is a whole number from 1 to 65535`);
    expect(r.stderr).toContain('"colour": not a setting');
  });
});
