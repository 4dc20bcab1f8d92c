// TLS clients (`dualchat client --tls --ca …`) with sealed datagrams through the impairment proxy at 10 %
// loss both ways: chat arrives exactly once and in order, at a TLS client and at a plain one in the same
// room, and a download and an upload arrive intact — the file plane rides the same sealing.
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningProxy } from '../../src/udp/proxy.ts';
import type { ClientProcess } from './client-helpers.ts';
import { fileClient, fileEvent, fileServer, MIB, randomFile, sha256, sha256File, tempDir, type FileServer } from './files-helpers.ts';
import { connectedClient } from './helpers.ts';
import { testCertificate } from './tls-helpers.ts';
import { is, proxyTo, textsFrom } from './udp-helpers.ts';

const LINES = 300;
const FILE = randomFile(4 * MIB);
/** Within the server's default upload limit (3 MiB) and types. */
const UPLOAD = randomFile(2 * MIB);
const DEADLINE_MS = 30_000;

let srv: FileServer;
let proxy: RunningProxy;
let home: { dir: string; remove: () => Promise<void> };
let tlsArgs: string[];
const clients: ClientProcess[] = [];

beforeAll(async () => {
  const pair = await testCertificate();
  srv = await fileServer({ 'movie.bin': FILE }, { rateLimit: 0, tls: pair, tlsPort: 0 });
  proxy = await proxyTo(srv.server.udpPort, { loss: 0.1, delayMs: 1, jitterMs: 1 }, 'tls-lossy');
  home = await tempDir('tls-lossy');
  const ca = path.join(home.dir, 'ca.pem');
  await writeFile(ca, pair.cert);
  tlsArgs = ['--tcp', String(srv.server.tlsPort), '--ca', ca, '--udp-via', `127.0.0.1:${proxy.port}`];
});
afterAll(async () => {
  for (const c of clients) c.kill();
  await Promise.all(clients.map((c) => c.exited));
  await proxy.close();
  await srv.close();
  await home.remove();
});

async function tlsClient(name: string): Promise<ClientProcess> {
  const { client } = await fileClient(srv.port, name, home.dir, tlsArgs);
  clients.push(client);
  return client;
}

describe('TLS and sealed datagrams through 10 % loss', () => {
  it(`${LINES} chat lines arrive exactly once, in order, at a TLS client and a plain one`, { timeout: 60_000 }, async () => {
    const plain = await connectedClient(srv.port, 'plainone');
    const [sender, receiver] = await Promise.all([tlsClient('sender'), tlsClient('receiver')]);
    const expected = Array.from({ length: LINES }, (_, i) => `sealed line ${String(i).padStart(3, '0')}`);
    sender.send(...expected);
    await receiver.waitFor(is('message', { from: 'sender', text: expected.at(-1) }), 'the last line at the receiver', DEADLINE_MS);
    await plain.waitFor(
      () => plain.replies.filter((r) => r.kind === 'message' && r.from === 'sender').length >= LINES,
      'every line at the plain client',
      DEADLINE_MS,
    );
    expect(textsFrom(receiver, 'sender')).toEqual(expected);
    expect(plain.replies.flatMap((r) => (r.kind === 'message' && r.from === 'sender' ? [r.text] : []))).toEqual(expected);
    expect(receiver.events.filter((e) => e.type === 'message').every((e) => e.transport === 'udp')).toBe(true);
    const c = proxy.counters();
    // The proxy really dropped (the count varies with how many datagrams the lines took).
    const dropped = c.forward.dropped.loss + c.reverse.dropped.loss;
    expect(dropped).toBeGreaterThan(0);
    expect(dropped / (c.forward.sent + c.reverse.sent + dropped)).toBeGreaterThan(0.02);
    receiver.send('/status');
    expect(await receiver.waitFor(is('status'), '/status')).toMatchObject({ encrypted: true, verified: true, transport: 'udp' });
    expect(srv.server.stats().udp.sealed).toBeGreaterThanOrEqual(2);
    plain.destroy();
  });

  it('a 4 MiB download arrives intact over the sealed bulk channel', { timeout: 60_000 }, async () => {
    const { client, downloads } = await fileClient(srv.port, 'fetcher', home.dir, tlsArgs);
    clients.push(client);
    client.send('/download movie.bin');
    await client.waitFor(fileEvent('saved', 'movie.bin'), 'movie.bin saved', DEADLINE_MS);
    expect(await sha256File(path.join(downloads, 'movie.bin'))).toBe(sha256(FILE));
    expect(client.events.filter((e) => e.type === 'transport')).toHaveLength(1);
  });

  it('a 2 MiB upload is stored intact over the sealed bulk channel', { timeout: 60_000 }, async () => {
    const local = path.join(home.dir, 'report.pdf');
    await writeFile(local, UPLOAD);
    const { client } = await fileClient(srv.port, 'uploader', home.dir, tlsArgs);
    clients.push(client);
    client.send(`/upload ${local}`);
    const stored = await client.waitFor(fileEvent('stored', 'report.pdf'), 'report.pdf stored', DEADLINE_MS);
    expect(await sha256File(path.join(srv.filesDir, String(stored.storedAs)))).toBe(sha256(UPLOAD));
    expect(client.events.filter((e) => e.type === 'transport')).toHaveLength(1);
  });
});
