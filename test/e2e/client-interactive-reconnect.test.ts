// The interactive client (in this process, its terminal replaced by streams) when the server is killed
// and started again on the same ports: it says the connection is lost and counts down, keeps what is
// entered meanwhile, comes back to its room and sends the kept line there; /quit then leaves cleanly.
import { PassThrough } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { runInteractive } from '../../src/client/interactive.ts';
import { RECONNECT_FIRST_MS, RECONNECT_MAX_DELAY_MS } from '../../src/client/constants.ts';
import { spawnServer, type ServerChild } from './hardening-helpers.ts';
import { rawClient, waitOn, type RawClient } from './helpers.ts';

const servers: ServerChild[] = [];
const raws: RawClient[] = [];
afterAll(async () => {
  for (const r of raws) r.destroy();
  for (const s of servers) s.kill();
  await Promise.all(servers.map((s) => s.exited));
});

async function member(port: number, name: string, room: string): Promise<RawClient> {
  const c = await rawClient(port);
  raws.push(c);
  c.send(`<connect>${name}\n<join>${room}\n`);
  await c.waitReply((r) => r.kind === 'joined' && r.name === name && r.room === room, `${name} in #${room}`);
  return c;
}

describe('the interactive client reconnects', () => {
  it('says so, counts down, keeps a line entered meanwhile and sends it in its room once back', async () => {
    const first = await spawnServer([]);
    servers.push(first);
    const input = new PassThrough();
    const output = new PassThrough();
    let screen = '';
    const changed = new Set<() => void>();
    output.setEncoding('utf8').on('data', (d: string) => {
      screen += d;
      for (const l of [...changed]) l();
    });
    const shows = (text: string, ms = 10_000): Promise<true> => waitOn(changed, () => screen.includes(text), () => `"${text}" on screen:\n${screen}`, ms);
    const done = runInteractive({ host: '127.0.0.1', port: first.tcpPort, name: 'ivy', input, output, errors: new PassThrough(), bell: false });

    await shows('You are');
    const bob = await member(first.tcpPort, 'bob', 'den');
    input.write('/join den\n');
    await bob.waitReply((r) => r.kind === 'joined' && r.name === 'ivy' && r.room === 'den', 'ivy in #den');

    first.kill();
    await first.exited;
    await shows('reconnecting in 1 s (try 1 of 20); what you type is kept');
    input.write('said while away\n');
    await shows('(kept: 1 line(s) go out when reconnected)');

    const second = await spawnServer(['--tcp', String(first.tcpPort), '--udp', String(first.udpPort)]);
    servers.push(second);
    const bobAgain = await member(second.tcpPort, 'bob', 'den');
    await shows('reconnected: you are ivy in #den', RECONNECT_FIRST_MS * 15 + RECONNECT_MAX_DELAY_MS);
    await bobAgain.waitReply((r) => (r.kind === 'message' || r.kind === 'history') && r.from === 'ivy' && r.text === 'said while away', 'the kept line, in #den');

    input.write('/quit\n');
    expect(await done).toBe(0);
  }, 60_000);
});
