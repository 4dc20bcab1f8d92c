// Start-up, the ways a connection ends, a client that stops reading, and shutdown.
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import type { Reply } from '../../src/commands/types.ts';
import { startServer, ServerStartError } from '../../src/server/server.ts';
import { connectedClient, isKind, rawClient, startTestServer } from './helpers.ts';
import { testCertificate } from './tls-helpers.ts';

const left = (name: string, reason: string) => (r: Reply) => r.kind === 'left' && r.name === name && r.reason === reason;

describe('start-up', () => {
  it('logs one "listening" line with the bound ports', async () => {
    const ts = await startTestServer({ captureLogs: 'info' });
    try {
      const listening = ts.logs.filter((l) => l.msg === 'listening');
      expect(listening).toHaveLength(1);
      expect(listening[0]).toMatchObject({ tcp: ts.server.tcpPort, udp: ts.server.udpPort, level: 30 });
      expect(ts.server.tcpPort).toBeGreaterThan(0);
      expect(ts.server.udpPort).toBeGreaterThan(0);
      expect(ts.logs).toHaveLength(1); // nothing else at info before anyone connects
    } finally {
      await ts.close();
    }
  });

  it('with TLS, the "listening" line names the AEAD that seals datagrams: libsodium, with no fallback warning', async () => {
    const ts = await startTestServer({ captureLogs: 'info', tls: await testCertificate(), tlsPort: 0 });
    try {
      expect(ts.logs.filter((l) => l.msg === 'listening')).toEqual([expect.objectContaining({ tls: ts.server.tlsPort, sealing: 'libsodium' })]);
      expect(ts.logs.filter((l) => (l.level ?? 0) >= 40)).toEqual([]);
    } finally {
      await ts.close();
    }
  });

  it('rejects with one clear line when the port is taken', async () => {
    const ts = await startTestServer();
    try {
      const attempt = startServer({ host: '127.0.0.1', tcpPort: ts.port, udpPort: 0, logLevel: 'silent', filesDir: ts.filesDir });
      await expect(attempt).rejects.toBeInstanceOf(ServerStartError);
      await expect(attempt).rejects.toThrow(`cannot listen on TCP 127.0.0.1:${ts.port}: the port is already in use`);
    } finally {
      await ts.close();
    }
  });

  it('rejects bad options with a message naming them', async () => {
    await expect(startServer({ tcpPort: 70_000, logLevel: 'silent' })).rejects.toThrow(/tcpPort: a port is a whole number from 0 to 65535/);
    await expect(startServer({ udpPort: -1, logLevel: 'silent' })).rejects.toThrow(/udpPort/);
    await expect(startServer({ roomCapacity: 0, tcpPort: 0, udpPort: 0, logLevel: 'silent' })).rejects.toThrow(/roomCapacity/);
  });
});

describe('how connections end', () => {
  it('FIN without <disconnect>: the last command runs, then the room hears "disconnect"', async () => {
    const ts = await startTestServer();
    try {
      const alice = await connectedClient(ts.port, 'alice');
      const bob = await rawClient(ts.port);
      bob.send('<connect>bob');
      await bob.expectReply(isKind('welcome'), 'bob welcome');
      bob.send('<set_msg_all>last words'); // unterminated, then FIN at once
      bob.end();
      await alice.expectReply((r) => r.kind === 'message' && r.text === 'last words', 'the final command');
      await alice.expectReply(left('bob', 'disconnect'), 'bob left');
      await bob.waitClosed();
      alice.send('<get_users>\n');
      expect(await alice.expectReply(isKind('users'), 'users')).toEqual({ kind: 'users', users: [{ name: 'alice', room: 'lobby' }] });
      alice.destroy();
    } finally {
      await ts.close();
    }
  });

  it('reset: the room hears "lost"', async () => {
    const ts = await startTestServer();
    try {
      const alice = await connectedClient(ts.port, 'alice');
      const bob = await connectedClient(ts.port, 'bob');
      bob.socket.resetAndDestroy();
      await alice.expectReply(left('bob', 'lost'), 'bob lost');
      alice.destroy();
    } finally {
      await ts.close();
    }
  });

  it('drops a client that stops reading, and only that client', async () => {
    // No rate limit: the writer must outpace the sleeper's socket buffers.
    const ts = await startTestServer({ maxPendingWriteBytes: 64 * 1024, rateLimit: 0 });
    try {
      const writer = await connectedClient(ts.port, 'writer');
      const watcher = await connectedClient(ts.port, 'watcher');
      const sleeper = await connectedClient(ts.port, 'sleeper');
      sleeper.socket.pause(); // never reads again
      const text = 'z'.repeat(4000);
      const burst = `<set_msg_all>${text}\n`.repeat(50);
      // The kernel's buffers absorb a few MiB first; keep talking until the server gives up on it.
      for (let round = 0; round < 200 && !watcher.replies.some(left('sleeper', 'lost')); round++) {
        writer.send(burst);
        await writer.waitFor(() => writer.replies.length >= (round + 1) * 50, `echo of burst ${round}`);
      }
      await watcher.expectReply(left('sleeper', 'lost'), 'sleeper dropped');
      writer.send('<get_users>\n');
      const users = await writer.expectReply(isKind('users'), 'users');
      expect(users).toEqual({
        kind: 'users',
        users: [
          { name: 'watcher', room: 'lobby' },
          { name: 'writer', room: 'lobby' },
        ],
      });
      writer.destroy();
      watcher.destroy();
      sleeper.destroy();
    } finally {
      await ts.close();
    }
  });
});

describe('shutdown', () => {
  it('tells every client, closes them, and stops listening', async () => {
    const ts = await startTestServer();
    const alice = await connectedClient(ts.port, 'alice');
    const anon = await rawClient(ts.port);
    await ts.close();
    for (const c of [alice, anon]) {
      await c.expectReply((r) => r.kind === 'system' && r.text === 'server shutting down', 'shutdown notice');
      await c.waitClosed();
    }
    const refused = await new Promise<string>((resolve) => {
      const s = net.connect({ host: '127.0.0.1', port: ts.port });
      s.on('connect', () => {
        s.destroy();
        resolve('connected');
      });
      s.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? 'error'));
    });
    expect(refused).toBe('ECONNREFUSED');
    await ts.server.close(); // idempotent
  });

  it('does not wait for a client that ignores the goodbye', async () => {
    const ts = await startTestServer();
    const stubborn = await connectedClient(ts.port, 'stubborn');
    stubborn.socket.pause(); // reads nothing, so it never answers the server's FIN with its own
    const started = Date.now();
    await ts.close();
    expect(Date.now() - started).toBeLessThan(4_000);
    stubborn.socket.resume();
    await stubborn.expectReply((r) => r.kind === 'system' && r.text === 'server shutting down', 'shutdown notice');
    await stubborn.waitClosed();
  });
});
