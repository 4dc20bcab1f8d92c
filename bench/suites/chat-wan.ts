// chat-wan: chat latency over a wide-area path — one-way delay 20 ms ± 5 ms jitter and 0, 5, 10 %
// loss on every datagram, both directions, both hops — made by dualchat's own impairment proxy
// (src/udp/proxy.ts: the simulator's Link model on real datagrams) in this process, on 127.0.0.1: no
// root, no namespace. Only UDP contenders can go through a datagram proxy: dualchat's UDP data plane
// (its clients' `udp.via`) and udx-native (a proxy per direction: bench/lib/wan-path.ts). TCP cannot
// (the kernel's loss for it is chat-latency's namespace, which has no delay: no netem in this kernel).
//
// Jitter without reordering: the Link keeps jittered datagrams in FIFO order (each leaves no earlier
// than the one before), and its `reorder` knob stays 0 — a path whose delay varies, not one that
// reorders.
//
// Workloads as in chat-latency, at once on separate connections: a dense pair at 100 lines/s and 50
// sparse pairs at 2 lines/s each; 10 s runs, 1,000 lines per class. To fit the 10-minute plan, each
// round runs both contenders and the three loss rates at the same time (six relays, each with its own
// server or relay process and client process; a line costs well under a millisecond of CPU, so they
// barely compete), rather than one contender after the other: 3 rounds, medians over them.
import type { TopLevelSpec } from 'vega-lite';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LinkSettings } from '../../src/sim/link.ts';
import { loadNow } from '../lib/machine.ts';
import { asChatPairsResult, type ChatPairsParams, type ChatPairsResult, type PairClassResult } from '../lib/pairs-protocol.ts';
import { formatMs, formatRatio, median, ratio } from '../lib/stats.ts';
import { defineSuite, type Verdict } from '../lib/suite.ts';
import type { ResultTable } from '../lib/table.ts';
import { dualchatPath, udxPath, type PathCounters, type WanPath } from '../lib/wan-path.ts';
import { stopAll, Worker } from '../lib/worker.ts';

/** Loss rates of the brief, in %, on every datagram of every hop, both ways. */
const LOSSES = [0, 5, 10] as const;
type Loss = (typeof LOSSES)[number];
/** One-way delay and its jitter (uniform ±), ms, on every link: a continental path's order of magnitude. */
const DELAY_MS = 20;
const JITTER_MS = 5;
/** No reordering beyond what jitter does — and the Link's jitter keeps FIFO order (src/sim/link.ts). */
const REORDER = 0;

type WanMode = 'dualchat-udp' | 'udx';
const CONTENDERS: ReadonlyArray<{ mode: WanMode; label: string }> = [
  { mode: 'dualchat-udp', label: 'dualchat UDP' },
  { mode: 'udx', label: 'udx-native' },
];

interface Workload {
  denseLines: number;
  sparsePairs: number;
  sparseLines: number;
  drainMs: number;
}
/** 10 s runs, 1,000 lines per class (a p99 per run is the 10th-worst line); the drain is never reached when nothing is lost. */
const DEFAULT_WORK: Workload = { denseLines: 1000, sparsePairs: 50, sparseLines: 20, drainMs: 15_000 };
/** `--full`: 20 s runs and 5 rounds. */
const FULL_WORK: Workload = { denseLines: 2000, sparsePairs: 50, sparseLines: 40, drainMs: 15_000 };
/** `--quick`: 3 s, 8 sparse pairs: a look, not a p99. */
const QUICK_WORK: Workload = { denseLines: 300, sparsePairs: 8, sparseLines: 6, drainMs: 10_000 };
const MIN_ROUNDS = 3;
const DENSE_RATE = 100;
const SPARSE_RATE = 2;
const LINE_BYTES = 100;
const HOST = '127.0.0.1';
/** Pairs signing in at a time: each UDP binding waits a round trip of the path (~45 ms) or a retry. */
const OPEN_BATCH = 10;
/** Starting a server (or relay) and its clients, signing in, binding UDP through the path. */
const SETUP_TIMEOUT_MS = 60_000;

type ClassName = 'dense' | 'sparse';

interface RunFigures {
  p50: number | undefined;
  p99: number | undefined;
  max: number | undefined;
  sent: number;
  lost: number;
  duplicates: number;
  outOfOrder: number;
}

interface Run {
  mode: WanMode;
  loss: Loss;
  round: number;
  ok: boolean;
  error?: string;
  /** What the proxies of the run saw during the measured part (after setup). */
  path?: PathCounters;
  result?: ChatPairsResult;
  figures: Record<ClassName, RunFigures | undefined>;
}

function linkFor(loss: Loss): Partial<LinkSettings> {
  return { loss: loss / 100, delayMs: DELAY_MS, jitterMs: JITTER_MS, reorder: REORDER };
}

/** The q-quantile where a line that never arrived counts as +∞ (shown as "lost"). */
function quantileWithLost(values: readonly number[], q: number): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const pos = q * (sorted.length - 1);
  const lo = sorted[Math.floor(pos)] as number;
  const hi = sorted[Math.ceil(pos)] as number;
  return lo === hi ? lo : lo + (hi - lo) * (pos - Math.floor(pos));
}

function figuresOf(c: PairClassResult): RunFigures {
  const all = c.latencies.map((l) => (l === null ? Number.POSITIVE_INFINITY : l));
  return { p50: quantileWithLost(all, 0.5), p99: quantileWithLost(all, 0.99), max: quantileWithLost(all, 1), sent: c.sent, lost: c.lost, duplicates: c.duplicates, outOfOrder: c.outOfOrder };
}

function minus(a: PathCounters, b: PathCounters): PathCounters {
  return { proxies: a.proxies, datagrams: a.datagrams - b.datagrams, dropped: a.dropped - b.dropped, delivered: a.delivered - b.delivered };
}

async function runOne(mode: WanMode, loss: Loss, round: number, work: Workload, filesDir: string): Promise<Run> {
  const run: Run = { mode, loss, round, ok: false, figures: { dense: undefined, sparse: undefined } };
  const workers: Worker[] = [];
  let path: WanPath | undefined;
  const seed = `chat-wan:${round}:${mode}:${loss}`;
  const base: Omit<ChatPairsParams, 'mode' | 'port' | 'udxBasePort'> = {
    host: HOST,
    denseLines: work.denseLines,
    denseRate: DENSE_RATE,
    sparsePairs: work.sparsePairs,
    sparseLines: work.sparseLines,
    sparseRate: SPARSE_RATE,
    bytes: LINE_BYTES,
    drainMs: work.drainMs,
  };
  try {
    let clients: Worker;
    if (mode === 'udx') {
      const relay = Worker.start('udx-relay', [JSON.stringify({ host: HOST, port: 0, basePort: 0, pairs: 1 + work.sparsePairs })]);
      workers.push(relay);
      const ready = await relay.next((m) => m.type === 'ready', 'the relay ready', SETUP_TIMEOUT_MS);
      // The clients' sockets bind any ports; the proxy in front of the relay is started first, for
      // them to send to, then one in front of each of their sockets, for the relay to send to.
      const relayPort = Number(ready['port']);
      const udxp = await udxPath(relayPort, linkFor(loss), seed);
      path = udxp;
      clients = Worker.start('chat-pairs', [JSON.stringify({ ...base, mode: 'udx', port: udxp.relayViaPort, udxBasePort: 0 } satisfies ChatPairsParams)]);
      workers.push(clients);
      const cready = await clients.next((m) => m.type === 'ready', 'the clients ready', SETUP_TIMEOUT_MS);
      const ends = await udxp.addClients(clientPorts(cready['udxPorts'], 1 + work.sparsePairs));
      relay.send({ type: 'connect', ends });
      await relay.next((m) => m.type === 'connected', 'the relay connected', SETUP_TIMEOUT_MS);
    } else {
      const server = Worker.start('chat-server', [
        JSON.stringify({ host: HOST, tcpPort: 0, udpPort: 0, roomCapacity: 15, rateLimit: 0, maxConnectionsPerAddress: 2 * (1 + work.sparsePairs) + 16, filesDir }),
      ]);
      workers.push(server);
      const ready = await server.next((m) => m.type === 'ready', 'the server ready', SETUP_TIMEOUT_MS);
      const dc = await dualchatPath(Number(ready['udpPort']), linkFor(loss), seed);
      path = dc;
      clients = Worker.start('chat-pairs', [JSON.stringify({ ...base, mode: 'dualchat-udp', port: Number(ready['tcpPort']), udxBasePort: 0, udpViaPort: dc.viaPort, openBatch: OPEN_BATCH } satisfies ChatPairsParams)]);
      workers.push(clients);
      await clients.next((m) => m.type === 'ready', 'the clients ready', SETUP_TIMEOUT_MS);
    }
    const before = path.counters();
    clients.send({ type: 'go' });
    const runMs = Math.max(work.denseLines / DENSE_RATE, work.sparseLines / SPARSE_RATE) * 1000 + work.drainMs + SETUP_TIMEOUT_MS;
    const result = asChatPairsResult(await clients.next((m) => m.type === 'result', 'the result', runMs));
    run.path = minus(path.counters(), before);
    run.result = result;
    run.figures = { dense: figuresOf(result.dense), sparse: figuresOf(result.sparse) };
    run.ok = true;
  } catch (e) {
    run.error = e instanceof Error ? e.message : String(e);
  } finally {
    await stopAll(workers.reverse());
    await path?.close();
  }
  return run;
}

/** The udx clients' ports from their ready message: one [senderPort, receiverPort] per pair. */
function clientPorts(value: unknown, pairs: number): Array<[number, number]> {
  const port = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 1 && (v as number) <= 65_535;
  if (!Array.isArray(value) || value.length !== pairs) throw new Error(`the udx clients told ${JSON.stringify(value)?.slice(0, 200)}, not ${pairs} pairs of ports`);
  return value.map((e: unknown) => {
    if (!Array.isArray(e) || e.length !== 2 || !port(e[0]) || !port(e[1])) throw new Error(`the udx clients told a bad pair of ports: ${JSON.stringify(e)}`);
    return [e[0], e[1]];
  });
}

function cell(runs: readonly Run[], mode: WanMode, loss: Loss, cls: ClassName, pick: (f: RunFigures) => number | undefined): number | undefined {
  const values: number[] = [];
  for (const r of runs) {
    if (r.mode !== mode || r.loss !== loss || !r.ok) continue;
    const f = r.figures[cls];
    const v = f === undefined ? undefined : pick(f);
    if (v !== undefined) values.push(v);
  }
  return quantileWithLost(values, 0.5);
}

function total(runs: readonly Run[], mode: WanMode, loss: Loss, pick: (r: Run) => number): number {
  return runs.filter((r) => r.mode === mode && r.loss === loss && r.ok).reduce((s, r) => s + pick(r), 0);
}

function ms(v: number | undefined): string {
  return v === Number.POSITIVE_INFINITY ? 'lost' : formatMs(v);
}

function label(mode: WanMode): string {
  return CONTENDERS.find((c) => c.mode === mode)?.label ?? mode;
}

function p99Table(title: string, cls: ClassName, runs: readonly Run[], modes: readonly WanMode[]): ResultTable {
  const has = (m: WanMode): boolean => modes.includes(m);
  return {
    title,
    columns: [{ label: 'loss' }, { label: 'dualchat UDP p50' }, { label: 'dualchat UDP p99' }, ...(has('udx') ? [{ label: 'udx-native p50' }, { label: 'udx-native p99' }, { label: 'UDP/udx p99' }] : [])],
    rows: LOSSES.map((loss) => {
      const udp = cell(runs, 'dualchat-udp', loss, cls, (f) => f.p99);
      const udx = cell(runs, 'udx', loss, cls, (f) => f.p99);
      return [
        `${loss}%`,
        ms(cell(runs, 'dualchat-udp', loss, cls, (f) => f.p50)),
        ms(udp),
        ...(has('udx') ? [ms(cell(runs, 'udx', loss, cls, (f) => f.p50)), ms(udx), formatRatio(ratio(udp, udx))] : []),
      ];
    }),
    notes: [`Path: ${DELAY_MS} ms ± ${JITTER_MS} ms one way on each link, so a line's floor is two hops: ~${2 * DELAY_MS} ms. No goal given; the verdict is "no line lost".`],
  };
}

function detailTable(runs: readonly Run[], modes: readonly WanMode[], work: Workload): ResultTable {
  const rows: string[][] = [];
  for (const cls of ['dense', 'sparse'] as const) {
    for (const loss of LOSSES) {
      for (const mode of modes) {
        const done = runs.filter((r) => r.mode === mode && r.loss === loss);
        const ok = done.filter((r) => r.ok);
        const drops = median(ok.map((r) => r.path?.dropped ?? 0));
        const datagrams = median(ok.map((r) => r.path?.datagrams ?? 0));
        rows.push([
          cls === 'dense' ? `${DENSE_RATE}/s` : `${SPARSE_RATE}/s ×${work.sparsePairs}`,
          `${loss}%`,
          label(mode),
          ms(cell(runs, mode, loss, cls, (f) => f.p50)),
          ms(cell(runs, mode, loss, cls, (f) => f.p99)),
          ms(cell(runs, mode, loss, cls, (f) => f.max)),
          `${total(runs, mode, loss, (r) => r.figures[cls]?.lost ?? 0)}/${total(runs, mode, loss, (r) => r.figures[cls]?.sent ?? 0)}`,
          String(total(runs, mode, loss, (r) => (r.figures[cls]?.duplicates ?? 0) + (r.figures[cls]?.outOfOrder ?? 0))),
          cls === 'dense' ? `${drops ?? '–'} of ${datagrams ?? '–'}` : '',
          cls === 'dense' && mode === 'dualchat-udp' ? String(total(runs, mode, loss, (r) => r.result?.fellBack ?? 0)) : '',
          `${ok.length}/${done.length}`,
        ]);
      }
    }
  }
  return {
    title: 'Every figure: medians over the rounds',
    columns: [
      { label: 'workload' },
      { label: 'loss', align: 'right' },
      { label: 'transport', align: 'left' },
      { label: 'p50' },
      { label: 'p99' },
      { label: 'max' },
      { label: 'lost/sent' },
      { label: 'dup+disorder' },
      { label: 'proxy drops' },
      { label: 'fell back' },
      { label: 'runs ok' },
    ],
    rows,
    notes: [
      `Latency: arrival at the receiver − hand-over to the sender, one clock; p50/p99/max per run (${work.denseLines} dense lines; ${work.sparsePairs} × ${work.sparseLines} sparse), then the median over the rounds.`,
      'lost/sent and dup+disorder: summed over all rounds (must be 0). proxy drops: datagrams the proxies\' links dropped of those they carried in one run (median; all pairs, both hops, both ways, ACKs included).',
      'fell back: dualchat clients whose chat left UDP during a run (must be 0).',
    ],
  };
}

function integrityVerdicts(runs: readonly Run[], modes: readonly WanMode[]): Verdict[] {
  return modes.map((mode) => {
    const mine = runs.filter((r) => r.mode === mode);
    const ok = mine.filter((r) => r.ok);
    const sum = (pick: (f: RunFigures) => number): number => ok.reduce((s, r) => s + (r.figures.dense === undefined ? 0 : pick(r.figures.dense)) + (r.figures.sparse === undefined ? 0 : pick(r.figures.sparse)), 0);
    const lost = sum((f) => f.lost);
    const sent = sum((f) => f.sent);
    const disorder = sum((f) => f.duplicates + f.outOfOrder);
    const fellBack = ok.reduce((s, r) => s + (r.result?.fellBack ?? 0), 0);
    return {
      goal: `no line lost (${label(mode)}, ${DELAY_MS} ± ${JITTER_MS} ms, 0–10 % loss)`,
      met: ok.length === 0 ? undefined : ok.length === mine.length && lost === 0 && disorder === 0 && fellBack === 0,
      measured: `${lost} lost, ${disorder} dup+disorder of ${sent}${mode === 'dualchat-udp' ? `, ${fellBack} fell back to TCP` : ''}${ok.length < mine.length ? `; ${mine.length - ok.length} runs failed` : ''}`,
    };
  });
}

function chart(runs: readonly Run[], modes: readonly WanMode[]): TopLevelSpec {
  const values: Array<{ loss: number; workload: string; transport: string; quantile: string; ms: number }> = [];
  for (const cls of ['dense', 'sparse'] as const) {
    const workload = cls === 'dense' ? `${DENSE_RATE} lines/s` : `${SPARSE_RATE} lines/s (sparse)`;
    for (const loss of LOSSES) {
      for (const mode of modes) {
        for (const [quantile, pick] of [['p50', (f: RunFigures) => f.p50], ['p99', (f: RunFigures) => f.p99]] as const) {
          const v = cell(runs, mode, loss, cls, pick);
          if (v !== undefined && Number.isFinite(v)) values.push({ loss: loss / 100, workload, transport: label(mode), quantile, ms: v });
        }
      }
    }
  }
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: {
      text: `Chat latency over a ${DELAY_MS} ± ${JITTER_MS} ms path with loss`,
      subtitle: ['sender → server → receiver through dualchat\'s impairment proxy (every hop, both ways); medians over rounds', `dashed: p50; solid: p99; the floor is two hops, ~${2 * DELAY_MS} ms`],
    },
    background: 'white',
    columns: 2,
    facet: { field: 'workload', type: 'nominal', title: null, sort: [`${DENSE_RATE} lines/s`, `${SPARSE_RATE} lines/s (sparse)`] },
    data: { values },
    spec: {
      width: 300,
      height: 260,
      mark: { type: 'line', point: true },
      encoding: {
        x: { field: 'loss', type: 'quantitative', axis: { format: '.0~%', values: LOSSES.map((l) => l / 100) }, title: 'datagram loss (each link)' },
        y: { field: 'ms', type: 'quantitative', title: 'latency (ms)', scale: { zero: false } },
        color: { field: 'transport', type: 'nominal', sort: modes.map(label) },
        strokeDash: { field: 'quantile', type: 'nominal', sort: ['p99', 'p50'] },
      },
    },
  };
}

async function udxLoads(): Promise<string | undefined> {
  try {
    const mod = (await import('udx-native')) as { default: new () => unknown };
    new mod.default();
    return undefined;
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
}

/** Latencies to 0.01 ms, to keep the JSON readable. */
function roundLatencies(c: PairClassResult): PairClassResult {
  return { ...c, latencies: c.latencies.map((l) => (l === null ? null : Math.round(l * 100) / 100)) };
}

export default defineSuite({
  name: 'chat-wan',
  title: 'Chat latency over a 20 ± 5 ms path with loss (impairment proxy): dualchat UDP vs udx-native',
  description:
    'Chat lines relayed sender → server → receiver with every datagram (both hops, both ways) through dualchat\'s own impairment proxy on 127.0.0.1: one-way delay 20 ms ± 5 ms jitter (no reordering), 0/5/10 % loss; per run 1,000 lines at 100/s and 50 sparse pairs × 20 lines at 2/s (10 s); p50/p99/max latency and lines lost, medians of 3 rounds. No root needed. Goal: no line lost.',
  defaultRuns: MIN_ROUNDS,
  fullRuns: 5,
  /** 3 rounds × (~7 s of setup + 10 s of lines + the last ones' ~0.1 s), both contenders and the loss rates at once. */
  budgetMs: 90_000,
  fullBudgetMs: 240_000,
  async run(ctx) {
    const work = ctx.quick ? QUICK_WORK : ctx.full ? FULL_WORK : DEFAULT_WORK;
    const udxProblem = await udxLoads();
    const modes = CONTENDERS.map((c) => c.mode).filter((m) => m !== 'udx' || udxProblem === undefined);
    if (udxProblem !== undefined) ctx.log(`udx-native does not load here (${udxProblem}): running without it`);
    const filesDir = mkdtempSync(join(tmpdir(), 'dualchat-bench-files-'));
    const runs: Run[] = [];
    try {
      // One "contender" per round: both transports and the three loss rates at once (see the header).
      const r = await ctx.alternate(
        [
          {
            name: 'all',
            run: async (round: number) => {
              const mine = await Promise.all(modes.flatMap((mode) => LOSSES.map((loss) => runOne(mode, loss, round, work, filesDir))));
              runs.push(...mine);
              return { load: loadNow(), failed: mine.filter((x) => !x.ok).map((x) => `${x.mode} ${x.loss}%: ${x.error ?? ''}`) };
            },
          },
        ],
        {
          minRounds: MIN_ROUNDS,
          onSample: (_name, round, s) => {
            const mine = runs.filter((x) => x.round === round);
            const p99s = mine.map((x) => `${label(x.mode)} ${x.loss}% ${ms(x.figures.dense?.p99)}/${ms(x.figures.sparse?.p99)}`).join(', ');
            ctx.log(`round ${round + 1}: p99 dense/sparse ${p99s}; load ${s.load}${s.failed.length > 0 ? `; FAILED ${s.failed.join('; ')}` : ''}`);
          },
        },
      );
      const failures = runs.filter((x) => !x.ok);
      return {
        tables: [
          p99Table(`Latency, ${work.denseLines} lines at ${DENSE_RATE}/s over ${DELAY_MS} ± ${JITTER_MS} ms (medians of ${r.rounds} rounds)`, 'dense', runs, modes),
          p99Table(`Latency, sparse: ${work.sparsePairs} pairs × ${work.sparseLines} lines at ${SPARSE_RATE}/s each (medians of ${r.rounds} rounds)`, 'sparse', runs, modes),
          detailTable(runs, modes, work),
        ],
        plots: [{ spec: chart(runs, modes) }],
        verdicts: integrityVerdicts(runs, modes),
        notes: [
          'TCP is not a contender here: a datagram proxy cannot carry it (its loss is chat-latency\'s, in a namespace, without delay: no netem in this kernel).',
          ...(udxProblem === undefined ? [] : [`udx-native left out: it does not load here (${udxProblem}).`]),
          ...failures.map((f) => `FAILED run: ${f.mode} at ${f.loss}% (round ${f.round + 1}): ${f.error ?? ''}`),
          ctx.quick ? `--quick: ${work.denseLines} dense lines, ${work.sparsePairs} sparse pairs × ${work.sparseLines} (the default: ${DEFAULT_WORK.denseLines}, ${DEFAULT_WORK.sparsePairs} × ${DEFAULT_WORK.sparseLines}).` : '',
          r.cutShort ? `The time budget stopped the rounds after ${r.rounds} of ${ctx.runs}.` : '',
        ].filter((n) => n !== ''),
        data: {
          params: { losses: LOSSES, delayMs: DELAY_MS, jitterMs: JITTER_MS, reorder: REORDER, denseRate: DENSE_RATE, sparseRate: SPARSE_RATE, bytes: LINE_BYTES, ...work, quick: ctx.quick, full: ctx.full },
          rounds: r.rounds,
          cutShort: r.cutShort,
          runs: runs.map((x) => ({
            ...x,
            result: x.result === undefined ? undefined : { ...x.result, dense: roundLatencies(x.result.dense), sparse: roundLatencies(x.result.sparse) },
          })),
        },
      };
    } finally {
      rmSync(filesDir, { recursive: true, force: true });
    }
  },
});
