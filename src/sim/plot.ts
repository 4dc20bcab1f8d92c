// The chart of a sweep as a Vega-Lite specification: latency percentiles and goodput against the first
// swept property (other swept properties become separate series). Pure: the shell renders it to SVG.
import type { TopLevelSpec } from 'vega-lite';
import { LINK_PROPERTY_INFO, linkPropertyNumber, type LinkProperty } from './link-properties.ts';
import { mergeLinkSettings, DEFAULT_LINK_SETTINGS } from './link.ts';
import type { RunReport, SweepReport } from './report.ts';
import { CHANNEL_NAMES, type ChannelName, type ChannelTally } from './workload.ts';
import { MAX_TIMELINE_POINTS } from './constants.ts';

export interface PlotRow {
  x: number;
  series: string;
  metric: string;
  value: number;
  ok: boolean;
}

const PERCENTILES = ['p50', 'p90', 'p99', 'max'] as const;

/** The x value of a run: the first swept property as a number (rate in bit/s, queue in bytes…). */
function xOf(run: RunReport, property: LinkProperty): number {
  const s = run.links.forward.settings;
  const settings = mergeLinkSettings(DEFAULT_LINK_SETTINGS, { ...s, rateBps: s.rateBps ?? undefined });
  return linkPropertyNumber(settings, property);
}

/** Flattens a sweep into rows: one per run and metric (latency percentiles in ms, goodput in bit/s). */
export function plotRows(sweep: SweepReport): { latency: PlotRow[]; goodput: PlotRow[] } {
  const first = sweep.sweep[0]?.property;
  const others = sweep.sweep.slice(1).map((d) => d.property);
  const latency: PlotRow[] = [];
  const goodput: PlotRow[] = [];
  if (first === undefined) return { latency, goodput };
  for (const run of sweep.runs) {
    const x = xOf(run, first);
    const series = others.length === 0 ? 'all' : others.map((p) => `${p}=${run.parameters?.[p] ?? '?'}`).join(' ');
    for (const q of PERCENTILES) {
      const v = run.latency[q];
      if (v !== null) latency.push({ x, series, metric: q, value: v, ok: run.ok });
    }
    if (run.goodput !== null) goodput.push({ x, series, metric: 'goodput', value: run.goodput, ok: run.ok });
  }
  return { latency, goodput };
}

function axisFormat(property: LinkProperty): string | undefined {
  const unit = LINK_PROPERTY_INFO[property].unit;
  if (unit === 'fraction') return '.0~%';
  if (unit === 'bit/s' || unit === 'bytes') return '~s';
  return undefined;
}

/** A two-panel chart (latency, goodput) for a sweep. */
export function sweepChartSpec(sweep: SweepReport, title: string): TopLevelSpec {
  const first = sweep.sweep[0]?.property ?? 'loss';
  const info = LINK_PROPERTY_INFO[first];
  const { latency, goodput } = plotRows(sweep);
  const multi = sweep.sweep.length > 1;
  const format = axisFormat(first);
  const x = {
    field: 'x',
    type: 'quantitative' as const,
    title: info.unit === 'fraction' ? first : `${first} (${info.unit})`,
    axis: format === undefined ? {} : { format },
  };
  const panel = { width: 520, height: 240 };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: title, subtitle: `each point is one run; ${sweep.runs.length} runs, same seed` },
    background: 'white',
    // The panels colour different things (percentiles, series): their colour scales must not merge.
    resolve: { scale: { color: 'independent', strokeDash: 'independent', shape: 'independent' } },
    vconcat: [
      {
        ...panel,
        title: 'Message latency (virtual ms)',
        data: { values: latency },
        mark: { type: 'line', point: true },
        encoding: {
          x,
          y: { field: 'value', type: 'quantitative', title: 'latency (ms)' },
          color: { field: 'metric', type: 'nominal', title: 'percentile', sort: [...PERCENTILES] },
          ...(multi
            ? { strokeDash: { field: 'series', type: 'nominal', legend: null }, shape: { field: 'series', type: 'nominal', title: 'series' } }
            : {}),
          tooltip: [
            { field: 'x', title: first },
            { field: 'metric' },
            { field: 'value', title: 'ms' },
            { field: 'series' },
          ],
        },
      },
      {
        ...panel,
        title: 'Goodput (payload bits/s)',
        data: { values: goodput },
        mark: { type: 'line', point: true },
        encoding: {
          x,
          y: { field: 'value', type: 'quantitative', title: 'goodput (bit/s)', axis: { format: '~s' } },
          color: multi ? { field: 'series', type: 'nominal', title: 'series' } : { value: '#2a7' },
          tooltip: [
            { field: 'x', title: first },
            { field: 'value', title: 'bit/s' },
            { field: 'series' },
          ],
        },
      },
    ],
  };
}

export interface TimelineRow {
  /** Send time, virtual seconds. */
  sentS: number;
  latencyMs: number;
  channel: ChannelName;
}

/**
 * Per-message latency against send time for one run. Beyond `maxPoints` the messages are bucketed in
 * send order and each bucket keeps its slowest message, so spikes survive the thinning.
 */
export function timelineRows(channels: Record<ChannelName, ChannelTally>, maxPoints = MAX_TIMELINE_POINTS): TimelineRow[] {
  const rows: TimelineRow[] = [];
  const total = CHANNEL_NAMES.reduce((n, c) => n + channels[c].latencies.length, 0);
  for (const channel of CHANNEL_NAMES) {
    const { latencies, sendTimes } = channels[channel];
    const share = total === 0 ? 0 : Math.max(1, Math.floor((maxPoints * latencies.length) / total));
    const bucket = Math.max(1, Math.ceil(latencies.length / share));
    for (let start = 0; start < latencies.length; start += bucket) {
      let worst = start;
      const end = Math.min(latencies.length, start + bucket);
      for (let i = start + 1; i < end; i++) if ((latencies[i] as number) > (latencies[worst] as number)) worst = i;
      rows.push({ sentS: (sendTimes[worst] as number) / 1000, latencyMs: latencies[worst] as number, channel });
    }
  }
  return rows;
}

/** Latency of every message (or the slowest of each bucket) against its send time; phases as rules. */
export function timelineChartSpec(rows: TimelineRow[], phasesAtMs: readonly number[], title: string): TopLevelSpec {
  const rules = phasesAtMs.map((at) => ({ sentS: at / 1000 }));
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: title, subtitle: 'latency of each message against the time it was sent (virtual); grey rules: link phases' },
    background: 'white',
    width: 640,
    height: 300,
    layer: [
      {
        data: { values: rows },
        mark: { type: 'point', filled: true, size: 12, opacity: 0.7 },
        encoding: {
          x: { field: 'sentS', type: 'quantitative', title: 'sent at (virtual s)' },
          y: { field: 'latencyMs', type: 'quantitative', title: 'latency (ms)' },
          color: { field: 'channel', type: 'nominal', title: 'channel' },
        },
      },
      {
        data: { values: rules },
        mark: { type: 'rule', color: '#999', strokeDash: [4, 3] },
        encoding: { x: { field: 'sentS', type: 'quantitative' } },
      },
    ],
  };
}
