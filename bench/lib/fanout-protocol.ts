// What the fanout suite and its client worker (workers/fanout-clients.ts) say to each other.
//
//   args: FanoutParams (who the clients are, where the server is)
//   out {type:'ready'}; then per phase: in {type:'arm', lines, load} → out {type:'armed'};
//   in {type:'go'} → out {type:'result', …FanoutResult}
//
// A phase is one workload on the same signed-in clients: the suite arms every client process first
// (each resets its counts), then starts them all, so no process counts another's lines as a late
// arrival of the previous phase.
import type { HistogramJson } from './histogram.ts';
import { SCRIPTED_MODES, type ScriptedMode } from './scripted-modes.ts';

/** The servers' ways to chat: the clients speak each server's own protocol. */
export const FANOUT_MODES = SCRIPTED_MODES;
export type FanoutMode = ScriptedMode;

export interface FanoutParams {
  mode: FanoutMode;
  host: string;
  /** The server's (or forwarder's) TCP port. */
  port: number;
  /** This process hosts clients first … first + count − 1 of 0 … total − 1 (at least 2: see FanoutLoad). */
  first: number;
  count: number;
  total: number;
  /** Size of each chat text. */
  bytes: number;
  /** The room (IRC: the channel, without '#') every client joins. */
  room: string;
  /** Give up a phase when no line arrives for this long. */
  stallMs: number;
}

/**
 * How the senders send. `closed`: each keeps at most `window` of its lines in flight — sent, and not
 * yet arrived at its witness, the next client hosted in the same process (the same rule for every
 * server: ngircd does not echo a sender's lines back to it, the others do). `paced`: each sends
 * `linesPerSecond`, on a fixed schedule whatever arrives (the senders spread evenly over a period).
 */
export type FanoutLoad = { kind: 'closed'; window: number } | { kind: 'paced'; linesPerSecond: number };

export interface FanoutPhase {
  /** Lines each client sends. */
  lines: number;
  load: FanoutLoad;
}

export interface FanoutResult {
  /** Deliveries these clients received: each line reaching each member other than its sender. */
  deliveries: number;
  /** Deliveries they should have received: count × (total − 1) × lines. */
  expected: number;
  duplicates: number;
  outOfOrder: number;
  /** ms from `go` to the last delivery (or to the stall). */
  elapsedMs: number;
  /** ms from `go` to the last line these clients handed over. */
  lastSentMs: number;
  /** paced: the most a line was handed over after its scheduled time, ms (the client process fell behind); closed: 0. */
  paceLateMs: number;
  /** Latency of deliveries whose sender is in this process (one clock), ms. */
  latency: HistogramJson;
  /** Clients whose chat left UDP (dualchat-udp; must be 0). */
  fellBack: number;
  /** The run stalled: no delivery for stallMs. */
  stalled: boolean;
  /** This process's CPU time during the run (the clients' cost), ms. */
  cpuMs: number;
  /** The first lines that arrived after a gap (a line missing before them), for diagnosis. */
  gaps: Array<{ receiver: number; sender: number; expected: number; got: number }>;
  /** The first error lines the clients received (a refused command), for diagnosis. */
  errors: string[];
}

/** Bounds on a phase (the worker sizes its tables by them). */
export const MAX_PHASE_LINES = 1_000_000;
export const MAX_WINDOW = 10_000;
export const MAX_LINES_PER_SECOND = 10_000;

/** The phase an `arm` command describes, or what is wrong with it. */
export function asFanoutPhase(m: Record<string, unknown>): FanoutPhase | string {
  const lines = m['lines'];
  if (!Number.isSafeInteger(lines) || (lines as number) < 1 || (lines as number) > MAX_PHASE_LINES) return `lines must be a whole number from 1 to ${MAX_PHASE_LINES} (got ${JSON.stringify(lines)})`;
  const load = m['load'];
  if (typeof load !== 'object' || load === null) return 'load must be an object';
  const l = load as Record<string, unknown>;
  if (l['kind'] === 'closed') {
    const w = l['window'];
    if (!Number.isSafeInteger(w) || (w as number) < 1 || (w as number) > MAX_WINDOW) return `window must be a whole number from 1 to ${MAX_WINDOW} (got ${JSON.stringify(w)})`;
    return { lines: lines as number, load: { kind: 'closed', window: w as number } };
  }
  if (l['kind'] === 'paced') {
    const r = l['linesPerSecond'];
    if (typeof r !== 'number' || !(r > 0) || r > MAX_LINES_PER_SECOND) return `linesPerSecond must be a number above 0, at most ${MAX_LINES_PER_SECOND} (got ${JSON.stringify(r)})`;
    return { lines: lines as number, load: { kind: 'paced', linesPerSecond: r } };
  }
  return `load.kind must be closed or paced (got ${JSON.stringify(l['kind'])})`;
}

export function asFanoutResult(m: Record<string, unknown>): FanoutResult {
  for (const k of ['deliveries', 'expected', 'duplicates', 'outOfOrder', 'elapsedMs', 'lastSentMs', 'paceLateMs', 'fellBack', 'cpuMs'] as const) {
    if (typeof m[k] !== 'number') throw new Error(`not a fanout result (${k}): ${JSON.stringify(m).slice(0, 300)}`);
  }
  if (typeof m['latency'] !== 'object' || m['latency'] === null || typeof m['stalled'] !== 'boolean' || !Array.isArray(m['gaps']) || !Array.isArray(m['errors'])) {
    throw new Error('not a fanout result (latency, stalled, gaps, errors)');
  }
  return m as unknown as FanoutResult;
}
