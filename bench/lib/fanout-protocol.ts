// What the fanout suite and its client worker (workers/fanout-clients.ts) say to each other.
import type { HistogramJson } from './histogram.ts';

export const FANOUT_MODES = ['forwarder', 'dualchat-tcp', 'dualchat-udp'] as const;
export type FanoutMode = (typeof FANOUT_MODES)[number];

export interface FanoutParams {
  mode: FanoutMode;
  host: string;
  /** The server's (or forwarder's) TCP port. */
  port: number;
  /** This process hosts clients first … first + count − 1 of 0 … total − 1. */
  first: number;
  count: number;
  total: number;
  /** Lines each client sends. */
  lines: number;
  /** Lines a client may have in flight: sent, its own echo not yet back (the closed loop). */
  window: number;
  /** Size of each chat text. */
  bytes: number;
  /** The room every client joins (dualchat). */
  room: string;
  /** Give up when no line arrives for this long. */
  stallMs: number;
}

export interface FanoutResult {
  /** Deliveries these clients received (each line reaches every member, its sender included). */
  deliveries: number;
  /** Deliveries they should have received: count × total × lines. */
  expected: number;
  duplicates: number;
  outOfOrder: number;
  /** ms from `go` to the last delivery (or to the stall). */
  elapsedMs: number;
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
  /** The first `<error>` lines the clients received (a refused command), for diagnosis. */
  errors: string[];
}

export function asFanoutResult(m: Record<string, unknown>): FanoutResult {
  for (const k of ['deliveries', 'expected', 'duplicates', 'outOfOrder', 'elapsedMs', 'fellBack', 'cpuMs'] as const) {
    if (typeof m[k] !== 'number') throw new Error(`not a fanout result (${k}): ${JSON.stringify(m).slice(0, 300)}`);
  }
  if (typeof m['latency'] !== 'object' || m['latency'] === null || typeof m['stalled'] !== 'boolean' || !Array.isArray(m['gaps']) || !Array.isArray(m['errors'])) {
    throw new Error('not a fanout result (latency, stalled, gaps, errors)');
  }
  return m as unknown as FanoutResult;
}
