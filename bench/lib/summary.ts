// The closing summary of `npm run bench`: per suite, whether it ran, its wall time against its
// budget, and its goals met or not; then the total wall time against the plan. Each suite runs in a
// child process, which writes its outcome as JSON to a file the parent names (`--outcome-file`);
// the parent reads it back with parseOutcome (a missing or broken file is reported, never thrown).
import { formatDuration } from './plan.ts';
import type { Verdict } from './suite.ts';
import type { ResultTable } from './table.ts';

export type SuiteStatus = 'ran' | 'skipped' | 'failed';

export interface SuiteOutcome {
  suite: string;
  status: SuiteStatus;
  /** Wall time of the suite in its process (setup, rounds, report). */
  wallMs: number;
  budgetMs: number;
  runs: number;
  /** Why it was skipped or failed. */
  reason?: string;
  verdicts: Verdict[];
}

const STATUSES: readonly SuiteStatus[] = ['ran', 'skipped', 'failed'];

function isVerdict(v: unknown): v is Verdict {
  if (typeof v !== 'object' || v === null) return false;
  const o = v as Record<string, unknown>;
  return typeof o['goal'] === 'string' && typeof o['measured'] === 'string' && (o['met'] === undefined || typeof o['met'] === 'boolean');
}

/** A suite outcome from its JSON text, or what is wrong with it. */
export function parseOutcome(text: string): SuiteOutcome | string {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    return `not JSON: ${(e as Error).message}`;
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return 'not a JSON object';
  const o = v as Record<string, unknown>;
  if (typeof o['suite'] !== 'string') return 'suite: not a string';
  if (!STATUSES.includes(o['status'] as SuiteStatus)) return `status: not one of ${STATUSES.join(', ')}`;
  for (const k of ['wallMs', 'budgetMs', 'runs'] as const) {
    if (typeof o[k] !== 'number' || !Number.isFinite(o[k]) || (o[k] as number) < 0) return `${k}: not a number ≥ 0`;
  }
  if (o['reason'] !== undefined && typeof o['reason'] !== 'string') return 'reason: not a string';
  if (!Array.isArray(o['verdicts'])) return 'verdicts: not an array';
  const bad = (o['verdicts'] as unknown[]).findIndex((x) => !isVerdict(x));
  if (bad >= 0) return `verdicts[${bad}]: needs goal and measured (strings) and met (boolean or absent)`;
  const out: SuiteOutcome = {
    suite: o['suite'] as string,
    status: o['status'] as SuiteStatus,
    wallMs: o['wallMs'] as number,
    budgetMs: o['budgetMs'] as number,
    runs: o['runs'] as number,
    verdicts: o['verdicts'] as Verdict[],
  };
  if (typeof o['reason'] === 'string') out.reason = o['reason'];
  return out;
}

/** One line: "2 of 3 goals met; NOT MET: goal (measured); not measured: goal", or "no goals". */
export function verdictLine(verdicts: readonly Verdict[]): string {
  if (verdicts.length === 0) return 'no goals (figures only)';
  const met = verdicts.filter((v) => v.met === true);
  const missed = verdicts.filter((v) => v.met === false);
  const unknown = verdicts.filter((v) => v.met === undefined);
  const parts = [`${met.length} of ${verdicts.length} goal${verdicts.length === 1 ? '' : 's'} met`];
  if (missed.length > 0) parts.push(`NOT MET: ${missed.map((v) => `${v.goal} (${v.measured})`).join('; ')}`);
  if (unknown.length > 0) parts.push(`not measured: ${unknown.map((v) => v.goal).join('; ')}`);
  return parts.join('; ');
}

/** What the run was planned to take: the suites' planned times, their budgets, and the target when the whole default run was asked. */
export interface RunPlan {
  plannedMs: number;
  budgetsMs: number;
  targetMs?: number;
}

/** The closing table: one row per suite, then the total against the plan in the notes. */
export function summaryTable(outcomes: readonly SuiteOutcome[], totalMs: number, plan: RunPlan): ResultTable {
  const rows = outcomes.map((o) => [
    o.suite,
    o.status,
    formatDuration(o.wallMs),
    formatDuration(o.budgetMs),
    o.status === 'ran' ? String(o.runs) : '',
    o.status === 'ran' ? verdictLine(o.verdicts) : (o.reason ?? '').split('\n')[0] ?? '',
  ]);
  const ran = outcomes.filter((o) => o.status === 'ran');
  const goals = ran.flatMap((o) => o.verdicts);
  return {
    title: `Summary: ${outcomes.length} suite${outcomes.length === 1 ? '' : 's'}`,
    columns: [{ label: 'suite' }, { label: 'status', align: 'left' }, { label: 'wall' }, { label: 'budget' }, { label: 'rounds' }, { label: 'goals', align: 'left' }],
    rows,
    notes: [
      `Total wall time ${formatDuration(totalMs)}; planned ${formatDuration(plan.plannedMs)} (bench/lib/plan.ts), budgets ${formatDuration(plan.budgetsMs)}${
        plan.targetMs === undefined ? '' : `; the whole default run's target ≤ ${formatDuration(plan.targetMs)}: ${totalMs > plan.targetMs ? 'OVER' : 'within'}`
      }.`,
      `Goals: ${goals.filter((v) => v.met === true).length} of ${goals.length} met over ${ran.length} suite${ran.length === 1 ? '' : 's'} that ran; ${outcomes.filter((o) => o.status === 'skipped').length} skipped, ${outcomes.filter((o) => o.status === 'failed').length} failed.`,
    ],
  };
}
