// fanout: one room of 100 clients, each sending its chat lines (300 by default; the issue's 1,000
// with --full: see LINES); every line goes to every member (the sender included). Delivered messages per second and per server CPU-second, and delivery latency,
// for dualchat's TCP path, its UDP path, and the smallest Node TCP forwarder (bench/lib/workers/
// tcp-forwarder.ts: the ceiling for a Node server). The server runs in a process of its own; the
// clients in a few others (bench/lib/workers/fanout-clients.ts), each keeping at most WINDOW of its
// lines in flight, so the load follows what the server carries and queues stay bounded.
import type { TopLevelSpec } from 'vega-lite';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { asFanoutResult, type FanoutMode, type FanoutParams, type FanoutResult } from '../lib/fanout-protocol.ts';
import { LatencyHistogram } from '../lib/histogram.ts';
import { loadNow } from '../lib/machine.ts';
import { formatMs, formatRatio, formatSi, formatWithSpread, median, ratio, summarise } from '../lib/stats.ts';
import { defineSuite } from '../lib/suite.ts';
import { stopAll, Worker } from '../lib/worker.ts';

const CONTENDERS: ReadonlyArray<{ mode: FanoutMode; label: string }> = [
  { mode: 'forwarder', label: 'Node TCP forwarder' },
  { mode: 'dualchat-tcp', label: 'dualchat TCP' },
  { mode: 'dualchat-udp', label: 'dualchat UDP' },
];

/**
 * The issue's room: 100 clients, 1,000 lines each (10M deliveries per run). One round of the three
 * contenders at 1,000 lines takes ~3.7 min here (measured 19:45 UTC, load 2–8: forwarder 336k
 * deliveries/s → 31 s, dualchat TCP 186k/s → 57 s, dualchat UDP ~75k/s → ~2.2 min) — 37 % of the
 * ten minutes the whole `npm run bench` has (bench/lib/plan.ts) — so the default run sends 300
 * lines (3M deliveries: every rate in its steady state, a run lasts 10–40 s) in one round; `--full`
 * sends the issue's 1,000 in 3 alternated rounds (~11 min). `--quick`: 100 lines.
 */
const CLIENTS = 100;
const LINES = 300;
const FULL_LINES = 1000;
const QUICK_LINES = 100;
/** Client processes (each hosts CLIENTS / PROCESSES): the clients' CPU is spread, the server has its own. */
const PROCESSES = 2;
/**
 * Lines a client keeps in flight (its own echo not yet back). 4 lets the server batch its writes
 * (1 in flight per client left every contender far below its throughput here) while keeping queues
 * short: by Little's law the latency is about CLIENTS × WINDOW × CLIENTS deliveries / throughput.
 */
const WINDOW = 4;
const LINE_BYTES = 100;
const ROOM = 'fanout';
const HOST = '127.0.0.1';
/** Starting processes, connecting and signing in 100 clients. */
const SETUP_TIMEOUT_MS = 60_000;
/** A run is given up when no line arrives for this long. */
const STALL_MS = 20_000;
/** Longest a run may take (10M deliveries at ~40k/s on a loaded machine is ~4 min). */
const RUN_TIMEOUT_MS = 480_000;

interface Run {
  mode: FanoutMode;
  round: number;
  ok: boolean;
  error?: string;
  deliveries: number;
  expected: number;
  /** ms from go to the last delivery (the slowest client process). */
  wallMs: number;
  serverCpuMs: number;
  clientCpuMs: number;
  perSecond: number;
  perServerCpuSecond: number;
  p50: number | undefined;
  p99: number | undefined;
  max: number | undefined;
  duplicates: number;
  outOfOrder: number;
  fellBack: number;
  stalled: boolean;
  gaps: FanoutResult['gaps'];
  errors: string[];
  load: number;
}

async function serverCpu(server: Worker): Promise<number> {
  server.send({ type: 'cpu' });
  const m = await server.next((x) => x.type === 'cpu', 'its CPU time', SETUP_TIMEOUT_MS);
  return Number(m['userMs']) + Number(m['systemMs']);
}

async function runOne(mode: FanoutMode, round: number, lines: number, filesDir: string): Promise<Run> {
  const run: Run = {
    mode,
    round,
    ok: false,
    deliveries: 0,
    expected: CLIENTS * CLIENTS * lines,
    wallMs: 0,
    serverCpuMs: 0,
    clientCpuMs: 0,
    perSecond: 0,
    perServerCpuSecond: 0,
    p50: undefined,
    p99: undefined,
    max: undefined,
    duplicates: 0,
    outOfOrder: 0,
    fellBack: 0,
    stalled: false,
    gaps: [],
    errors: [],
    load: loadNow(),
  };
  const workers: Worker[] = [];
  try {
    const server =
      mode === 'forwarder'
        ? Worker.start('tcp-forwarder', [JSON.stringify({ host: HOST, port: 0 })])
        : Worker.start('chat-server', [
            JSON.stringify({ host: HOST, tcpPort: 0, udpPort: 0, roomCapacity: CLIENTS, rateLimit: 0, maxConnectionsPerAddress: CLIENTS + 16, filesDir }),
          ]);
    workers.push(server);
    const ready = await server.next((m) => m.type === 'ready', 'the server ready', SETUP_TIMEOUT_MS);
    const per = Math.ceil(CLIENTS / PROCESSES);
    const clients: Worker[] = [];
    for (let p = 0; p < PROCESSES && p * per < CLIENTS; p++) {
      const params: FanoutParams = {
        mode,
        host: HOST,
        port: Number(ready['tcpPort']),
        first: p * per,
        count: Math.min(per, CLIENTS - p * per),
        total: CLIENTS,
        lines,
        window: WINDOW,
        bytes: LINE_BYTES,
        room: ROOM,
        stallMs: STALL_MS,
      };
      const w = Worker.start('fanout-clients', [JSON.stringify(params)]);
      workers.push(w);
      clients.push(w);
    }
    await Promise.all(clients.map((c) => c.next((m) => m.type === 'ready', 'its clients ready', SETUP_TIMEOUT_MS)));
    const cpuBefore = await serverCpu(server);
    run.load = loadNow();
    for (const c of clients) c.send({ type: 'go' });
    const results = (await Promise.all(clients.map((c) => c.next((m) => m.type === 'result', 'the result', RUN_TIMEOUT_MS)))).map(asFanoutResult);
    run.serverCpuMs = (await serverCpu(server)) - cpuBefore;
    const histogram = new LatencyHistogram();
    for (const r of results) {
      const h = LatencyHistogram.fromJSON(r.latency);
      if (typeof h === 'string') throw new Error(`a client process sent a bad histogram: ${h}`);
      histogram.merge(h);
      run.deliveries += r.deliveries;
      run.duplicates += r.duplicates;
      run.outOfOrder += r.outOfOrder;
      run.fellBack += r.fellBack;
      run.stalled ||= r.stalled;
      run.clientCpuMs += r.cpuMs;
      run.wallMs = Math.max(run.wallMs, r.elapsedMs);
      run.gaps.push(...r.gaps);
      run.errors.push(...r.errors);
    }
    run.perSecond = run.wallMs > 0 ? (run.deliveries / run.wallMs) * 1000 : 0;
    run.perServerCpuSecond = run.serverCpuMs > 0 ? (run.deliveries / run.serverCpuMs) * 1000 : 0;
    run.p50 = histogram.quantile(0.5);
    run.p99 = histogram.quantile(0.99);
    run.max = histogram.max;
    run.ok = !run.stalled && run.deliveries === run.expected;
    if (!run.ok) run.error = `${run.expected - run.deliveries} of ${run.expected} deliveries missing${run.stalled ? ' (stalled)' : ''}`;
  } catch (e) {
    run.error = e instanceof Error ? e.message : String(e);
  } finally {
    await stopAll(workers.reverse());
  }
  return run;
}

function chart(runs: readonly Run[]): TopLevelSpec {
  const rows = CONTENDERS.map((c) => {
    const mine = runs.filter((r) => r.mode === c.mode && r.ok);
    return {
      transport: c.label,
      perSecond: median(mine.map((r) => r.perSecond)) ?? 0,
      perCpu: median(mine.map((r) => r.perServerCpuSecond)) ?? 0,
      p99: median(mine.map((r) => r.p99 ?? Number.NaN)) ?? 0,
    };
  });
  const order = CONTENDERS.map((c) => c.label);
  const bar = (field: string, title: string) =>
    ({
      width: 220,
      height: 200,
      mark: { type: 'bar' },
      encoding: {
        x: { field: 'transport', type: 'nominal', sort: order, title: null, axis: { labelAngle: -30 } },
        y: { field, type: 'quantitative', title },
        color: { field: 'transport', type: 'nominal', sort: order, legend: null },
      },
    }) as const;
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: `Room fanout: ${CLIENTS} clients, every line to every member`, subtitle: 'medians over rounds; the server in its own process' },
    background: 'white',
    data: { values: rows },
    hconcat: [bar('perSecond', 'deliveries / s (wall)'), bar('perCpu', 'deliveries / server CPU-s'), bar('p99', 'p99 latency (ms)')],
  };
}

export default defineSuite({
  name: 'fanout',
  title: 'Room fanout: 100 clients in one room — dualchat TCP vs UDP vs a minimal Node TCP forwarder',
  description:
    'Every client sends its lines to the room (closed loop, 4 in flight each); every line reaches every member. Delivered messages per second (wall and per server CPU-second) and delivery latency; the server runs in its own process.',
  defaultRuns: 1,
  fullRuns: 3,
  /** One round of 3M deliveries per contender (66 s measured; see LINES). */
  budgetMs: 120_000,
  /** 3 rounds of 10M deliveries per contender. */
  fullBudgetMs: 720_000,
  async run(ctx) {
    const lines = ctx.quick ? QUICK_LINES : ctx.full ? FULL_LINES : LINES;
    const filesDir = mkdtempSync(join(tmpdir(), 'dualchat-bench-files-'));
    const runs: Run[] = [];
    try {
      const r = await ctx.alternate(
        CONTENDERS.map((c) => ({
          name: c.mode,
          run: async (round: number) => {
            const run = await runOne(c.mode, round, lines, filesDir);
            runs.push(run);
            return run;
          },
        })),
        {
          onSample: (name, round, s) =>
            ctx.log(
              `round ${round + 1} ${name}: ${s.ok ? `${formatSi(s.perSecond)}/s, ${formatSi(s.perServerCpuSecond)}/server CPU-s, p99 ${formatMs(s.p99)}` : `FAILED: ${s.error ?? ''}`}; load ${s.load}`,
            ),
        },
      );
      const ref = runs.filter((x) => x.mode === 'forwarder' && x.ok);
      const refRate = median(ref.map((x) => x.perSecond));
      const refCpu = median(ref.map((x) => x.perServerCpuSecond));
      const rows = CONTENDERS.map((c) => {
        const done = runs.filter((x) => x.mode === c.mode);
        const ok = done.filter((x) => x.ok);
        const rate = summarise(ok.map((x) => x.perSecond));
        const cpu = summarise(ok.map((x) => x.perServerCpuSecond));
        const missing = done.reduce((s, x) => s + (x.expected - x.deliveries), 0);
        return [
          c.label,
          formatWithSpread(rate, (v) => formatSi(v)),
          formatRatio(ratio(rate.median, refRate)),
          formatWithSpread(cpu, (v) => formatSi(v)),
          formatRatio(ratio(cpu.median, refCpu)),
          formatMs(median(ok.map((x) => x.p50 ?? Number.NaN))),
          formatMs(median(ok.map((x) => x.p99 ?? Number.NaN))),
          formatMs(median(ok.map((x) => x.max ?? Number.NaN))),
          `${missing}`,
          `${done.reduce((s, x) => s + x.duplicates + x.outOfOrder, 0)}`,
          formatMs(median(ok.map((x) => x.wallMs))),
          `${formatSi(median(ok.map((x) => x.clientCpuMs / 1000)))} s`,
          `${ok.length}/${done.length}`,
        ];
      });
      const failures = runs.filter((x) => !x.ok);
      const missingAll = runs.reduce((s, x) => s + (x.expected - x.deliveries), 0);
      const disorderAll = runs.reduce((s, x) => s + x.duplicates + x.outOfOrder, 0);
      return {
        verdicts: [
          {
            goal: 'every delivery arrives once, in order (every contender)',
            met: runs.length === 0 ? undefined : failures.length === 0 && missingAll === 0 && disorderAll === 0,
            measured: `${missingAll} missing, ${disorderAll} dup+disorder over ${runs.length} runs${failures.length > 0 ? `; ${failures.length} failed` : ''}`,
          },
        ],
        tables: [
          {
            title: `${CLIENTS} clients in one room, ${lines} lines each (${formatSi(CLIENTS * CLIENTS * lines)} deliveries per run; medians of ${r.rounds} rounds)`,
            columns: [
              { label: 'server' },
              { label: 'delivered/s' },
              { label: 'vs forwarder' },
              { label: 'per server CPU-s' },
              { label: 'vs forwarder' },
              { label: 'p50' },
              { label: 'p99' },
              { label: 'max' },
              { label: 'missing' },
              { label: 'dup+disorder' },
              { label: 'run' },
              { label: 'clients CPU' },
              { label: 'runs ok' },
            ],
            rows,
            notes: [
              `Each client keeps ${WINDOW} of its ${LINE_BYTES}-byte lines in flight; a delivery is one line reaching one member (its sender too). delivered/s: all deliveries / the run's wall time; per server CPU-s: / the server process's CPU time (less sensitive to other load on the machine).`,
              `Latency: hand-over by the sender to arrival at a member, for members in the sender's client process (one clock; ${PROCESSES} processes host the clients), to 1 %; with the closed loop it is mostly queueing: ≈ ${CLIENTS * WINDOW * CLIENTS} deliveries in flight / throughput.`,
              'missing and dup+disorder: summed over all runs (must be 0). clients CPU: the client processes’ CPU time per run — they share the 2 cores with the server.',
            ],
          },
        ],
        plots: [{ spec: chart(runs) }],
        notes: [
          ...failures.map((f) => `FAILED run: ${f.mode} round ${f.round + 1}: ${f.error ?? ''}${f.gaps.length > 0 ? `; first gaps ${JSON.stringify(f.gaps.slice(0, 3))}` : ''}${f.errors.length > 0 ? `; errors ${f.errors.slice(0, 3).join(' | ')}` : ''}`),
          lines !== FULL_LINES ? `${ctx.quick ? '--quick' : 'The default run'}: ${lines} lines per client (the issue's ${FULL_LINES}: \`npm run bench -- fanout --full\`).` : '',
        ].filter((n) => n !== ''),
        data: { params: { clients: CLIENTS, lines, window: WINDOW, bytes: LINE_BYTES, processes: PROCESSES, quick: ctx.quick, full: ctx.full }, rounds: r.rounds, cutShort: r.cutShort, order: r.order, runs },
      };
    } finally {
      rmSync(filesDir, { recursive: true, force: true });
    }
  },
});
