// Turns a run's outcome into the report users read: one JSON-able object (the `--json` output) and a
// table for the terminal. Pure: wall-clock measurements come in from the shell and stay under `wall`.
import { createColors } from 'picocolors';
import type { LinkSettings, LinkStats } from './link.ts';
import type { LinkProperty } from './link-properties.ts';
import type { FramingStats, RunOutcome, RunStatus } from './runner.ts';
import type { SimulationSpec } from './scenario.ts';
import { formatBitRate, formatBytes, formatDuration, formatPercent } from './units.ts';
import { CHANNEL_NAMES, messageCounts, type ChannelName, type ChannelTally } from './workload.ts';

export interface LatencySummary {
  /** Virtual ms; null when nothing was delivered. */
  p50: number | null;
  p90: number | null;
  p99: number | null;
  max: number | null;
  mean: number | null;
}

export interface MessageCounts {
  /** Messages the workload meant to send. */
  expected: number;
  /** Handed to the sender's engine and accepted. */
  sent: number;
  /** Refused by the sender's engine (no longer open). */
  refused: number;
  /** Distinct intact messages received. */
  delivered: number;
  duplicated: number;
  outOfOrder: number;
  /** Delivered to the application but failing its checksum/length/channel check. */
  corrupted: number;
  /** Payload bytes of the distinct deliveries. */
  bytesDelivered: number;
}

export interface ChannelReport extends MessageCounts {
  latency: LatencySummary;
}

/** Link settings as reported: rate in bits/s or null for no limit. */
export type LinkSettingsReport = Omit<LinkSettings, 'rateBps'> & { rateBps: number | null };

export interface LinkReport extends LinkStats {
  /** Settings at the start (phases may change them). */
  settings: LinkSettingsReport;
  framing: FramingStats;
}

export interface WallClock {
  ms: number;
  eventsPerSecond: number;
  datagramEventsPerSecond: number;
}

export interface RunReport {
  scenario: string;
  seed: number | string;
  /** The swept properties' values for this run (sweeps only), as written on the command line. */
  parameters?: Record<string, string>;
  status: RunStatus;
  /** Every message delivered exactly once, in order, intact, and the run completed. */
  ok: boolean;
  /** Why not ok, in words; empty when ok. */
  problems: string[];
  workload: {
    messages: number;
    messageBytes: number;
    messageRate: number;
    fileBytes: number;
    chunkBytes: number;
    phases: number;
  };
  messages: MessageCounts;
  channels: Record<ChannelName, ChannelReport>;
  datagrams: {
    /** Data-carrying datagrams the sender sent, retransmissions included. */
    sent: number;
    /** Datagrams the sender sent without data (ACKs, probes, keepalives). */
    senderOther: number;
    /** ACK-only datagrams the receiver sent. */
    acks: number;
    /** Every datagram the sender put on the forward link (sent + senderOther = links.forward.sent). */
    forward: number;
    /** Every datagram the receiver put on the reverse link (= links.reverse.sent). */
    reverse: number;
    /** Every datagram either engine sent (forward + reverse). */
    total: number;
    /** Fraction of forward datagrams that did not reach the receiver's engine (dropped or caught corrupt). */
    lossMeasured: number;
    /** Data datagrams per message sent: the cost a user sees, not comparable with 1/(1 − loss). */
    perMessage: number | null;
    /**
     * Messages sent per data datagram that carried new bytes: above 1 when small messages share a
     * datagram, below 1 when messages span several.
     */
    messagesPerFreshDatagram: number | null;
  };
  /** Loss recovery's cost, like for like: bytes. */
  dataBytes: {
    /** Bytes sent for the first time (every message's bytes once). */
    fresh: number;
    /** Bytes sent again (retransmissions and probe copies), in whatever datagram carried them. */
    resent: number;
    /** (fresh + resent) / fresh: transmissions per byte. */
    perFreshByte: number | null;
    /**
     * 1 / (1 − lossMeasured): what sending each byte until it arrives costs when every datagram is
     * lost independently with the measured probability; null when a partition dropped datagrams. Under independent loss perFreshByte cannot
     * be below it except by chance (it is an expectation); bursts and spurious resends move it up.
     */
    idealPerFreshByte: number | null;
    /** Data datagrams that carried any resent bytes (retransmissions.total counts only those with nothing new). */
    datagramsWithResent: number;
  };
  retransmissions: { timeout: number; fast: number; spurious: number; total: number };
  latency: LatencySummary;
  /** Payload bits per second from the first send to the last delivery; null if that took no time. */
  goodput: number | null;
  /** Virtual ms of the last delivery when all were delivered, else null. */
  completionMs: number | null;
  virtualDurationMs: number;
  lost: Array<{ role: string; atMs: number }>;
  links: { forward: LinkReport; reverse: LinkReport };
  engines: {
    sender: EngineSummary;
    receiver: EngineSummary;
  };
  unexpectedMessages: number;
  events: number;
  datagramEvents: number;
  wall?: WallClock;
}

export interface EngineSummary {
  packetsSent: number;
  packetsReceived: number;
  duplicatesReceived: number;
  srttMs: number | null;
  rttvarMs: number | null;
  rtoMs: number;
  cwndBytes: number;
}

export interface SweepReport {
  sweep: Array<{ property: LinkProperty; values: string[] }>;
  ok: boolean;
  runs: RunReport[];
  wall?: { ms: number };
}

/** Nearest-rank percentile of sorted values. */
function percentile(sorted: Float64Array, q: number): number | null {
  if (sorted.length === 0) return null;
  const rank = Math.max(1, Math.ceil(q * sorted.length));
  return sorted[rank - 1] ?? null;
}

function round(n: number, digits = 3): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

export function summariseLatency(values: readonly number[]): LatencySummary {
  const sorted = Float64Array.from(values).sort();
  if (sorted.length === 0) return { p50: null, p90: null, p99: null, max: null, mean: null };
  let sum = 0;
  for (const v of sorted) sum += v;
  const r = (v: number | null): number | null => (v === null ? null : round(v));
  return {
    p50: r(percentile(sorted, 0.5)),
    p90: r(percentile(sorted, 0.9)),
    p99: r(percentile(sorted, 0.99)),
    max: r(sorted[sorted.length - 1] ?? null),
    mean: r(sum / sorted.length),
  };
}

function settingsReport(s: LinkSettings): LinkSettingsReport {
  return { ...s, rateBps: s.rateBps ?? null };
}

function engineSummary(s: RunOutcome['engines']['sender']): EngineSummary {
  return {
    packetsSent: s.packetsSent,
    packetsReceived: s.packetsReceived,
    duplicatesReceived: s.duplicatesReceived,
    srttMs: s.srtt === undefined ? null : round(s.srtt),
    rttvarMs: s.rttvar === undefined ? null : round(s.rttvar),
    rtoMs: round(s.rto),
    cwndBytes: s.cwnd,
  };
}

function channelCounts(t: ChannelTally, expected: number): MessageCounts {
  return {
    expected,
    sent: t.sent,
    refused: t.refused,
    delivered: t.delivered,
    duplicated: t.duplicated,
    outOfOrder: t.outOfOrder,
    corrupted: t.corrupted,
    bytesDelivered: t.payloadBytesDelivered,
  };
}

function problemsOf(outcome: RunOutcome, messages: MessageCounts): string[] {
  const p: string[] = [];
  if (outcome.status === 'crashed') p.push(`an engine threw: ${outcome.error ?? 'unknown error'}`);
  else if (outcome.status !== 'completed') p.push(`run ended: ${outcome.status}`);
  if (messages.delivered !== messages.expected) p.push(`${messages.expected - messages.delivered} of ${messages.expected} messages not delivered`);
  if (messages.refused > 0) p.push(`${messages.refused} messages refused by the sender's engine`);
  if (messages.duplicated > 0) p.push(`${messages.duplicated} duplicate deliveries`);
  if (messages.outOfOrder > 0) p.push(`${messages.outOfOrder} out-of-order deliveries`);
  if (messages.corrupted > 0) p.push(`${messages.corrupted} corrupted deliveries`);
  if (outcome.unexpectedMessages > 0) p.push(`${outcome.unexpectedMessages} messages delivered to the sender`);
  for (const l of outcome.lost) p.push(`${l.role} declared its peer lost at ${formatDuration(l.atMs)}`);
  return p;
}

/** The report of one run. `wall` (measured by the shell) is the only part not fixed by the spec. */
export function buildReport(spec: SimulationSpec, outcome: RunOutcome, wall?: WallClock, parameters?: Record<string, string>): RunReport {
  const counts = messageCounts(spec.workload);
  const channels = {} as Record<ChannelName, ChannelReport>;
  const all: MessageCounts = { expected: 0, sent: 0, refused: 0, delivered: 0, duplicated: 0, outOfOrder: 0, corrupted: 0, bytesDelivered: 0 };
  const latencies: number[] = [];
  let firstSend: number | undefined;
  let lastDelivery: number | undefined;
  for (const name of CHANNEL_NAMES) {
    const t = outcome.channels[name];
    const c = channelCounts(t, counts[name]);
    channels[name] = { ...c, latency: summariseLatency(t.latencies) };
    for (const key of Object.keys(all) as (keyof MessageCounts)[]) all[key] += c[key];
    for (const v of t.latencies) latencies.push(v);
    if (t.firstSendAt !== undefined) firstSend = Math.min(firstSend ?? Infinity, t.firstSendAt);
    if (t.lastDeliveryAt !== undefined) lastDelivery = Math.max(lastDelivery ?? -Infinity, t.lastDeliveryAt);
  }

  const sender = outcome.engines.sender;
  const receiver = outcome.engines.receiver;
  const fwd = outcome.links.forward;
  const lostForward = fwd.dropped.loss + fwd.dropped.burst + fwd.dropped.queue + fwd.dropped.partition + outcome.framing.forward.corruptionCaught;
  const lossMeasured = fwd.sent > 0 ? Math.min(1, lostForward / fwd.sent) : 0;
  const retransmitted = sender.retransmitsTimeout + sender.retransmitsFast;
  const freshDatagrams = Math.max(0, sender.dataPacketsSent - retransmitted);
  const perMessage = all.sent > 0 ? sender.dataPacketsSent / all.sent : null;
  const freshBytes = sender.dataBytesSent - sender.resentBytes;
  const perFreshByte = freshBytes > 0 ? sender.dataBytesSent / freshBytes : null;
  // The ideal assumes each datagram is lost at random; a partition drops everything for a while (the
  // engine rightly sends little then), so it has no such ideal.
  const random = fwd.dropped.partition === 0;
  const idealPerFreshByte = random && freshBytes > 0 && lossMeasured < 1 ? 1 / (1 - lossMeasured) : null;
  const span = firstSend !== undefined && lastDelivery !== undefined ? lastDelivery - firstSend : 0;

  const problems = problemsOf(outcome, all);
  const report: RunReport = {
    scenario: spec.name,
    seed: spec.seed,
    ...(parameters === undefined ? {} : { parameters }),
    status: outcome.status,
    ok: problems.length === 0,
    problems,
    workload: { ...spec.workload, phases: spec.phases.length },
    messages: all,
    channels,
    datagrams: {
      sent: sender.dataPacketsSent,
      senderOther: sender.packetsSent - sender.dataPacketsSent,
      acks: receiver.ackPacketsSent,
      forward: sender.packetsSent,
      reverse: receiver.packetsSent,
      total: sender.packetsSent + receiver.packetsSent,
      lossMeasured: round(lossMeasured, 6),
      perMessage: perMessage === null ? null : round(perMessage, 4),
      messagesPerFreshDatagram: freshDatagrams > 0 && all.sent > 0 ? round(all.sent / freshDatagrams, 4) : null,
    },
    dataBytes: {
      fresh: freshBytes,
      resent: sender.resentBytes,
      perFreshByte: perFreshByte === null ? null : round(perFreshByte, 4),
      idealPerFreshByte: idealPerFreshByte === null ? null : round(idealPerFreshByte, 4),
      datagramsWithResent: sender.packetsWithResentData,
    },
    retransmissions: {
      timeout: sender.retransmitsTimeout,
      fast: sender.retransmitsFast,
      spurious: sender.retransmitsSpurious,
      total: retransmitted,
    },
    latency: summariseLatency(latencies),
    goodput: span > 0 ? round((all.bytesDelivered * 8 * 1000) / span, 0) : null,
    completionMs: outcome.completionMs === undefined ? null : round(outcome.completionMs),
    virtualDurationMs: round(outcome.virtualDurationMs),
    lost: outcome.lost.map((l) => ({ role: l.role, atMs: round(l.atMs) })),
    links: {
      forward: { settings: settingsReport(spec.forward), ...fwd, framing: outcome.framing.forward },
      reverse: { settings: settingsReport(spec.reverse), ...outcome.links.reverse, framing: outcome.framing.reverse },
    },
    engines: { sender: engineSummary(sender), receiver: engineSummary(receiver) },
    unexpectedMessages: outcome.unexpectedMessages,
    events: outcome.events,
    datagramEvents: outcome.datagramEvents,
  };
  if (wall !== undefined) report.wall = wall;
  return report;
}

// ---------------------------------------------------------------------------------------------------
// Terminal rendering

type Colors = ReturnType<typeof createColors>;
type Align = 'left' | 'right';

/** Lays out rows of cells in aligned columns; cells may be coloured after measuring. */
function table(rows: string[][], align: Align[], paint?: (row: number, col: number, text: string) => string): string[] {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, [...cell].length)));
  return rows.map((row, r) =>
    row
      .map((cell, i) => {
        const pad = ' '.repeat((widths[i] ?? 0) - [...cell].length);
        const text = paint ? paint(r, i, cell) : cell;
        return (align[i] ?? 'left') === 'right' ? pad + text : text + pad;
      })
      .join('  ')
      .trimEnd(),
  );
}

function ms(v: number | null): string {
  return v === null ? '–' : formatDuration(v);
}

export function describeLink(s: LinkSettingsReport): string {
  const parts: string[] = [];
  if (s.partition) parts.push('PARTITIONED');
  parts.push(`delay ${formatDuration(s.delayMs)}${s.jitterMs > 0 ? ` ± ${formatDuration(s.jitterMs)}` : ''}`);
  if (s.loss > 0) parts.push(`loss ${formatPercent(s.loss)}${s.burst > 1 ? ` in bursts of ~${s.burst}` : ''}`);
  if (s.dup > 0) parts.push(`dup ${formatPercent(s.dup)}`);
  if (s.reorder > 0) parts.push(`reorder ${formatPercent(s.reorder)}`);
  if (s.corrupt > 0) parts.push(`corrupt ${formatPercent(s.corrupt)}`);
  if (s.rateBps !== null) parts.push(`rate ${formatBitRate(s.rateBps)}, queue ${formatBytes(s.queueBytes)}`);
  return parts.join(', ');
}

function describeWorkload(w: RunReport['workload']): string {
  const parts: string[] = [];
  if (w.messages > 0) {
    parts.push(`${w.messages} chat messages of ${formatBytes(w.messageBytes)}${w.messageRate > 0 ? ` at ${w.messageRate}/s` : ' at once'}`);
  }
  if (w.fileBytes > 0) parts.push(`a ${formatBytes(w.fileBytes)} file in ${formatBytes(w.chunkBytes)} chunks`);
  if (w.phases > 0) parts.push(`${w.phases} link phase${w.phases === 1 ? '' : 's'}`);
  return parts.join(' + ');
}

function linkLine(name: string, l: LinkReport): string[] {
  const d = l.dropped;
  const dropped = d.loss + d.burst + d.queue + d.partition;
  const causes = (['loss', 'burst', 'queue', 'partition'] as const).filter((k) => d[k] > 0).map((k) => `${k} ${d[k]}`);
  return [
    name,
    String(l.sent),
    `${dropped}${causes.length > 0 ? ` (${causes.join(', ')})` : ''}`,
    String(l.duplicated),
    String(l.reordered),
    `${l.corrupted} / ${l.framing.corruptionCaught}`,
    String(l.delivered),
  ];
}

/** The human-readable report of one run. */
export function formatReport(r: RunReport, opts: { color: boolean }): string {
  const c = createColors(opts.color);
  const out: string[] = [];
  const title = `${r.scenario} — seed ${String(r.seed)}${r.parameters ? ` — ${Object.entries(r.parameters).map(([k, v]) => `${k}=${v}`).join(' ')}` : ''}`;
  out.push(c.bold(title));
  out.push(`  workload  ${describeWorkload(r.workload)}`);
  out.push(`  link →    ${describeLink(r.links.forward.settings)}`);
  out.push(`  link ←    ${describeLink(r.links.reverse.settings)}`);
  out.push('');

  const zeroOk = (n: number): string => (n === 0 ? c.green('0') : c.red(String(n)));
  const msgRows = [['messages', 'expected', 'delivered', 'duplicated', 'out of order', 'corrupted', 'refused']];
  const rows: Array<[string, MessageCounts]> = [];
  for (const name of CHANNEL_NAMES) if (r.channels[name].expected > 0) rows.push([name, r.channels[name]]);
  if (rows.length > 1) rows.push(['total', r.messages]);
  for (const [name, m] of rows) {
    msgRows.push([name, String(m.expected), String(m.delivered), String(m.duplicated), String(m.outOfOrder), String(m.corrupted), String(m.refused)]);
  }
  out.push(
    ...table(msgRows, ['left', 'right', 'right', 'right', 'right', 'right', 'right'], (row, col, text) => {
      if (row === 0) return c.dim(text);
      if (col === 2) {
        const m = rows[row - 1]?.[1];
        return m !== undefined && m.delivered === m.expected ? c.green(text) : c.red(text);
      }
      return col >= 3 ? zeroOk(Number(text)) : text;
    }).map((l) => `  ${l}`),
  );
  out.push('');

  const latRows = [['latency', 'p50', 'p90', 'p99', 'max']];
  const latOf = (name: string, l: LatencySummary): string[] => [name, ms(l.p50), ms(l.p90), ms(l.p99), ms(l.max)];
  const latChannels = CHANNEL_NAMES.filter((n) => r.channels[n].expected > 0);
  for (const n of latChannels) latRows.push(latOf(n, r.channels[n].latency));
  if (latChannels.length > 1) latRows.push(latOf('all', r.latency));
  out.push(...table(latRows, ['left', 'right', 'right', 'right', 'right'], (row, _col, t) => (row === 0 ? c.dim(t) : t)).map((l) => `  ${l}`));
  out.push('');

  const dg = r.datagrams;
  const rt = r.retransmissions;
  const kv: string[][] = [
    ['datagrams', `→ ${dg.forward} (${dg.sent} with data, ${dg.senderOther} without), ← ${dg.reverse} (${dg.acks} ACK-only), ${dg.total} in all`],
    ['per message', perMessageText(r)],
    ['per byte', perByteText(r)],
    ['retransmits', `${rt.total} datagrams of resent data only (${rt.timeout} on timeout, ${rt.fast} fast), ${r.dataBytes.datagramsWithResent} with some; ${rt.spurious} spurious`],
    ['goodput', r.goodput === null ? '– (no virtual time passed between first send and last delivery)' : formatBitRate(r.goodput)],
    ['completion', r.completionMs === null ? c.red('not completed') : `${formatDuration(r.completionMs)} (virtual)`],
    ['run', `${formatDuration(r.virtualDurationMs)} virtual, ${r.events} events${r.wall ? `; wall ${formatDuration(r.wall.ms)}, ${Math.round(r.wall.eventsPerSecond).toLocaleString('en-US')} events/s` : ''}`],
  ];
  if (r.engines.sender.srttMs !== null) kv.splice(3, 0, ['rtt', `srtt ${ms(r.engines.sender.srttMs)}, rto ${ms(r.engines.sender.rtoMs)}`]);
  out.push(...table(kv, ['left', 'left'], (_r, col, t) => (col === 0 ? c.dim(t) : t)).map((l) => `  ${l}`));
  out.push('');

  const linkRows = [['link', 'sent', 'dropped', 'dup', 'reordered', 'corrupt / caught', 'delivered']];
  linkRows.push(linkLine('→ data', r.links.forward), linkLine('← acks', r.links.reverse));
  out.push(...table(linkRows, ['left', 'right', 'right', 'right', 'right', 'right', 'right'], (row, _col, t) => (row === 0 ? c.dim(t) : t)).map((l) => `  ${l}`));
  out.push('');

  out.push(verdictLine(r, c));
  return out.join('\n');
}

/** Data datagrams per message, and how messages share datagrams (why this is no loss figure). */
function perMessageText(r: RunReport): string {
  const dg = r.datagrams;
  if (dg.perMessage === null) return '–';
  const share = dg.messagesPerFreshDatagram;
  if (share === null) return `${dg.perMessage.toFixed(3)} data datagrams`;
  const how = share >= 1 ? `${share.toFixed(2)} messages share a fresh datagram` : `a message spans ${(1 / share).toFixed(2)} fresh datagrams`;
  return `${dg.perMessage.toFixed(3)} data datagrams (${how})`;
}

/** Transmissions per fresh byte against 1/(1 − p): the like-for-like measure of recovery's cost. */
function perByteText(r: RunReport): string {
  const b = r.dataBytes;
  if (b.perFreshByte === null) return '–';
  const ideal =
    b.idealPerFreshByte === null
      ? `no 1/(1−p) ideal: a partition, not random loss, dropped ${formatPercent(r.datagrams.lossMeasured)}`
      : `ideal 1/(1−p) = ${b.idealPerFreshByte.toFixed(3)} at ${formatPercent(r.datagrams.lossMeasured)} measured loss`;
  return `${b.perFreshByte.toFixed(3)} transmissions (${formatBytes(b.resent)} resent of ${formatBytes(b.fresh)}; ${ideal})`;
}

function verdictLine(r: RunReport, c: Colors): string {
  if (r.ok) return `${c.green(c.bold('PASS'))} every message delivered exactly once, in order, intact`;
  return `${c.red(c.bold('FAIL'))} ${r.problems.join('; ')}`;
}

/** One row per run of a sweep. */
export function formatSweep(s: SweepReport, opts: { color: boolean }): string {
  const c = createColors(opts.color);
  const props = s.sweep.map((d) => d.property);
  const header = [...props, 'delivered', 'dgrams/msg', 'tx/byte', 'ideal', 'rtx t/f/s', 'p50', 'p90', 'p99', 'max', 'goodput', 'complete', 'result'];
  const rows = [header];
  for (const r of s.runs) {
    rows.push([
      ...props.map((p) => r.parameters?.[p] ?? ''),
      `${r.messages.delivered}/${r.messages.expected}`,
      r.datagrams.perMessage === null ? '–' : r.datagrams.perMessage.toFixed(3),
      r.dataBytes.perFreshByte === null ? '–' : r.dataBytes.perFreshByte.toFixed(3),
      r.dataBytes.idealPerFreshByte === null ? '–' : r.dataBytes.idealPerFreshByte.toFixed(3),
      `${r.retransmissions.timeout}/${r.retransmissions.fast}/${r.retransmissions.spurious}`,
      ms(r.latency.p50),
      ms(r.latency.p90),
      ms(r.latency.p99),
      ms(r.latency.max),
      r.goodput === null ? '–' : formatBitRate(r.goodput),
      r.completionMs === null ? '–' : formatDuration(r.completionMs),
      r.ok ? 'PASS' : 'FAIL',
    ]);
  }
  const align: Align[] = header.map((_, i) => (i < props.length ? 'left' : 'right'));
  const lines = table(rows, align, (row, col, t) => {
    if (row === 0) return c.dim(t);
    if (col === header.length - 1) return t === 'PASS' ? c.green(t) : c.red(c.bold(t));
    return t;
  });
  const first = s.runs[0];
  const out = [c.bold(`${first?.scenario ?? 'sweep'} — seed ${String(first?.seed ?? '')} — sweep of ${props.join(' × ')} (${s.runs.length} runs)`)];
  if (first) out.push(`  workload  ${describeWorkload(first.workload)}`);
  out.push('', ...lines.map((l) => `  ${l}`), '');
  const failed = s.runs.filter((r) => !r.ok);
  out.push(
    failed.length === 0
      ? `${c.green(c.bold('PASS'))} all ${s.runs.length} runs delivered every message exactly once, in order, intact`
      : `${c.red(c.bold('FAIL'))} ${failed.length} of ${s.runs.length} runs failed: ${failed
          .map((r) => `${Object.entries(r.parameters ?? {}).map(([k, v]) => `${k}=${v}`).join(' ')} (${r.problems.join('; ')})`)
          .join('; ')}`,
  );
  return out.join('\n');
}
