// NewReno that tells random loss from congestion. On a lossy but uncongested path (Wi-Fi, a
// netem/nftables drop rule, the simulator's Bernoulli link) halving the window on every loss
// episode caps throughput near MSS/RTT·1.22/√p (Mathis et al. 1997). Here a loss episode only
// reduces the window when there is evidence of congestion:
//   • a standing queue: the recent minimum RTT (over the last half RTT, at least 1 ms) above the
//     base RTT (minimum over 10 s) by max(queueDelayFactor·baseRtt, queueDelayMinMs) — TCP Veno's backlog test
//     (Fu & Liew 2003) in delay form, measured like Copa's RTTstanding (Arun & Balakrishnan
//     2018) so that jitter, which raises single samples, does not look like a queue; or
//   • a loss burst: the short-term loss rate (EWMA over ~64 packets) above lossTolerance, which
//     is what an overflowing drop-tail buffer produces whatever the RTT says.
// The same queue test bounds the queue we keep: while a standing queue above the target exists, the
// window does not grow, and once per round trip it shrinks to what leaves just the target queued —
// cwnd · (baseRtt + target) / recentMin, the window that would fill the path plus the target
// (Vegas's backlog estimate, Brakmo & Peterson 1995, applied multiplicatively like LEDBAT's
// decrease, RFC 6817 §2.4.2). Holding alone would keep whatever queue slow start or a rate drop left
// behind for good — on a deep buffer, hundreds of ms that every chat packet waits behind. Slow
// start, which doubles the window every round and so overshoots a round later, ends on a much
// smaller queue: HyStart++'s threshold (RFC 9406 §4.3) clamp(baseRtt/8, queueDelayMinMs, 16 ms).
// Without this a sender on a lossless path with deep buffers (loopback with large socket
// buffers) grows the window until the buffers hold many milliseconds of data — and every chat
// packet queues behind them.
// Everything else — slow start, avoidance, recovery periods, persistent congestion — is NewReno.

import type { CongestionAlgorithm } from '../config.ts';
import { NewReno } from './newreno.ts';
import { WindowedMin } from '../windowed-min.ts';
import type { CongestionParams, RttView } from './types.ts';

/**
 * The delivery rate is the largest sample over this many smoothed RTTs (BBR's bandwidth filter, in
 * short): jitter and late ACKs only ever lower a sample, and the maximum ignores them.
 */
export const DELIVERY_RATE_WINDOW_RTTS = 2;
/** Weight of one packet outcome in the loss-rate average (≈ a 64-packet memory). */
export const LOSS_EWMA_GAIN = 1 / 64;
/** RFC 9406 §4.3: slow start ends when the RTT grows by baseRtt/8 … */
export const SLOW_START_EXIT_DIVISOR = 8;
/** … but at most by MAX_RTT_THRESH = 16 ms. */
export const SLOW_START_EXIT_MAX_MS = 16;

export interface LossTolerantParams extends CongestionParams {
  lossTolerance: number;
  queueDelayFactor: number;
  queueDelayMinMs: number;
}

export class LossTolerant extends NewReno {
  override readonly algorithm: CongestionAlgorithm = 'loss-tolerant';
  /** Short-term fraction of packets lost. */
  lossRate = 0;
  /** Loss episodes judged random (window kept). */
  randomLossEvents = 0;

  /** Acknowledgements that found a standing queue and did not grow the window. */
  queueHeldAcks = 0;
  /** Times slow start ended on queueing delay rather than on loss. */
  slowStartExits = 0;
  /** Congestion events caused by the loss rate (rather than by queueing delay). */
  lossBurstEvents = 0;
  /** Times the window shrank to drain a standing queue (no loss involved). */
  queueDrains = 0;
  /** Recent maximum of inFlightAtSend / RTT, bytes per ms (stored negated in a windowed minimum). */
  private readonly rateFilter = new WindowedMin();

  constructor(
    private readonly tolerant: LossTolerantParams,
    private readonly rtt: RttView,
  ) {
    super(tolerant);
  }

  override onAck(now: number, sentTime: number, bytes: number, cwndLimited: boolean, inFlightAtSend?: number): void {
    this.lossRate *= 1 - LOSS_EWMA_GAIN;
    if (inFlightAtSend !== undefined && now > sentTime) {
      const window = DELIVERY_RATE_WINDOW_RTTS * (this.rtt.smoothed ?? now - sentTime);
      this.rateFilter.push(now, -inFlightAtSend / (now - sentTime), window);
    }
    if (cwndLimited && this.cwnd < this.ssthresh && this.standingQueue() > this.slowStartExitThreshold()) {
      // Leave slow start where the queue starts to build. Growth doubled the window during the
      // round trip it took to see the queue: keep only what the measured rate needs.
      this.ssthresh = this.cwnd;
      const fit = this.windowForTargetQueue();
      if (fit !== undefined && fit < this.cwnd) {
        this.cwnd = this.ssthresh = Math.max(fit, this.params.minWindowBytes);
        this.recoveryStart = now; // that was this round trip's reduction
      }
      this.slowStartExits++;
      return;
    }
    if (cwndLimited && this.queueing()) {
      // Once per round trip (packets sent before the last reduction do not count again).
      if (!this.inRecovery(sentTime)) this.drainQueue(now);
      else this.queueHeldAcks++;
      return;
    }
    super.onAck(now, sentTime, bytes, cwndLimited);
  }

  override onLoss(now: number, largestLostSentTime: number, _lostBytes: number, lostPackets: number): void {
    this.lossRate = 1 - (1 - this.lossRate) * (1 - LOSS_EWMA_GAIN) ** lostPackets;
    if (this.inRecovery(largestLostSentTime)) return;
    // Without RTT samples there is no evidence either way: behave like NewReno.
    if (this.rtt.smoothed === undefined || this.lossRate > this.tolerant.lossTolerance || this.queueing()) {
      if (this.lossRate > this.tolerant.lossTolerance) this.lossBurstEvents++;
      this.congestionEvent(now, largestLostSentTime);
    } else {
      this.randomLossEvents++;
    }
  }

  /** Queueing delay that persists across the last half RTT (recent minimum − base RTT), ms. */
  standingQueue(): number {
    const recent = this.rtt.recentMin;
    const base = this.rtt.baseRtt;
    return recent === undefined || base === undefined ? 0 : recent - base;
  }

  /** A standing queue above max(queueDelayFactor·baseRtt, queueDelayMinMs). */
  queueing(): boolean {
    if (this.rtt.baseRtt === undefined) return false;
    return this.standingQueue() > this.queueTarget();
  }

  /** The standing queue this controller allows: max(queueDelayFactor · baseRtt, queueDelayMinMs). */
  queueTarget(): number {
    const p = this.tolerant;
    return Math.max(p.queueDelayFactor * (this.rtt.baseRtt ?? 0), p.queueDelayMinMs);
  }

  /** Delivery rate: the recent maximum of in-flight bytes over RTT (bytes per ms), if sampled. */
  get deliveryRate(): number | undefined {
    const v = this.rateFilter.value;
    return v === undefined ? undefined : -v;
  }

  /**
   * The window that fills the path and queues just the target: rate · (baseRtt + target), from the
   * delivery rate when sampled, else cwnd · (base + target) / recentMin.
   */
  private windowForTargetQueue(): number | undefined {
    const base = this.rtt.baseRtt;
    if (base === undefined) return undefined;
    const span = base + this.queueTarget();
    const rate = this.deliveryRate;
    if (rate !== undefined) return Math.floor(rate * span);
    const recent = this.rtt.recentMin;
    return recent === undefined || recent <= 0 ? undefined : Math.floor((this.cwnd * span) / recent);
  }

  /** Shrink the window to leave only the target queue. */
  private drainQueue(now: number): void {
    const next = this.windowForTargetQueue();
    if (next === undefined) return;
    this.cwnd = Math.max(Math.min(this.cwnd, next), this.params.minWindowBytes);
    this.ssthresh = this.cwnd;
    this.recoveryStart = now;
    this.queueDrains++;
  }

  private slowStartExitThreshold(): number {
    const base = this.rtt.baseRtt ?? 0;
    return Math.min(Math.max(base / SLOW_START_EXIT_DIVISOR, this.tolerant.queueDelayMinMs), SLOW_START_EXIT_MAX_MS);
  }
}
