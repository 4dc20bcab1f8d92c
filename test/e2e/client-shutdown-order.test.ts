// A server shutting down tells each client on TCP, then closes its data plane with a close datagram.
// The two travel on different sockets, so a client can read the datagram first. Here the server's TCP
// bytes pass through a proxy that holds them back, so the datagram always wins the race. Held back
// 300 ms, the client must still read the end as a shutdown (one notice, no "chat moves to TCP"); held
// back longer than the client waits for an explanation (SERVER_CLOSE_EXPLAINED_MS), the close is a move
// to TCP as far as anyone can tell, and is shown as one.
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { SERVER_CLOSE_EXPLAINED_MS } from '../../src/client/constants.ts';
import { ChatLink } from '../../src/client/link.ts';
import type { ClientNotice } from '../../src/client/render.ts';
import type { Display } from '../../src/client/state.ts';
import { startTestServer } from './helpers.ts';

const SHORT_HOLD_BACK_MS = 300;
const LONG_HOLD_BACK_MS = SERVER_CLOSE_EXPLAINED_MS + 700;
const DEADLINE_MS = 5_000;

/** A TCP proxy to `port` that delays every byte from the server by `holdBackMs` (in order). */
async function slowDownstream(port: number, holdBackMs: number): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const proxy = net.createServer((client) => {
    const upstream = net.connect(port, '127.0.0.1');
    sockets.add(client).add(upstream);
    client.pipe(upstream);
    upstream.on('data', (chunk: Buffer) => {
      setTimeout(() => {
        if (!client.destroyed) client.write(chunk);
      }, holdBackMs);
    });
    upstream.on('end', () => setTimeout(() => client.end(), holdBackMs));
    for (const socket of [client, upstream]) {
      socket.on('error', () => {});
      socket.on('close', () => sockets.delete(socket));
    }
    client.on('close', () => upstream.destroy());
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  return {
    port: (proxy.address() as net.AddressInfo).port,
    close: () => {
      for (const socket of sockets) socket.destroy();
      return new Promise((resolve) => proxy.close(() => resolve()));
    },
  };
}

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function boundClient(viaPort: number) {
  const shown: Array<Display | ClientNotice> = [];
  let ended: { expected: boolean; message: string; shutdown: boolean } | undefined;
  const opened = await ChatLink.open({
    host: '127.0.0.1',
    port: viaPort,
    connectTimeoutMs: DEADLINE_MS,
    show: (item) => shown.push(item),
    closed: (expected, message, shutdown) => {
      ended = { expected, message, shutdown };
    },
    clock: Date.now,
  });
  if (!opened.ok) throw new Error(opened.message);
  const link = opened.link;
  cleanups.push(async () => link.close());
  expect((await link.signIn('sid', DEADLINE_MS)).ok).toBe(true);
  const bound = await link.waitUntil(() => shown.some((s) => s.kind === 'transport' && s.transport === 'udp'), DEADLINE_MS);
  expect(bound, 'the data plane bound').toBe(true);
  return { link, shown, ended: () => ended };
}

const movesToTcp = (shown: Array<Display | ClientNotice>) => shown.filter((s) => s.kind === 'transport' && s.transport === 'tcp');

async function shutDownBehind(holdBackMs: number) {
  const server = await startTestServer();
  cleanups.push(() => server.close());
  const proxy = await slowDownstream(server.port, holdBackMs);
  cleanups.push(() => proxy.close());
  const { link, shown, ended } = await boundClient(proxy.port);
  await server.server.close();
  expect(await link.waitUntil(() => ended() !== undefined, DEADLINE_MS + holdBackMs), 'the link ended').toBe(true);
  expect(ended()).toMatchObject({ shutdown: true, message: 'the server shut down' });
  return movesToTcp(shown);
}

describe('the client when the server closes its data plane', () => {
  it('reads a shutdown whose close datagram came before the TCP notice as a shutdown, not a move to TCP', async () => {
    expect(await shutDownBehind(SHORT_HOLD_BACK_MS)).toEqual([]);
  });

  it('shows the close as a move to TCP when nothing on TCP explains it in time', async () => {
    expect(await shutDownBehind(LONG_HOLD_BACK_MS)).toEqual([expect.objectContaining({ kind: 'transport', transport: 'tcp', reason: 'server-closed' })]);
  });
});
