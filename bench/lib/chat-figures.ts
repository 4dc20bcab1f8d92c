// What the chat-latency and chat-wan suites share: the chat-pairs workload (a dense pair at
// 100 lines/s and sparse pairs at 2 lines/s, on separate connections, at once) and its constants, a
// run's figures per class (p50/p99/max where a lost line counts as +∞), the medians and totals over
// rounds, the "every figure" table, the integrity sums, the chart's faceting and the closing notes.
// Generic over the contenders' modes and the loss rates, which differ: chat-latency has TCP and
// 0–20 % kernel loss, chat-wan only UDP contenders and 0–10 % proxy loss.
import { asChatPairsResult, type ChatPairsParams, type ChatPairsResult, type PairClassResult } from './pairs-protocol.ts';
import { formatMs, median } from './stats.ts';
import type { ResultTable } from './table.ts';
import type { Worker } from './worker.ts';

/** What one run sends: a dense pair's lines, and sparse pairs × lines each. */
export interface ChatWorkload {
  denseLines: number;
  sparsePairs: number;
  sparseLines: number;
  /** How long a run waits for the last lines after the last was sent. */
  drainMs: number;
}

/** A workload per scale (`--quick`, the default, `--full`). */
export interface ChatWorkloads {
  quick: ChatWorkload;
  default: ChatWorkload;
  full: ChatWorkload;
}

/**
 * The default: 10 s runs with 1,000 lines per class, enough for a p99 of each run (the 10th-worst
 * line); sparse pairs at 2 lines/s are many (50) rather than long, so a run stays 10 s. `--full`:
 * 20 s runs (2,000 dense lines; 2,000 sparse). The drain and the quick look are each suite's.
 */
export function chatWorkloads(drainMs: number, quick: ChatWorkload): ChatWorkloads {
  return { quick, default: { denseLines: 1000, sparsePairs: 50, sparseLines: 20, drainMs }, full: { denseLines: 2000, sparsePairs: 50, sparseLines: 40, drainMs } };
}

/** The workload of the scale asked for. */
export function workloadFor(works: ChatWorkloads, scale: { quick: boolean; full: boolean }): ChatWorkload {
  return scale.quick ? works.quick : scale.full ? works.full : works.default;
}

/** Rounds the median is taken over, whatever the budget says (issue 7: 3-round medians). */
export const MIN_ROUNDS = 3;
/** The dense pair's rate, lines/s: a busy conversation, where the next line acknowledges the last. */
export const DENSE_RATE = 100;
/** Each sparse pair's rate, lines/s: every line alone on the wire (its loss found by a probe or a timer). */
export const SPARSE_RATE = 2;
/** Size of each chat text, bytes: a typical typed line. */
export const LINE_BYTES = 100;
/** Every process of a run listens and connects on loopback (in a namespace or not). */
export const HOST = '127.0.0.1';
/** Starting a server (or relay) and its clients, signing in, binding UDP (through a path, if any). */
export const SETUP_TIMEOUT_MS = 60_000;

/** The contenders over UDP, in both suites: dualchat's data plane and udx-native. */
export type UdpChatMode = 'dualchat-udp' | 'udx';
export const UDP_CONTENDERS: ReadonlyArray<{ mode: UdpChatMode; label: string }> = [
  { mode: 'dualchat-udp', label: 'dualchat UDP' },
  { mode: 'udx', label: 'udx-native' },
];

export type ChatClass = 'dense' | 'sparse';
export const CHAT_CLASSES: readonly ChatClass[] = ['dense', 'sparse'];

/** One class of one run: p50/p99/max (ms; +∞ when the quantile reaches a lost line) and the counts. */
export interface RunFigures {
  p50: number | undefined;
  p99: number | undefined;
  max: number | undefined;
  sent: number;
  lost: number;
  duplicates: number;
  outOfOrder: number;
}

/** What every run of both suites records; each suite's run adds its own measures of the impairment. */
export interface ChatRun<Mode extends string, Loss extends number> {
  mode: Mode;
  loss: Loss;
  round: number;
  ok: boolean;
  error?: string;
  result?: ChatPairsResult;
  /** Per class: p50/p99/max of this run (ms), lines lost. */
  figures: Record<ChatClass, RunFigures | undefined>;
}

type AnyRun = ChatRun<string, number>;

/**
 * The q-quantile, interpolated between ranks, where a line that never arrived counts as +∞: it sorts
 * last and makes every quantile that reaches it ∞ (shown as "lost").
 */
export function quantileWithLost(values: readonly number[], q: number): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const pos = q * (sorted.length - 1);
  const lo = sorted[Math.floor(pos)] as number;
  const hi = sorted[Math.ceil(pos)] as number;
  return lo === hi ? lo : lo + (hi - lo) * (pos - Math.floor(pos));
}

export function figuresOf(c: PairClassResult): RunFigures {
  const all = c.latencies.map((l) => (l === null ? Number.POSITIVE_INFINITY : l));
  return {
    p50: quantileWithLost(all, 0.5),
    p99: quantileWithLost(all, 0.99),
    max: quantileWithLost(all, 1),
    sent: c.sent,
    lost: c.lost,
    duplicates: c.duplicates,
    outOfOrder: c.outOfOrder,
  };
}

/** Both classes' figures of a run's result. */
export function runFigures(result: ChatPairsResult): Record<ChatClass, RunFigures> {
  return { dense: figuresOf(result.dense), sparse: figuresOf(result.sparse) };
}

/** The chat-pairs clients' parameters that come from the workload, whatever the transport. */
export function pairsWorkParams(work: ChatWorkload): Omit<ChatPairsParams, 'mode' | 'port' | 'udxBasePort'> {
  return {
    host: HOST,
    denseLines: work.denseLines,
    denseRate: DENSE_RATE,
    sparsePairs: work.sparsePairs,
    sparseLines: work.sparseLines,
    sparseRate: SPARSE_RATE,
    bytes: LINE_BYTES,
    drainMs: work.drainMs,
  };
}

/** The chat-server worker's parameters for a workload: room for every pair's connections (both ends, and spare). */
export function chatServerParams(work: ChatWorkload, filesDir: string): Record<string, string | number> {
  return { host: HOST, tcpPort: 0, udpPort: 0, roomCapacity: 15, rateLimit: 0, maxConnectionsPerAddress: 2 * (1 + work.sparsePairs) + 16, filesDir };
}

/** How long to wait for a run's result once it has begun: the longer class's lines, the drain, and setup's margin. */
export function resultTimeoutMs(work: ChatWorkload): number {
  return Math.max(work.denseLines / DENSE_RATE, work.sparseLines / SPARSE_RATE) * 1000 + work.drainMs + SETUP_TIMEOUT_MS;
}

/** Starts the ready chat-pairs clients and waits for their result (at most resultTimeoutMs). */
export async function runClients(clients: Worker, work: ChatWorkload): Promise<ChatPairsResult> {
  clients.send({ type: 'go' });
  return asChatPairsResult(await clients.next((m) => m.type === 'result', 'the result', resultTimeoutMs(work)));
}

/** Records a run's result and its figures, and marks it done. */
export function completeRun(run: AnyRun, result: ChatPairsResult): void {
  run.result = result;
  run.figures = runFigures(result);
  run.ok = true;
}

/** Median over the rounds of one figure of one cell (∞ included: a run that lost lines is the worst). */
export function cell<M extends string, L extends number>(
  runs: ReadonlyArray<ChatRun<M, L>>,
  mode: M,
  loss: L,
  cls: ChatClass,
  pick: (f: RunFigures) => number | undefined,
): number | undefined {
  const values: number[] = [];
  for (const r of runs) {
    if (r.mode !== mode || r.loss !== loss || !r.ok) continue;
    const f = r.figures[cls];
    const v = f === undefined ? undefined : pick(f);
    if (v !== undefined) values.push(v);
  }
  return quantileWithLost(values, 0.5);
}

/** A measure summed over the successful runs of one contender at one loss rate. */
export function total<R extends AnyRun>(runs: readonly R[], mode: R['mode'], loss: R['loss'], pick: (r: R) => number): number {
  return runs.filter((r) => r.mode === mode && r.loss === loss && r.ok).reduce((s, r) => s + pick(r), 0);
}

/** A latency cell: "lost" where the quantile reached a line that never arrived. */
export function ms(v: number | undefined): string {
  return v === Number.POSITIVE_INFINITY ? 'lost' : formatMs(v);
}

/** A run's dense/sparse p99, as the progress log shows it. */
export function p99Pair(run: AnyRun): string {
  return `${ms(run.figures.dense?.p99)}/${ms(run.figures.sparse?.p99)}`;
}

/** A mode's label among the contenders (the mode itself when it is not one). */
export function contenderLabel<M extends string>(contenders: ReadonlyArray<{ mode: M; label: string }>): (mode: M) => string {
  return (mode) => contenders.find((c) => c.mode === mode)?.label ?? mode;
}

/** A column of the "every figure" table filled on the dense rows only (the per-run measures). */
export interface DetailColumn<R> {
  label: string;
  /** What the column means, for the table's notes. */
  note: string;
  /** The cell from the contender's successful runs at the row's loss rate. */
  value: (ok: readonly R[]) => string;
}

export interface DetailOptions<R extends AnyRun> {
  runs: readonly R[];
  modes: ReadonlyArray<R['mode']>;
  losses: ReadonlyArray<R['loss']>;
  work: ChatWorkload;
  label: (mode: R['mode']) => string;
  /** What the impairment dropped (kernel or proxy): the column after dup+disorder. */
  drops: DetailColumn<R>;
  /** Columns after "fell back". */
  more?: ReadonlyArray<DetailColumn<R>>;
}

/** Every figure of every class, loss rate and contender: medians over the rounds, totals for the counts. */
export function detailTable<R extends AnyRun>(o: DetailOptions<R>): ResultTable {
  const more = o.more ?? [];
  const rows: string[][] = [];
  for (const cls of CHAT_CLASSES) {
    for (const loss of o.losses) {
      for (const mode of o.modes) {
        const done = o.runs.filter((r) => r.mode === mode && r.loss === loss);
        const ok = done.filter((r) => r.ok);
        const dense = cls === 'dense';
        rows.push([
          dense ? `${DENSE_RATE}/s` : `${SPARSE_RATE}/s ×${o.work.sparsePairs}`,
          `${loss}%`,
          o.label(mode),
          ms(cell(o.runs, mode, loss, cls, (f) => f.p50)),
          ms(cell(o.runs, mode, loss, cls, (f) => f.p99)),
          ms(cell(o.runs, mode, loss, cls, (f) => f.max)),
          `${total(o.runs, mode, loss, (r) => r.figures[cls]?.lost ?? 0)}/${total(o.runs, mode, loss, (r) => r.figures[cls]?.sent ?? 0)}`,
          String(total(o.runs, mode, loss, (r) => (r.figures[cls]?.duplicates ?? 0) + (r.figures[cls]?.outOfOrder ?? 0))),
          dense ? o.drops.value(ok) : '',
          dense && mode === 'dualchat-udp' ? String(total(o.runs, mode, loss, (r) => r.result?.fellBack ?? 0)) : '',
          ...more.map((c) => (dense ? c.value(ok) : '')),
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
      { label: o.drops.label },
      { label: 'fell back' },
      ...more.map((c) => ({ label: c.label })),
      { label: 'runs ok' },
    ],
    rows,
    notes: [
      `Latency: arrival at the receiver − hand-over to the sender, one clock; p50/p99/max per run (${o.work.denseLines} dense lines; ${o.work.sparsePairs} × ${o.work.sparseLines} sparse), then the median over the rounds.`,
      `lost/sent and dup+disorder: summed over all rounds (must be 0). ${o.drops.note}`,
      'fell back: dualchat clients whose chat left UDP during a run (must be 0).',
      ...more.map((c) => c.note),
    ],
  };
}

/** What the runs of one contender lost, duplicated or reordered, summed over its successful runs. */
export interface Integrity {
  runs: number;
  ok: number;
  lost: number;
  sent: number;
  /** Lines duplicated or out of order. */
  disorder: number;
  /** dualchat clients that left UDP. */
  fellBack: number;
}

export function integrityOf(runs: readonly AnyRun[]): Integrity {
  const ok = runs.filter((r) => r.ok);
  const sum = (pick: (f: RunFigures) => number): number =>
    ok.reduce((s, r) => s + (r.figures.dense === undefined ? 0 : pick(r.figures.dense)) + (r.figures.sparse === undefined ? 0 : pick(r.figures.sparse)), 0);
  return {
    runs: runs.length,
    ok: ok.length,
    lost: sum((f) => f.lost),
    sent: sum((f) => f.sent),
    disorder: sum((f) => f.duplicates + f.outOfOrder),
    fellBack: ok.reduce((s, r) => s + (r.result?.fellBack ?? 0), 0),
  };
}

/** "3 lost, 0 dup+disorder of 6000", then `middle`, then the failed runs if any. */
export function integrityText(i: Integrity, middle = ''): string {
  return `${i.lost} lost, ${i.disorder} dup+disorder of ${i.sent}${middle}${i.ok < i.runs ? `; ${i.runs - i.ok} runs failed` : ''}`;
}

/** The chart's facet per class: its name, in this order. */
export function workloadName(cls: ChatClass): string {
  return cls === 'dense' ? `${DENSE_RATE} lines/s` : `${SPARSE_RATE} lines/s (sparse)`;
}

/** The charts' frame: one facet per class side by side, each this size. */
export const FACETS = {
  $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
  background: 'white',
  columns: 2,
  facet: { field: 'workload', type: 'nominal', title: null, sort: CHAT_CLASSES.map(workloadName) },
} as const;
export const FACET_SIZE = { width: 300, height: 260 } as const;

/** Whether udx-native loads and makes a socket here: undefined if so, else why not. */
export async function udxLoads(): Promise<string | undefined> {
  try {
    const mod = (await import('udx-native')) as { default: new () => unknown };
    new mod.default();
    return undefined;
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
}

/** Latencies to 0.01 ms, to keep the JSON readable. */
export function roundLatencies(c: PairClassResult): PairClassResult {
  return { ...c, latencies: c.latencies.map((l) => (l === null ? null : Math.round(l * 100) / 100)) };
}

/** The runs as the results JSON keeps them: latencies rounded. */
export function runsForJson<R extends AnyRun>(runs: readonly R[]): R[] {
  return runs.map((x) => ({
    ...x,
    result: x.result === undefined ? undefined : { ...x.result, dense: roundLatencies(x.result.dense), sparse: roundLatencies(x.result.sparse) },
  }));
}

/** The notes both suites close with: udx-native left out, the failed runs, --quick, a cut-short budget. */
export function closingNotes(o: {
  udxProblem: string | undefined;
  runs: readonly AnyRun[];
  work: ChatWorkload;
  defaultWork: ChatWorkload;
  quick: boolean;
  rounds: number;
  roundsAsked: number;
  cutShort: boolean;
}): string[] {
  return [
    ...(o.udxProblem === undefined ? [] : [`udx-native left out: it does not load here (${o.udxProblem}).`]),
    ...o.runs.filter((x) => !x.ok).map((f) => `FAILED run: ${f.mode} at ${f.loss}% (round ${f.round + 1}): ${f.error ?? ''}`),
    o.quick
      ? `--quick: ${o.work.denseLines} dense lines, ${o.work.sparsePairs} sparse pairs × ${o.work.sparseLines} (the default: ${o.defaultWork.denseLines}, ${o.defaultWork.sparsePairs} × ${o.defaultWork.sparseLines}).`
      : '',
    o.cutShort ? `The time budget stopped the rounds after ${o.rounds} of ${o.roundsAsked}.` : '',
  ].filter((n) => n !== '');
}

/** The median of a per-run measure over runs, "–" when there is none. */
export function medianText(values: readonly number[]): string {
  return String(median(values) ?? '–');
}
