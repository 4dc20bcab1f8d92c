// The plan of `npm run bench`: which rounds and budget each suite gets at each scale, and the time
// the whole default run must fit in. The acceptance: one command produces every figure on
// this machine (2 shared cores), repeatably, within ~10 minutes — so the default budgets of all the
// suites add up to at most DEFAULT_PLAN_MS (test/bench/harness.test.ts checks it), and `--full` is
// where more rounds go.
import type { Scale, Suite } from './suite.ts';

/** The whole default `npm run bench`: ~10 minutes (issue 7, acceptance). */
export const DEFAULT_PLAN_MS = 600_000;

/**
 * The default run, suite by suite: what it measures and the wall time it is planned to take on this
 * machine (2 shared cores), each figure measured with a single-suite run, process start included
 * (docs/benchmarks.md, "The plan"). They add up to at most DEFAULT_PLAN_MS; a suite's default budget
 * is at least its planned time (the budget never cuts the planned rounds short).
 */
export const PLAN: Readonly<Record<string, { plannedMs: number; what: string }>> = {
  'sim-speed': { plannedMs: 8_000, what: '5 alternating rounds of 5 cases after a warm-up (--full: 11)' },
  'sim-efficiency': { plannedMs: 6_000, what: '3 workloads × 5 loss rates × 2 controllers × 5 seeds, virtual time (--full: 15 seeds)' },
  'sim-scenarios': { plannedMs: 4_000, what: '7 scenarios × 5 seeds, virtual time (--full: 20 seeds)' },
  'chat-latency': { plannedMs: 200_000, what: '3 rounds × 3 transports × 4 loss rates (in parallel): 1,000 dense + 1,000 sparse lines per run, 10 s (--full: 5 rounds, 20 s runs)' },
  download: { plannedMs: 110_000, what: '20 MiB × 3 rounds, then 200 MiB × 1 round; TCP, dualchat at 0/1/5/10 %, blast at 0 % (--full: 3 rounds of both)' },
  fanout: { plannedMs: 60_000, what: '1 round × 4 servers (ngircd, dualchat TCP and UDP, a Node forwarder), 100 clients: windows 8 and 32 × 50 lines (495k deliveries each), 3 s paced at 20 lines/s (--full: 3 rounds of 1,000 lines and 20 s paced)' },
  'chat-wan': { plannedMs: 60_000, what: '3 rounds; both transports and the 3 loss rates at once through the impairment proxy (20 ± 5 ms): 1,000 dense + 1,000 sparse lines per run, 10 s (--full: 5 rounds, 20 s runs)' },
  sealing: { plannedMs: 12_000, what: 'plain vs sealed: chat p99 at 0/5/10 % (400 lines each, the 3 rates at once), 2 rounds of a 20 MiB download, CPU per datagram (--full: 5 rounds)' },
  capacity: { plannedMs: 120_000, what: '10,000 sessions, 2 connect/disconnect cycles (bench/suites/capacity.ts: its own options for 10 cycles)' },
  cluster: { plannedMs: 20_000, what: '1 round × 1, 2 and 3 nodes on one Redis, a room of 300: 200 lines/s for 2 s (--full: 3 rounds at 1,000 lines/s for 3 s)' },
};

/** Rounds a suite runs: `--runs N` wins, else its own for the scale. */
export function runsFor(suite: Pick<Suite, 'defaultRuns' | 'fullRuns'>, scale: Scale, runs?: number): number {
  if (runs !== undefined) return runs;
  return scale === 'full' ? (suite.fullRuns ?? suite.defaultRuns) : suite.defaultRuns;
}

/** A suite's budget at a scale: `--full` gets fullBudgetMs, else the default budget scaled by the extra rounds. */
export function budgetFor(suite: Pick<Suite, 'defaultRuns' | 'fullRuns' | 'budgetMs' | 'fullBudgetMs'>, scale: Scale): number {
  if (scale !== 'full') return suite.budgetMs;
  if (suite.fullBudgetMs !== undefined) return suite.fullBudgetMs;
  return Math.ceil((suite.budgetMs * (suite.fullRuns ?? suite.defaultRuns)) / suite.defaultRuns);
}

/** The sum of the budgets at a scale: what the run is planned to take at most (a round in progress may finish late). */
export function plannedMs(suites: ReadonlyArray<Pick<Suite, 'defaultRuns' | 'fullRuns' | 'budgetMs' | 'fullBudgetMs'>>, scale: Scale): number {
  return suites.reduce((ms, s) => ms + budgetFor(s, scale), 0);
}

/** "42.0 s" under two minutes, else "3 min 05 s". */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '–';
  if (ms < 120_000) return `${(ms / 1000).toFixed(1)} s`;
  const s = Math.round(ms / 1000);
  return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`;
}
