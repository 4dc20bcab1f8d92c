// CPU per chat line on the UDP path, in one process: a dualchat server and two clients bound over UDP
// (the product's client data plane) on loopback, in one room. Each client keeps WINDOW of its lines in
// flight; a line is done when it reached the other client (every line is also echoed to its sender, so a
// line is three datagram hops' worth of engine work: in at the server, out to each member). The figure is
// the process's CPU time (user + system) over the measured lines divided by the lines: server and both
// clients together, so a change to the shared data plane shows up whichever side it touches. CPU time,
// not wall time, because the machine is shared: other load stretches the wall clock far more than it
// changes the CPU a line costs. Several rounds; the median and the spread are printed.
//
//   node --import tsx bench/micro/udp-chat-cpu.ts [--lines 4000] [--rounds 7] [--window 8]
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { startServer } from '../../src/server/server.ts';
import { markLine, readMark } from '../lib/payload.ts';
import { ScriptedClient } from '../lib/scripted-client.ts';

/** Line size: a short chat line, as people type. */
const LINE_BYTES = 100;
/** Connecting, signing in and binding, each. */
const SETUP_TIMEOUT_MS = 10_000;
/** A round that has not finished in this long is reported as failed (a lost line, a stuck loop). */
const ROUND_TIMEOUT_MS = 120_000;

function flag(name: string, fallback: number): number {
  const at = process.argv.indexOf(`--${name}`);
  if (at < 0) return fallback;
  const value = Number(process.argv[at + 1]);
  if (!Number.isSafeInteger(value) || value <= 0) throw new Error(`--${name} takes a positive whole number`);
  return value;
}

const LINES = flag('lines', 4_000);
const ROUNDS = flag('rounds', 7);
const WINDOW = flag('window', 8);
/** Lines per client sent before the measured ones (JIT, engine windows, buffers): the first rounds ran 2–3× dearer. */
const WARM_UP_LINES = 3 * LINES;

interface Sender {
  client: ScriptedClient;
  stream: number;
  next: number;
  /** Highest sequence number the other client has received from this one, +1. */
  done: number;
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'dualchat-micro-'));
  const server = await startServer({
    host: '127.0.0.1',
    tcpPort: 0,
    udpPort: 0,
    filesDir: dir,
    logger: pino({ level: 'silent' }),
    rateLimit: 0,
  });
  const senders: Sender[] = [];
  let wake: (() => void) | undefined;
  const open = (name: string, stream: number, other: () => Sender): Promise<ScriptedClient> =>
    ScriptedClient.open({
      mode: 'dualchat-udp',
      host: '127.0.0.1',
      port: server.tcpPort,
      name,
      room: 'micro',
      timeoutMs: SETUP_TIMEOUT_MS,
      onChat: (line) => {
        const mark = readMark(line);
        const from = other();
        if (mark === undefined || mark.stream !== from.stream) return; // own echo
        if (mark.seq + 1 > from.done) from.done = mark.seq + 1;
        pump(from);
        wake?.();
      },
    });
  const pump = (s: Sender): void => {
    // Bounded by the window.
    while (s.next < s.done + WINDOW && s.next < target) {
      if (!s.client.sendChat(markLine(s.stream, s.next, LINE_BYTES))) throw new Error('a line could not be sent (UDP binding gone)');
      s.next++;
    }
  };
  let target = 0;
  const a: Sender = { client: await open('microa', 1, () => b), stream: 1, next: 0, done: 0 };
  const b: Sender = { client: await open('microb', 2, () => a), stream: 2, next: 0, done: 0 };
  senders.push(a, b);

  const run = async (lines: number): Promise<{ cpuUs: number; wallMs: number }> => {
    target += lines;
    const cpu0 = process.cpuUsage();
    const wall0 = performance.now();
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`round not done within ${ROUND_TIMEOUT_MS} ms (${a.done}, ${b.done} of ${target})`)), ROUND_TIMEOUT_MS);
      wake = () => {
        if (a.done < target || b.done < target) return;
        clearTimeout(timer);
        wake = undefined;
        resolve();
      };
      for (const s of senders) pump(s);
    });
    const cpu = process.cpuUsage(cpu0);
    return { cpuUs: cpu.user + cpu.system, wallMs: performance.now() - wall0 };
  };

  try {
    await run(WARM_UP_LINES);
    const perLine: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const r = await run(LINES);
      const us = r.cpuUs / (2 * LINES);
      perLine.push(us);
      console.log(`round ${round + 1}: ${us.toFixed(1)} µs CPU per line, ${((2 * LINES) / (r.wallMs / 1000)).toFixed(0)} lines/s wall`);
    }
    if (a.client.fellBack || b.client.fellBack) throw new Error('a client fell back to TCP: the figure would not be the UDP path');
    const sorted = [...perLine].sort((x, y) => x - y);
    const median = sorted[Math.floor(sorted.length / 2)]!;
    console.log(
      `median ${median.toFixed(1)} µs CPU per chat line (min ${sorted[0]!.toFixed(1)}, max ${sorted[sorted.length - 1]!.toFixed(1)}; ` +
        `${ROUNDS} rounds of ${LINES} lines per client, window ${WINDOW}, ${LINE_BYTES} B)`,
    );
  } finally {
    await Promise.all(senders.map((s) => s.client.close()));
    await server.close();
    await rm(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error));
  process.exit(1);
});
