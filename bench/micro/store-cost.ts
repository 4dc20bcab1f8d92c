// What the store (accounts and history: one SQLite write per room message) costs a room's fanout, side by
// side in one run: the same 100-client room (bench/lib/fanout-session.ts, as the fanout suite runs it)
// against four servers — a checkout of the commit before the store (`--baseline DIR`: everything since
// differs too), this checkout with no room history written (`--no-history`: the same build without the
// store's work per message), with the store in memory (`:memory:`, startServer's default), and with the
// store on a file (BENCH_SERVER_DB: a database of its own per server process, history replayed on join as
// `dualchat server` does). Each round starts all four fresh, in an order that rotates from round to round, and
// runs on each: a warm-up, a closed loop with 8 lines in flight per client (delivered/s and server CPU per
// delivery), and a paced run of 20 lines/s per client (p99 at a fixed load). The machine is shared, so
// the figure that counts is the median of the **paired ratios**: each round's store run divided by the
// same round's run without it (no history, and before the store), which the load of that moment touches
// alike. Goal (issue 12): the store costs ≤ 10 % — delivered/s ratio ≥ 0.90, p99 ratio ≤ 1.10.
//
//   git worktree add /tmp/before edabad8 && cp -al node_modules /tmp/before/
//   node --import tsx bench/micro/store-cost.ts --baseline /tmp/before [--rounds 7] [--lines 50]
//        [--paced-s 3] [--udp]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadNow } from '../lib/machine.ts';
import type { FanoutMode, FanoutPhase } from '../lib/fanout-protocol.ts';
import { CLIENTS, Session, WARMUP, type ServerVariant } from '../lib/fanout-session.ts';
import { formatMs, formatRatio, formatSi, median } from '../lib/stats.ts';
import { countFlag, dirFlag } from '../lib/micro-flags.ts';

/** The fanout suite's paced rate: 20 lines/s from each client (≈ 198k deliveries/s offered). */
const PACED_RATE = 20;
/** The goal: the store costs at most this share. */
const GOAL_COST = 0.1;

const ROUNDS = countFlag('rounds', 7);
const LINES = countFlag('lines', 50);
const PACED_S = countFlag('paced-s', 3);
const MODE: FanoutMode = process.argv.includes('--udp') ? 'dualchat-udp' : 'dualchat-tcp';
const BASELINE = ((): string => {
  const dir = dirFlag('baseline');
  if (dir === undefined) throw new Error('--baseline DIR: a checkout of the commit before the store, with node_modules (see the top of this file)');
  return dir;
})();

type ConfigName = 'before' | 'no-history' | 'memory' | 'file';
const CONFIGS: readonly ConfigName[] = ['before', 'no-history', 'memory', 'file'];
/** Each configuration's server: another checkout's, or this one's with the store's settings. */
function variantOf(config: ConfigName, dbDir: string): ServerVariant {
  switch (config) {
    case 'before':
      return { root: BASELINE };
    case 'no-history':
      return { env: { BENCH_SERVER_HISTORY: 'off' } };
    case 'memory':
      return {};
    case 'file':
      return { env: { BENCH_SERVER_DB: dbDir } };
  }
}

interface Sample {
  perSecond: number;
  cpuUsPerDelivery: number;
  closedP99: number;
  pacedP99: number;
  load: number;
}

const closed: FanoutPhase = { lines: LINES, load: { kind: 'closed', window: 8 } };
const paced: FanoutPhase = { lines: PACED_S * PACED_RATE, load: { kind: 'paced', linesPerSecond: PACED_RATE } };

async function measure(config: ConfigName, filesDir: string, dbDir: string): Promise<Sample> {
  const session = await Session.open(MODE, filesDir, variantOf(config, dbDir));
  try {
    await session.phase(WARMUP);
    const load = loadNow();
    const c = await session.phase(closed);
    const p = await session.phase(paced);
    for (const [what, r] of [['closed loop', c], ['paced', p]] as const) {
      if (r.deliveries !== r.expected || r.stalled || r.fellBack > 0) throw new Error(`${config} ${what}: ${r.expected - r.deliveries} of ${r.expected} deliveries missing${r.stalled ? ' (stalled)' : ''}`);
    }
    return { perSecond: (c.deliveries / c.wallMs) * 1000, cpuUsPerDelivery: (c.serverCpuMs * 1000) / c.deliveries, closedP99: c.p99 ?? NaN, pacedP99: p.p99 ?? NaN, load };
  } finally {
    await session.close();
  }
}

function describe(s: Sample): string {
  return `${formatSi(s.perSecond)}/s, ${s.cpuUsPerDelivery.toFixed(3)} µs CPU/delivery, p99 closed ${formatMs(s.closedP99)}, paced ${formatMs(s.pacedP99)}; load ${s.load.toFixed(1)}`;
}

async function main(): Promise<void> {
  const filesDir = mkdtempSync(path.join(tmpdir(), 'dualchat-store-cost-files-'));
  const dbDir = mkdtempSync(path.join(tmpdir(), 'dualchat-store-cost-db-'));
  const samples: Record<ConfigName, Sample[]> = { before: [], 'no-history': [], memory: [], file: [] };
  const startLoad = loadNow();
  console.log(`store cost: ${MODE}, ${CLIENTS} clients in one room, ${ROUNDS} rounds × (${CONFIGS.join(' | ')}), order rotating; ${LINES} lines per client at window 8, ${PACED_S} s paced at ${PACED_RATE}/s; baseline ${BASELINE}; load ${startLoad.toFixed(1)}`);
  try {
    for (let round = 0; round < ROUNDS; round++) {
      for (let k = 0; k < CONFIGS.length; k++) {
        const config = CONFIGS[(round + k) % CONFIGS.length]!;
        const sample = await measure(config, filesDir, dbDir);
        samples[config].push(sample);
        console.log(`round ${round + 1} ${config}: ${describe(sample)}`);
      }
    }
  } finally {
    rmSync(filesDir, { recursive: true, force: true });
    rmSync(dbDir, { recursive: true, force: true });
  }
  const metrics = [
    { key: 'perSecond', label: 'delivered/s (window 8)', format: (v: number) => `${formatSi(v)}/s`, better: 'higher' },
    { key: 'cpuUsPerDelivery', label: 'server CPU per delivery', format: (v: number) => `${v.toFixed(3)} µs`, better: 'lower' },
    { key: 'closedP99', label: 'p99 (window 8)', format: formatMs, better: 'lower' },
    { key: 'pacedP99', label: `p99 (paced, ${PACED_RATE}/s per client)`, format: formatMs, better: 'lower' },
  ] as const;
  console.log(`\nmedians of ${ROUNDS} rounds; ÷: the median of the per-round ratios to that configuration; load ${startLoad.toFixed(1)} → ${loadNow().toFixed(1)}`);
  console.log('| | before | no history | in memory | ÷ no history | ÷ before | on a file | ÷ no history | ÷ before |');
  console.log('| :--- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  const verdicts: string[] = [];
  for (const m of metrics) {
    const med = (c: ConfigName): number => median(samples[c].map((s) => s[m.key])) ?? NaN;
    const paired = (c: ConfigName, to: ConfigName): number => median(samples[c].map((s, i) => s[m.key] / samples[to][i]![m.key])) ?? NaN;
    const cells = (c: ConfigName): string => `${m.format(med(c))} | ${formatRatio(paired(c, 'no-history'))} | ${formatRatio(paired(c, 'before'))}`;
    console.log(`| ${m.label} | ${m.format(med('before'))} | ${m.format(med('no-history'))} | ${cells('memory')} | ${cells('file')} |`);
    if (m.key === 'perSecond' || m.key === 'pacedP99') {
      for (const c of ['memory', 'file'] as const) {
        for (const to of ['no-history', 'before'] as const) {
          const r = paired(c, to);
          const met = m.better === 'higher' ? r >= 1 - GOAL_COST : r <= 1 + GOAL_COST;
          verdicts.push(`${c} ÷ ${to}, ${m.label}: ${formatRatio(r)} ${met ? 'met' : 'MISSED'}`);
        }
      }
    }
  }
  console.log(`\nGoal (≤ ${GOAL_COST * 100} %): ${verdicts.join('; ')}`);
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
