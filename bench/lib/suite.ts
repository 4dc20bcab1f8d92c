// What a benchmark suite is. A suite is one file in bench/suites/ whose default export is
// `defineSuite({...})`; bench/run.ts finds it there, so adding a suite touches nothing else.
//
//   export default defineSuite({
//     name: 'my-suite', title: '…', description: '…', defaultRuns: 5, budgetMs: 60_000,
//     async run(ctx) {
//       const r = await ctx.alternate([{ name: 'A', run: () => measureA() }, { name: 'B', run: () => measureB() }]);
//       return { tables: [...], plots: [...], data: r.samples, verdicts: [{ goal: '…', met: true, measured: '…' }] };
//     },
//   });
//
// Three scales: the default (what `npm run bench` runs: every figure, within the plan of
// bench/lib/plan.ts), `--quick` (smaller workloads, a fast look) and `--full` (more rounds: `fullRuns`,
// within `fullBudgetMs`).
import type { TopLevelSpec } from 'vega-lite';
import { alternate, type Alternated, type AlternateOptions, type Contender } from './alternate.ts';
import type { Machine } from './machine.ts';
import type { ResultTable } from './table.ts';

/** Suite names are file names and result file names: lower-case words joined by dashes. */
export const SUITE_NAME = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;

export interface SuitePlot {
  /** Written to bench/results/<suite>.svg when absent, else <suite>-<name>.svg. */
  name?: string;
  spec: TopLevelSpec;
}

export interface SuiteResult {
  tables: ResultTable[];
  plots?: SuitePlot[];
  /** Everything worth keeping (raw samples, medians, parameters): written to bench/results/<suite>.json. */
  data: unknown;
  /** Lines printed after the tables. */
  notes?: string[];
  /** Each goal of the suite with its verdict: the harness's closing summary prints them. */
  verdicts?: Verdict[];
}

/** One goal and whether this run met it. */
export interface Verdict {
  /** The goal, short: "p99 ≤ 25 ms at 10 % loss (100 lines/s)". */
  goal: string;
  /** true: met; false: not met; undefined: not measured (a failed run, a contender missing). */
  met: boolean | undefined;
  /** What was measured, with the ratio to the goal: "15.6 ms (0.62× the goal)". */
  measured: string;
}

/** How much a run measures: `--quick`, the default, or `--full`. */
export type Scale = 'quick' | 'default' | 'full';

export interface SuiteContext {
  /** Rounds to run: `--runs N`, else the suite's defaultRuns. */
  runs: number;
  /**
   * `--quick`: a smaller workload (fewer lines, clients…) for a fast look; the suite says what it
   * scaled down in its tables' notes. Suites without a smaller workload ignore it.
   */
  quick: boolean;
  /** `--full`: more rounds (already in `runs`) and the workloads the default run shortens, if any. */
  full: boolean;
  /** performance.now() value after which the suite should wrap up (its budget). */
  deadline: number;
  machine: Machine;
  /** True once the budget is spent. */
  overBudget(): boolean;
  /** Progress on stderr (the tables go to stdout). */
  log(message: string): void;
  /** alternate() with this suite's runs and deadline filled in. */
  alternate<T>(contenders: readonly Contender<T>[], opts?: Partial<AlternateOptions<T>>): Promise<Alternated<T>>;
}

export interface Suite {
  name: string;
  title: string;
  /** One line: what is measured and why. */
  description: string;
  /** Rounds when --runs is not given (3–5 for wall-clock figures; seeds for virtual-time ones). */
  defaultRuns: number;
  /** Rounds with --full (default: defaultRuns). */
  fullRuns?: number;
  /**
   * Wall-clock budget of the default run: no new round starts after it (a round in progress
   * finishes). The budgets of all suites make the plan of `npm run bench` (bench/lib/plan.ts).
   */
  budgetMs: number;
  /** Budget with --full (default: budgetMs scaled by fullRuns / defaultRuns). */
  fullBudgetMs?: number;
  /** Why the suite cannot run on this machine (not root, a tool missing…), or undefined when it can. */
  unavailable?(): string | undefined | Promise<string | undefined>;
  run(ctx: SuiteContext): Promise<SuiteResult>;
}

/** Checks a suite's fields; run.ts registers what a suite file exports with it. */
export function defineSuite(suite: Suite): Suite {
  if (!SUITE_NAME.test(suite.name)) throw new RangeError(`suite name "${suite.name}" must be lower-case words joined by dashes`);
  if (!Number.isSafeInteger(suite.defaultRuns) || suite.defaultRuns < 1) {
    throw new RangeError(`suite ${suite.name}: defaultRuns must be a whole number ≥ 1 (got ${suite.defaultRuns})`);
  }
  if (!(suite.budgetMs > 0)) throw new RangeError(`suite ${suite.name}: budgetMs must be positive (got ${suite.budgetMs})`);
  if (suite.fullRuns !== undefined && (!Number.isSafeInteger(suite.fullRuns) || suite.fullRuns < suite.defaultRuns)) {
    throw new RangeError(`suite ${suite.name}: fullRuns must be a whole number ≥ defaultRuns (got ${suite.fullRuns})`);
  }
  if (suite.fullBudgetMs !== undefined && !(suite.fullBudgetMs >= suite.budgetMs)) {
    throw new RangeError(`suite ${suite.name}: fullBudgetMs must be at least budgetMs (got ${suite.fullBudgetMs})`);
  }
  return suite;
}

/** Whether a module's default export looks like a suite (files in bench/suites/ are checked with it). */
export function isSuite(value: unknown): value is Suite {
  if (typeof value !== 'object' || value === null) return false;
  const s = value as Record<string, unknown>;
  return typeof s['name'] === 'string' && typeof s['run'] === 'function' && typeof s['defaultRuns'] === 'number' && typeof s['budgetMs'] === 'number';
}

/** The context bench/run.ts hands a suite. */
export function suiteContext(opts: { runs: number; budgetMs: number; machine: Machine; log: (m: string) => void; now: () => number; quick?: boolean; full?: boolean }): SuiteContext {
  const deadline = opts.now() + opts.budgetMs;
  if (opts.quick === true && opts.full === true) throw new RangeError('--quick and --full exclude each other');
  return {
    runs: opts.runs,
    quick: opts.quick ?? false,
    full: opts.full ?? false,
    deadline,
    machine: opts.machine,
    overBudget: () => opts.now() > deadline,
    log: opts.log,
    alternate: (contenders, extra) => alternate(contenders, { rounds: opts.runs, deadline, now: opts.now, ...extra }),
  };
}
