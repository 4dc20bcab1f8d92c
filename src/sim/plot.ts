// Charts as Vega-Lite specifications. A sweep: latency percentiles, transmissions per fresh byte against
// the ideal 1/(1−p), and (when a file is sent) goodput, against the first swept property (other swept
// properties become separate series). One run: each channel's latency over time. Pure: the shell
// renders them to SVG.
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

/** Flattens a sweep into rows: one per run and metric (latency in ms, transmissions per fresh byte, goodput in bit/s). */
export function plotRows(sweep: SweepReport): { latency: PlotRow[]; efficiency: PlotRow[]; goodput: PlotRow[] } {
  const first = sweep.sweep[0]?.property;
  const others = sweep.sweep.slice(1).map((d) => d.property);
  const latency: PlotRow[] = [];
  const efficiency: PlotRow[] = [];
  const goodput: PlotRow[] = [];
  if (first === undefined) return { latency, efficiency, goodput };
  for (const run of sweep.runs) {
    const x = xOf(run, first);
    const series = others.length === 0 ? 'all' : others.map((p) => `${p}=${run.parameters?.[p] ?? '?'}`).join(' ');
    for (const q of PERCENTILES) {
      const v = run.latency[q];
      if (v !== null) latency.push({ x, series, metric: q, value: v, ok: run.ok });
    }
    const b = run.dataBytes;
    if (b.perFreshByte !== null) efficiency.push({ x, series, metric: EFFICIENCY_MEASURED, value: b.perFreshByte, ok: run.ok });
    if (b.idealPerFreshByte !== null) efficiency.push({ x, series, metric: EFFICIENCY_IDEAL, value: b.idealPerFreshByte, ok: run.ok });
    // Goodput of chat alone is the rate the workload sends at: flat, so only a file's is plotted.
    if (run.goodput !== null && run.workload.fileBytes > 0) goodput.push({ x, series, metric: 'goodput', value: run.goodput, ok: run.ok });
  }
  return { latency, efficiency, goodput };
}

const EFFICIENCY_MEASURED = 'transmissions per fresh byte';
const EFFICIENCY_IDEAL = 'ideal 1/(1−p), p measured';

function axisFormat(property: LinkProperty): string | undefined {
  const unit = LINK_PROPERTY_INFO[property].unit;
  if (unit === 'fraction') return '.0~%';
  if (unit === 'bit/s' || unit === 'bytes') return '~s';
  return undefined;
}

/** One panel of a vertically stacked chart. */
type SweepPanel = Extract<TopLevelSpec, { vconcat: unknown }>['vconcat'][number];

/** A chart for a sweep: latency, recovery's cost against the ideal, and goodput when a file is sent. */
export function sweepChartSpec(sweep: SweepReport, title: string): TopLevelSpec {
  const first = sweep.sweep[0]?.property ?? 'loss';
  const info = LINK_PROPERTY_INFO[first];
  const { latency, efficiency, goodput } = plotRows(sweep);
  const multi = sweep.sweep.length > 1;
  const format = axisFormat(first);
  const x = {
    field: 'x',
    type: 'quantitative' as const,
    title: info.unit === 'fraction' ? first : `${first} (${info.unit})`,
    axis: format === undefined ? {} : { format },
  };
  const panel = { width: 520, height: 240 };
  const seriesShape = multi
    ? { strokeDash: { field: 'series', type: 'nominal' as const, legend: null }, shape: { field: 'series', type: 'nominal' as const, title: 'series' } }
    : {};
  const panels: SweepPanel[] = [
    {
      ...panel,
      title: 'Message latency (virtual ms)',
      data: { values: latency },
      mark: { type: 'line', point: true },
      encoding: {
        x,
        y: { field: 'value', type: 'quantitative', title: 'latency (ms)' },
        color: { field: 'metric', type: 'nominal', title: 'percentile', sort: [...PERCENTILES] },
        ...seriesShape,
        tooltip: [{ field: 'x', title: first }, { field: 'metric' }, { field: 'value', title: 'ms' }, { field: 'series' }],
      },
    },
    {
      ...panel,
      title: "Loss recovery's cost: data bytes sent per fresh byte, against the ideal",
      data: { values: efficiency },
      mark: { type: 'line', point: true },
      encoding: {
        x,
        y: { field: 'value', type: 'quantitative', title: 'transmissions per byte', scale: { zero: false } },
        color: { field: 'metric', type: 'nominal', title: 'measure', sort: [EFFICIENCY_MEASURED, EFFICIENCY_IDEAL], legend: { labelLimit: 280 } },
        ...seriesShape,
        tooltip: [{ field: 'x', title: first }, { field: 'metric' }, { field: 'value', title: 'per byte', format: '.3f' }, { field: 'series' }],
      },
    },
  ];
  if (goodput.length > 0) {
    panels.push({
      ...panel,
      title: 'Goodput (payload bits/s)',
      data: { values: goodput },
      mark: { type: 'line', point: true },
      encoding: {
        x,
        y: { field: 'value', type: 'quantitative', title: 'goodput (bit/s)', axis: { format: '~s' } },
        color: multi ? { field: 'series', type: 'nominal', title: 'series' } : { value: '#2a7' },
        tooltip: [{ field: 'x', title: first }, { field: 'value', title: 'bit/s' }, { field: 'series' }],
      },
    });
  }
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: title, subtitle: `each point is one run; ${sweep.runs.length} runs, same seed` },
    background: 'white',
    // The panels colour different things (percentiles, measures, series): their colour scales must not merge.
    resolve: { scale: { color: 'independent', strokeDash: 'independent', shape: 'independent' } },
    vconcat: panels,
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

/**
 * Each channel's latency in its own panel with its own scale (a file's chunks take seconds, chat lines
 * milliseconds: on one axis the chat line is flat). Chat against the time a line was sent; file chunks
 * against the time they arrived (they are all handed over at once, so their send times are one point).
 * Link phases, when the run has any, as grey rules.
 */
export function timelineChartSpec(rows: TimelineRow[], phasesAtMs: readonly number[], title: string): TopLevelSpec {
  const panels: SweepPanel[] = [];
  const rules = phasesAtMs.map((at) => ({ atS: at / 1000 }));
  const ruleLayer = {
    data: { values: rules },
    mark: { type: 'rule' as const, color: '#999', strokeDash: [4, 3] },
    encoding: { x: { field: 'atS', type: 'quantitative' as const } },
  };
  const panel = (channel: ChannelName, heading: string, xField: 'sentS' | 'arrivedS', xTitle: string, color: string): SweepPanel => ({
    width: 640,
    height: 240,
    title: heading,
    layer: [
      {
        data: { values: rows.filter((r) => r.channel === channel).map((r) => ({ ...r, arrivedS: r.sentS + r.latencyMs / 1000 })) },
        mark: { type: 'point', filled: true, size: 12, opacity: 0.7, color },
        encoding: {
          x: { field: xField, type: 'quantitative', title: xTitle },
          y: { field: 'latencyMs', type: 'quantitative', title: 'latency (ms)' },
          tooltip: [{ field: 'sentS', title: 'sent (s)' }, { field: 'arrivedS', title: 'arrived (s)' }, { field: 'latencyMs', title: 'ms' }],
        },
      },
      ...(rules.length > 0 ? [ruleLayer] : []),
    ],
  });
  if (rows.some((r) => r.channel === 'chat')) panels.push(panel('chat', 'Chat lines: latency against the time each was sent', 'sentS', 'sent at (virtual s)', '#1f77b4'));
  if (rows.some((r) => r.channel === 'bulk')) panels.push(panel('bulk', 'File chunks: latency against the time each arrived', 'arrivedS', 'arrived at (virtual s)', '#ff7f0e'));
  if (panels.length === 0) panels.push(panel('chat', 'No message was delivered', 'sentS', 'sent at (virtual s)', '#1f77b4'));
  const subtitle = `latency of each message (virtual time)${rules.length > 0 ? `; grey dashed rules: the ${rules.length === 1 ? 'link phase' : `${rules.length} link phases`}` : ''}`;
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: title, subtitle },
    background: 'white',
    vconcat: panels,
  };
}
