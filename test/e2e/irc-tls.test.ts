// The IRC door over TLS (`--irc-tls`), over real sockets on 127.0.0.1: irc-framework over TLS chatting
// with a plain IRC client and a bracket user in one room; the certificate is the control plane's (a
// client trusting the test CA verifies it, one trusting nothing is refused); a plain IRC client on the TLS
// port is told in IRC's words and closed.
import { spawnSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveServerOptions } from '../../src/server/options.ts';
import { BIN, spawnServer } from './hardening-helpers.ts';
import { connectedClient, DEFAULT_WAIT_MS, rawClient, startTestServer, waitOn, type RawClient, type TestServer } from './helpers.ts';
import { ircClient, type IrcTestClient } from './irc-helpers.ts';
import { testCertificate } from './tls-helpers.ts';

let ts: TestServer;
let cert: string;
const irc: IrcTestClient[] = [];
const raw: RawClient[] = [];
const sockets: tls.TLSSocket[] = [];

beforeAll(async () => {
  const pair = await testCertificate();
  cert = pair.cert;
  ts = await startTestServer({ tls: pair, tlsPort: 0, ircPort: 0, ircTlsPort: 0, captureLogs: 'info' });
});
afterAll(async () => {
  for (const c of irc) c.close();
  for (const c of raw) c.destroy();
  for (const s of sockets) s.destroy();
  await ts.close();
});

/** A TLS connection to the IRC TLS port trusting `ca` (or nothing), with every line it reads. */
function tlsLines(ca: string | undefined): { socket: tls.TLSSocket; lines: string[]; secured: Promise<void>; waitLine(match: RegExp, what: string): Promise<string> } {
  const socket = tls.connect({ host: '127.0.0.1', port: ts.server.ircTlsPort!, ...(ca === undefined ? {} : { ca }) });
  sockets.push(socket);
  const lines: string[] = [];
  const waiters = new Set<() => void>();
  let partial = '';
  socket.setEncoding('utf8').on('data', (d: string) => {
    const parts = (partial + d).split('\r\n');
    partial = parts.pop() ?? '';
    lines.push(...parts);
    for (const w of [...waiters]) w();
  });
  const secured = new Promise<void>((resolve, reject) => {
    socket.once('secureConnect', resolve);
    socket.once('error', reject);
  });
  return {
    socket,
    lines,
    secured,
    waitLine: (match, what) => waitOn(waiters, () => lines.find((l) => match.test(l)), () => `${what}; lines:\n  ${lines.join('\n  ')}`, DEFAULT_WAIT_MS),
  };
}

describe('the IRC door over TLS', () => {
  it('listens on its own port beside the plain IRC port, and says so on the "listening" line', () => {
    const ports = [ts.server.tcpPort, ts.server.tlsPort, ts.server.ircPort, ts.server.ircTlsPort];
    expect(new Set(ports).size).toBe(4);
    expect(ts.logs.find((l) => l.msg === 'listening')).toMatchObject({ irc: ts.server.ircPort, ircTls: ts.server.ircTlsPort });
  });

  it('an IRC client over TLS chats with a plain IRC client and a bracket user in one room', async () => {
    const tina = await ircClient(ts.server.ircTlsPort!, 'tina', { tls: true });
    irc.push(tina);
    const paul = await ircClient(ts.server.ircPort!, 'paul');
    irc.push(paul);
    const bob = await connectedClient(ts.port, 'bob');
    raw.push(bob);
    await tina.waitLine(/^:tina!tina@dualchat JOIN #lobby$/, 'tina in the lobby');
    tina.client.say('#lobby', 'over tls, hello');
    await paul.waitLine(/^:tina!tina@dualchat PRIVMSG #lobby :over tls, hello$/, 'tina’s line at paul (plain IRC)');
    await bob.expectReply((r) => r.kind === 'message' && r.from === 'tina' && r.text === 'over tls, hello', 'tina’s line at bob (bracket)');
    bob.send('<set_msg_all>from the bracket side\n');
    paul.client.say('#lobby', 'from plain irc');
    await tina.waitLine(/^:bob!bob@dualchat PRIVMSG #lobby :from the bracket side$/, 'bob’s line at tina');
    await tina.waitLine(/^:paul!paul@dualchat PRIVMSG #lobby :from plain irc$/, 'paul’s line at tina');
  });

  it('presents the control plane’s certificate: verified with the test CA, refused without it', async () => {
    const trusted = tlsLines(cert);
    await trusted.secured;
    expect(trusted.socket.authorized).toBe(true);
    expect(trusted.socket.getPeerX509Certificate()?.fingerprint256).toBe(new X509Certificate(cert).fingerprint256);
    trusted.socket.write('NICK vera\r\nUSER vera 0 * :vera\r\n');
    await trusted.waitLine(/^:\S+ 001 vera /, 'the welcome over a verified connection');

    const untrusted = tlsLines(undefined);
    const refused = await untrusted.secured.then(
      () => 'connected',
      (error: NodeJS.ErrnoException) => error.code,
    );
    expect(refused).toBe('DEPTH_ZERO_SELF_SIGNED_CERT');
  });

  it('tells a plain IRC client on the TLS port, in IRC’s words, and closes', async () => {
    const plain = await rawClient(ts.server.ircTlsPort!);
    raw.push(plain);
    plain.socket.write('NICK plainpat\r\nUSER p 0 * :p\r\n');
    await plain.waitClosed();
    expect(plain.lines).toEqual([expect.stringMatching(/^ERROR :Closing Link: \* \(this port speaks TLS: connect with TLS .*\)\r?$/)]);
  });
});

describe('the IRC door’s per-address limit', () => {
  it('turns the connection over the limit away in IRC’s words, on the plain port and, through TLS, on the TLS port', async () => {
    const limited = await startTestServer({ tls: await testCertificate(), tlsPort: 0, ircPort: 0, ircTlsPort: 0, maxConnectionsPerAddress: 1 });
    const opened: Array<{ destroy(): void }> = [];
    try {
      const first = await rawClient(limited.server.ircPort!);
      opened.push(first);
      const second = await rawClient(limited.server.ircPort!);
      opened.push(second);
      await second.waitClosed();
      expect(second.lines).toEqual(['ERROR :Closing Link: * (too many connections from 127.0.0.1 (at most 1))\r']);

      const connect = (): Promise<{ socket: tls.TLSSocket; text: () => string; closed: Promise<void> }> =>
        new Promise((resolve, reject) => {
          const socket = tls.connect({ host: '127.0.0.1', port: limited.server.ircTlsPort!, ca: cert });
          opened.push(socket);
          let text = '';
          socket.setEncoding('utf8').on('data', (d: string) => (text += d));
          const closed = new Promise<void>((done) => socket.once('close', () => done()));
          socket.once('secureConnect', () => resolve({ socket, text: () => text, closed }));
          socket.once('error', reject);
        });
      await connect();
      const over = await connect();
      await over.closed;
      expect(over.text()).toBe('ERROR :Closing Link: * (too many connections from 127.0.0.1 (at most 1))\r\n');
    } finally {
      for (const c of opened) c.destroy();
      await limited.close();
    }
  });
});

describe('the IRC TLS port’s options', () => {
  it.each([
    [{ ircTlsPort: 6697 }, 'ircTlsPort needs a certificate and key (--tls-cert, --tls-key)'],
    [{ tls: { cert: 'c', key: 'k' }, ircTlsPort: -1 }, 'ircTlsPort: a port is a whole number from 0 to 65535 (0: any free port), got -1'],
    [{ tls: { cert: 'c', key: 'k' }, requireTls: true, ircPort: 6667 }, 'requireTls refuses plain connections: offer the IRC door with TLS (--irc-tls), not plain (--irc)'],
  ])('%o is refused', (options, message) => {
    expect(resolveServerOptions(options)).toEqual({ ok: false, message });
  });

  it('takes --irc-tls with TLS, and with --require-tls when the IRC door is TLS only', () => {
    const ok = resolveServerOptions({ tls: { cert: 'c', key: 'k' }, requireTls: true, ircTlsPort: 6697 });
    expect(ok.ok && ok.options.ircTlsPort).toBe(6697);
  });
});

describe('dualchat server --irc-tls', () => {
  it('opens the IRC door over TLS with the --tls-cert pair, and an IRC client over TLS registers there', { timeout: 30_000 }, async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'dualchat-irc-tls-'));
    const pair = await testCertificate();
    await writeFile(path.join(dir, 'cert.pem'), pair.cert);
    await writeFile(path.join(dir, 'key.pem'), pair.key);
    const server = await spawnServer(['--files', dir, '--tls-cert', path.join(dir, 'cert.pem'), '--tls-key', path.join(dir, 'key.pem'), '--irc-tls', '0']);
    try {
      const listening = server.logs.find((l) => l.msg === 'listening');
      const port = Number(listening?.['ircTls']);
      expect(port).toBeGreaterThan(0);
      expect(listening?.['irc']).toBeUndefined();
      const una = await ircClient(port, 'una', { tls: true });
      irc.push(una);
      await una.waitLine(/^:una!una@dualchat JOIN #lobby$/, 'una in the lobby');
    } finally {
      server.kill();
      await server.exited;
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('refuses --irc-tls without a certificate, in one line', () => {
    const run = spawnSync(process.execPath, [BIN, 'server', '--tcp', '0', '--udp', '0', '--db', ':memory:', '--irc-tls', '0'], { encoding: 'utf8', timeout: 20_000 });
    expect(run.status).toBe(1);
    expect(run.stderr.trim()).toBe('dualchat server: --tls-port, --irc-tls and --require-tls need --tls-cert and --tls-key');
  });
});
