import { describe, expect, it } from 'vitest';
import { defaultEngineFactory } from '../../src/sim/engine.ts';
import { mergeLinkSettings } from '../../src/sim/link.ts';
import { plotRows, sweepChartSpec, timelineChartSpec, timelineRows } from '../../src/sim/plot.ts';
import { buildReport, formatReport, formatSweep, summariseLatency, type SweepReport } from '../../src/sim/report.ts';
import { runSimulation } from '../../src/sim/runner.ts';
import { defaultSpec, type SimulationSpec } from '../../src/sim/scenario.ts';
import { expandSweep, parseSweep } from '../../src/sim/sweep.ts';

function spec(over: Partial<SimulationSpec> = {}): SimulationSpec {
  const s = defaultSpec();
  const link = mergeLinkSettings(s.forward, { delayMs: 10, loss: 0.1 });
  return { ...s, forward: link, reverse: link, workload: { ...s.workload, messages: 100, messageRate: 50 }, ...over };
}

describe('summariseLatency', () => {
  it('uses nearest-rank percentiles', () => {
    const values = Array.from({ length: 100 }, (_, i) => 100 - i); // 1..100, unsorted
    expect(summariseLatency(values)).toEqual({ p50: 50, p90: 90, p99: 99, max: 100, mean: 50.5 });
    expect(summariseLatency([7])).toEqual({ p50: 7, p90: 7, p99: 7, max: 7, mean: 7 });
    expect(summariseLatency([])).toEqual({ p50: null, p90: null, p99: null, max: null, mean: null });
  });
});

describe('buildReport', () => {
  it('summarises a run: counts, datagrams against the ideal, retransmissions, latency, goodput', () => {
    const s = spec();
    const outcome = runSimulation(s, defaultEngineFactory);
    const r = buildReport(s, outcome, { ms: 12, eventsPerSecond: 1, datagramEventsPerSecond: 2 });
    expect(r.ok).toBe(true);
    expect(r.problems).toEqual([]);
    expect(r.messages).toMatchObject({ expected: 100, sent: 100, delivered: 100, duplicated: 0, outOfOrder: 0, corrupted: 0, refused: 0, bytesDelivered: 100 * 100 });
    expect(r.channels.bulk.expected).toBe(0);
    expect(r.datagrams.sent).toBe(outcome.engines.sender.dataPacketsSent);
    expect(r.datagrams.acks).toBe(outcome.engines.receiver.ackPacketsSent);
    const fwd = outcome.links.forward;
    expect(r.datagrams.lossMeasured).toBeCloseTo((fwd.dropped.loss + fwd.dropped.burst) / fwd.sent, 5);
    expect(r.datagrams.perMessage).toBeGreaterThan(1);
    expect(r.retransmissions.total).toBe(r.retransmissions.timeout + r.retransmissions.fast);
    expect(r.latency.p50).toBeGreaterThanOrEqual(10);
    expect(r.goodput).toBeGreaterThan(0);
    expect(r.completionMs).not.toBeNull();
    expect(r.wall).toEqual({ ms: 12, eventsPerSecond: 1, datagramEventsPerSecond: 2 });
    expect(JSON.parse(JSON.stringify(r))).toEqual(r); // plain JSON, nothing lost
  });

  it('a run that cannot deliver is not ok and says why', () => {
    const s = spec({ engine: { idleTimeoutMs: 1000, keepaliveIntervalMs: 300 } });
    s.forward = mergeLinkSettings(s.forward, { loss: 1 });
    const r = buildReport(s, runSimulation(s, defaultEngineFactory));
    expect(r.ok).toBe(false);
    expect(r.status).toBe('lost');
    expect(r.problems.join('; ')).toMatch(/run ended: lost; 100 of 100 messages not delivered/);
    expect(r.completionMs).toBeNull();
  });

  it('formats a table: aligned, coloured only on request, with the verdict', () => {
    const s = spec({ workload: { messages: 50, messageBytes: 100, messageRate: 50, fileBytes: 100_000, chunkBytes: 16_384 } });
    const r = buildReport(s, runSimulation(s, defaultEngineFactory));
    const plain = formatReport(r, { color: false });
    expect(plain).not.toContain('\u001b[');
    const lines = plain.split('\n');
    const header = lines.find((l) => l.includes('expected')) ?? '';
    const chat = lines.find((l) => l.trimStart().startsWith('chat ') && l.includes(' 50 ')) ?? '';
    // Right-aligned numbers end under their headers.
    expect(chat.indexOf('50') + 2).toBe(header.indexOf('expected') + 'expected'.length);
    expect(plain).toMatch(/^ {2}total\s+57\s+57/m);
    expect(plain).toMatch(/PASS every message delivered exactly once, in order, intact$/);
    expect(formatReport(r, { color: true })).toContain('\u001b[');
  });
});

describe('sweep report and charts', () => {
  function sweep(): SweepReport {
    const dims = ['loss=0,0.2', 'delay=5,50'].map((a) => {
      const d = parseSweep(a);
      if (!d.ok) throw new Error(d.error);
      return d.value;
    });
    const points = expandSweep(spec(), dims);
    if (!points.ok) throw new Error(points.error);
    const runs = points.value.map((p) => buildReport(p.spec, runSimulation(p.spec, defaultEngineFactory), undefined, p.parameters));
    return { sweep: dims.map((d) => ({ property: d.property, values: d.values.map((v) => v.text) })), ok: runs.every((r) => r.ok), runs };
  }

  it('one row per run, the swept values first', () => {
    const text = formatSweep(sweep(), { color: false });
    const rows = text.split('\n').filter((l) => /^\s+0(\.2)?\s+\d/.test(l));
    expect(rows).toHaveLength(4);
    expect(rows[0]).toMatch(/^\s+0\s+5\s+100\/100/);
    expect(rows[3]).toMatch(/^\s+0\.2\s+50\s+100\/100/);
    expect(text).toMatch(/PASS all 4 runs/);
  });

  it('charts latency and goodput against the first swept property, one series per other value', () => {
    const s = sweep();
    const { latency, efficiency, goodput } = plotRows(s);
    expect(latency).toHaveLength(4 * 4); // 4 runs × p50/p90/p99/max
    expect(efficiency).toHaveLength(4 * 2); // 4 runs × measured and ideal transmissions per fresh byte
    expect(goodput).toHaveLength(0); // chat alone: its goodput is the workload's rate, not plotted
    expect(new Set(latency.map((r) => r.x))).toEqual(new Set([0, 0.2]));
    expect(new Set(latency.map((r) => r.series))).toEqual(new Set(['delay=5', 'delay=50']));
    const chart = sweepChartSpec(s, 'title');
    expect(JSON.stringify(chart)).toContain('"strokeDash"');
  });

  it('a timeline keeps every message up to the limit, then the slowest of each bucket', () => {
    const s = spec({ workload: { messages: 300, messageBytes: 10, messageRate: 100, fileBytes: 0, chunkBytes: 1000 } });
    const outcome = runSimulation(s, defaultEngineFactory);
    expect(timelineRows(outcome.channels)).toHaveLength(300);
    const thinned = timelineRows(outcome.channels, 30);
    expect(thinned).toHaveLength(30);
    expect(Math.max(...thinned.map((r) => r.latencyMs))).toBe(Math.max(...outcome.channels.chat.latencies));
    expect(JSON.stringify(timelineChartSpec(thinned, [1000], 't'))).toContain('"rule"');
  });

  it('a sweep plots transmissions per fresh byte against the ideal, and goodput only when a file is sent', () => {
    const withFile = spec({ workload: { messages: 20, messageBytes: 100, messageRate: 50, fileBytes: 50_000, chunkBytes: 16_384 } });
    const runs = [0, 0.2].map((loss) => {
      const link = mergeLinkSettings(withFile.forward, { loss });
      const s = { ...withFile, forward: link, reverse: link };
      return buildReport(s, runSimulation(s, defaultEngineFactory), undefined, { loss: String(loss) });
    });
    const sweep: SweepReport = { sweep: [{ property: 'loss', values: ['0', '0.2'] }], ok: true, runs };
    const { efficiency, goodput } = plotRows(sweep);
    expect(goodput).toHaveLength(2);
    const at = (x: number, metric: string): number | undefined => efficiency.find((r) => r.x === x && r.metric === metric)?.value;
    expect(at(0, 'transmissions per fresh byte')).toBe(1);
    expect(at(0.2, 'ideal 1/(1−p), p measured')).toBeCloseTo(1 / (1 - runs[1]!.datagrams.lossMeasured), 3);
    const chart = JSON.stringify(sweepChartSpec(sweep, 't'));
    expect(chart).toContain("Loss recovery's cost");
    expect(chart).toContain('Goodput');
  });

  it('a run with a file plots chat and file chunks in panels of their own, and mentions phases only when drawn', () => {
    const s = spec({ workload: { messages: 100, messageBytes: 100, messageRate: 50, fileBytes: 200_000, chunkBytes: 16_384 } });
    const rows = timelineRows(runSimulation(s, defaultEngineFactory).channels);
    const chart = timelineChartSpec(rows, [], 't') as { vconcat: Array<{ title: string; layer: unknown[] }>; title: { subtitle: string } };
    expect(chart.vconcat.map((p) => p.title)).toEqual(['Chat lines: latency against the time each was sent', 'File chunks: latency against the time each arrived']);
    expect(chart.vconcat.every((p) => p.layer.length === 1)).toBe(true); // no phases: no rule layer
    expect(chart.title.subtitle).not.toMatch(/rule|phase/);
    const phased = timelineChartSpec(rows, [2000], 't') as { vconcat: Array<{ layer: unknown[] }>; title: { subtitle: string } };
    expect(phased.vconcat.every((p) => p.layer.length === 2)).toBe(true);
    expect(phased.title.subtitle).toMatch(/grey dashed rules: the link phase/);
  });
});
