// sim-scenarios: every shipped scenario (scenarios/*.json) under several seeds — does it complete,
// how long do chat lines take (p50/p90/p99/max), when does the file finish, and how many data
// transmissions per fresh byte against the ideal 1/(1−p). Virtual time: rounds are seeds, tables show medians.
import type { TopLevelSpec } from 'vega-lite';
import { shippedScenarioNames } from '../../src/cli/scenario-file.ts';
import type { RunReport } from '../../src/sim/report.ts';
import { simSpec, timedRun } from '../lib/sim.ts';
import { formatMs, formatRatio, formatSi, median } from '../lib/stats.ts';
import { defineSuite } from '../lib/suite.ts';

/** Scenarios that fail on purpose (the report says so rather than counting it against the engine). */
const FAILS_BY_DESIGN = new Set(['outage']);

interface Point {
  scenario: string;
  seed: number;
  ok: boolean;
  status: string;
  chat: { p50?: number; p90?: number; p99?: number; max?: number; delivered: number; expected: number };
  bulk: { p50?: number; max?: number; delivered: number; expected: number };
  completionMs?: number;
  goodput?: number;
  vsIdeal?: number;
  wallMs: number;
}

function n(v: number | null): number | undefined {
  return v === null ? undefined : v;
}

function pointOf(scenario: string, seed: number, r: RunReport, wallMs: number): Point {
  const c = r.channels.chat;
  const b = r.channels.bulk;
  const per = r.dataBytes.perFreshByte;
  const ideal = r.dataBytes.idealPerFreshByte;
  return {
    scenario,
    seed,
    ok: r.ok,
    status: r.status,
    chat: { p50: n(c.latency.p50), p90: n(c.latency.p90), p99: n(c.latency.p99), max: n(c.latency.max), delivered: c.delivered, expected: c.expected },
    bulk: { p50: n(b.latency.p50), max: n(b.latency.max), delivered: b.delivered, expected: b.expected },
    completionMs: n(r.completionMs),
    goodput: n(r.goodput),
    vsIdeal: per !== null && ideal !== null && ideal > 0 ? per / ideal : undefined,
    wallMs,
  };
}

function med(points: readonly Point[], pick: (p: Point) => number | undefined): number | undefined {
  const values: number[] = [];
  for (const p of points) {
    const v = pick(p);
    if (v !== undefined && Number.isFinite(v)) values.push(v);
  }
  return median(values);
}

export default defineSuite({
  name: 'sim-scenarios',
  title: 'Shipped scenarios: completion and chat latency percentiles over several seeds',
  description: 'Every scenarios/*.json run with seeds 1…N: pass count, chat latency p50/p90/p99/max, file completion, goodput, transmissions per fresh byte vs the ideal 1/(1−p) (medians over seeds).',
  defaultRuns: 5,
  /** Seeds: 5 take ~2 s (virtual time); --full: 20. */
  fullRuns: 20,
  budgetMs: 20_000,
  fullBudgetMs: 80_000,
  async run(ctx) {
    const names = shippedScenarioNames();
    if (names.length === 0) throw new Error('no shipped scenarios found in scenarios/');
    const points: Point[] = [];
    // Contenders are the scenarios, in alternation; round r runs seed r + 1 of each.
    const result = await ctx.alternate(
      names.map((name) => ({
        name,
        run: (round: number) => {
          const seed = round + 1;
          const r = timedRun(simSpec({ seed: String(seed) }, name));
          const p = pointOf(name, seed, r.report, r.wallMs);
          points.push(p);
          return p;
        },
      })),
      { onSample: (name, round, p) => ctx.log(`seed ${round + 1} ${name}: ${p.ok ? 'pass' : `FAIL (${p.status})`} in ${Math.round(p.wallMs)} ms`) },
    );

    const rows = names.map((name) => {
      const mine = points.filter((p) => p.scenario === name);
      const passed = mine.filter((p) => p.ok).length;
      const hasBulk = mine.some((p) => p.bulk.expected > 0);
      const statuses = [...new Set(mine.filter((p) => !p.ok).map((p) => p.status))];
      return [
        name,
        `${passed}/${mine.length}${FAILS_BY_DESIGN.has(name) ? ' (fails by design)' : statuses.length > 0 ? ` (${statuses.join(', ')})` : ''}`,
        formatMs(med(mine, (p) => p.chat.p50)),
        formatMs(med(mine, (p) => p.chat.p90)),
        formatMs(med(mine, (p) => p.chat.p99)),
        formatMs(med(mine, (p) => p.chat.max)),
        hasBulk ? formatMs(med(mine, (p) => p.bulk.max)) : '–',
        formatMs(med(mine, (p) => p.completionMs)),
        formatSi(med(mine, (p) => p.goodput), 'bit/s'),
        formatRatio(med(mine, (p) => p.vsIdeal)),
      ];
    });
    const unexpected = points.filter((p) => !p.ok && !FAILS_BY_DESIGN.has(p.scenario));
    return {
      tables: [
        {
          title: 'Shipped scenarios (medians over seeds)',
          columns: [
            { label: 'scenario' },
            { label: 'pass', align: 'left' },
            { label: 'chat p50' },
            { label: 'chat p90' },
            { label: 'chat p99' },
            { label: 'chat max' },
            { label: 'file chunk max' },
            { label: 'all done' },
            { label: 'goodput' },
            { label: 'tx/byte ×ideal' },
          ],
          rows,
          notes: [
            `Seeds 1…${result.rounds}${result.cutShort ? ' (cut short by the time budget)' : ''}: \`dualchat simulate --scenario NAME --seed S\`. Latency in virtual time, from handing a line to the engine to its delivery. file chunk max: slowest 16 KiB chunk. all done: virtual time of the last delivery (– when a run did not complete). goodput: both channels' payload bits/s.`,
            unexpected.length === 0
              ? 'Every run passed except the scenarios that fail by design.'
              : `UNEXPECTED FAILURES: ${unexpected.map((p) => `${p.scenario} seed ${p.seed} (${p.status})`).join('; ')}.`,
          ],
        },
      ],
      plots: [{ spec: scenarioChart(names, points) }],
      verdicts: [
        {
          goal: `every shipped scenario completes, every seed (${[...FAILS_BY_DESIGN].join(', ')} fails by design)`,
          met: points.length === 0 ? undefined : unexpected.length === 0,
          measured:
            unexpected.length === 0
              ? `${points.filter((p) => p.ok).length} of ${points.length} runs passed`
              : `failed: ${unexpected.map((p) => `${p.scenario} seed ${p.seed}`).join(', ')}`,
        },
      ],
      data: { scenarios: names, seeds: result.rounds, points },
    };
  },
});

function scenarioChart(names: readonly string[], points: readonly Point[]): TopLevelSpec {
  const rows: Array<{ scenario: string; percentile: string; value: number }> = [];
  for (const name of names) {
    const mine = points.filter((p) => p.scenario === name);
    for (const q of ['p50', 'p90', 'p99', 'max'] as const) {
      const v = med(mine, (p) => p.chat[q]);
      if (v !== undefined && v > 0) rows.push({ scenario: name, percentile: q, value: v });
    }
  }
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: 'Chat latency under the shipped scenarios', subtitle: 'virtual ms, log scale; medians over seeds' },
    background: 'white',
    width: 520,
    height: 260,
    data: { values: rows },
    mark: { type: 'point', filled: true, size: 70 },
    encoding: {
      y: { field: 'scenario', type: 'nominal', sort: [...names], title: null },
      x: { field: 'value', type: 'quantitative', scale: { type: 'log' }, title: 'chat latency (virtual ms)' },
      color: { field: 'percentile', type: 'nominal', sort: ['p50', 'p90', 'p99', 'max'] },
    },
  };
}
