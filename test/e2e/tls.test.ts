// TLS on the control plane and sealed datagrams, over real sockets on 127.0.0.1: plain and TLS clients in
// one room; what an observer of the UDP port sees (no chat text, where a plain session shows it all);
// a tampered datagram dropped and counted; replays refused; the refusals (wrong CA, --require-tls, the
// address limit) worded clearly and, on a TLS port, sent through TLS.
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseReply } from '../../src/commands/grammar.ts';
import { certificateNames, selfSignedCertificate } from '../../src/server/certificate.ts';
import { crc32 } from '../../src/wire/crc32.ts';
import { spawnClient } from './client-helpers.ts';
import { connectedClient, rawClient, startTestServer, type TestServer } from './helpers.ts';
import { DEADLINE_MS, eventually, planeTexts, sealedPlane, tap, testCertificate, tlsSession, type Tap } from './tls-helpers.ts';
import { offerOf, planeFor } from './udp-helpers.ts';

let ts: TestServer;
let cert: string;
const cleanups: Array<() => unknown> = [];

beforeAll(async () => {
  const pair = await testCertificate();
  cert = pair.cert;
  ts = await startTestServer({ rateLimit: 0, tls: pair, tlsPort: 0, operatorLocal: true });
});
afterAll(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
  await ts.close();
});

async function newTap(): Promise<Tap> {
  const t = await tap(ts.server.udpPort);
  cleanups.push(() => t.close());
  return t;
}

const DATA = 1;

/** A plain TCP watcher and a TLS session `name` whose sealed data plane goes through a tap of its own. */
async function sealedMember(name: string) {
  const watcher = await connectedClient(ts.port, `${name}watch`);
  cleanups.push(() => watcher.destroy());
  const session = await tlsSession(ts.server.tlsPort!, cert, name);
  cleanups.push(() => session.close());
  const path = await newTap();
  const { plane, events } = await sealedPlane(session, path.port);
  cleanups.push(() => plane.close());
  return { watcher, session, path, plane, events };
}

describe('sealed datagrams, seen from the path', () => {
  it('plain and TLS clients share a room; the TLS session’s datagrams carry none of the chat, a plain one’s carry it all', { timeout: 30_000 }, async () => {
    const { watcher, session: alice, path: seen, plane, events } = await sealedMember('alice');

    const lines = Array.from({ length: 30 }, (_, i) => `the secret word is platypus-${i}`);
    for (const line of lines) expect(plane.send(`<set_msg_all>${line}`)).toBe(true);
    await watcher.expectReply((r) => r.kind === 'message' && r.text === lines.at(-1), 'the last line at the plain client', DEADLINE_MS);
    expect(watcher.replies.flatMap((r) => (r.kind === 'message' && r.from === 'alice' ? [r.text] : []))).toEqual(lines);
    watcher.send('<set_msg_all>from the plain side: kangaroo\n');
    await eventually(() => planeTexts(events).includes('from the plain side: kangaroo'), 'the plain line at alice over UDP');

    alice.send('<stats>');
    await alice.waitReply((r) => r.kind === 'system' && r.text.includes('sealed=1'), 'stats counting one sealed session');

    // Every datagram either way: none holds a chat line or a piece of one.
    expect(seen.toServer.filter((b) => b[1] === DATA).length).toBeGreaterThan(2);
    for (const bytes of [...seen.toServer, ...seen.toClient]) {
      expect(bytes.includes('platypus')).toBe(false);
      expect(bytes.includes('kangaroo')).toBe(false);
      expect(bytes.includes('secret word')).toBe(false);
    }

    // The same observer on a plain session reads the chat: the check above can fail.
    const bob = await connectedClient(ts.port, 'plainbob');
    cleanups.push(() => bob.destroy());
    const plainTap = await newTap();
    const bobPlane = await planeFor(await offerOf(bob), plainTap.port);
    cleanups.push(() => bobPlane.plane.close());
    await bobPlane.waitEvent((e) => e.type === 'bound', 'bob bound');
    bobPlane.plane.send('<set_msg_all>the secret word is wombat');
    await watcher.expectReply((r) => r.kind === 'message' && r.text === 'the secret word is wombat', 'bob’s line', DEADLINE_MS);
    expect(plainTap.toServer.some((b) => b.includes('wombat'))).toBe(true);
  });

  it('a datagram with one bit flipped (and its CRC recomputed) is dropped and counted; the line arrives once', { timeout: 30_000 }, async () => {
    const { watcher, path, plane } = await sealedMember('carol');

    const before = ts.server.stats().udp.rejected['auth-failed'];
    let flipped = 0;
    path.alterToServer = (bytes) => {
      if (flipped >= 3 || bytes[1] !== DATA || bytes.length < 40) return undefined;
      flipped++;
      const bad = Buffer.from(bytes);
      bad[20] = (bad[20] as number) ^ 0x04; // one bit of the encrypted frames
      // As an attacker who knows the plain format would: a valid CRC-32 over the rest in the last 4 bytes.
      bad.writeUInt32BE(crc32(bad.subarray(0, bad.length - 4)), bad.length - 4);
      return bad;
    };
    plane.send('<set_msg_all>tampered on the way, delivered all the same');
    await watcher.expectReply((r) => r.kind === 'message' && r.text === 'tampered on the way, delivered all the same', 'the line', DEADLINE_MS);
    expect(flipped).toBeGreaterThan(0);
    await eventually(() => ts.server.stats().udp.rejected['auth-failed'] - before >= flipped, 'every tampered datagram counted');
    const copies = watcher.replies.filter((r) => r.kind === 'message' && r.text === 'tampered on the way, delivered all the same');
    expect(copies).toHaveLength(1);
  });

  it('replayed datagrams are refused: data by the engine’s window, control datagrams by their sequence', { timeout: 30_000 }, async () => {
    const { watcher, path, plane } = await sealedMember('dave');

    const lines = Array.from({ length: 10 }, (_, i) => `replay me ${i}`);
    for (const line of lines) plane.send(`<set_msg_all>${line}`);
    await watcher.expectReply((r) => r.kind === 'message' && r.text === lines.at(-1), 'the lines', DEADLINE_MS);
    // Let the acknowledgements settle, so the server's engine has forgotten the ranges it reported.
    await eventually(() => plane.engineStats()?.bytesInFlight === 0, 'dave’s engine idle');

    const stats = ts.server.stats().udp;
    const datagramsBefore = stats.datagramsReceived;
    const linesBefore = stats.chatLinesIn;
    const recorded = path.toServer.filter((b) => b[1] === DATA);
    for (const bytes of recorded) path.injectToServer(bytes);
    await eventually(() => ts.server.stats().udp.datagramsReceived - datagramsBefore >= recorded.length, 'the replayed datagrams received');
    expect(ts.server.stats().udp.chatLinesIn).toBe(linesBefore);
    expect(watcher.replies.filter((r) => r.kind === 'message' && r.from === 'dave').map((r) => (r.kind === 'message' ? r.text : ''))).toEqual(lines);

    // The server's helloOk again: authentic, but seen before.
    const helloOk = path.toClient.find((b) => b[1] === 3);
    expect(helloOk).toBeDefined();
    path.injectToClient(helloOk!);
    await eventually(() => plane.rejectedDatagrams.replayed >= 1, 'the replayed helloOk refused');
    expect(plane.state).toBe('bound');
  });
});

describe('refusals', () => {
  it('a client without the right CA is refused with a clear message (no CA; another CA)', { timeout: 30_000 }, async () => {
    const other = await selfSignedCertificate(certificateNames(undefined), new Date());
    const { writeFile, mkdtemp, rm } = await import('node:fs/promises');
    const os = await import('node:os');
    const dir = await mkdtemp(`${os.tmpdir()}/dualchat-ca-`);
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    await writeFile(`${dir}/other.pem`, other.cert);
    for (const extra of [[], ['--ca', `${dir}/other.pem`]]) {
      const c = spawnClient(['--tcp', String(ts.server.tlsPort), '--name', 'eve', '--json', '--tls', ...extra]);
      cleanups.push(() => c.kill());
      const exit = await c.waitExit();
      expect(exit.code).toBe(1);
      expect(c.stderr()).toMatch(/TLS certificate of 127\.0\.0\.1:\d+ is not trusted .*--ca FILE/);
    }
    // The right CA: welcomed, and /status says the session is encrypted.
    await writeFile(`${dir}/right.pem`, cert);
    const ok = spawnClient(['--tcp', String(ts.server.tlsPort), '--name', 'frank', '--json', '--ca', `${dir}/right.pem`]);
    cleanups.push(() => ok.kill());
    await ok.waitFor((e) => e.type === 'transport' && e.transport === 'udp', 'frank bound over UDP');
    ok.send('/status');
    const status = await ok.waitFor((e) => e.type === 'status', '/status');
    expect(status).toMatchObject({ encrypted: true, verified: true, transport: 'udp' });
    ok.end();
    expect((await ok.waitExit()).code).toBe(0);
  });

  it('a plain client on a TLS port is told so in a plain line (dualchat or raw, as the Python clients)', { timeout: 20_000 }, async () => {
    const c = spawnClient(['--tcp', String(ts.server.tlsPort), '--name', 'plainguy', '--json']);
    cleanups.push(() => c.kill());
    expect((await c.waitExit()).code).toBe(1);
    expect(c.stderr()).toContain('this port speaks TLS: connect with TLS');
    const raw = await rawClient(ts.server.tlsPort!);
    cleanups.push(() => raw.destroy());
    raw.send('<connect>pyclient');
    const refusal = await raw.expectReply((r) => r.kind === 'error', 'the plain refusal', DEADLINE_MS);
    expect(refusal).toMatchObject({ kind: 'error', code: 'refused' });
  });

  it('--require-tls: the plain port says where TLS is and closes', async () => {
    const pair = await testCertificate();
    const strict = await startTestServer({ tls: pair, tlsPort: 0, requireTls: true });
    cleanups.push(() => strict.close());
    const plain = await rawClient(strict.port);
    cleanups.push(() => plain.destroy());
    const refusal = await plain.expectReply((r) => r.kind === 'error', 'the refusal', DEADLINE_MS);
    expect(refusal).toMatchObject({ kind: 'error', code: 'refused' });
    expect(refusal.kind === 'error' && refusal.message).toContain(`requires TLS: connect to port ${strict.server.tlsPort}`);
  });

  it('over the address limit on a TLS port, the refusal line arrives through TLS', async () => {
    const pair = await testCertificate();
    const small = await startTestServer({ tls: pair, maxConnectionsPerAddress: 1 });
    cleanups.push(() => small.close());
    expect(small.server.tlsPort).toBe(small.port);
    const first = await tlsSession(small.port, cert, 'gina');
    cleanups.push(() => first.close());
    const second = tls.connect({ host: '127.0.0.1', port: small.port, ca: cert });
    cleanups.push(() => second.destroy());
    second.on('error', () => {});
    const text = await new Promise<string>((resolve, reject) => {
      let got = '';
      second.on('data', (d: Buffer) => (got += d.toString('utf8')));
      second.on('end', () => resolve(got));
      setTimeout(() => reject(new Error(`no refusal within ${DEADLINE_MS} ms (got ${JSON.stringify(got)})`)), DEADLINE_MS).unref();
    });
    const parsed = parseReply(text.trim());
    expect(parsed.ok && parsed.value).toMatchObject({ kind: 'error', code: 'refused' });
    expect(text).toContain('too many connections');
  });
});
