import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { alternate } from '../../bench/lib/alternate.ts';
import { simCommand, simSpec } from '../../bench/lib/sim.ts';
import { formatRatio, formatSi, formatWithSpread, median, quantile, ratio, relativeSpread, significant, summarise } from '../../bench/lib/stats.ts';
import { defineSuite, isSuite, suiteContext } from '../../bench/lib/suite.ts';
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

describe('suites', () => {
  it('every file in bench/suites/ exports a valid suite named after the file', async () => {
    const dir = new URL('../../bench/suites/', import.meta.url);
    const files = readdirSync(dir).filter((f) => f.endsWith('.ts'));
    expect(files.length).toBeGreaterThanOrEqual(3);
    for (const f of files) {
      const mod = (await import(/* @vite-ignore */ new URL(f, dir).href)) as { default: unknown };
      expect(isSuite(mod.default), f).toBe(true);
      const s = mod.default as { name: string; budgetMs: number };
      expect(`${s.name}.ts`).toBe(f);
      expect(s.budgetMs).toBeLessThanOrEqual(240_000);
    }
  });

  it('defineSuite refuses bad names and budgets', () => {
    const base = { title: 't', description: 'd', defaultRuns: 3, budgetMs: 1000, run: async () => ({ tables: [], data: null }) };
    expect(() => defineSuite({ ...base, name: 'Bad Name' })).toThrow(/lower-case/);
    expect(() => defineSuite({ ...base, name: 'ok', defaultRuns: 0 })).toThrow(/defaultRuns/);
    expect(() => defineSuite({ ...base, name: 'ok', budgetMs: 0 })).toThrow(/budgetMs/);
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

  it('bench/run.ts lists the suites and refuses an unknown one with exit 2', () => {
    const run = (args: string[]) =>
      spawnSync(process.execPath, ['--import', 'tsx', 'bench/run.ts', ...args], { encoding: 'utf8', timeout: 20_000, cwd: new URL('../../', import.meta.url) });
    const list = run(['--list']);
    expect(list.status).toBe(0);
    for (const name of ['sim-speed', 'sim-efficiency', 'sim-scenarios']) expect(list.stdout).toContain(name);
    const bad = run(['no-such-suite']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('no suite named no-such-suite');
    const badRuns = run(['--runs', '0']);
    expect(badRuns.status).toBe(2);
  });
});
