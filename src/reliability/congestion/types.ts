// The congestion controller seam (RFC 9002 §7 names the events). The connection reports sends,
// acknowledgements and losses; the controller owns the window. Implementations must be pure and
// allocation-free per call: they run once per packet.

import type { CongestionAlgorithm } from '../config.ts';

export interface CongestionController {
  readonly algorithm: CongestionAlgorithm;
  /** Congestion window in bytes. */
  readonly window: number;
  /** Slow-start threshold in bytes (Infinity while still in the first slow start). */
  readonly slowStartThreshold: number;
  /** May another ack-eliciting packet go out with `bytesInFlight` already unacknowledged? */
  canSend(bytesInFlight: number): boolean;
  onPacketSent(now: number, bytes: number, bytesInFlight: number): void;
  /**
   * One in-flight packet acknowledged. `cwndLimited`: the window was at least half used when it
   * was sent (RFC 9002 §7.8: do not grow a window the application does not fill).
   * `inFlightAtSend`: bytes in flight just after it was sent (it included), when known — with its
   * round trip, a delivery-rate sample (Little's law: inFlightAtSend / (now − sentTime)).
   */
  onAck(now: number, sentTime: number, bytes: number, cwndLimited: boolean, inFlightAtSend?: number): void;
  /**
   * Packets declared lost in one detection pass. `largestLostSentTime` decides whether this
   * starts a new congestion episode (RFC 9002 §7.3.2: one reduction per recovery period).
   */
  onLoss(now: number, largestLostSentTime: number, lostBytes: number, lostPackets: number): void;
  /** RFC 9002 §7.6: everything across a long span was lost — collapse to the minimum window. */
  onPersistentCongestion(now: number): void;
  /** Loss episodes that reduced the window (for statistics and tests). */
  readonly congestionEvents: number;
}

/** What a controller may read of the RTT estimator (ms; undefined before the first sample). */
export interface RttView {
  readonly smoothed: number | undefined;
  readonly min: number | undefined;
  readonly latest: number | undefined;
  /** Smallest delay-corrected RTT over about the last RTT. */
  readonly recentMin: number | undefined;
  /** Smallest delay-corrected RTT over the last ~10 s (the path without queues). */
  readonly baseRtt: number | undefined;
}

export interface CongestionParams {
  maxDatagramBytes: number;
  initialWindowBytes: number;
  minWindowBytes: number;
  lossReductionFactor: number;
}
