// What `dualchat simulate` does once its flags are parsed: it reads the scenario file, runs the plan
// (one run or a sweep grid) on virtual time, measures the wall clock, prints a table or one JSON
// object, and renders the chart. Loaded by the subcommand's action only, so `--help` never loads the
// runner, the reports or the charting libraries.
// Exit status: 0 when every run delivered every message exactly once, in order, intact and completed;
// 1 when a run did not; 2 for bad flags, a bad scenario or an unwritable file.
import { writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import type { TopLevelSpec } from 'vega-lite';
import { defaultEngineFactory } from '../sim/engine.ts';
import type { SimulateFlags } from '../sim/options.ts';
import { sweepChartSpec, timelineChartSpec, timelineRows } from '../sim/plot.ts';
import { buildReport, formatReport, formatSweep, type RunReport, type SweepReport } from '../sim/report.ts';
import { runSimulation } from '../sim/runner.ts';
import { expandSweep } from '../sim/sweep.ts';
import { planFromFlags, readScenario, shippedScenarioNames } from './scenario-file.ts';

const EXIT_OK = 0;
const EXIT_RUN_FAILED = 1;
const EXIT_USAGE = 2;

/** The flags as commander hands them to the action. */
export interface SimulateCliOptions extends SimulateFlags {
  scenario?: string;
  json?: boolean;
  plot?: string;
  listScenarios?: boolean;
  color?: boolean;
}

function fail(message: string): number {
  process.stderr.write(`dualchat simulate: ${message}\n`);
  return EXIT_USAGE;
}

function listScenarios(): number {
  const names = shippedScenarioNames();
  const lines = names.map((name) => {
    const read = readScenario(name);
    const description =
      read.ok && typeof read.value === 'object' && read.value !== null && 'description' in read.value
        ? String((read.value as { description: unknown }).description)
        : '';
    return { name, description };
  });
  const width = Math.max(0, ...lines.map((l) => l.name.length));
  for (const l of lines) process.stdout.write(`${l.name.padEnd(width)}  ${l.description}\n`);
  return EXIT_OK;
}

/** Runs the simulation(s) the flags describe; returns the exit status. */
export async function simulate(opts: SimulateCliOptions): Promise<number> {
  if (opts.listScenarios === true) return listScenarios();
  const planned = planFromFlags(opts);
  if (!planned.ok) return fail(planned.error);
  const { base, sweeps } = planned.plan;
  const color = opts.color !== false && process.stdout.isTTY === true && !('NO_COLOR' in process.env);

  if (sweeps.length === 0) {
    const started = performance.now();
    const outcome = runSimulation(base, defaultEngineFactory);
    const wallMs = performance.now() - started;
    const report = buildReport(base, outcome, wallClock(wallMs, outcome.events, outcome.datagramEvents));
    process.stdout.write(opts.json === true ? `${JSON.stringify(report, null, 2)}\n` : `${formatReport(report, { color })}\n`);
    if (opts.plot !== undefined) {
      const title = `${base.name}, seed ${String(base.seed)}`;
      const written = await writeChart(opts.plot, timelineChartSpec(timelineRows(outcome.channels), base.phases.map((p) => p.atMs), title));
      if (written !== undefined) return fail(written);
    }
    return report.ok ? EXIT_OK : EXIT_RUN_FAILED;
  }

  const points = expandSweep(base, sweeps);
  if (!points.ok) return fail(`--sweep: ${points.error}`);
  const started = performance.now();
  const runs: RunReport[] = [];
  for (const point of points.value) {
    const t0 = performance.now();
    const outcome = runSimulation(point.spec, defaultEngineFactory);
    const wall = wallClock(performance.now() - t0, outcome.events, outcome.datagramEvents);
    runs.push(buildReport(point.spec, outcome, wall, point.parameters));
  }
  const sweep: SweepReport = {
    sweep: sweeps.map((d) => ({ property: d.property, values: d.values.map((v) => v.text) })),
    ok: runs.every((r) => r.ok),
    runs,
    wall: { ms: round(performance.now() - started) },
  };
  process.stdout.write(opts.json === true ? `${JSON.stringify(sweep, null, 2)}\n` : `${formatSweep(sweep, { color })}\n`);
  if (opts.plot !== undefined) {
    const title = `${base.name}: sweep of ${sweeps.map((d) => d.property).join(' × ')}, seed ${String(base.seed)}`;
    const written = await writeChart(opts.plot, sweepChartSpec(sweep, title));
    if (written !== undefined) return fail(written);
  }
  return sweep.ok ? EXIT_OK : EXIT_RUN_FAILED;
}

function round(n: number): number {
  return Math.round(n * 1000) / 1000;
}

function wallClock(ms: number, events: number, datagramEvents: number): RunReport['wall'] {
  const seconds = ms / 1000;
  return {
    ms: round(ms),
    eventsPerSecond: seconds > 0 ? Math.round(events / seconds) : 0,
    datagramEventsPerSecond: seconds > 0 ? Math.round(datagramEvents / seconds) : 0,
  };
}

/**
 * Renders a Vega-Lite spec to SVG with a headless Vega view and writes it; returns an error or
 * undefined. The charting libraries load only when a chart is asked for (they take ~0.3 s to load).
 */
async function writeChart(path: string, spec: TopLevelSpec): Promise<string | undefined> {
  let svg: string;
  try {
    const [vega, { compile }] = await Promise.all([import('vega'), import('vega-lite')]);
    const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
    try {
      svg = await view.toSVG();
    } finally {
      view.finalize();
    }
  } catch (e) {
    return `--plot ${path}: could not render the chart: ${(e as Error).message}`;
  }
  try {
    writeFileSync(path, svg);
  } catch (e) {
    return `--plot ${path}: ${(e as Error).message}`;
  }
  return undefined;
}
