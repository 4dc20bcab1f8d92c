// The worker processes of the real-socket suites, end to end on 127.0.0.1 with port 0 (and, for the
// udx relay whose ports are fixed, inside a network namespace of the test's own when root is
// available): the JSON-line protocol, the forwarder's framing, the fanout clients' phases (closed loop
// and paced) and accounting for every server (ngircd when it is installed), and the chat-latency
// clients for every transport — with workloads small enough for seconds.
import net from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { asFanoutPhase, asFanoutResult, type FanoutMode, type FanoutParams, type FanoutPhase } from '../../bench/lib/fanout-protocol.ts';
import { LatencyHistogram } from '../../bench/lib/histogram.ts';
import { netnsUnavailable, withNetns } from '../../bench/lib/netns.ts';
import { Ngircd, ngircdUnavailable } from '../../bench/lib/ngircd.ts';
import { asChatPairsResult, type ChatPairMode, type ChatPairsParams } from '../../bench/lib/pairs-protocol.ts';
import { processCpuMs } from '../../bench/lib/process-cpu.ts';
import { stopAll, Worker } from '../../bench/lib/worker.ts';

const WAIT_MS = 20_000;
const why = await netnsUnavailable({ needNft: true });
const noNgircd = ngircdUnavailable();
const filesDir = mkdtempSync(join(tmpdir(), 'dualchat-bench-test-'));
const started: Worker[] = [];

function start(script: string, params: object, opts: Parameters<typeof Worker.start>[2] = {}): Worker {
  const w = Worker.start(script, [JSON.stringify(params)], opts);
  started.push(w);
  return w;
}

async function chatServer(extra: { ircPort?: number } = {}): Promise<{ server: Worker; tcpPort: number; ircPort: number }> {
  const server = start('chat-server', { host: '127.0.0.1', tcpPort: 0, udpPort: 0, roomCapacity: 50, rateLimit: 0, maxConnectionsPerAddress: 64, filesDir, ...extra });
  const ready = await server.next((m) => m.type === 'ready', 'ready', WAIT_MS);
  return { server, tcpPort: Number(ready['tcpPort']), ircPort: Number(ready['ircPort']) };
}

afterAll(async () => {
  await stopAll(started);
  rmSync(filesDir, { recursive: true, force: true });
});

/** Lines read from a socket until `count` have arrived (bounded by WAIT_MS). */
function readLines(socket: net.Socket, count: number): Promise<string[]> {
  return new Promise((resolve, reject) => {
    let text = '';
    const timer = setTimeout(() => reject(new Error(`only ${JSON.stringify(text)} within ${WAIT_MS} ms`)), WAIT_MS);
    socket.setEncoding('utf8').on('data', (d: string) => {
      text += d;
      const lines = text.split('\n').slice(0, -1);
      if (lines.length >= count) {
        clearTimeout(timer);
        resolve(lines);
      }
    });
  });
}

describe('worker processes', () => {
  it('a worker with bad parameters reports what is wrong, and fails the wait', async () => {
    const w = start('tcp-forwarder', { host: '127.0.0.1', port: -1 });
    await expect(w.next((m) => m.type === 'ready', 'ready', WAIT_MS)).rejects.toThrow(/port must be a whole number from 0 to 65535 \(got -1\)/);
    await w.waitExit();
    expect(w.ended).toBe(true);
  });

  it('the forwarder sends every complete line to every client, the sender too, and reports its CPU time', async () => {
    const fwd = start('tcp-forwarder', { host: '127.0.0.1', port: 0 });
    const ready = await fwd.next((m) => m.type === 'ready', 'ready', WAIT_MS);
    const port = Number(ready['tcpPort']);
    const connect = (): Promise<net.Socket> =>
      new Promise((resolve, reject) => {
        const s = net.connect({ host: '127.0.0.1', port }, () => resolve(s));
        s.once('error', reject);
      });
    const [a, b] = await Promise.all([connect(), connect()]);
    const gotA = readLines(a, 3);
    const gotB = readLines(b, 3);
    a.write('one\ntw');
    // Both connections must be registered before the rest: wait for the first line to come back.
    await new Promise<void>((resolve) => a.once('data', () => resolve()));
    a.write('o\nthree\n');
    expect(await gotA).toEqual(['one', 'two', 'three']);
    expect(await gotB).toEqual(['one', 'two', 'three']);
    fwd.send({ type: 'cpu' });
    const cpu = await fwd.next((m) => m.type === 'cpu', 'cpu', WAIT_MS);
    expect(Number(cpu['userMs'])).toBeGreaterThan(0);
    a.destroy();
    b.destroy();
    await fwd.stop();
    expect(fwd.ended).toBe(true);
  });
});

describe('fanout clients', () => {
  type Result = ReturnType<typeof asFanoutResult>;
  /** Each phase a closed loop (window 2) and a paced run (50 lines/s): the same processes, one after the other. */
  const PHASES: FanoutPhase[] = [
    { lines: 5, load: { kind: 'closed', window: 2 } },
    { lines: 5, load: { kind: 'paced', linesPerSecond: 50 } },
  ];

  async function fanout(mode: FanoutMode, port: number, processes: number, perProcess: number): Promise<Result[][]> {
    const total = processes * perProcess;
    const workers = Array.from({ length: processes }, (_, p) => {
      const params: FanoutParams = { mode, host: '127.0.0.1', port, first: p * perProcess, count: perProcess, total, bytes: 60, room: 'bench', stallMs: 10_000 };
      return start('fanout-clients', params);
    });
    for (const w of workers) expect((await w.next((m) => m.type === 'ready', 'ready', WAIT_MS))['clients']).toBe(perProcess);
    const phases: Result[][] = [];
    for (const phase of PHASES) {
      for (const w of workers) w.send({ type: 'arm', ...phase });
      for (const w of workers) await w.next((m) => m.type === 'armed', 'armed', WAIT_MS);
      for (const w of workers) w.send({ type: 'go' });
      phases.push((await Promise.all(workers.map((w) => w.next((m) => m.type === 'result', 'result', WAIT_MS)))).map(asFanoutResult));
    }
    return phases;
  }

  function check(phases: Result[][], total: number): void {
    expect(phases).toHaveLength(PHASES.length);
    phases.forEach((results, i) => {
      const lines = (PHASES[i] as FanoutPhase).lines;
      for (const r of results) {
        expect(r).toMatchObject({ duplicates: 0, outOfOrder: 0, stalled: false, fellBack: 0, gaps: [], errors: [] });
        expect(r.deliveries).toBe(r.expected);
        const perProcess = r.expected / (total - 1) / lines;
        const h = LatencyHistogram.fromJSON(r.latency) as LatencyHistogram;
        // Latency is measured for the senders in the same process, to every member but the sender: perProcess × (perProcess − 1) × lines deliveries.
        expect(h.count).toBe(perProcess * (perProcess - 1) * lines);
        expect(r.lastSentMs).toBeGreaterThanOrEqual(0);
        if (PHASES[i]?.load.kind === 'closed') expect(r.paceLateMs).toBe(0);
      }
      // Every line reaches every member other than its sender (the forwarder's and dualchat's echo to the sender is not counted).
      expect(results.reduce((s, r) => s + r.deliveries, 0)).toBe(total * (total - 1) * lines);
    });
    // Paced: 5 lines at 50/s take at least 4 periods (80 ms) to hand over.
    for (const r of phases[1] ?? []) expect(r.lastSentMs).toBeGreaterThanOrEqual(4 * 20 - 1);
  }

  it('through the forwarder: every line to every other client once, in order', { timeout: 60_000 }, async () => {
    const fwd = start('tcp-forwarder', { host: '127.0.0.1', port: 0 });
    const port = Number((await fwd.next((m) => m.type === 'ready', 'ready', WAIT_MS))['tcpPort']);
    check(await fanout('forwarder', port, 1, 3), 3);
  });

  it('through dualchat, over TCP and over UDP, from two processes into one room', { timeout: 60_000 }, async () => {
    const { tcpPort } = await chatServer();
    check(await fanout('dualchat-tcp', tcpPort, 2, 2), 4);
    const second = await chatServer();
    check(await fanout('dualchat-udp', second.tcpPort, 2, 2), 4);
  });

  it("through dualchat's IRC door, from two processes into one channel", { timeout: 60_000 }, async () => {
    const { ircPort } = await chatServer({ ircPort: 0 });
    check(await fanout('dualchat-irc', ircPort, 2, 3), 6);
  });

  it.skipIf(noNgircd !== undefined)(`through ngircd over IRC (no echo to the sender), from two processes into one channel${noNgircd === undefined ? '' : ` — SKIPPED: ${noNgircd}`}`, { timeout: 60_000 }, async () => {
    const irc = await Ngircd.start({ host: '127.0.0.1', startTimeoutMs: WAIT_MS });
    try {
      check(await fanout('irc', irc.port, 2, 3), 6);
      // Its CPU time is read from /proc, as the suite does for every server.
      expect(processCpuMs(irc.pid)).toBeGreaterThanOrEqual(0);
    } finally {
      await irc.stop();
    }
    expect(irc.ended).toBe(true);
  });

  it('a bad phase is refused with what is wrong', () => {
    expect(asFanoutPhase({ lines: 0, load: { kind: 'closed', window: 1 } })).toMatch(/lines must be/);
    expect(asFanoutPhase({ lines: 1, load: { kind: 'closed', window: 0 } })).toMatch(/window must be/);
    expect(asFanoutPhase({ lines: 1, load: { kind: 'paced', linesPerSecond: -1 } })).toMatch(/linesPerSecond must be/);
    expect(asFanoutPhase({ lines: 1, load: { kind: 'open' } })).toMatch(/load.kind must be/);
    expect(asFanoutPhase({ lines: 3, load: { kind: 'paced', linesPerSecond: 20 } })).toEqual({ lines: 3, load: { kind: 'paced', linesPerSecond: 20 } });
  });
});

describe('chat-latency clients', () => {
  const work = { denseLines: 20, denseRate: 200, sparsePairs: 2, sparseLines: 2, sparseRate: 20, bytes: 100, drainMs: 10_000 };

  async function pairs(mode: ChatPairMode, port: number, opts: Parameters<typeof Worker.start>[2] = {}): Promise<ReturnType<typeof asChatPairsResult>> {
    const params: ChatPairsParams = { mode, host: '127.0.0.1', port, udxBasePort: 7200, ...work };
    const w = start('chat-pairs', params, opts);
    await w.next((m) => m.type === 'ready', 'ready', WAIT_MS);
    w.send({ type: 'go' });
    return asChatPairsResult(await w.next((m) => m.type === 'result', 'result', WAIT_MS));
  }

  function check(r: ReturnType<typeof asChatPairsResult>): void {
    expect(r.dense).toMatchObject({ sent: 20, delivered: 20, lost: 0, duplicates: 0, outOfOrder: 0, unknown: 0 });
    expect(r.sparse).toMatchObject({ sent: 4, delivered: 4, lost: 0, duplicates: 0, outOfOrder: 0 });
    expect(r.dense.latencies.every((l) => l !== null && l >= 0)).toBe(true);
    expect(r.fellBack).toBe(0);
  }

  it.each(['dualchat-tcp', 'dualchat-udp'] as const)('%s: every line relayed once, in order, with its latency', { timeout: 60_000 }, async (mode) => {
    const { tcpPort } = await chatServer();
    const r = await pairs(mode, tcpPort);
    check(r);
    expect(r.denseEcho).toMatchObject({ sent: 20, delivered: 20 });
    if (mode === 'dualchat-udp') expect(r.engine?.packetsSent).toBeGreaterThan(0);
    else expect(r.engine).toBeNull();
  });

  it.skipIf(why !== undefined)(`udx: every line through the relay under 10% kernel loss${why === undefined ? '' : ` — SKIPPED: ${why}`}`, { timeout: 60_000 }, async () => {
    await withNetns({ mtu: 1500 }, async (ns) => {
      const relay = start('udx-relay', { host: '127.0.0.1', port: 7100, basePort: 7200, pairs: 3 }, { netns: ns });
      await relay.next((m) => m.type === 'ready', 'ready', WAIT_MS);
      await ns.setDrop([{ protocol: 'udp', ports: [7100], percent: 10 }]);
      const r = await pairs('udx', 7100, { netns: ns });
      check(r);
      expect(r.denseEcho).toBeNull();
      await relay.stop();
    });
  });
});
