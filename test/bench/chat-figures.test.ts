// The chat suites' shared figures (bench/lib/chat-figures.ts): quantiles where a lost line is +∞,
// medians and totals over rounds, the "every figure" table, the integrity sums and the closing notes.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  cell,
  chatWorkloads,
  closingNotes,
  contenderLabel,
  detailTable,
  figuresOf,
  integrityOf,
  integrityText,
  ms,
  quantileWithLost,
  resultTimeoutMs,
  runsForJson,
  workloadFor,
  type ChatRun,
  type ChatWorkload,
} from '../../bench/lib/chat-figures.ts';
import type { ChatPairsResult, PairClassResult } from '../../bench/lib/pairs-protocol.ts';

type Mode = 'dualchat-udp' | 'udx';
type Loss = 0 | 5;
interface Run extends ChatRun<Mode, Loss> {
  drops: number;
}

function classResult(latencies: Array<number | null>, extra: Partial<PairClassResult> = {}): PairClassResult {
  const lost = latencies.filter((l) => l === null).length;
  return { latencies, sent: latencies.length, delivered: latencies.length - lost, lost, duplicates: 0, outOfOrder: 0, unknown: 0, ...extra };
}

function result(dense: PairClassResult, sparse: PairClassResult, fellBack = 0): ChatPairsResult {
  return { dense, sparse, denseEcho: null, elapsedMs: 1000, fellBack, cpuMs: 10, engine: null };
}

function run(mode: Mode, loss: Loss, round: number, r: ChatPairsResult | undefined, drops = 0): Run {
  return {
    mode,
    loss,
    round,
    ok: r !== undefined,
    drops,
    ...(r === undefined ? { error: 'boom' } : { result: r }),
    figures: r === undefined ? { dense: undefined, sparse: undefined } : { dense: figuresOf(r.dense), sparse: figuresOf(r.sparse) },
  };
}

const WORK: ChatWorkload = { denseLines: 3, sparsePairs: 2, sparseLines: 1, drainMs: 1000 };

describe('quantileWithLost', () => {
  it('is undefined on nothing, the value itself on one, and ∞ once it reaches a lost line', () => {
    expect(quantileWithLost([], 0.5)).toBeUndefined();
    expect(quantileWithLost([7], 0.99)).toBe(7);
    expect(quantileWithLost([1, 2, 3, Number.POSITIVE_INFINITY], 1)).toBe(Number.POSITIVE_INFINITY);
    expect(quantileWithLost([1, 3], 0.5)).toBe(2);
  });

  it('lies between the smallest and the largest value and grows with q', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: 0, max: 1e6, noNaN: true }), { minLength: 1, maxLength: 200 }), fc.double({ min: 0, max: 1, noNaN: true }), fc.double({ min: 0, max: 1, noNaN: true }), (values, a, b) => {
        const [lo, hi] = a <= b ? [a, b] : [b, a];
        const qa = quantileWithLost(values, lo) as number;
        const qb = quantileWithLost(values, hi) as number;
        expect(qa).toBeGreaterThanOrEqual(Math.min(...values));
        expect(qb).toBeLessThanOrEqual(Math.max(...values));
        expect(qa).toBeLessThanOrEqual(qb + 1e-9 * Math.max(1, Math.abs(qb)));
      }),
    );
  });
});

describe('figuresOf', () => {
  it('counts a lost line as +∞: the max is "lost" while the median is not', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: 0, max: 1e4, noNaN: true }), { minLength: 3, maxLength: 100 }), (latencies) => {
        const f = figuresOf(classResult([...latencies, null]));
        expect(f.max).toBe(Number.POSITIVE_INFINITY);
        expect(ms(f.max)).toBe('lost');
        expect(Number.isFinite(f.p50)).toBe(true);
        expect(f.sent).toBe(latencies.length + 1);
        expect(f.lost).toBe(1);
      }),
    );
  });
});

describe('cell and the detail table', () => {
  const runs: Run[] = [
    run('dualchat-udp', 0, 0, result(classResult([10, 20, 30]), classResult([40, 50])), 4),
    run('dualchat-udp', 0, 1, result(classResult([12, 22, 32]), classResult([42, null]), 1), 6),
    run('dualchat-udp', 0, 2, undefined),
    run('udx', 0, 0, result(classResult([1, 2, 3], { duplicates: 2 }), classResult([4, 5]))),
  ];
  const label = contenderLabel([{ mode: 'dualchat-udp' as Mode, label: 'dualchat UDP' }]);

  it('takes the median over the successful runs of the one contender and loss rate', () => {
    expect(cell(runs, 'dualchat-udp', 0, 'dense', (f) => f.p50)).toBe(21);
    expect(cell(runs, 'dualchat-udp', 0, 'sparse', (f) => f.max)).toBe(Number.POSITIVE_INFINITY);
    expect(cell(runs, 'udx', 0, 'dense', (f) => f.p50)).toBe(2);
    expect(cell(runs, 'udx', 5, 'dense', (f) => f.p50)).toBeUndefined();
    expect(label('udx')).toBe('udx');
    expect(label('dualchat-udp')).toBe('dualchat UDP');
  });

  it('has one row per class × loss × mode, the counts summed, the extra columns on dense rows only', () => {
    const t = detailTable({
      runs,
      modes: ['dualchat-udp', 'udx'],
      losses: [0, 5],
      work: WORK,
      label,
      drops: { label: 'drops', note: 'drops: what was dropped.', value: (ok) => String(ok.reduce((s, r) => s + r.drops, 0)) },
      more: [{ label: 'extra', note: 'extra: more.', value: (ok) => `${ok.length} ok` }],
    });
    expect(t.columns.map((c) => c.label)).toEqual(['workload', 'loss', 'transport', 'p50', 'p99', 'max', 'lost/sent', 'dup+disorder', 'drops', 'fell back', 'extra', 'runs ok']);
    expect(t.rows).toHaveLength(2 * 2 * 2);
    for (const row of t.rows) expect(row).toHaveLength(t.columns.length);
    expect(t.rows[0]).toEqual(['100/s', '0%', 'dualchat UDP', '21 ms', expect.any(String), expect.any(String), '0/6', '0', '10', '1', '2 ok', '2/3']);
    expect(t.rows[1]?.slice(0, 3)).toEqual(['100/s', '0%', 'udx']);
    expect(t.rows[1]?.[7]).toBe('2');
    expect(t.rows[1]?.[9]).toBe('');
    const sparse = t.rows[4] ?? [];
    expect(sparse.slice(0, 3)).toEqual(['2/s ×2', '0%', 'dualchat UDP']);
    expect(sparse[5]).toBe('lost');
    expect(sparse[6]).toBe('1/4');
    expect([sparse[8], sparse[9], sparse[10]]).toEqual(['', '', '']);
    expect(t.rows[2]?.[11]).toBe('0/0');
    expect(t.notes?.[1]).toBe('lost/sent and dup+disorder: summed over all rounds (must be 0). drops: what was dropped.');
    expect(t.notes?.at(-1)).toBe('extra: more.');
  });

  it('sums integrity over the successful runs and says how many failed', () => {
    const i = integrityOf(runs.filter((r) => r.mode === 'dualchat-udp'));
    expect(i).toEqual({ runs: 3, ok: 2, lost: 1, sent: 10, disorder: 0, fellBack: 1 });
    expect(integrityText(i, ', x')).toBe('1 lost, 0 dup+disorder of 10, x; 1 runs failed');
    expect(integrityText(integrityOf(runs.filter((r) => r.mode === 'udx')))).toBe('0 lost, 2 dup+disorder of 5');
  });

  it('rounds the latencies kept in JSON to 0.01 ms, lost lines still null', () => {
    const kept = runsForJson([run('udx', 5, 0, result(classResult([1.23456, null]), classResult([])))]);
    expect(kept[0]?.result?.dense.latencies).toEqual([1.23, null]);
  });
});

describe('workloads and notes', () => {
  it('picks the workload of the scale, and waits longer than the slower class plus the drain', () => {
    const works = chatWorkloads(5000, WORK);
    expect(workloadFor(works, { quick: true, full: false })).toBe(WORK);
    expect(workloadFor(works, { quick: false, full: false }).denseLines).toBe(1000);
    expect(workloadFor(works, { quick: false, full: true }).sparseLines).toBe(40);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10_000 }), fc.integer({ min: 0, max: 1000 }), fc.integer({ min: 0, max: 60_000 }), (denseLines, sparseLines, drainMs) => {
        const w = { denseLines, sparsePairs: 1, sparseLines, drainMs };
        expect(resultTimeoutMs(w)).toBeGreaterThan(denseLines * 10 + drainMs);
        expect(resultTimeoutMs(w)).toBeGreaterThan(sparseLines * 500 + drainMs);
      }),
    );
  });

  it('closes with udx left out, the failed runs, --quick and a cut-short budget, only when they apply', () => {
    const failed = run('udx', 5, 1, undefined);
    const defaultWork = chatWorkloads(1, WORK).default;
    expect(closingNotes({ udxProblem: undefined, runs: [], work: defaultWork, defaultWork, quick: false, rounds: 3, roundsAsked: 3, cutShort: false })).toEqual([]);
    expect(closingNotes({ udxProblem: 'no binary', runs: [failed], work: WORK, defaultWork, quick: true, rounds: 2, roundsAsked: 3, cutShort: true })).toEqual([
      'udx-native left out: it does not load here (no binary).',
      'FAILED run: udx at 5% (round 2): boom',
      '--quick: 3 dense lines, 2 sparse pairs × 1 (the default: 1000, 50 × 20).',
      'The time budget stopped the rounds after 2 of 3.',
    ]);
  });
});
