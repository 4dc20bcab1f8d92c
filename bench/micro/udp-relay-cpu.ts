// CPU and datagrams per chat line relayed over UDP through a real server, process by process: the
// dualchat server in a process of its own (workers/chat-server.ts), the sending and the receiving client
// in another (workers/chat-pairs.ts, one dense pair: private lines sender → server → receiver, each also
// echoed to its sender), over loopback without loss. The figures, over the lines sent only (setup and
// sign-in excluded): the server's CPU per relayed line, the clients' CPU per line, and the datagrams per
// line per hop — every datagram the server received or sent, over lines × 3 hops (sender → server,
// server → receiver, server → sender's echo): data and ACKs, piggybacked or not (the ideal: one data and
// one ACK-only datagram per hop at most, 2.0; with the echo carrying the ACK of the line, 5/3).
//
// `--baseline DIR` runs the same from another checkout of dualchat, alternating round by round, so both
// see the same load; the medians, their ratio and the load average are printed. `--profile DIR` writes
// a V8 CPU profile of this checkout's server and client processes into DIR (`node --cpu-prof`; read the
// .cpuprofile files with bench/micro/cpu-profile-top.ts); that run comes first and counts in no median.
//
//   node --import tsx bench/micro/udp-relay-cpu.ts [--lines 2000] [--rate 100] [--rounds 3] [--baseline DIR] [--profile DIR]
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { countFlag, dirFlag } from '../lib/micro-flags.ts';
import { formatRatio, median, ratio } from '../lib/stats.ts';
import { Worker, stopAll } from '../lib/worker.ts';

/** Chat text size: a short line, as people type (the issue's figure). */
const LINE_BYTES = 100;
/** Server start, sign-in and UDP binding. */
const SETUP_TIMEOUT_MS = 30_000;
/** Waiting for the last arrivals after the last line was handed over. */
const DRAIN_MS = 10_000;
/** Hops a line makes: sender → server, server → receiver, server → sender (its echo). */
const HOPS_PER_LINE = 3;

const LINES = countFlag('lines', 2_000);
const RATE = countFlag('rate', 100);
const ROUNDS = countFlag('rounds', 3);
const BASELINE = dirFlag('baseline');
const PROFILE = dirFlag('profile');
const HERE = path.resolve(fileURLToPath(new URL('../..', import.meta.url)));

interface Sample {
  serverCpuPerLineMs: number;
  /** Of the server's CPU, the share spent in the kernel (its sends and receives). */
  serverSystemShare: number;
  clientCpuPerLineMs: number;
  datagramsPerLinePerHop: number;
  /** The clients' engines: packets sent per line (client → server). */
  clientPacketsPerLine: number;
  p50Ms: number;
  lost: number;
  fellBack: number;
}

interface ServerFigures {
  cpuMs: number;
  systemMs: number;
  datagrams: number;
}

async function serverFigures(server: Worker): Promise<ServerFigures> {
  server.send({ type: 'cpu' });
  const m = await server.next((x) => x.type === 'cpu', 'the server figures', SETUP_TIMEOUT_MS);
  const systemMs = Number(m['systemMs']);
  return { cpuMs: Number(m['userMs']) + systemMs, systemMs, datagrams: Number(m['udpIn']) + Number(m['udpOut']) };
}

async function runOnce(root: string, profileDir: string | undefined): Promise<Sample> {
  const filesDir = mkdtempSync(path.join(tmpdir(), 'dualchat-relay-'));
  const nodeFlags = profileDir === undefined ? [] : ['--cpu-prof', '--cpu-prof-dir', profileDir];
  const workers: Worker[] = [];
  try {
    const server = Worker.start('chat-server', [JSON.stringify({ host: '127.0.0.1', tcpPort: 0, udpPort: 0, roomCapacity: 100, rateLimit: 0, maxConnectionsPerAddress: 200, filesDir })], { root, nodeFlags });
    workers.push(server);
    const ready = await server.next((m) => m.type === 'ready', 'the server ready', SETUP_TIMEOUT_MS);
    const params = { mode: 'dualchat-udp', host: '127.0.0.1', port: Number(ready['tcpPort']), udxBasePort: 0, denseLines: LINES, denseRate: RATE, sparsePairs: 0, sparseLines: 0, sparseRate: 1, bytes: LINE_BYTES, drainMs: DRAIN_MS };
    const clients = Worker.start('chat-pairs', [JSON.stringify(params)], { root, nodeFlags });
    workers.push(clients);
    await clients.next((m) => m.type === 'ready', 'the clients ready', SETUP_TIMEOUT_MS);
    const before = await serverFigures(server);
    clients.send({ type: 'go' });
    const result = await clients.next((m) => m.type === 'result', 'the result', SETUP_TIMEOUT_MS + (LINES / RATE) * 1000 + DRAIN_MS);
    const after = await serverFigures(server);
    const dense = result['dense'] as { lost: number; p50?: number; latencies: Array<number | null> };
    const engine = result['engine'] as { packetsSent: number } | null;
    const arrived = dense.latencies.filter((l): l is number => l !== null);
    return {
      serverCpuPerLineMs: (after.cpuMs - before.cpuMs) / LINES,
      serverSystemShare: (after.systemMs - before.systemMs) / (after.cpuMs - before.cpuMs),
      clientCpuPerLineMs: Number(result['cpuMs']) / LINES,
      datagramsPerLinePerHop: (after.datagrams - before.datagrams) / (LINES * HOPS_PER_LINE),
      clientPacketsPerLine: (engine?.packetsSent ?? Number.NaN) / LINES,
      p50Ms: median(arrived) ?? Number.NaN,
      lost: dense.lost,
      fellBack: Number(result['fellBack']),
    };
  } finally {
    await stopAll(workers);
    rmSync(filesDir, { recursive: true, force: true });
  }
}

const FIELDS: ReadonlyArray<{ key: keyof Sample; label: string; digits: number }> = [
  { key: 'serverCpuPerLineMs', label: 'server CPU per line, ms', digits: 3 },
  { key: 'serverSystemShare', label: 'of which in the kernel', digits: 2 },
  { key: 'clientCpuPerLineMs', label: 'client CPU per line (both clients), ms', digits: 3 },
  { key: 'datagramsPerLinePerHop', label: 'datagrams per line per hop', digits: 2 },
  { key: 'clientPacketsPerLine', label: 'client engine packets per line', digits: 2 },
  { key: 'p50Ms', label: 'latency p50, ms', digits: 2 },
  { key: 'lost', label: 'lines lost', digits: 0 },
  { key: 'fellBack', label: 'fallbacks to TCP', digits: 0 },
];

async function main(): Promise<void> {
  const stacks = [{ name: 'this', root: HERE }, ...(BASELINE === undefined ? [] : [{ name: 'baseline', root: BASELINE }])];
  const samples: Record<string, Sample[]> = Object.fromEntries(stacks.map((s) => [s.name, []]));
  const show = (what: string, s: Sample): void => console.log(`${what}: ${FIELDS.map((f) => `${f.label} ${s[f.key].toFixed(f.digits)}`).join(' · ')}`);
  // The profiled run comes first and counts in no median (a profiler costs CPU of its own).
  if (PROFILE !== undefined) show(`profiled run (into ${PROFILE})`, await runOnce(HERE, PROFILE));
  const loads: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    for (const stack of stacks) {
      const s = await runOnce(stack.root, undefined);
      loads.push(loadavg()[0] ?? 0);
      samples[stack.name]!.push(s);
      show(`round ${round + 1} ${stack.name}`, s);
    }
  }
  console.log(`\n${LINES} lines of ${LINE_BYTES} B at ${RATE}/s, ${ROUNDS} rounds, load average ${loads.map((l) => l.toFixed(1)).join(' ')}`);
  for (const f of FIELDS) {
    const medians = stacks.map((s) => median(samples[s.name]!.map((x) => x[f.key])));
    const line = stacks.map((s, i) => `${s.name} ${medians[i]?.toFixed(f.digits) ?? '–'}`).join(' · ');
    const r = medians.length > 1 ? ` · this/baseline ${formatRatio(ratio(medians[0], medians[1]))}` : '';
    console.log(`${f.label}: ${line}${r}`);
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
