// The fanout suite's figures from its runs: rates, CPU per delivery, keeping up with the paced load,
// the ratios to ngircd and the verdicts for dualchat TCP.
import { describe, expect, it } from 'vitest';
import { cellFigures, cpuUsPerDelivery, fanoutChart, fanoutTables, fanoutVerdicts, ircDoorVerdicts, KEEP_UP_LAG_MS, keptUp, lagMs, pendingRun, perSecond, type FanoutRun, type WorkloadName } from '../../bench/lib/fanout-figures.ts';
import type { FanoutMode } from '../../bench/lib/fanout-protocol.ts';

function run(mode: FanoutMode, workload: WorkloadName, over: Partial<FanoutRun> = {}): FanoutRun {
  const paced = workload === 'paced';
  const id = { mode, workload, round: 0, lines: 10, window: paced ? undefined : 8, linesPerSecond: paced ? 20 : undefined, expected: 1_000_000, scheduleMs: paced ? 1_900 : undefined, load: 1 };
  return { ...pendingRun(id), ok: true, deliveries: 1_000_000, wallMs: 2_000, serverCpuMs: 500, clientCpuMs: 900, p50: 5, p99: 20, max: 30, ...over };
}

/** ngircd and dualchat TCP on all three workloads; dualchat's figures scaled from ngircd's. */
function pair(rate: number, cpu: number, p99: number): FanoutRun[] {
  return (['window-8', 'window-32', 'paced'] as const).flatMap((w) => [run('irc', w), run('dualchat-tcp', w, { wallMs: 2_000 / rate, serverCpuMs: 500 * cpu, p99: 20 * p99 })]);
}

describe('fanout figures', () => {
  it('rate, CPU per delivery and the paced lag of a run', () => {
    const r = run('irc', 'paced', { wallMs: 2_000, scheduleMs: 1_900 });
    expect(perSecond(r)).toBe(500_000);
    expect(cpuUsPerDelivery(r)).toBe(0.5);
    expect(lagMs(r)).toBe(100);
    expect(keptUp(r)).toBe(true);
    expect(keptUp(run('irc', 'paced', { wallMs: 1_900 + KEEP_UP_LAG_MS + 1 }))).toBe(false);
    expect(keptUp(run('irc', 'paced', { ok: false }))).toBe(false);
    expect(keptUp(run('irc', 'window-8'))).toBeUndefined();
  });

  it('medians over the successful runs; missing, duplicates and disorder summed over all', () => {
    const runs = [run('irc', 'window-8', { wallMs: 1_000 }), run('irc', 'window-8', { wallMs: 4_000 }), run('irc', 'window-8', { round: 2, ok: false, deliveries: 900_000, duplicates: 2, outOfOrder: 3 })];
    const f = cellFigures(runs, 'irc', 'window-8');
    expect(f).toMatchObject({ done: 3, ok: 2, missing: 100_000, duplicates: 2, outOfOrder: 3 });
    expect(f.rate.median).toBe(625_000);
  });

  it('the goals are met when dualchat TCP is as fast as ngircd, within 1.5× its CPU and no slower paced', () => {
    const v = fanoutVerdicts(pair(1, 1.5, 1), undefined);
    expect(v.map((x) => x.met)).toEqual([true, true, true, true, true, true]);
    expect(v[0]?.measured).toBe("500k/s vs ngircd's 500k/s (1.00×)");
  });

  it('and not met, each with its measure, when dualchat TCP is slower, costlier or later', () => {
    const v = fanoutVerdicts(pair(0.5, 1.6, 2), undefined);
    expect(v.map((x) => x.met)).toEqual([false, false, false, false, false, true]);
    expect(v[2]?.goal).toBe("dualchat TCP server CPU per delivery ≤ 1.5× ngircd's (closed loop, window 8)");
    expect(v[2]?.measured).toBe("0.8 µs vs ngircd's 0.5 µs (1.60×)");
    expect(v[4]?.measured).toBe("40 ms vs ngircd's 20 ms (2.00×)");
  });

  it('without ngircd the goals against it are not measured, and say why', () => {
    const v = fanoutVerdicts([run('dualchat-tcp', 'window-8')], 'ngircd is not installed');
    expect(v.slice(0, 5).every((x) => x.met === undefined && x.measured === 'ngircd is not installed')).toBe(true);
    expect(v[5]?.met).toBe(true);
  });

  it("the IRC door's goal: delivered/s ≥ ngircd's at window 8 and 32", () => {
    const door = (rate: number) => (['window-8', 'window-32'] as const).flatMap((w) => [run('irc', w), run('dualchat-irc', w, { wallMs: 2_000 / rate })]);
    expect(ircDoorVerdicts(door(1.2), undefined).map((x) => x.met)).toEqual([true, true]);
    const slow = ircDoorVerdicts(door(0.8), undefined);
    expect(slow.map((x) => x.met)).toEqual([false, false]);
    expect(slow[1]?.goal).toBe("dualchat IRC door delivered/s ≥ 1.0× ngircd's (closed loop, window 32)");
    expect(slow[0]?.measured).toBe("400k/s vs ngircd's 500k/s (0.80×)");
    expect(ircDoorVerdicts(door(1), 'ngircd is not installed').every((x) => x.met === undefined && x.measured === 'ngircd is not installed')).toBe(true);
  });

  it('a missing or disordered delivery fails the integrity goal', () => {
    expect(fanoutVerdicts([...pair(1, 1, 1), run('forwarder', 'window-8', { outOfOrder: 1 })], undefined)[5]?.met).toBe(false);
    expect(fanoutVerdicts([], undefined)[5]?.met).toBeUndefined();
  });

  it('one table per workload, a row per server, ratios to ngircd', () => {
    const tables = fanoutTables(pair(0.5, 2, 3), [{ mode: 'irc', label: 'ngircd' }, { mode: 'dualchat-tcp', label: 'dualchat TCP' }], { closed: 'c', paced: 'p', offeredPerSecond: 198_000 });
    expect(tables.map((t) => t.title)).toEqual(['closed loop, window 8: c', 'closed loop, window 32: c', 'paced: p']);
    expect(tables[0]?.rows[1]?.slice(0, 5)).toEqual(['dualchat TCP', '250k', '0.50×', '1 µs', '2.00×']);
    expect(tables[2]?.rows[1]?.slice(0, 8)).toEqual(['dualchat TCP', '198k', '250k', '5 ms', '60 ms', '3.00×', '30 ms', 'NO (2.1 s)']);
  });

  it('the chart has a bar per server and workload, medians of the successful runs', () => {
    const spec = fanoutChart(pair(0.5, 2, 3), [{ mode: 'irc', label: 'ngircd' }, { mode: 'dualchat-tcp', label: 'dualchat TCP' }], { clients: 100, pacedRate: 20 }) as unknown as {
      data: { values: Array<{ server: string; workload: string; perSecond: number; cpuUs: number; p99: number }> };
    };
    expect(spec.data.values.map((v) => `${v.server}/${v.workload}`)).toEqual(['ngircd/window 8', 'ngircd/window 32', 'ngircd/paced', 'dualchat TCP/window 8', 'dualchat TCP/window 32', 'dualchat TCP/paced']);
    expect(spec.data.values[3]).toMatchObject({ perSecond: 250_000, cpuUs: 1, p99: 60 });
  });
});
