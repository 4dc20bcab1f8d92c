// NewReno as specified for QUIC (RFC 9002 §7.3 and Appendix B): slow start, congestion
// avoidance, one multiplicative decrease per recovery period, a floor of the minimum window,
// and collapse on persistent congestion.

import type { CongestionAlgorithm } from '../config.ts';
import type { CongestionController, CongestionParams } from './types.ts';

export class NewReno implements CongestionController {
  readonly algorithm: CongestionAlgorithm = 'newreno';
  protected cwnd: number;
  protected ssthresh = Infinity;
  /** Packets sent at or before this time belong to the current recovery period. */
  protected recoveryStart = -Infinity;
  /** Bytes acknowledged toward the next window increase in congestion avoidance. */
  private bytesAcked = 0;
  congestionEvents = 0;

  constructor(protected readonly params: CongestionParams) {
    this.cwnd = params.initialWindowBytes;
  }

  get window(): number {
    return this.cwnd;
  }

  get slowStartThreshold(): number {
    return this.ssthresh;
  }

  canSend(bytesInFlight: number): boolean {
    return bytesInFlight < this.cwnd;
  }

  onPacketSent(_now: number, _bytes: number, _bytesInFlight: number): void {}

  protected inRecovery(sentTime: number): boolean {
    return sentTime <= this.recoveryStart;
  }

  onAck(_now: number, sentTime: number, bytes: number, cwndLimited: boolean): void {
    if (this.inRecovery(sentTime) || !cwndLimited) return;
    if (this.cwnd < this.ssthresh) {
      // Slow start (RFC 9002 §7.3.1): one byte per byte acknowledged.
      this.cwnd += bytes;
      return;
    }
    // Congestion avoidance (RFC 9002 §7.3.3): one datagram per window acknowledged.
    this.bytesAcked += bytes;
    if (this.bytesAcked >= this.cwnd) {
      this.bytesAcked -= this.cwnd;
      this.cwnd += this.params.maxDatagramBytes;
    }
  }

  onLoss(now: number, largestLostSentTime: number, _lostBytes: number, _lostPackets: number): void {
    this.congestionEvent(now, largestLostSentTime);
  }

  /** RFC 9002 Appendix B.6 OnCongestionEvent: at most once per recovery period. */
  protected congestionEvent(now: number, sentTime: number): void {
    if (this.inRecovery(sentTime)) return;
    this.recoveryStart = now;
    this.ssthresh = Math.max(Math.floor(this.cwnd * this.params.lossReductionFactor), this.params.minWindowBytes);
    this.cwnd = this.ssthresh;
    this.bytesAcked = 0;
    this.congestionEvents++;
  }

  /** RFC 9002 Appendix B.8: minimum window, recovery period ended (slow start back to ssthresh). */
  onPersistentCongestion(_now: number): void {
    this.cwnd = this.params.minWindowBytes;
    this.recoveryStart = -Infinity;
    this.bytesAcked = 0;
    this.congestionEvents++;
  }
}
