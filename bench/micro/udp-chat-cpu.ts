// CPU per chat line on the UDP path, in one process: a dualchat server and two clients bound over UDP
// (the product's client data plane) on loopback, in one room. Each client keeps WINDOW of its lines in
// flight; a line is done when it reached the other client (every line is also echoed to its sender, so a
// line is three datagram hops' worth of engine work: in at the server, out to each member). The figure is
// the process's CPU time (user + system) over the measured lines divided by the lines: server and both
// clients together, so a change to the shared data plane shows up whichever side it touches. CPU time,
// not wall time, because the machine is shared: other load stretches the wall clock far more than it
// changes the CPU a line costs. Several rounds; the median and the spread are printed.
//
// `--baseline DIR` runs a second, independent stack from another checkout of dualchat (its own server,
// clients and data plane, loaded from DIR) in the same process, alternating rounds with this one, so
// both see the same load at the same time; it prints both medians and the median of the paired ratios.
//
//   node --import tsx bench/micro/udp-chat-cpu.ts [--lines 4000] [--rounds 7] [--window 8] [--baseline DIR]
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { pino } from 'pino';
import { countFlag, dirFlag } from '../lib/micro-flags.ts';

/** Line size: a short chat line, as people type. */
const LINE_BYTES = 100;
/** Connecting, signing in and binding, each. */
const SETUP_TIMEOUT_MS = 10_000;
/** A round that has not finished in this long is reported as failed (a lost line, a stuck loop). */
const ROUND_TIMEOUT_MS = 120_000;

const LINES = countFlag('lines', 4_000);
const ROUNDS = countFlag('rounds', 7);
const WINDOW = countFlag('window', 8);
/** Lines per client sent before the measured ones (JIT, engine windows, buffers): the first rounds ran 2–3× dearer. */
const WARM_UP_LINES = 3 * LINES;
const BASELINE = dirFlag('baseline');

interface Sender {
  client: { sendChat(text: string): boolean; readonly fellBack: boolean; close(): Promise<void> };
  stream: number;
  next: number;
  /** Highest sequence number the other client has received from this one, +1. */
  done: number;
}

/** One server and two clients, all from the checkout at `root`. */
interface Stack {
  label: string;
  /** Sends `lines` more lines per client; resolves with the CPU time used (µs) once all arrived. */
  run(lines: number): Promise<number>;
  /** Datagrams the server received and sent so far. */
  datagrams(): number;
  fellBack(): boolean;
  close(): Promise<void>;
}

async function openStack(root: string, label: string): Promise<Stack> {
  const at = (file: string): string => pathToFileURL(path.join(root, file)).href;
  const { startServer } = (await import(at('src/server/server.ts'))) as typeof import('../../src/server/server.ts');
  const { markLine, readMark } = (await import(at('bench/lib/payload.ts'))) as typeof import('../lib/payload.ts');
  const { ScriptedClient } = (await import(at('bench/lib/scripted-client.ts'))) as typeof import('../lib/scripted-client.ts');
  const dir = await mkdtemp(path.join(tmpdir(), 'dualchat-micro-'));
  // BENCH_SERVER_DB=1: the store on a database file (a checkout without a store ignores the option).
  const db = process.env.BENCH_SERVER_DB === undefined ? {} : { db: path.join(dir, 'chat.db') };
  const server = await startServer({ host: '127.0.0.1', tcpPort: 0, udpPort: 0, filesDir: dir, logger: pino({ level: 'silent' }), rateLimit: 0, ...db });
  let target = 0;
  let wake: (() => void) | undefined;
  const pump = (s: Sender): void => {
    // Bounded by the window.
    while (s.next < s.done + WINDOW && s.next < target) {
      if (!s.client.sendChat(markLine(s.stream, s.next, LINE_BYTES))) throw new Error('a line could not be sent (UDP binding gone)');
      s.next++;
    }
  };
  const open = (name: string, stream: number, other: () => Sender): Promise<Sender['client']> =>
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
  const a: Sender = { client: await open('microa', 1, () => b), stream: 1, next: 0, done: 0 };
  const b: Sender = { client: await open('microb', 2, () => a), stream: 2, next: 0, done: 0 };
  return {
    label,
    run: async (lines) => {
      target += lines;
      const cpu0 = process.cpuUsage();
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`${label}: round not done within ${ROUND_TIMEOUT_MS} ms (${a.done}, ${b.done} of ${target})`)), ROUND_TIMEOUT_MS);
        wake = () => {
          if (a.done < target || b.done < target) return;
          clearTimeout(timer);
          wake = undefined;
          resolve();
        };
        pump(a);
        pump(b);
      });
      const cpu = process.cpuUsage(cpu0);
      return cpu.user + cpu.system;
    },
    datagrams: () => server.stats().udp.datagramsReceived + server.stats().udp.datagramsSent,
    fellBack: () => a.client.fellBack || b.client.fellBack,
    close: async () => {
      await Promise.all([a.client.close(), b.client.close()]);
      await server.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((x, y) => x - y);
  return sorted[Math.floor(sorted.length / 2)]!;
}

async function main(): Promise<void> {
  const here = path.resolve(import.meta.dirname, '../..');
  const stacks = [await openStack(here, 'this checkout')];
  if (BASELINE !== undefined) stacks.push(await openStack(BASELINE, `baseline ${BASELINE}`));
  const perLine = stacks.map((): number[] => []);
  const datagrams = stacks.map(() => 0);
  try {
    for (const s of stacks) await s.run(WARM_UP_LINES);
    for (let round = 0; round < ROUNDS; round++) {
      // Alternate which stack goes first, so neither always follows the other's garbage.
      const order = round % 2 === 0 ? stacks.map((_, i) => i) : stacks.map((_, i) => stacks.length - 1 - i);
      const cells: string[] = [];
      for (const i of order) {
        const before = stacks[i]!.datagrams();
        const us = (await stacks[i]!.run(LINES)) / (2 * LINES);
        datagrams[i]! += stacks[i]!.datagrams() - before;
        perLine[i]!.push(us);
        cells.push(`${stacks[i]!.label}: ${us.toFixed(1)}`);
      }
      console.log(`round ${round + 1}: ${cells.join(', ')} µs CPU per line`);
    }
    if (stacks.some((s) => s.fellBack())) throw new Error('a client fell back to TCP: the figure would not be the UDP path');
    const what = `${ROUNDS} rounds of ${LINES} lines per client, window ${WINDOW}, ${LINE_BYTES} B`;
    stacks.forEach((s, i) => {
      const v = perLine[i]!;
      const perLineDatagrams = datagrams[i]! / (2 * LINES * ROUNDS);
      console.log(
        `${s.label}: median ${median(v).toFixed(1)} µs CPU per chat line (min ${Math.min(...v).toFixed(1)}, max ${Math.max(...v).toFixed(1)}; ` +
          `${perLineDatagrams.toFixed(2)} server datagrams in + out per line; ${what})`,
      );
    });
    if (stacks.length === 2) {
      const ratios = perLine[0]!.map((v, i) => v / perLine[1]![i]!);
      console.log(`this checkout / baseline, paired rounds: median ${median(ratios).toFixed(3)} (min ${Math.min(...ratios).toFixed(3)}, max ${Math.max(...ratios).toFixed(3)})`);
    }
  } finally {
    for (const s of stacks) await s.close();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error));
  process.exit(1);
});
