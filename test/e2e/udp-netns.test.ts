// Real kernel packet loss, no proxy: a network namespace made for this test, nftables dropping 15% of the
// server's UDP datagrams at random on the input hook (both directions: to its port and from it), and the
// server and two clients run inside it. Needs root, `ip` and `nft` (`.ci/run` installs nftables);
// skipped with the reason otherwise.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnClient, type ClientProcess } from './client-helpers.ts';
import { is, textsFrom } from './udp-helpers.ts';

const BIN = fileURLToPath(new URL('../../bin/dualchat.js', import.meta.url));
const NS = `dualchat-test-${process.pid}`;
const DROP_PERCENT = 15;
const LINES = 1000;
/** Every setup command gets this long; the namespace is tiny. */
const COMMAND_TIMEOUT_MS = 5_000;

function run(args: string[]): { ok: boolean; out: string } {
  const r = spawnSync(args[0]!, args.slice(1), { encoding: 'utf8', timeout: COMMAND_TIMEOUT_MS });
  return { ok: r.status === 0, out: `${r.stdout ?? ''}${r.stderr ?? ''}${r.error?.message ?? ''}` };
}

/** Why the test cannot run here, or undefined when it can (probed with a throw-away namespace). */
function whyNot(): string | undefined {
  if (process.platform !== 'linux') return 'network namespaces are Linux-only';
  if (process.getuid?.() !== 0) return 'needs root (network namespaces and nftables)';
  if (!run(['ip', '-V']).ok) return 'the `ip` command (iproute2) is not installed';
  if (!run(['nft', '--version']).ok) return 'the `nft` command (nftables) is not installed';
  const probe = `${NS}-probe`;
  const made = run(['ip', 'netns', 'add', probe]);
  if (!made.ok) return `cannot create a network namespace: ${made.out.trim()}`;
  const table = run(['ip', 'netns', 'exec', probe, 'nft', 'add', 'table', 'inet', 'probe']);
  run(['ip', 'netns', 'del', probe]);
  if (!table.ok) return `nftables does not work in a namespace here: ${table.out.trim()}`;
  return undefined;
}

const skipReason = whyNot();
const TITLE = skipReason === undefined
  ? `kernel packet loss in a network namespace (nftables, ${DROP_PERCENT}% of UDP dropped)`
  : `kernel packet loss in a network namespace — SKIPPED: ${skipReason}`;

let server: ChildProcess | undefined;
let filesDir = '';
const children: ClientProcess[] = [];

/** Starts `dualchat server` inside the namespace; resolves with its ports from the "listening" log line. */
/** The server's log so far (JSON lines on its stderr), for the failure messages. */
let serverLog = '';

function startServerInNs(): Promise<{ tcp: number; udp: number }> {
  const child = spawn(
    'ip',
    ['netns', 'exec', NS, process.execPath, BIN, 'server', '--host', '127.0.0.1', '--tcp', '0', '--udp', '0', '--files', filesDir, '--rate-limit', '0', '--db', ':memory:'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  server = child;
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`no "listening" line within 10 s; stdout: ${out}; stderr: ${serverLog}`)), 10_000);
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    // The log (JSON lines) goes to stderr.
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      serverLog += d;
      for (const line of serverLog.split('\n').slice(0, -1)) {
        if (!line.includes('"listening"')) continue;
        const record = JSON.parse(line) as { tcp: number; udp: number };
        clearTimeout(timer);
        resolve({ tcp: record.tcp, udp: record.udp });
        return;
      }
    });
    child.on('exit', (code) => reject(new Error(`server exited (${code}) before listening; stderr: ${serverLog}`)));
  });
}

function nsClient(name: string, tcpPort: number): ClientProcess {
  const c = spawnClient(['--tcp', String(tcpPort), '--name', name, '--json'], {}, ['ip', 'netns', 'exec', NS]);
  children.push(c);
  return c;
}

/** Packets the drop rules counted (both rules). */
function droppedByKernel(): number {
  const listed = run(['ip', 'netns', 'exec', NS, 'nft', 'list', 'table', 'inet', 'sim']);
  return [...listed.out.matchAll(/counter packets (\d+)/g)].reduce((sum, m) => sum + Number(m[1]), 0);
}

describe.skipIf(skipReason !== undefined)(TITLE, () => {
  let ports: { tcp: number; udp: number };

  beforeAll(async () => {
    filesDir = await mkdtemp(path.join(os.tmpdir(), 'dualchat-netns-'));
    for (const args of [
      ['ip', 'netns', 'add', NS],
      ['ip', 'netns', 'exec', NS, 'ip', 'link', 'set', 'lo', 'up'],
      ['ip', 'netns', 'exec', NS, 'nft', 'add', 'table', 'inet', 'sim'],
      ['ip', 'netns', 'exec', NS, 'nft', 'add', 'chain', 'inet', 'sim', 'in', '{ type filter hook input priority 0; }'],
    ]) {
      const r = run(args);
      if (!r.ok) throw new Error(`${args.join(' ')}: ${r.out}`);
    }
    ports = await startServerInNs();
    // Dropping on output would make send() fail with EPERM; on input the datagram just vanishes.
    for (const match of [['dport'], ['sport']]) {
      const rule = ['udp', ...match, String(ports.udp), 'numgen', 'random', 'mod', '100', '<', String(DROP_PERCENT), 'counter', 'drop'];
      const r = run(['ip', 'netns', 'exec', NS, 'nft', 'add', 'rule', 'inet', 'sim', 'in', ...rule]);
      if (!r.ok) throw new Error(`nft add rule: ${r.out}`);
    }
  }, 20_000);

  afterAll(async () => {
    for (const c of children) c.kill();
    await Promise.all(children.map((c) => Promise.race([c.exited, new Promise((r) => setTimeout(r, 3_000))])));
    if (server !== undefined && server.exitCode === null) {
      const exited = new Promise((r) => server?.once('exit', r));
      server.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 3_000))]);
      if (server.exitCode === null) server.kill('SIGKILL');
    }
    run(['ip', 'netns', 'del', NS]);
    await rm(filesDir, { recursive: true, force: true });
  }, 15_000);

  it(`${LINES} chat lines arrive exactly once and in order over UDP, with no proxy`, { timeout: 40_000 }, async () => {
    const [sender, receiver] = [nsClient('sender', ports.tcp), nsClient('receiver', ports.tcp)];
    await Promise.all([sender, receiver].map((c) => c.waitFor(is('transport', { transport: 'udp' }), 'bound over udp')));
    const expected = Array.from({ length: LINES }, (_, i) => `kernel line ${i}`);
    sender.send(...expected);
    receiver.send('and back');
    await receiver.waitFor(is('message', { from: 'sender', text: expected.at(-1) }), 'the last line', 25_000);
    await sender.waitFor(is('message', { from: 'receiver', text: 'and back' }), 'the reply', 25_000);
    await sender.waitFor(is('message', { from: 'sender', self: true, text: expected.at(-1) }), 'the last echo', 25_000);

    expect(textsFrom(receiver, 'sender')).toEqual(expected);
    expect(textsFrom(sender, 'sender')).toEqual(expected);
    for (const [name, c] of [['sender', sender], ['receiver', receiver]] as const) {
      // Said with what moved chat, if anything did: a failure here names the line and the reason.
      const fallbacks = serverLog.split('\n').filter((l) => l.includes('fallback')).join('\n');
      const transports = `${JSON.stringify(c.events.filter((e) => e.type === 'transport'))}; the server's fallback lines: ${fallbacks}`;
      const overTcp = c.events.filter((e) => e.type === 'message' && e.transport !== 'udp').map((e) => e.text);
      expect(overTcp.slice(0, 5), `${name}: lines over TCP (${overTcp.length}); transport events ${transports}`).toEqual([]);
      expect(c.events.filter((e) => e.type === 'transport'), `${name}: transport events ${transports}`).toHaveLength(1);
    }
    expect(droppedByKernel()).toBeGreaterThan(0);
  });
});
