// SIGINT/SIGTERM as an operator sends them to `dualchat server` (a child process): under load — TCP
// clients flooding a room, CLI clients chatting over UDP, a raw UDP binding, an upload half-way —
// every client is told, the upload's part file is removed, the process exits 0 within 5 s; a second
// signal exits at once; a stop that hangs is cut short at the deadline.
import dgram from 'node:dgram';
import { existsSync, watch } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { shutdownOnSignal } from '../../src/cli/server-run.ts';
import { chunkToBase64 } from '../../src/files/chunk-codec.ts';
import { nullProtectionLookup } from '../../src/wire/protection.ts';
import { SHUTDOWN_NOTICE } from '../../src/commands/reply-syntax.ts';
import { encodeHello } from '../../src/udp/binding.ts';
import { UdpEndpoint } from '../../src/udp/endpoint.ts';
import { spawnClient, type ClientProcess } from './client-helpers.ts';
import { namedClient, spawnServer, withDeadline, type ServerChild } from './hardening-helpers.ts';
import { rawClient, type RawClient } from './helpers.ts';
import { is, rawPeer } from './udp-helpers.ts';

const told = (c: RawClient): boolean => c.replies.some((r) => r.kind === 'system' && r.text === SHUTDOWN_NOTICE);

let server: ServerChild | undefined;
let filesDir = '';
const children: ClientProcess[] = [];

afterEach(async () => {
  server?.kill();
  for (const c of children.splice(0)) c.kill();
  if (filesDir !== '') await rm(filesDir, { recursive: true, force: true });
  server = undefined;
  filesDir = '';
});

/** Every file below `dir` (relative paths), hidden ones included. */
async function listAll(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string, depth: number): Promise<void> => {
    if (depth > 3 || !existsSync(d)) return;
    for (const e of await readdir(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) await walk(p, depth + 1);
      else out.push(path.relative(dir, p));
    }
  };
  await walk(dir, 0);
  return out;
}

/** Resolves once a file whose name matches appears in `dir` (fs.watch, with a deadline). */
async function fileAppears(dir: string, match: RegExp, timeoutMs: number): Promise<string> {
  const present = async (): Promise<string | undefined> => (await listAll(dir)).find((f) => match.test(f));
  const watcher = watch(dir);
  try {
    return await withDeadline(
      new Promise<string>((resolve) => {
        const check = (): void => {
          void present().then((f) => {
            if (f !== undefined) resolve(f);
          });
        };
        watcher.on('change', check);
        check();
      }),
      timeoutMs,
      `a file matching ${match} in ${dir}`,
    );
  } finally {
    watcher.close();
  }
}

describe('SIGINT under load', () => {
  it('tells every client over TCP and UDP, removes the half-done upload, exits 0 within 5 s', { timeout: 60_000 }, async () => {
    filesDir = await mkdtemp(path.join(os.tmpdir(), 'dualchat-shutdown-'));
    server = await spawnServer(['--files', filesDir, '--rate-limit', '0']);
    const port = server.tcpPort;

    // 24 raw TCP clients over two source addresses (16 per address at most), in three rooms.
    const raw = await Promise.all(
      Array.from({ length: 24 }, (_, i) => namedClient(port, `raw${i}`, i % 2 === 0 ? '127.0.0.21' : '127.0.0.22')),
    );
    raw.forEach((c, i) => c.send(`<join>room${i % 3}\n`));
    await Promise.all(raw.map((c, i) => c.waitReply((r) => r.kind === 'joined' && r.room === `room${i % 3}`, 'joined')));

    // Two CLI clients chatting over UDP.
    const [alice, bob] = ['alice', 'bob'].map((name) => {
      const c = spawnClient(['--tcp', String(port), '--name', name, '--json']);
      children.push(c);
      return c;
    }) as [ClientProcess, ClientProcess];
    await Promise.all([alice, bob].map((c) => c.waitFor(is('transport', { transport: 'udp' }), 'bound over udp')));
    alice.send('hello bob');
    await bob.waitFor(is('message', { from: 'alice', text: 'hello bob' }), 'the first message');

    // A raw UDP binding, to hear the close datagram.
    const udpOwner = await rawClient(port, '127.0.0.23');
    udpOwner.send('<connect>udpowner\n<udp>\n');
    const offer = await udpOwner.waitReply((r) => r.kind === 'udp', 'the <udp> offer');
    if (offer.kind !== 'udp') throw new Error('not an offer');
    const peer = await rawPeer(server.udpPort);
    peer.send({ type: 'hello', connectionId: offer.connectionId, body: encodeHello(Buffer.from(offer.token, 'hex'), offer.connectionId, 1n) });
    await peer.waitFor((d) => d.type === 'helloOk', 'helloOk');

    // An upload over TCP, one chunk of three sent: its part file exists on disk.
    const uploader = await namedClient(port, 'uploader', '127.0.0.24');
    const size = 3 * 32 * 1024;
    uploader.send(`<upload>${size} 00000000 report.txt\n`);
    const ready = await uploader.waitReply((r) => r.kind === 'ready', '<ready>');
    if (ready.kind !== 'ready') throw new Error('not ready');
    uploader.send(`<chunk>${chunkToBase64({ transferId: ready.id, offset: 0, final: false, data: Buffer.alloc(32 * 1024, 0x41) })}\n`);
    const part = await fileAppears(filesDir, /report\.txt\.part-/, 10_000);
    expect(part).toMatch(/^\.report\.txt\.part-\d+$/);

    // Load: three clients each hand the server 1500 messages at once, then SIGINT.
    const flood = Array.from({ length: 1500 }, (_, i) => `<set_msg_all>flood line ${i} ${'z'.repeat(100)}\n`).join('');
    for (const c of raw.slice(0, 3)) c.send(flood);
    alice.send('one more for bob');
    const signalledAt = performance.now();
    server.child.kill('SIGINT');

    const exit = await withDeadline(server.exited, 10_000, 'exit after SIGINT');
    expect(exit.code).toBe(0);
    expect(exit.at - signalledAt).toBeLessThan(5_000);

    const tcpClients = [...raw, udpOwner, uploader];
    await Promise.all(tcpClients.map((c) => c.waitClosed(5_000)));
    expect(tcpClients.filter((c) => !told(c)).map((c) => c.lines.at(-1))).toEqual([]);
    for (const c of [alice, bob]) await c.waitFor(is('system', { text: SHUTDOWN_NOTICE }), 'the notice over TCP');
    await peer.waitFor((d) => d.type === 'close' && d.connectionId === offer.connectionId, 'the close datagram');
    await peer.close();

    // Nothing partial is left: no part file, no resume record, nothing in the spool.
    expect(await listAll(filesDir)).toEqual([]);
    const msgs = server.logs.map((l) => l.msg);
    expect(msgs).toContain('signal received, shutting down');
    expect(msgs.at(-1)).toBe('stopped');
    expect(server.logs.find((l) => l.msg === 'shutting down')).toMatchObject({ sessions: 28 });
    expect(server.otherStderr).toEqual([]);
    expect(server.stdout()).toBe('');
  });
});

describe('the UDP socket at shutdown', () => {
  it('sends every datagram still queued before it closes (3000 close notices at once)', async () => {
    const rx = dgram.createSocket({ type: 'udp4', recvBufferSize: 4 * 1024 * 1024 });
    await new Promise<void>((resolve) => rx.bind(0, '127.0.0.1', () => resolve()));
    let got = 0;
    let allArrived: () => void = () => {};
    const arrived = new Promise<void>((resolve) => (allArrived = resolve));
    rx.on('message', () => {
      if (++got === 3000) allArrived();
    });
    const endpoint = await UdpEndpoint.bind({ host: '127.0.0.1', port: 0, protectionFor: nullProtectionLookup, onDatagram: () => {} });
    const to = { address: '127.0.0.1', port: rx.address().port };
    for (let i = 0; i < 3000; i++) endpoint.send({ type: 'close', connectionId: i + 1, body: new Uint8Array(0) }, to);
    await endpoint.close();
    await withDeadline(arrived, 5_000, `3000 datagrams (got ${got})`);
    expect(got).toBe(3000);
    rx.close();
  });
});

describe('a second signal', () => {
  it('exits 1 at once while the graceful stop still waits for a client', { timeout: 30_000 }, async () => {
    filesDir = await mkdtemp(path.join(os.tmpdir(), 'dualchat-shutdown-'));
    server = await spawnServer(['--files', filesDir]);
    const stubborn = await namedClient(server.tcpPort, 'stubborn');
    stubborn.socket.pause(); // never answers the server's FIN: the graceful stop waits its grace period
    server.child.kill('SIGINT');
    await server.waitLog((l) => l.msg === 'signal received, shutting down', 'the first signal logged');
    const secondAt = performance.now();
    server.child.kill('SIGTERM');
    const exit = await withDeadline(server.exited, 5_000, 'exit after the second signal');
    expect(exit.code).toBe(1);
    expect(exit.at - secondAt).toBeLessThan(1_500);
    expect(server.otherStderr).toContain('dualchat server: SIGTERM again, stopping now');
    stubborn.socket.destroy();
  });
});

describe('shutdownOnSignal', () => {
  const silent = pino({ level: 'silent' });

  function harness(close: () => Promise<void>, deadlineMs: number) {
    const said: string[] = [];
    let resolveExit: (code: number) => void = () => {};
    const exited = new Promise<number>((resolve) => (resolveExit = resolve));
    const codes: number[] = [];
    const handler = shutdownOnSignal({
      close,
      logger: silent,
      deadlineMs,
      exit: (code) => {
        codes.push(code);
        resolveExit(code);
      },
      say: (line) => said.push(line),
    });
    return { handler, said, exited, codes };
  }

  it('exits 0 once the graceful stop is done', async () => {
    const h = harness(() => Promise.resolve(), 5_000);
    h.handler('SIGINT');
    expect(await withDeadline(h.exited, 2_000, 'exit')).toBe(0);
    expect(h.said).toEqual([]);
  });

  it('exits 1 with a line when the stop hangs past the deadline', async () => {
    const h = harness(() => new Promise<void>(() => {}), 50);
    h.handler('SIGTERM');
    expect(await withDeadline(h.exited, 2_000, 'exit at the deadline')).toBe(1);
    expect(h.said).toEqual(['shutdown did not finish within 50 ms; exiting anyway']);
  });

  it('exits 1 when the stop fails, and at once on a second signal', async () => {
    const failing = harness(() => Promise.reject(new Error('disk gone')), 5_000);
    failing.handler('SIGINT');
    expect(await withDeadline(failing.exited, 2_000, 'exit on failure')).toBe(1);
    expect(failing.said).toEqual(['error while shutting down: disk gone']);

    const hanging = harness(() => new Promise<void>(() => {}), 5_000);
    hanging.handler('SIGINT');
    hanging.handler('SIGINT');
    expect(hanging.codes).toEqual([1]);
    expect(hanging.said).toEqual(['SIGINT again, stopping now']);
  });
});
