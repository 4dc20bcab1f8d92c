import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { alternate } from '../../bench/lib/alternate.ts';
import { simCommand, simSpec } from '../../bench/lib/sim.ts';
import { formatRatio, formatSi, formatWithSpread, median, quantile, ratio, relativeSpread, significant, summarise } from '../../bench/lib/stats.ts';
import { budgetFor, DEFAULT_PLAN_MS, formatDuration, PLAN, plannedMs, runsFor } from '../../bench/lib/plan.ts';
import { parseOutcome, summaryTable, verdictLine, type SuiteOutcome } from '../../bench/lib/summary.ts';
import { defineSuite, isSuite, suiteContext, type Suite } from '../../bench/lib/suite.ts';
import { formatTable, markdownTable } from '../../bench/lib/table.ts';
import { describeMachine, machineLine } from '../../bench/lib/machine.ts';

describe('stats', () => {
  it('median and quantiles ignore non-finite samples', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([NaN, 5, Infinity])).toBe(5);
    expect(median([])).toBeUndefined();
    expect(quantile([1, 2, 3, 4, 5], 0)).toBe(1);
    expect(quantile([1, 2, 3, 4, 5], 1)).toBe(5);
    expect(quantile([1, 2, 3, 4, 5], 0.25)).toBe(2);
  });

  it('property: the median lies between min and max and does not depend on order', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e9, max: 1e9 }), { minLength: 1, maxLength: 30 }), (xs) => {
        const m = median(xs) as number;
        expect(m).toBeGreaterThanOrEqual(Math.min(...xs));
        expect(m).toBeLessThanOrEqual(Math.max(...xs));
        expect(median([...xs].reverse())).toBe(m);
      }),
    );
  });

  it('ratios, spreads and formats', () => {
    expect(ratio(3, 2)).toBe(1.5);
    expect(ratio(3, 0)).toBeUndefined();
    expect(ratio(undefined, 2)).toBeUndefined();
    expect(relativeSpread([90, 100, 110])).toBeCloseTo(0.1);
    expect(formatSi(1_234_567)).toBe('1.23M');
    expect(formatSi(4321, 'bit/s')).toBe('4.32kbit/s');
    expect(formatSi(undefined)).toBe('–');
    expect(significant(0.031234)).toBe('0.0312');
    expect(significant(1200)).toBe('1200');
    expect(formatRatio(1.044)).toBe('1.04×');
    expect(formatWithSpread(summarise([90, 100, 110]), (v) => String(v))).toBe('100 ±10%');
    expect(formatWithSpread(summarise([100]), (v) => String(v))).toBe('100');
  });
});

describe('alternate', () => {
  it('runs A B A B…, after discarded warm-up runs', async () => {
    const calls: string[] = [];
    const r = await alternate(
      [
        { name: 'A', run: (round) => (calls.push(`A${round}`), round) },
        { name: 'B', run: async (round) => (calls.push(`B${round}`), round * 10) },
      ],
      { rounds: 3, warmup: 1 },
    );
    expect(calls).toEqual(['A-1', 'B-1', 'A0', 'B0', 'A1', 'B1', 'A2', 'B2']);
    expect(r.order).toEqual(['A', 'B', 'A', 'B', 'A', 'B']);
    expect(r.samples).toEqual({ A: [0, 1, 2], B: [0, 10, 20] });
    expect(r.rounds).toBe(3);
    expect(r.cutShort).toBe(false);
  });

  it('stops between rounds once past the deadline, but not before minRounds', async () => {
    let clock = 0;
    const r = await alternate(
      [
        { name: 'A', run: () => (clock += 10) },
        { name: 'B', run: () => (clock += 10) },
      ],
      { rounds: 10, deadline: 25, minRounds: 2, now: () => clock },
    );
    expect(r.rounds).toBe(2);
    expect(r.cutShort).toBe(true);
    expect(r.samples['A']).toHaveLength(2);
    expect(r.samples['B']).toHaveLength(2);
  });

  it('refuses duplicate names and no rounds', async () => {
    await expect(alternate([{ name: 'A', run: () => 1 }, { name: 'A', run: () => 2 }], { rounds: 1 })).rejects.toThrow(/distinct/);
    await expect(alternate([{ name: 'A', run: () => 1 }], { rounds: 0 })).rejects.toThrow(/rounds/);
  });

  it('a suite context fills in its runs and deadline', async () => {
    let clock = 0;
    const ctx = suiteContext({ runs: 4, budgetMs: 15, machine: describeMachine(), log: () => {}, now: () => clock });
    const r = await ctx.alternate([{ name: 'X', run: () => (clock += 10) }]);
    expect(r.rounds).toBe(2);
    expect(ctx.overBudget()).toBe(true);
  });
});

describe('tables and the machine line', () => {
  const table = {
    title: 'T',
    columns: [{ label: 'case' }, { label: 'speed' }, { label: 'what', align: 'left' as const }],
    rows: [
      ['a', '1.5M', 'x|y'],
      ['long name', '12×', 'z'],
    ],
    notes: ['note'],
  };

  it('aligns text columns (numbers right) and keeps notes', () => {
    expect(formatTable(table, '')).toBe(
      ['T', 'case       speed  what', '─────────  ─────  ────', 'a           1.5M  x|y', 'long name    12×  z', 'note'].join('\n'),
    );
  });

  it('writes Markdown with alignment and escaped pipes', () => {
    expect(markdownTable(table)).toBe(['**T**', '', '| case | speed | what |', '| :--- | ---: | :--- |', '| a | 1.5M | x\\|y |', '| long name | 12× | z |', '', 'note'].join('\n'));
  });

  it('the machine line names cores, CPU, Node, date and load', () => {
    const line = machineLine({ cores: 2, cpu: 'AMD EPYC', node: 'v20.20.2', platform: 'linux x64', date: '2026-11-21T17:40:00.000Z', loadAverage: [1.5, 2, 3.25] });
    expect(line).toBe('2 cores, AMD EPYC, Node v20.20.2, linux x64, 2026-11-21 17:40 UTC, load 1.50 / 2.00 / 3.25 (1/5/15 min)');
  });
});

async function loadAllSuites(): Promise<Array<{ file: string; suite: Suite }>> {
  const dir = new URL('../../bench/suites/', import.meta.url);
  const files = readdirSync(dir).filter((f) => f.endsWith('.ts'));
  const out: Array<{ file: string; suite: Suite }> = [];
  for (const f of files) {
    const mod = (await import(/* @vite-ignore */ new URL(f, dir).href)) as { default: unknown };
    expect(isSuite(mod.default), f).toBe(true);
    out.push({ file: f, suite: mod.default as Suite });
  }
  return out;
}

describe('suites', () => {
  it('every file in bench/suites/ exports a valid suite named after the file', async () => {
    const all = await loadAllSuites();
    expect(all.length).toBeGreaterThanOrEqual(3);
    for (const { file, suite } of all) expect(`${suite.name}.ts`).toBe(file);
  });

  it('the default run fits the plan: every suite planned, planned times within ~10 min, budgets never cut the planned rounds', async () => {
    const all = (await loadAllSuites()).map((x) => x.suite);
    expect(Object.keys(PLAN).sort()).toEqual(all.map((s) => s.name).sort());
    const planned = Object.values(PLAN).reduce((ms, p) => ms + p.plannedMs, 0);
    expect(planned).toBeLessThanOrEqual(DEFAULT_PLAN_MS);
    for (const s of all) {
      const p = PLAN[s.name];
      if (p === undefined) throw new Error(`${s.name} has no plan`);
      // A budget below the planned time would stop rounds the plan counts on; far above it, one
      // suite could eat the others' time on a slow day.
      expect(budgetFor(s, 'default'), s.name).toBeGreaterThanOrEqual(p.plannedMs);
      expect(budgetFor(s, 'default'), s.name).toBeLessThanOrEqual(Math.max(2 * p.plannedMs, 30_000));
      expect(budgetFor(s, 'full'), s.name).toBeGreaterThanOrEqual(budgetFor(s, 'default'));
      expect(runsFor(s, 'full'), s.name).toBeGreaterThanOrEqual(runsFor(s, 'default'));
    }
  });

  it('defineSuite refuses bad names, budgets and full-scale settings', () => {
    const base = { title: 't', description: 'd', defaultRuns: 3, budgetMs: 1000, run: async () => ({ tables: [], data: null }) };
    expect(() => defineSuite({ ...base, name: 'Bad Name' })).toThrow(/lower-case/);
    expect(() => defineSuite({ ...base, name: 'ok', defaultRuns: 0 })).toThrow(/defaultRuns/);
    expect(() => defineSuite({ ...base, name: 'ok', budgetMs: 0 })).toThrow(/budgetMs/);
    expect(() => defineSuite({ ...base, name: 'ok', fullRuns: 2 })).toThrow(/fullRuns/);
    expect(() => defineSuite({ ...base, name: 'ok', fullBudgetMs: 999 })).toThrow(/fullBudgetMs/);
    expect(defineSuite({ ...base, name: 'good-name' }).name).toBe('good-name');
  });

  it('simSpec builds what `dualchat simulate` would run, and fails loudly on a typo', () => {
    const spec = simSpec({ loss: '0.1', file: '1mb', seed: '7' });
    expect(spec.forward.loss).toBe(0.1);
    expect(spec.workload.fileBytes).toBe(1_000_000);
    expect(spec.workload.messages).toBe(0);
    expect(spec.seed).toBe(7);
    expect(simSpec({}, 'wifi').name).toBe('wifi');
    expect(() => simSpec({ loss: '1.5' })).toThrow(/loss/);
    expect(() => simSpec({}, 'no-such-scenario')).toThrow(/no-such-scenario/);
    expect(simCommand({ msgRate: '2', engine: ['congestion=newreno'] }, 'lan')).toBe('dualchat simulate --scenario lan --msg-rate 2 --engine congestion=newreno');
  });

  // Five starts of the harness, one after another: seconds each on a quiet machine, far more on a busy one.
  it('bench/run.ts lists the suites and refuses an unknown one with exit 2', { timeout: 180_000 }, () => {
    const run = (args: string[]) =>
      spawnSync(process.execPath, ['--import', 'tsx', 'bench/run.ts', ...args], { encoding: 'utf8', timeout: 30_000, cwd: new URL('../../', import.meta.url) });
    const list = run(['--list']);
    expect(list.status).toBe(0);
    for (const name of ['sim-speed', 'sim-efficiency', 'sim-scenarios']) expect(list.stdout).toContain(name);
    const bad = run(['no-such-suite']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('no suite named no-such-suite');
    const badRuns = run(['--runs', '0']);
    expect(badRuns.status).toBe(2);
    const both = run(['--quick', '--full']);
    expect(both.status).toBe(2);
    expect(both.stderr).toContain('--quick and --full exclude each other');
    expect(list.stdout).toMatch(/default scale: planned .* \(target ≤ 10 min 00 s\); budgets add up to /);
    expect(list.stdout).toMatch(/sim-speed .*\(5 rounds, planned 8\.0 s, budget 30\.0 s\)/);
    expect(list.stdout).toMatch(/chat-wan .*\(3 rounds, planned 60\.0 s, budget 90\.0 s\)/);
    const full = run(['--list', '--full']);
    expect(full.status).toBe(0);
    expect(full.stdout).toMatch(/sim-speed .*\(11 rounds, budget 60\.0 s\)/);
    expect(full.stdout).toMatch(/full scale: budgets add up to /);
  });

  it('npm run bench with two suites runs each in its own process and ends with the summary: status, wall time, goals, total', () => {
    const out = mkdtempSync(join(tmpdir(), 'dualchat-bench-test-'));
    try {
      const r = spawnSync(process.execPath, ['--import', 'tsx', 'bench/run.ts', 'sim-scenarios', 'sim-efficiency', '--runs', '1', '--no-plots', '--out', out], {
        encoding: 'utf8',
        timeout: 60_000,
        cwd: new URL('../../', import.meta.url),
      });
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toContain('Summary: 2 suites');
      expect(r.stdout).toMatch(/sim-efficiency +ran +[\d.]+ s +30\.0 s +1 +1 of 1 goal met/);
      expect(r.stdout).toMatch(/sim-scenarios +ran +[\d.]+ s +20\.0 s +1 +1 of 1 goal met/);
      expect(r.stdout).toMatch(/Total wall time [\d.]+ s; planned [\d.]+ s \(bench\/lib\/plan\.ts\), budgets 50\.0 s\.\n/);
      const json = JSON.parse(readFileSync(join(out, 'sim-scenarios.json'), 'utf8')) as { verdicts: unknown[]; scale: string; runs: number };
      expect(json.scale).toBe('default');
      expect(json.runs).toBe(1);
      expect(json.verdicts).toHaveLength(1);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  }, 60_000);
});

describe('plan and summary', () => {
  const suite = { defaultRuns: 3, fullRuns: 5, budgetMs: 100_000 };

  it('rounds and budgets per scale: --runs wins; --full takes fullRuns and fullBudgetMs, else scales the budget', () => {
    expect(runsFor(suite, 'default')).toBe(3);
    expect(runsFor(suite, 'quick')).toBe(3);
    expect(runsFor(suite, 'full')).toBe(5);
    expect(runsFor(suite, 'full', 2)).toBe(2);
    expect(runsFor({ defaultRuns: 4 }, 'full')).toBe(4);
    expect(budgetFor(suite, 'default')).toBe(100_000);
    expect(budgetFor(suite, 'full')).toBe(166_667);
    expect(budgetFor({ ...suite, fullBudgetMs: 400_000 }, 'full')).toBe(400_000);
    expect(plannedMs([suite, { defaultRuns: 1, budgetMs: 5 }], 'default')).toBe(100_005);
    expect(formatDuration(42_000)).toBe('42.0 s');
    expect(formatDuration(185_000)).toBe('3 min 05 s');
    expect(formatDuration(Number.NaN)).toBe('–');
  });

  it('a suite context says which scale it runs at', () => {
    const base = { runs: 1, budgetMs: 1_000, machine: describeMachine(), log: () => undefined, now: () => 0 };
    expect(suiteContext(base).full).toBe(false);
    expect(suiteContext({ ...base, full: true }).full).toBe(true);
    expect(() => suiteContext({ ...base, full: true, quick: true })).toThrow(/exclude/);
  });

  const verdict = fc.record({ goal: fc.string({ maxLength: 20 }), met: fc.constantFrom(true, false, undefined), measured: fc.string({ maxLength: 20 }) }, { requiredKeys: ['goal', 'measured'] });
  const outcome = fc.record(
    {
      suite: fc.string({ maxLength: 12 }),
      status: fc.constantFrom('ran' as const, 'skipped' as const, 'failed' as const),
      wallMs: fc.nat(),
      budgetMs: fc.nat(),
      runs: fc.nat({ max: 20 }),
      reason: fc.string({ maxLength: 30 }),
      verdicts: fc.array(verdict, { maxLength: 5 }),
    },
    { requiredKeys: ['suite', 'status', 'wallMs', 'budgetMs', 'runs', 'verdicts'] },
  );

  it('property: an outcome survives its trip through the file the child writes', () => {
    fc.assert(
      fc.property(outcome, (o) => {
        const back = parseOutcome(JSON.stringify(o));
        expect(typeof back).toBe('object');
        expect(back).toEqual(JSON.parse(JSON.stringify(o)));
      }),
    );
  });

  it('says what is wrong with a broken outcome file instead of throwing', () => {
    expect(parseOutcome('')).toMatch(/not JSON/);
    expect(parseOutcome('[]')).toBe('not a JSON object');
    const ok = { suite: 's', status: 'ran', wallMs: 1, budgetMs: 2, runs: 1, verdicts: [] };
    expect(typeof parseOutcome(JSON.stringify(ok))).toBe('object');
    expect(parseOutcome(JSON.stringify({ ...ok, status: 'done' }))).toMatch(/^status/);
    expect(parseOutcome(JSON.stringify({ ...ok, wallMs: -1 }))).toMatch(/^wallMs/);
    expect(parseOutcome(JSON.stringify({ ...ok, verdicts: [{ goal: 'g' }] }))).toMatch(/^verdicts\[0\]/);
    expect(parseOutcome(JSON.stringify({ ...ok, reason: 3 }))).toMatch(/^reason/);
  });

  it('the verdict line counts goals met and names the ones missed or not measured', () => {
    expect(verdictLine([])).toBe('no goals (figures only)');
    expect(verdictLine([{ goal: 'a', met: true, measured: '1' }])).toBe('1 of 1 goal met');
    expect(
      verdictLine([
        { goal: 'a', met: true, measured: '1' },
        { goal: 'b ≤ 2', met: false, measured: '3, 1.5×' },
        { goal: 'c', met: undefined, measured: '' },
      ]),
    ).toBe('1 of 3 goals met; NOT MET: b ≤ 2 (3, 1.5×); not measured: c');
  });

  it('property: the summary has a row per suite and counts every goal once', () => {
    fc.assert(
      fc.property(fc.array(outcome, { maxLength: 8 }), fc.nat(), (outcomes, total) => {
        const t = summaryTable(outcomes as SuiteOutcome[], total, { plannedMs: 500, budgetsMs: 1000, targetMs: 600_000 });
        expect(t.rows).toHaveLength(outcomes.length);
        const ran = outcomes.filter((o) => o.status === 'ran').flatMap((o) => o.verdicts);
        expect(t.notes?.[1]).toContain(`${ran.filter((v) => v.met === true).length} of ${ran.length} met`);
        expect(t.notes?.[0]?.endsWith(total > 600_000 ? 'OVER.' : 'within.')).toBe(true);
        expect(summaryTable(outcomes as SuiteOutcome[], total, { plannedMs: 500, budgetsMs: 1000 }).notes?.[0]).not.toMatch(/OVER|within/);
      }),
    );
  });
});
