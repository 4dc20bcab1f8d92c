// Helpers for suites that drive the simulator: build a run from the same words `dualchat simulate`
// takes (so a figure in docs/benchmarks.md can be reproduced from the command line), run it with the
// real engine, time it, and make its report.
import { performance } from 'node:perf_hooks';
import { readScenario } from '../../src/cli/scenario-file.ts';
import { defaultEngineFactory } from '../../src/sim/engine.ts';
import { planSimulation, type SimulateFlags } from '../../src/sim/options.ts';
import { buildReport, type RunReport } from '../../src/sim/report.ts';
import { runSimulation, type RunOutcome } from '../../src/sim/runner.ts';
import type { SimulationSpec } from '../../src/sim/scenario.ts';

/**
 * The spec `dualchat simulate` would run for these flags (and shipped scenario or scenario file).
 * Throws on a bad flag: a suite with a typo must fail loudly, not measure something else.
 */
export function simSpec(flags: SimulateFlags, scenario?: string): SimulationSpec {
  let read: { value: unknown; label: string } | undefined;
  if (scenario !== undefined) {
    const r = readScenario(scenario);
    if (!r.ok) throw new Error(r.error);
    read = r;
  }
  const planned = planSimulation(flags, read);
  if (!planned.ok) throw new Error(`simulate flags ${JSON.stringify(flags)}: ${planned.errors.join('; ')}`);
  if (planned.plan.sweeps.length > 0) throw new Error('simSpec builds one run: pass no --sweep');
  return planned.plan.base;
}

/** The command line that reproduces a run: `dualchat simulate --loss 0.05 --file 2mb`. */
export function simCommand(flags: SimulateFlags, scenario?: string): string {
  const parts = ['dualchat simulate'];
  if (scenario !== undefined) parts.push(`--scenario ${scenario}`);
  for (const [key, value] of Object.entries(flags)) {
    if (value === undefined) continue;
    const flag = `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
    for (const v of Array.isArray(value) ? value : [value]) parts.push(`${flag} ${String(v)}`);
  }
  return parts.join(' ');
}

export interface TimedRun {
  outcome: RunOutcome;
  report: RunReport;
  wallMs: number;
  /**
   * CPU time this process used meanwhile (user + system, all threads: GC helpers included). On a
   * shared machine it moves less than wall time when other processes take the cores.
   */
  cpuMs: number;
  /** Datagrams put on a link plus taken off one, per second of wall time. */
  datagramEventsPerSecond: number;
  /** Engine inputs per second of wall time. */
  eventsPerSecond: number;
}

/** One run with the real engine, timed on the wall clock (report building not included). */
export function timedRun(spec: SimulationSpec): TimedRun {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const outcome = runSimulation(spec, defaultEngineFactory);
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const cpuMs = (cpu.user + cpu.system) / 1000;
  const s = wallMs / 1000;
  const report = buildReport(spec, outcome);
  return {
    outcome,
    report,
    wallMs,
    cpuMs,
    datagramEventsPerSecond: s > 0 ? outcome.datagramEvents / s : 0,
    eventsPerSecond: s > 0 ? outcome.events / s : 0,
  };
}
