// One fanout server and its signed-in clients, as the fanout suite (bench/suites/fanout.ts) runs them and
// as bench/micro/store-cost.ts runs them against a build of another checkout: the server in a process of
// its own (ngircd, dualchat's chat-server worker, or the Node forwarder), the clients in PROCESSES others
// (bench/lib/workers/fanout-clients.ts), and one phase of lines measured over all of them.
import type { FanoutRun, RunMeasures } from './fanout-figures.ts';
import { asFanoutResult, type FanoutMode, type FanoutParams, type FanoutPhase } from './fanout-protocol.ts';
import { LatencyHistogram } from './histogram.ts';
import { Ngircd } from './ngircd.ts';
import { processCpuMs } from './process-cpu.ts';
import { stopAll, Worker } from './worker.ts';

export const CLIENTS = 100;
/** Client processes (each hosts CLIENTS / PROCESSES): the clients' CPU is spread, the server has its own. */
export const PROCESSES = 2;
export const LINE_BYTES = 100;
export const ROOM = 'fanout';
export const HOST = '127.0.0.1';

/** Before the measured workloads, on each server's fresh processes: 10 lines per client (99k deliveries) so no measured run pays for Node's JIT warming up. */
export const WARMUP: FanoutPhase = { lines: 10, load: { kind: 'closed', window: 8 } };

/** Starting processes, connecting and signing in 100 clients. */
export const SETUP_TIMEOUT_MS = 60_000;
/** A phase is given up when no line arrives (and none is sent) for this long. */
export const STALL_MS = 20_000;
/** Longest a phase may take (9.9M deliveries at ~40k/s on a loaded machine is ~4 min). */
export const RUN_TIMEOUT_MS = 480_000;

/**
 * Which build of the dualchat server runs, and how: `root`, another checkout of dualchat whose own
 * chat-server worker is started (e.g. the commit before a change); `env`, variables for that process
 * (BENCH_SERVER_DB: the store on a file). Neither: this checkout's, the store in memory.
 */
export interface ServerVariant {
  root?: string;
  env?: Record<string, string>;
  /** Node flags for the server's process (e.g. --cpu-prof). */
  nodeFlags?: string[];
}

/** A server under test: its port and the process whose CPU time is its cost. */
export interface Server {
  port: number;
  pid: number;
  stop(): Promise<void>;
}

export async function startServer(mode: FanoutMode, filesDir: string, variant: ServerVariant = {}): Promise<Server> {
  if (mode === 'irc') {
    const irc = await Ngircd.start({ host: HOST, startTimeoutMs: SETUP_TIMEOUT_MS });
    return { port: irc.port, pid: irc.pid, stop: () => irc.stop() };
  }
  const worker =
    mode === 'forwarder'
      ? Worker.start('tcp-forwarder', [JSON.stringify({ host: HOST, port: 0 })])
      : Worker.start(
          'chat-server',
          [
          // rateLimit 0: no rate limit, and no IRC flood budget (ngircd runs with its penalties off too).
          JSON.stringify({ host: HOST, tcpPort: 0, udpPort: 0, ...(mode === 'dualchat-irc' ? { ircPort: 0 } : {}), roomCapacity: CLIENTS, rateLimit: 0, maxConnectionsPerAddress: CLIENTS + 16, filesDir }),
          ],
          {
            ...(variant.root === undefined ? {} : { root: variant.root }),
            ...(variant.env === undefined ? {} : { env: variant.env }),
            ...(variant.nodeFlags === undefined ? {} : { nodeFlags: variant.nodeFlags }),
          },
        );
  try {
    const ready = await worker.next((m) => m.type === 'ready', 'the server ready', SETUP_TIMEOUT_MS);
    return { port: Number(ready[mode === 'dualchat-irc' ? 'ircPort' : 'tcpPort']), pid: Number(ready['pid']), stop: () => worker.stop() };
  } catch (e) {
    await worker.stop();
    throw e;
  }
}

/** A server and its signed-in clients, kept for the workloads of one round. */
export class Session {
  private constructor(
    readonly server: Server,
    readonly clients: Worker[],
  ) {}

  static async open(mode: FanoutMode, filesDir: string, variant: ServerVariant = {}): Promise<Session> {
    const server = await startServer(mode, filesDir, variant);
    const per = Math.ceil(CLIENTS / PROCESSES);
    const clients: Worker[] = [];
    try {
      for (let p = 0; p < PROCESSES && p * per < CLIENTS; p++) {
        const params: FanoutParams = { mode, host: HOST, port: server.port, first: p * per, count: Math.min(per, CLIENTS - p * per), total: CLIENTS, bytes: LINE_BYTES, room: ROOM, stallMs: STALL_MS };
        clients.push(Worker.start('fanout-clients', [JSON.stringify(params)]));
      }
      await Promise.all(clients.map((c) => c.next((m) => m.type === 'ready', 'its clients ready', SETUP_TIMEOUT_MS)));
    } catch (e) {
      await stopAll(clients);
      await server.stop();
      throw e;
    }
    return new Session(server, clients);
  }

  /** Runs one phase on every client process; the server's CPU over it from /proc, the same way for every server. */
  async phase(work: FanoutPhase): Promise<RunMeasures & { expected: number }> {
    for (const c of this.clients) c.send({ type: 'arm', ...work });
    await Promise.all(this.clients.map((c) => c.next((m) => m.type === 'armed', 'its clients armed', SETUP_TIMEOUT_MS)));
    const cpuBefore = processCpuMs(this.server.pid);
    for (const c of this.clients) c.send({ type: 'go' });
    const results = (await Promise.all(this.clients.map((c) => c.next((m) => m.type === 'result', 'the result', RUN_TIMEOUT_MS)))).map(asFanoutResult);
    const serverCpuMs = processCpuMs(this.server.pid) - cpuBefore;
    const histogram = new LatencyHistogram();
    const out = { deliveries: 0, expected: 0, wallMs: 0, paceLateMs: 0, serverCpuMs, clientCpuMs: 0, duplicates: 0, outOfOrder: 0, fellBack: 0, stalled: false, gaps: [] as FanoutRun['gaps'], errors: [] as string[] };
    for (const r of results) {
      const h = LatencyHistogram.fromJSON(r.latency);
      if (typeof h === 'string') throw new Error(`a client process sent a bad histogram: ${h}`);
      histogram.merge(h);
      out.deliveries += r.deliveries;
      out.expected += r.expected;
      out.duplicates += r.duplicates;
      out.outOfOrder += r.outOfOrder;
      out.fellBack += r.fellBack;
      out.stalled ||= r.stalled;
      out.clientCpuMs += r.cpuMs;
      out.wallMs = Math.max(out.wallMs, r.elapsedMs);
      out.paceLateMs = Math.max(out.paceLateMs, r.paceLateMs);
      out.gaps.push(...r.gaps);
      out.errors.push(...r.errors);
    }
    return { ...out, p50: histogram.quantile(0.5), p99: histogram.quantile(0.99), max: histogram.max };
  }

  async close(): Promise<void> {
    await stopAll(this.clients);
    await this.server.stop();
  }
}

