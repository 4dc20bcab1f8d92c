// The fanout suite's figures, from its runs to its tables and verdicts (no sockets, no clock): per
// server and workload, the medians over rounds of delivered/s (wall), server CPU per delivery, latency
// and whether a paced run kept up; the sums of missing, duplicate and out-of-order deliveries; the
// ratios to ngircd; the goals against ngircd for dualchat TCP (the fanout issue's) and for the IRC door
// (issue 18's); and the chart.
import type { TopLevelSpec } from 'vega-lite';
import type { FanoutMode } from './fanout-protocol.ts';
import { formatFixed, formatMs, formatRatio, formatSi, formatWithSpread, median, ratio, summarise, type SampleSummary } from './stats.ts';
import type { Verdict } from './suite.ts';
import type { ResultTable } from './table.ts';

/** The workloads of one round, in the order they run on a contender's processes. */
export const WORKLOADS = ['window-8', 'window-32', 'paced'] as const;
export type WorkloadName = (typeof WORKLOADS)[number];

/** The server the goals are measured against, and the one they are set for. */
export const REFERENCE: FanoutMode = 'irc';
export const GOAL_SERVER: FanoutMode = 'dualchat-tcp';
/** The issue's goals for dualchat TCP, as ratios to ngircd. */
export const GOALS = {
  /** delivered/s ≥ 1.0× ngircd's (each closed-loop window). */
  minRateRatio: 1.0,
  /** server CPU per delivery ≤ 1.5× ngircd's (each closed-loop window). */
  maxCpuRatio: 1.5,
  /** paced p99 ≤ ngircd's. */
  maxPacedP99Ratio: 1.0,
} as const;

/**
 * A paced run kept up when every line arrived and the last arrived at most this long after the
 * last line was due: the server carried the offered rate and left at most its standing queue when
 * the senders stopped. Measured 2026-12-07 at load 7–12: a server that carries the rate keeps a
 * queue that does not grow with the run (dualchat TCP's lag 251 ms after 3 s paced, 267–307 ms after
 * 20 s; its p99 0.4–1 s), one that cannot falls further behind the longer it runs (dualchat UDP:
 * 6–8 s after 3 s, 37 s after 20 s). 1 s also reads as the rate: after a 20-second run it is 95 %
 * of the offered deliveries/s.
 */
export const KEEP_UP_LAG_MS = 1_000;

/** One workload on one server in one round. */
export interface FanoutRun {
  mode: FanoutMode;
  workload: WorkloadName;
  round: number;
  ok: boolean;
  error?: string;
  /** Lines per client, and what drove them. */
  lines: number;
  window: number | undefined;
  linesPerSecond: number | undefined;
  deliveries: number;
  expected: number;
  /** ms from go to the last delivery (the slowest client process). */
  wallMs: number;
  /** paced: when the last line was due (ms from go); closed: undefined. */
  scheduleMs: number | undefined;
  /** The most a paced line was handed over after its time (a client process fell behind), ms. */
  paceLateMs: number;
  serverCpuMs: number;
  clientCpuMs: number;
  p50: number | undefined;
  p99: number | undefined;
  max: number | undefined;
  duplicates: number;
  outOfOrder: number;
  fellBack: number;
  stalled: boolean;
  gaps: Array<{ receiver: number; sender: number; expected: number; got: number }>;
  errors: string[];
  /** The 1-minute load average when the run started. */
  load: number;
}

/** What a run is: the server, the workload and its sizes, the round, the expected count, the load at its start. */
export type RunIdentity = Pick<FanoutRun, 'mode' | 'workload' | 'round' | 'lines' | 'window' | 'linesPerSecond' | 'expected' | 'scheduleMs' | 'load'>;
/** What a run measures (a phase of the client processes, and the server's CPU over it). */
export type RunMeasures = Omit<FanoutRun, keyof RunIdentity | 'ok' | 'error'>;

/** A run before it is measured: nothing delivered, not ok. */
export function pendingRun(id: RunIdentity): FanoutRun {
  return {
    ...id,
    ok: false,
    deliveries: 0,
    wallMs: 0,
    paceLateMs: 0,
    serverCpuMs: 0,
    clientCpuMs: 0,
    p50: undefined,
    p99: undefined,
    max: undefined,
    duplicates: 0,
    outOfOrder: 0,
    fellBack: 0,
    stalled: false,
    gaps: [],
    errors: [],
  };
}

/** Deliveries per second of wall time. */
export function perSecond(r: FanoutRun): number {
  return r.wallMs > 0 ? (r.deliveries / r.wallMs) * 1000 : 0;
}

/** Server CPU time per delivery, µs. */
export function cpuUsPerDelivery(r: FanoutRun): number {
  return r.deliveries > 0 ? (r.serverCpuMs * 1000) / r.deliveries : Number.NaN;
}

/** paced: how long after the last line was due the last delivery came, ms. */
export function lagMs(r: FanoutRun): number | undefined {
  return r.scheduleMs === undefined ? undefined : r.wallMs - r.scheduleMs;
}

/** paced: every line arrived and no backlog was left (see KEEP_UP_LAG_MS). */
export function keptUp(r: FanoutRun): boolean | undefined {
  const lag = lagMs(r);
  return lag === undefined ? undefined : r.ok && lag <= KEEP_UP_LAG_MS;
}

/** The medians and sums of one server's runs of one workload. */
export interface CellFigures {
  done: number;
  ok: number;
  rate: SampleSummary;
  cpuUs: SampleSummary;
  p50: number | undefined;
  p99: number | undefined;
  max: number | undefined;
  lag: number | undefined;
  keptUp: number;
  paceLateMs: number | undefined;
  wallMs: number | undefined;
  clientCpuMs: number | undefined;
  missing: number;
  duplicates: number;
  outOfOrder: number;
}

export function cellFigures(runs: readonly FanoutRun[], mode: FanoutMode, workload: WorkloadName): CellFigures {
  const done = runs.filter((r) => r.mode === mode && r.workload === workload);
  const ok = done.filter((r) => r.ok);
  const med = (pick: (r: FanoutRun) => number | undefined): number | undefined => median(ok.map((r) => pick(r) ?? Number.NaN));
  return {
    done: done.length,
    ok: ok.length,
    rate: summarise(ok.map(perSecond)),
    cpuUs: summarise(ok.map(cpuUsPerDelivery)),
    p50: med((r) => r.p50),
    p99: med((r) => r.p99),
    max: med((r) => r.max),
    lag: med(lagMs),
    keptUp: done.filter((r) => keptUp(r) === true).length,
    paceLateMs: med((r) => r.paceLateMs),
    wallMs: med((r) => r.wallMs),
    clientCpuMs: med((r) => r.clientCpuMs),
    missing: done.reduce((s, r) => s + (r.expected - r.deliveries), 0),
    duplicates: done.reduce((s, r) => s + r.duplicates, 0),
    outOfOrder: done.reduce((s, r) => s + r.outOfOrder, 0),
  };
}

export interface Contender {
  mode: FanoutMode;
  label: string;
}

const WORKLOAD_TITLES: Record<WorkloadName, string> = {
  'window-8': 'closed loop, window 8',
  'window-32': 'closed loop, window 32',
  paced: 'paced',
};

/** "window 8", "window 32", "paced". */
export function workloadTitle(w: WorkloadName): string {
  return WORKLOAD_TITLES[w];
}

/** "µs" with three significant digits, or a dash. */
function us(v: number | undefined): string {
  return v === undefined || !Number.isFinite(v) ? '–' : `${formatSi(v)} µs`;
}

function closedTable(runs: readonly FanoutRun[], contenders: readonly Contender[], workload: WorkloadName, heading: string): ResultTable {
  const ref = cellFigures(runs, REFERENCE, workload);
  const rows = contenders.map((c) => {
    const f = cellFigures(runs, c.mode, workload);
    return [
      c.label,
      formatWithSpread(f.rate, (v) => formatSi(v)),
      formatRatio(ratio(f.rate.median, ref.rate.median)),
      formatWithSpread(f.cpuUs, (v) => us(v)),
      formatRatio(ratio(f.cpuUs.median, ref.cpuUs.median)),
      formatMs(f.p50),
      formatMs(f.p99),
      formatMs(f.max),
      `${f.missing}`,
      `${f.duplicates}`,
      `${f.outOfOrder}`,
      formatMs(f.wallMs),
      f.clientCpuMs === undefined ? '–' : `${formatSi(f.clientCpuMs / 1000)} s`,
      `${f.ok}/${f.done}`,
    ];
  });
  return {
    title: `${workloadTitle(workload)}: ${heading}`,
    columns: [
      { label: 'server' },
      { label: 'delivered/s' },
      { label: '÷ ngircd' },
      { label: 'server CPU/delivery' },
      { label: '÷ ngircd' },
      { label: 'p50' },
      { label: 'p99' },
      { label: 'max' },
      { label: 'missing' },
      { label: 'dup' },
      { label: 'disorder' },
      { label: 'run' },
      { label: 'clients CPU' },
      { label: 'runs ok' },
    ],
    rows,
  };
}

function pacedTable(runs: readonly FanoutRun[], contenders: readonly Contender[], heading: string, offeredPerSecond: number): ResultTable {
  const ref = cellFigures(runs, REFERENCE, 'paced');
  const rows = contenders.map((c) => {
    const f = cellFigures(runs, c.mode, 'paced');
    return [
      c.label,
      formatSi(offeredPerSecond),
      formatWithSpread(f.rate, (v) => formatSi(v)),
      formatMs(f.p50),
      formatMs(f.p99),
      formatRatio(ratio(f.p99, ref.p99)),
      formatMs(f.max),
      f.done === 0 ? '–' : `${f.keptUp === f.done ? 'yes' : 'NO'} (${formatMs(f.lag)})`,
      formatWithSpread(f.cpuUs, (v) => us(v)),
      formatRatio(ratio(f.cpuUs.median, ref.cpuUs.median)),
      `${f.missing}`,
      `${f.duplicates}`,
      `${f.outOfOrder}`,
      formatMs(f.paceLateMs),
      `${f.ok}/${f.done}`,
    ];
  });
  return {
    title: `paced: ${heading}`,
    columns: [
      { label: 'server' },
      { label: 'offered/s' },
      { label: 'delivered/s' },
      { label: 'p50' },
      { label: 'p99' },
      { label: 'p99 ÷ ngircd' },
      { label: 'max' },
      { label: 'kept up (lag)' },
      { label: 'server CPU/delivery' },
      { label: '÷ ngircd' },
      { label: 'missing' },
      { label: 'dup' },
      { label: 'disorder' },
      { label: 'pacing late' },
      { label: 'runs ok' },
    ],
    rows,
  };
}

export interface TableHeadings {
  /** Per workload, what one run sends ("100 clients × 1,000 lines, 9.9M deliveries per run; medians of 3 rounds"). */
  closed: string;
  paced: string;
  /** Deliveries per second the paced run offers. */
  offeredPerSecond: number;
}

/** The three tables: window 8, window 32, paced. */
export function fanoutTables(runs: readonly FanoutRun[], contenders: readonly Contender[], h: TableHeadings): ResultTable[] {
  return [closedTable(runs, contenders, 'window-8', h.closed), closedTable(runs, contenders, 'window-32', h.closed), pacedTable(runs, contenders, h.paced, h.offeredPerSecond)];
}

/** "1.23× (286k vs 233k)". */
function against(value: number | undefined, reference: number | undefined, format: (v: number | undefined) => string): string {
  return `${format(value)} vs ngircd's ${format(reference)} (${formatRatio(ratio(value, reference))})`;
}

/**
 * The issue's goals for dualchat TCP against ngircd — delivered/s and server CPU per delivery at
 * each window, paced p99 — and every server's integrity. `ngircdMissing`: why ngircd was not measured
 * (those goals are then "not measured").
 */
export function fanoutVerdicts(runs: readonly FanoutRun[], ngircdMissing: string | undefined): Verdict[] {
  const goal = (workload: WorkloadName) => cellFigures(runs, GOAL_SERVER, workload);
  const ref = (workload: WorkloadName) => cellFigures(runs, REFERENCE, workload);
  const judged = (value: number | undefined, reference: number | undefined, test: (r: number) => boolean): boolean | undefined => {
    const r = ratio(value, reference);
    return ngircdMissing !== undefined || r === undefined ? undefined : test(r);
  };
  const verdicts: Verdict[] = [];
  verdicts.push(...rateVerdicts(runs, GOAL_SERVER, 'dualchat TCP', ngircdMissing));
  for (const w of ['window-8', 'window-32'] as const) {
    const g = goal(w);
    const n = ref(w);
    verdicts.push({
      goal: `dualchat TCP server CPU per delivery ≤ ${formatFixed(GOALS.maxCpuRatio, 1)}× ngircd's (${workloadTitle(w)})`,
      met: judged(g.cpuUs.median, n.cpuUs.median, (r) => r <= GOALS.maxCpuRatio),
      measured: ngircdMissing ?? against(g.cpuUs.median, n.cpuUs.median, us),
    });
  }
  const gp = goal('paced');
  const np = ref('paced');
  verdicts.push({
    goal: "dualchat TCP paced p99 ≤ ngircd's",
    met: judged(gp.p99, np.p99, (r) => r <= GOALS.maxPacedP99Ratio),
    measured: ngircdMissing ?? against(gp.p99, np.p99, formatMs),
  });
  const failed = runs.filter((r) => !r.ok);
  const missing = runs.reduce((s, r) => s + (r.expected - r.deliveries), 0);
  const duplicates = runs.reduce((s, r) => s + r.duplicates, 0);
  const outOfOrder = runs.reduce((s, r) => s + r.outOfOrder, 0);
  verdicts.push({
    goal: 'every delivery arrives once, in order (every server, every workload)',
    met: runs.length === 0 ? undefined : failed.length === 0 && missing === 0 && duplicates === 0 && outOfOrder === 0,
    measured: `${missing} missing, ${duplicates} duplicate, ${outOfOrder} out of order over ${runs.length} runs${failed.length > 0 ? `; ${failed.length} failed` : ''}`,
  });
  return verdicts;
}

/** The IRC door's goal (issue 18): delivered/s ≥ ngircd's at window 8 and 32. */
export function ircDoorVerdicts(runs: readonly FanoutRun[], ngircdMissing: string | undefined): Verdict[] {
  return rateVerdicts(runs, 'dualchat-irc', 'dualchat IRC door', ngircdMissing);
}

/** `label` (server `mode`) delivered/s ≥ GOALS.minRateRatio × ngircd's, at each closed-loop window. */
function rateVerdicts(runs: readonly FanoutRun[], mode: FanoutMode, label: string, ngircdMissing: string | undefined): Verdict[] {
  return (['window-8', 'window-32'] as const).map((w) => {
    const g = cellFigures(runs, mode, w).rate.median;
    const n = cellFigures(runs, REFERENCE, w).rate.median;
    const r = ratio(g, n);
    return {
      goal: `${label} delivered/s ≥ ${formatFixed(GOALS.minRateRatio, 1)}× ngircd's (${workloadTitle(w)})`,
      met: ngircdMissing !== undefined || r === undefined ? undefined : r >= GOALS.minRateRatio,
      measured: ngircdMissing ?? against(g, n, (v) => `${formatSi(v)}/s`),
    };
  });
}

/** Short names for the chart's legend ("window 8", "window 32", "paced"). */
const WORKLOAD_SHORT: Record<WorkloadName, string> = { 'window-8': 'window 8', 'window-32': 'window 32', paced: 'paced' };

/**
 * The chart: delivered/s and server CPU per delivery per server, the three workloads side by side,
 * and the paced p99 per server; medians over rounds.
 */
export function fanoutChart(runs: readonly FanoutRun[], contenders: readonly Contender[], setup: { clients: number; pacedRate: number }): TopLevelSpec {
  const rows = contenders.flatMap((c) =>
    WORKLOADS.map((w) => {
      const f = cellFigures(runs, c.mode, w);
      return { server: c.label, workload: WORKLOAD_SHORT[w], perSecond: f.rate.median ?? 0, cpuUs: f.cpuUs.median ?? 0, p99: f.p99 ?? 0 };
    }),
  );
  const order = contenders.map((c) => c.label);
  const workloads = WORKLOADS.map((w) => WORKLOAD_SHORT[w]);
  const x = { field: 'server', type: 'nominal', sort: order, title: null, axis: { labelAngle: -30 } } as const;
  /** Bars per server, one per workload side by side. */
  const grouped = (field: string, title: string) =>
    ({
      width: 240,
      height: 200,
      mark: { type: 'bar' },
      encoding: {
        x,
        xOffset: { field: 'workload', type: 'nominal', sort: workloads },
        y: { field, type: 'quantitative', title },
        color: { field: 'workload', type: 'nominal', sort: workloads, title: 'workload' },
      },
    }) as const;
  const paced = {
    width: 240,
    height: 200,
    transform: [{ filter: { field: 'workload', equal: WORKLOAD_SHORT.paced } }],
    mark: { type: 'bar' as const },
    encoding: { x, y: { field: 'p99', type: 'quantitative', title: `paced p99 (ms), ${setup.pacedRate} lines/s per client` }, color: { field: 'server', type: 'nominal', sort: order, legend: null } } as const,
  };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: `Room fanout: ${setup.clients} clients, every line to every other member`, subtitle: 'medians over rounds; each server in its own process' },
    background: 'white',
    data: { values: rows },
    hconcat: [grouped('perSecond', 'deliveries / s (wall)'), grouped('cpuUs', 'server CPU µs / delivery'), paced],
    // Each chart its own axes and colours (workloads in the first two, servers in the third).
    resolve: { scale: { color: 'independent', y: 'independent' }, legend: { color: 'independent' } },
  };
}
