// Round-trip time estimation (RFC 9002 §5, which refines RFC 6298 §2) and the retransmission
// timeout derived from it, with exponential backoff. Pure: samples come in with their ACK delay.
// For congestion control it also keeps two windowed minima of the delay-corrected RTT: the
// recent minimum (over half an RTT, at least one timer granularity) and the base RTT (over BASE_RTT_WINDOW_MS). Their gap is a
// standing queue; jitter raises individual samples but hardly the recent minimum.

import type { EngineConfig } from './config.ts';
import { WindowedMin } from './windowed-min.ts';

/** How long the base RTT remembers a minimum (BBR's min_rtt filter: 10 s), so it follows route changes. */
export const BASE_RTT_WINDOW_MS = 10_000;

/** The engine options the estimator reads (their meanings: EngineConfig). */
export type RttConfig = Pick<EngineConfig, 'rtoInitialMs' | 'rtoMinMs' | 'rtoMaxMs' | 'maxBackoffExponent' | 'granularityMs' | 'maxAckDelayMs'>;

export class RttEstimator {
  /** Latest raw sample (ms), undefined before the first. */
  latest: number | undefined = undefined;
  /** Smallest raw sample seen (RFC 9002 §5.2). */
  min: number | undefined = undefined;
  smoothed: number | undefined = undefined;
  variance: number | undefined = undefined;
  samples = 0;
  private readonly recentFilter = new WindowedMin();
  private readonly baseFilter = new WindowedMin();

  constructor(private readonly config: RttConfig) {}

  /** Smallest delay-corrected sample over the last half smoothed RTT (≥ granularity). */
  get recentMin(): number | undefined {
    return this.recentFilter.value;
  }

  /** Smallest delay-corrected sample over the last BASE_RTT_WINDOW_MS: the path without queues. */
  get baseRtt(): number | undefined {
    return this.baseFilter.value;
  }

  /**
   * A new sample: `rtt` from send to ACK, `ackDelay` the peer's reported delay (ms).
   * RFC 9002 §5.3: min_rtt ignores ack delay; the delay is subtracted only when it does not
   * push the sample below min_rtt, and never more than max_ack_delay.
   */
  update(rtt: number, ackDelay: number, now = 0): void {
    if (!(rtt >= 0) || !Number.isFinite(rtt)) return;
    this.samples++;
    this.latest = rtt;
    if (this.min === undefined || rtt < this.min) this.min = rtt;
    // Delay-corrected path RTT for the queue filters (the peer's ACK delay is not queueing).
    const path = Math.max(rtt - Math.min(Math.max(ackDelay, 0), this.config.maxAckDelayMs), 0);
    // Recent: over half a smoothed RTT (Copa's RTTstanding window), at least one granularity —
    // short enough to see a queue build within a round; on µs loopback RTTs the floor keeps a
    // single event-loop hiccup from looking like a queue.
    this.recentFilter.push(now, path, Math.max((this.smoothed ?? rtt) / 2, this.config.granularityMs));
    this.baseFilter.push(now, path, BASE_RTT_WINDOW_MS);
    if (this.smoothed === undefined || this.variance === undefined) {
      // RFC 6298 §2.2 / RFC 9002 §5.3: first sample.
      this.smoothed = rtt;
      this.variance = rtt / 2;
      return;
    }
    const delay = Math.min(Math.max(ackDelay, 0), this.config.maxAckDelayMs);
    const adjusted = rtt >= this.min + delay ? rtt - delay : rtt;
    // RFC 6298 §2.3 with alpha = 1/8, beta = 1/4; RTTVAR first, from the old SRTT.
    this.variance = 0.75 * this.variance + 0.25 * Math.abs(this.smoothed - adjusted);
    this.smoothed = 0.875 * this.smoothed + 0.125 * adjusted;
  }

  /**
   * Base retransmission timeout (no backoff): RFC 9002 §6.2.1's PTO
   * srtt + max(4·rttvar, granularity) + max_ack_delay, clamped to [rtoMin, rtoMax]; the initial
   * value before any sample.
   */
  baseTimeout(): number {
    const c = this.config;
    if (this.smoothed === undefined || this.variance === undefined) return Math.min(Math.max(c.rtoInitialMs, c.rtoMinMs), c.rtoMaxMs);
    const raw = this.smoothed + Math.max(4 * this.variance, c.granularityMs) + c.maxAckDelayMs;
    return Math.min(Math.max(raw, c.rtoMinMs), c.rtoMaxMs);
  }

  /**
   * Tail-loss probe timeout (RFC 8985 §7.2, RACK-TLP: 2·SRTT plus the worst-case delayed ACK),
   * plus one timer granularity for the shells' timers. Not floored like the RTO — it is what
   * lets a lone lost chat message recover in a few ms — but never later than the RTO.
   * Undefined before the first RTT sample (the RTO then stands alone).
   */
  tailLossProbeTimeout(): number | undefined {
    if (this.smoothed === undefined) return undefined;
    const c = this.config;
    return Math.min(2 * this.smoothed + c.maxAckDelayMs + c.granularityMs, this.baseTimeout());
  }

  /** Timeout after `backoff` consecutive expiries: doubled each time up to 2^maxBackoffExponent, ≤ rtoMax. */
  backedOffTimeout(backoff: number): number {
    const c = this.config;
    const factor = 2 ** Math.min(Math.max(backoff, 0), c.maxBackoffExponent);
    return Math.min(this.baseTimeout() * factor, c.rtoMaxMs);
  }

  /**
   * The loss-detection delay of RFC 9002 §6.1.2: threshold · max(smoothed, latest), at least
   * the timer granularity. Before a sample, the initial timeout stands in for the RTT.
   */
  lossDelay(timeThreshold: number): number {
    const base = Math.max(this.smoothed ?? this.config.rtoInitialMs, this.latest ?? 0);
    return Math.max(timeThreshold * base, this.config.granularityMs);
  }

  /** Persistent-congestion span (RFC 9002 §7.6.1): (srtt + max(4·rttvar, g) + max_ack_delay) · k. */
  persistentCongestionDuration(threshold: number): number {
    const c = this.config;
    const srtt = this.smoothed ?? c.rtoInitialMs;
    const rttvar = this.variance ?? srtt / 2;
    return (srtt + Math.max(4 * rttvar, c.granularityMs) + c.maxAckDelayMs) * threshold;
  }
}
