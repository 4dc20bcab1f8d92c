// The link against a server that refuses a line for the rate although the client kept to the announced
// one (jitter bunched its lines): the refused line is sent again by itself, the refusal is not shown as
// an error, and every line is taken exactly once. A small bracket server on 127.0.0.1 (port 0) plays
// the server: it announces a generous rate and refuses the third line it gets, once.
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ChatLink } from '../../src/client/link.ts';
import type { Display } from '../../src/client/state.ts';
import type { ClientNotice } from '../../src/client/render.ts';

const servers: net.Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
});

/** A server that welcomes with RATE 100 BURST 100, echoes chat, and refuses the `refuse`-th chat line it gets. */
async function refusingServer(refuse: number): Promise<{ port: number; taken: string[] }> {
  const taken: string[] = [];
  let chat = 0;
  const server = net.createServer((socket) => {
    let buffer = '';
    socket.setEncoding('utf8');
    socket.on('data', (data: string) => {
      buffer += data;
      const lines = buffer.split('\n');
      buffer = lines.pop() ?? '';
      for (const line of lines) {
        if (line.startsWith('<connect>')) socket.write(`<welcome>${line.slice(9)} lobby 100 100 - hi\n`);
        else if (line.startsWith('<set_msg_all>')) {
          chat += 1;
          const text = line.slice('<set_msg_all>'.length);
          if (chat === refuse) {
            socket.write('<error>rate-limited slow down: at most 100 messages per second (burst 100); try again in 10 ms\n');
          } else {
            taken.push(text);
            socket.write(`<message>lobby alice ${Date.now()} self - ${text}\n`);
          }
        } else if (line.startsWith('<disconnect>')) socket.end('<disconnected>\n');
      }
    });
    socket.on('error', () => {});
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as net.AddressInfo).port, taken };
}

describe('ChatLink: a refusal for the rate', () => {
  it('sends the refused line again, shows no error, and every line is taken once', async () => {
    const { port, taken } = await refusingServer(3);
    const shown: Array<Display | ClientNotice> = [];
    const opened = await ChatLink.open({
      host: '127.0.0.1',
      port,
      connectTimeoutMs: 5_000,
      show: (item) => shown.push(item),
      closed: () => {},
      clock: Date.now,
      udp: { enabled: false },
    });
    if (!opened.ok) throw new Error(opened.message);
    const link = opened.link;
    expect((await link.signIn('alice', 5_000)).ok).toBe(true);
    const lines = Array.from({ length: 6 }, (_, i) => `line ${i + 1}`);
    for (const text of lines) link.send({ kind: 'broadcast', text });
    expect(await link.waitUntil(() => taken.length === lines.length, 5_000)).toBe(true);
    expect([...taken].sort()).toEqual(lines);
    expect(shown.filter((s) => s.kind === 'reply' && s.reply.kind === 'error')).toEqual([]);
    expect(await link.settle(500, 3_000)).toBe(true);
    await link.disconnect(2_000);
  });
});
