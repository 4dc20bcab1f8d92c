// How long `dualchat` takes to start, as docs/operations.md quotes it: `dualchat --help`,
// `dualchat server --help` (spawn → exit) and `dualchat server` (spawn → its "listening" log line,
// then SIGTERM), each run ROUNDS times in turn (A B C A B C …, so a change of load touches every case
// alike), after one warm-up round; prints the median and the fastest run. On Linux it also prints the
// server's CPU time and RSS when it logs "listening" (/proc, read by bench/loadgen/server-process.ts).
// Given several bins (another checkout's bin/dualchat.js, to compare), they take turns too.
//
//   node --import tsx scripts/startup-time.ts [ROUNDS] [BIN …]     (default 15, this checkout's bin)
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ServerProcess } from '../bench/loadgen/server-process.ts';

const DEFAULT_ROUNDS = 15;
const MAX_ROUNDS = 1_000;
/** One start must be over by then, or the measurement fails (the machine may be loaded). */
const START_DEADLINE_MS = 30_000;

interface Sample {
  ms: number;
  cpuMs?: number;
  rssMiB?: number;
}

const rounds = Number(process.argv[2] ?? DEFAULT_ROUNDS);
if (!Number.isInteger(rounds) || rounds < 1 || rounds > MAX_ROUNDS) {
  process.stderr.write(`startup-time: ROUNDS is a whole number from 1 to ${MAX_ROUNDS}\n`);
  process.exit(2);
}
const bins = process.argv.length > 3 ? process.argv.slice(3).map((b) => path.resolve(b)) : [fileURLToPath(new URL('../bin/dualchat.js', import.meta.url))];
const filesDir = mkdtempSync(path.join(tmpdir(), 'dualchat-startup-'));

/** `node BIN ...args` from spawn to its exit, which must be 0. */
function timeToExit(bin: string, args: string[]): Promise<Sample> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, [bin, ...args], { stdio: 'ignore' });
    const deadline = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`dualchat ${args.join(' ')}: still running after ${START_DEADLINE_MS} ms`));
    }, START_DEADLINE_MS);
    child.once('exit', (code) => {
      clearTimeout(deadline);
      if (code === 0) resolve({ ms: performance.now() - started });
      else reject(new Error(`dualchat ${args.join(' ')} exited ${String(code)}`));
    });
  });
}

/** `dualchat server` from spawn to its "listening" line; then its CPU time and RSS (Linux), and SIGTERM. */
async function timeToListening(bin: string): Promise<Sample> {
  const server = await ServerProcess.start({ bin, filesDir, logLevel: 'info', startTimeoutMs: START_DEADLINE_MS });
  const ms = performance.now() - server.spawnedAt;
  const usage = existsSync('/proc') ? server.usage() : undefined;
  server.signal('SIGTERM');
  await server.exited;
  return usage === undefined ? { ms } : { ms, cpuMs: usage.cpuMs, rssMiB: usage.rssBytes / 2 ** 20 };
}

const cases = bins.flatMap((bin) => [
  { bin, label: 'dualchat --help', run: () => timeToExit(bin, ['--help']), samples: [] as Sample[] },
  { bin, label: 'dualchat server --help', run: () => timeToExit(bin, ['server', '--help']), samples: [] as Sample[] },
  { bin, label: 'dualchat server → listening', run: () => timeToListening(bin), samples: [] as Sample[] },
]);

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

try {
  for (const c of cases) await c.run(); // warm-up: the file cache, not the measurement
  for (let round = 0; round < rounds; round += 1) {
    for (const c of cases) c.samples.push(await c.run());
  }
} finally {
  rmSync(filesDir, { recursive: true, force: true });
}
process.stdout.write(`${rounds} rounds, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')} (1, 5, 15 min)\n`);
for (const c of cases) {
  if (c === cases.find((other) => other.bin === c.bin)) process.stdout.write(`${c.bin}\n`);
  const ms = c.samples.map((s) => s.ms);
  const cpu = c.samples.flatMap((s) => (s.cpuMs === undefined ? [] : [s.cpuMs]));
  const rss = c.samples.flatMap((s) => (s.rssMiB === undefined ? [] : [s.rssMiB]));
  const extra = [cpu.length > 0 ? `CPU ${median(cpu).toFixed(0)} ms` : '', rss.length > 0 ? `RSS ${median(rss).toFixed(0)} MiB` : '']
    .filter((s) => s !== '')
    .join(', ');
  process.stdout.write(
    `  ${c.label.padEnd(30)} median ${median(ms).toFixed(0)} ms (fastest ${Math.min(...ms).toFixed(0)})${extra === '' ? '' : `; at listening: ${extra}`}\n`,
  );
}

