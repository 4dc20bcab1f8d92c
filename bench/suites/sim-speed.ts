// sim-speed: how fast the simulator runs, in datagram events (a datagram put on a link, or taken off
// one) per second of wall time. Cases: the link model and virtual clock alone, then full runs — two
// engines, the datagram codec with its CRC, the workload's checks — with chat, bulk and mixed traffic.
// Goal (issue "bench/ figures"): ≥ 1 M datagram events/s end to end.
import { performance } from 'node:perf_hooks';
import type { TopLevelSpec } from 'vega-lite';
import { VirtualClock } from '../../src/sim/clock.ts';
import { Link } from '../../src/sim/link.ts';
import { createRng } from '../../src/sim/rng.ts';
import type { SimulateFlags } from '../../src/sim/options.ts';
import { metric } from '../lib/alternate.ts';
import { simCommand, simSpec, timedRun } from '../lib/sim.ts';
import { formatRatio, formatSi, formatWithSpread, ratio, summarise, type SampleSummary } from '../lib/stats.ts';
import { defineSuite } from '../lib/suite.ts';

/** The goal, datagram events per second of wall time. */
const GOAL_EVENTS_PER_SECOND = 1_000_000;

/** Link-only case: datagrams sent forward (each one that arrives is answered by one back). */
const LINK_ONLY_DATAGRAMS = 600_000;
/** Link-only case: a data datagram and an ACK of typical sizes (engine packet + codec framing). */
const LINK_ONLY_DATA_BYTES = 1210;
const LINK_ONLY_ACK_BYTES = 40;
/** Link-only case: one data datagram every 20 µs of virtual time (~480 Mbit/s), 5 ms ± 1 ms each way, 5 % loss. */
const LINK_ONLY_INTERVAL_MS = 0.02;
const LINK_ONLY_SETTINGS = { loss: 0.05, delayMs: 5, jitterMs: 1 };

interface Sample {
  datagramEvents: number;
  wallMs: number;
  /** CPU time of this process meanwhile (see TimedRun.cpuMs). */
  cpuMs: number;
  datagramEventsPerSecond: number;
  /** Per second of this process's CPU time: less disturbed by other processes than wall time. */
  datagramEventsPerCpuSecond: number;
  /** Engine inputs per second (full runs only). */
  eventsPerSecond?: number;
}

interface Case {
  name: string;
  what: string;
  /** How to reproduce it from the command line, when it is a full run. */
  command?: string;
  run(): Sample;
}

/**
 * The link model and the virtual clock with no engine: a sender ticks one data datagram onto the
 * forward link every LINK_ONLY_INTERVAL_MS; each arrival puts an ACK on the reverse link. Timers are
 * armed as the runner arms them (one live clock entry per link, re-armed when the link's next due
 * time moves earlier).
 */
function linkOnly(): Sample {
  const TICK = 0;
  const FORWARD = 1;
  const REVERSE = 2;
  const clock = new VirtualClock<number>(0);
  const links = [new Link(LINK_ONLY_SETTINGS, createRng(1, 'bench:forward')), new Link(LINK_ONLY_SETTINGS, createRng(1, 'bench:reverse'))] as const;
  const armed: [number, number] = [Infinity, Infinity];
  const data = new Uint8Array(LINK_ONLY_DATA_BYTES);
  const ack = new Uint8Array(LINK_ONLY_ACK_BYTES);
  const arm = (side: 0 | 1): void => {
    const due = links[side].nextDue();
    if (due !== undefined && due < armed[side]) {
      armed[side] = due;
      clock.schedule(due, side === 0 ? FORWARD : REVERSE);
    }
  };
  let sent = 0;
  let events = 0;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  clock.schedule(0, TICK);
  for (let tag = clock.advance(); tag !== undefined; tag = clock.advance()) {
    const now = clock.now;
    if (tag === TICK) {
      links[0].send(data, now);
      events++;
      if (++sent < LINK_ONLY_DATAGRAMS) clock.schedule(now + LINK_ONLY_INTERVAL_MS, TICK);
      arm(0);
      continue;
    }
    const side = tag === FORWARD ? 0 : 1;
    if (armed[side] > now) continue; // stale: a later entry was superseded by an earlier one
    armed[side] = Infinity;
    for (let d = links[side].poll(now); d !== undefined; d = links[side].poll(now)) {
      events++;
      if (side === 0) {
        links[1].send(ack, now);
        events++;
      }
    }
    arm(side);
    if (side === 0) arm(1);
  }
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const cpuMs = (cpu.user + cpu.system) / 1000;
  return { datagramEvents: events, wallMs, cpuMs, datagramEventsPerSecond: events / (wallMs / 1000), datagramEventsPerCpuSecond: events / (cpuMs / 1000) };
}

/** One sample: the run once per seed (short scenarios take several seeds to make a measurable sample). */
function fullRun(flags: SimulateFlags, scenario: string | undefined, seeds: number): Case['run'] {
  const specs = Array.from({ length: seeds }, (_, i) => simSpec(seeds === 1 ? flags : { ...flags, seed: String(i + 1) }, scenario));
  return () => {
    let datagramEvents = 0;
    let events = 0;
    let wallMs = 0;
    let cpuMs = 0;
    for (const spec of specs) {
      const r = timedRun(spec);
      if (!r.report.ok) throw new Error(`${simCommand(flags, scenario)} (seed ${String(spec.seed)}) did not pass: ${r.report.problems.join('; ')}`);
      datagramEvents += r.outcome.datagramEvents;
      events += r.outcome.events;
      wallMs += r.wallMs;
      cpuMs += r.cpuMs;
    }
    const s = wallMs / 1000;
    return {
      datagramEvents,
      wallMs,
      cpuMs,
      datagramEventsPerSecond: datagramEvents / s,
      datagramEventsPerCpuSecond: datagramEvents / (cpuMs / 1000),
      eventsPerSecond: events / s,
    };
  };
}

const FULL_RUNS: Array<{ name: string; what: string; flags: SimulateFlags; scenario?: string; seeds?: number }> = [
  {
    name: 'chat',
    what: '20 000 chat lines of 100 B at 2 000/s, 5 ms ± 1 ms, 1 % loss',
    flags: { messages: '20000', msgRate: '2000', delay: '5ms', jitter: '1ms', loss: '0.01' },
  },
  {
    name: 'bulk',
    what: '20 MB file in 16 KiB chunks, 5 ms ± 1 ms, 1 % loss',
    flags: { file: '20mb', delay: '5ms', jitter: '1ms', loss: '0.01' },
  },
  {
    name: 'bulk-clean',
    what: '20 MB file, 5 ms, no loss',
    flags: { file: '20mb', delay: '5ms' },
  },
  {
    name: 'wifi',
    what: 'shipped wifi scenario (chat + 1 MB file, 8 % bursty loss, dup, reorder, corruption), seeds 1–10',
    flags: {},
    scenario: 'wifi',
    seeds: 10,
  },
];

export default defineSuite({
  name: 'sim-speed',
  title: 'Simulator speed: datagram events per second of wall time',
  description:
    'Link model + virtual clock alone, and full simulator runs (two engines, codec + CRC, workload checks) with chat, bulk and mixed traffic. Goal ≥ 1 M datagram events/s.',
  defaultRuns: 5,
  /** Takes ~8 s (5 rounds, quiet machine); more rounds with --full. */
  fullRuns: 11,
  budgetMs: 30_000,
  fullBudgetMs: 60_000,
  async run(ctx) {
    const cases: Case[] = [
      {
        name: 'link+clock',
        what: `Link + VirtualClock only: ${LINK_ONLY_DATAGRAMS / 1000}k datagrams of ${LINK_ONLY_DATA_BYTES} B + ACKs, 5 % loss, jitter`,
        run: linkOnly,
      },
      ...FULL_RUNS.map((c) => ({ name: c.name, what: c.what, command: simCommand(c.flags, c.scenario) + (c.seeds === undefined ? '' : ` --seed 1…${c.seeds}`), run: fullRun(c.flags, c.scenario, c.seeds ?? 1) })),
    ];
    ctx.log(`warming up, then ${ctx.runs} alternating rounds of ${cases.map((c) => c.name).join(', ')}`);
    const result = await ctx.alternate(
      cases.map((c) => ({ name: c.name, run: () => c.run() })),
      {
        warmup: 1,
        onSample: (name, round, s) => ctx.log(`round ${round + 1} ${name}: ${formatSi(s.datagramEventsPerSecond)} datagram events/s (${Math.round(s.wallMs)} ms)`),
      },
    );

    const summaries: Record<string, { events: SampleSummary; perCpu: SampleSummary; engine: SampleSummary; wallMs: SampleSummary; datagramEvents: number }> = {};
    const rows: string[][] = [];
    for (const c of cases) {
      const samples = result.samples[c.name] ?? [];
      const events = summarise(metric(samples, (s) => s.datagramEventsPerSecond));
      const engine = summarise(metric(samples, (s) => s.eventsPerSecond));
      const wallMs = summarise(metric(samples, (s) => s.wallMs));
      const perCpu = summarise(metric(samples, (s) => s.datagramEventsPerCpuSecond));
      summaries[c.name] = { events, perCpu, engine, wallMs, datagramEvents: samples[0]?.datagramEvents ?? 0 };
      rows.push([
        c.name,
        formatSi(samples[0]?.datagramEvents),
        formatWithSpread(wallMs, (v) => (v === undefined ? '–' : `${Math.round(v)} ms`)),
        formatWithSpread(events, (v) => formatSi(v)),
        formatWithSpread(perCpu, (v) => formatSi(v)),
        formatSi(engine.median),
        formatRatio(ratio(events.median, GOAL_EVENTS_PER_SECOND)),
      ]);
    }
    const full = cases.filter((c) => c.command !== undefined).map((c) => summaries[c.name]?.events.median ?? 0);
    const worst = Math.min(...full);
    const best = Math.max(...full);
    const met = worst >= GOAL_EVENTS_PER_SECOND;
    return {
      tables: [
        {
          title: 'Datagram events per second of wall time (median of the rounds, ± half the min–max spread)',
          columns: [
            { label: 'case' },
            { label: 'dgram events' },
            { label: 'wall' },
            { label: 'dgram events/s' },
            { label: 'per CPU-s' },
            { label: 'engine inputs/s' },
            { label: 'vs goal 1M/s' },
          ],
          rows,
          notes: [
            `${result.rounds} alternating rounds after one warm-up round${result.cutShort ? ' (cut short by the time budget)' : ''}; in one process, JIT warm. per CPU-s: the same events per second of this process's CPU time (GC threads included) — when it is well above the wall figure, other processes were taking the cores.`,
            met
              ? `Goal ≥ 1M datagram events/s end to end: MET (full runs ${formatSi(worst)}–${formatSi(best)}/s).`
              : `Goal ≥ 1M datagram events/s end to end: NOT MET — full runs ${formatSi(worst)}–${formatSi(best)}/s (${formatRatio(ratio(worst, GOAL_EVENTS_PER_SECOND))}–${formatRatio(ratio(best, GOAL_EVENTS_PER_SECOND))} of the goal).`,
          ],
        },
        {
          title: 'Cases',
          columns: [{ label: 'case' }, { label: 'what', align: 'left' }, { label: 'command', align: 'left' }],
          rows: cases.map((c) => [c.name, c.what, c.command ?? '(bench/suites/sim-speed.ts linkOnly)']),
        },
      ],
      plots: [{ spec: speedChart(cases.map((c) => ({ name: c.name, samples: metric(result.samples[c.name] ?? [], (s) => s.datagramEventsPerSecond) }))) }],
      verdicts: [
        {
          goal: '≥ 1M datagram events/s end to end',
          met: full.length === 0 ? undefined : met,
          measured: `full runs ${formatSi(worst)}–${formatSi(best)}/s (${formatRatio(ratio(worst, GOAL_EVENTS_PER_SECOND))}–${formatRatio(ratio(best, GOAL_EVENTS_PER_SECOND))})`,
        },
      ],
      data: { goal: GOAL_EVENTS_PER_SECOND, rounds: result.rounds, cutShort: result.cutShort, order: result.order, summaries, samples: result.samples },
    };
  },
});

function speedChart(series: Array<{ name: string; samples: number[] }>): TopLevelSpec {
  const points = series.flatMap((s) => s.samples.map((v, i) => ({ case: s.name, round: i + 1, value: v })));
  const order = series.map((s) => s.name);
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: 'Simulator speed', subtitle: 'datagram events per second of wall time (log scale); dots: rounds, blue tick: median; red: the goal, 1M/s' },
    background: 'white',
    width: 560,
    height: 220,
    layer: [
      {
        data: { values: points },
        mark: { type: 'tick', thickness: 3, color: '#2a6fb0', size: 26 },
        encoding: {
          y: { field: 'case', type: 'nominal', sort: order, title: null },
          x: { aggregate: 'median', field: 'value', type: 'quantitative', title: 'datagram events/s', scale: { type: 'log', domain: [1e5, 2e7], nice: false }, axis: { format: '~s' } },
        },
      },
      {
        data: { values: points },
        mark: { type: 'point', filled: true, color: '#333', size: 30, opacity: 0.7 },
        encoding: {
          y: { field: 'case', type: 'nominal', sort: order },
          x: { field: 'value', type: 'quantitative' },
        },
      },
      {
        data: { values: [{ goal: GOAL_EVENTS_PER_SECOND }] },
        mark: { type: 'rule', color: '#c33', strokeDash: [4, 3], strokeWidth: 2 },
        encoding: { x: { field: 'goal', type: 'quantitative' } },
      },
    ],
  };
}
