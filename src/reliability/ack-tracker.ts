// The receiving side of acknowledgements (RFC 9000 §13.2): which peer packet numbers arrived,
// and when an ACK is owed. ACKs are delayed up to maxAckDelay, sent at once after ackEveryN
// ack-eliciting packets or when a packet arrives out of order, and every ACK frame repeats all
// remembered ranges. Ranges are forgotten when the peer acknowledges a packet that carried them
// (an ACK of an ACK), or when more than maxAckRanges accumulate (oldest first).
//
// When the peer probes — a PING, or data we already had, which it only resends when our ACKs did not
// reach it — one ACK in reply is not enough: the path back is losing them. Each probe in a row is
// answered with one more copy (2, 3, 4 ACK-only packets), until the peer shows, by acknowledging a
// packet of ours that carried ACK ranges, that they get through again. A run of lost ACKs then
// costs the peer one or two probe rounds instead of a retransmission timeout doubling each time.
//
// Replays: the numbers received are also kept apart from the ranges still reported (`seen`, which an
// ACK of an ACK does not trim), so a packet delivered again — an attacker's copy, long after — is a
// duplicate. `seen` keeps its REPLAY_WINDOW_RANGES highest ranges; below them (`floor`) every number
// counts as received. A late original above the floor is still taken (and acknowledged: spurious
// retransmissions are detected); one below is dropped, and its sender resends what it carried.

import { RangeSet } from './range-set.ts';
import { unwrap } from './serial.ts';

/**
 * Packets that repeat an unchanged ACK frame by piggybacking. Four more copies make losing all
 * of them unlikely even at 30% loss (0.3^5 ≈ 0.2%) while costing nothing on a quiet link.
 */
export const ACK_REPEATS = 4;

/**
 * Most ACK frames sent in reply to one probe: the first probe in a row gets 2, the next 3, then 4.
 * An ACK-only packet is 20–40 bytes, and probes are rare on a healthy path; on a path that loses
 * the ACKs in bursts, 4 copies per probe outlast a burst that 1 copy per probe would need many
 * backed-off probe rounds to get through.
 */
export const MAX_ACK_COPIES = 4;

/**
 * Ranges of received numbers remembered against replays (each a few dozen bytes). A new range opens only
 * at a gap, so 256 ranges reach back ~256 losses — 2,560 packets at 10 % loss, seconds of a transfer: no
 * honest original arrives that late, and the floor below them refuses all older numbers.
 */
export const REPLAY_WINDOW_RANGES = 256;

export class AckTracker {
  /** Peer packet numbers received (full numbers) that we still report. */
  readonly received = new RangeSet();
  /** Every number received above `floor`, at most REPLAY_WINDOW_RANGES ranges (not trimmed by ACKs of ACKs). */
  private readonly seen = new RangeSet();
  /** Full packet numbers below this count as received (their ranges were dropped from `seen`). */
  floor = 0;
  /** Largest full packet number received, −1 before the first. */
  largest = -1;
  /** Smallest full packet number received, −1 before the first. */
  smallest = -1;
  /** Distinct packet numbers recorded (each counted once). */
  distinct = 0;
  /** When `largest` arrived (for the ACK delay field). */
  largestTime = 0;
  /** Ack-eliciting packets received since the last ACK frame went out. */
  private elicitingSinceAck = 0;
  /** An ACK should go out without waiting for the delay timer. */
  private immediate = false;
  /** Deadline of the delayed ACK, Infinity when none is owed. */
  deadline = Infinity;
  /** Something arrived since the last ACK frame (worth piggybacking). */
  dirty = false;
  /** Further piggybacked copies of the current (unchanged) ranges still to send. */
  private repeats = 0;
  /** ACK frames still to send at once, whether or not anything new arrived (reply to a probe). */
  private copiesOwed = 0;
  /** Probes from the peer since it last acknowledged one of our ACK-carrying packets. */
  private probeStreak = 0;

  constructor(
    private readonly maxAckDelayMs: number,
    private readonly ackEveryN: number,
    private readonly maxRanges: number,
  ) {}

  /** Full packet number for a wire value (closest to the next expected). */
  decode(wire: number): number {
    return this.largest < 0 ? wire : unwrap(wire, this.largest + 1);
  }

  /** Was this full packet number already received (or is it below the replay window)? */
  isDuplicate(pn: number): boolean {
    return pn < this.floor || this.seen.has(pn);
  }

  /**
   * Record an arrival. `probe`: the packet was a probe (a PING, or data we already had) — the peer
   * has not seen our ACKs, so answer it at once and with copies (see MAX_ACK_COPIES).
   */
  onPacket(pn: number, ackEliciting: boolean, now: number, probe = false): void {
    const outOfOrder = this.largest >= 0 && pn !== this.largest + 1;
    this.received.insert(pn, pn + 1);
    if (this.received.count > this.maxRanges) this.received.keepHighest(this.maxRanges);
    this.seen.insert(pn, pn + 1);
    if (this.seen.count > REPLAY_WINDOW_RANGES) {
      this.seen.keepHighest(REPLAY_WINDOW_RANGES);
      this.floor = this.seen.min() ?? this.floor;
    }
    if (pn > this.largest) {
      this.largest = pn;
      this.largestTime = now;
    }
    if (this.smallest < 0 || pn < this.smallest) this.smallest = pn;
    this.distinct++;
    this.dirty = true;
    this.repeats = ACK_REPEATS;
    if (probe) {
      if (this.probeStreak < MAX_ACK_COPIES - 1) this.probeStreak++;
      this.copiesOwed = Math.max(this.copiesOwed, 1 + this.probeStreak);
    }
    if (!ackEliciting) return;
    this.elicitingSinceAck++;
    if (outOfOrder || this.elicitingSinceAck >= this.ackEveryN) this.immediate = true;
    else if (this.deadline === Infinity) this.deadline = now + this.maxAckDelayMs;
  }

  /**
   * The peer's packets we never recorded below the largest we did: lost on the way in (or refused
   * for want of buffer space, then resent under a new number). The loss of the direction towards us,
   * which our own ACK-based count cannot see.
   */
  get missing(): number {
    return this.largest < 0 ? 0 : Math.max(0, this.largest - this.smallest + 1 - this.distinct);
  }

  /** Should a packet going out anyway carry an ACK frame? */
  wantsPiggyback(): boolean {
    return this.dirty || (this.repeats > 0 && !this.received.isEmpty);
  }

  /** Is an ACK owed now (immediately, or its delay has run out)? */
  due(now: number): boolean {
    return this.copiesOwed > 0 || (this.elicitingSinceAck > 0 && (this.immediate || now >= this.deadline));
  }

  /** When the delayed ACK falls due, or Infinity. */
  timerDeadline(): number {
    if (this.copiesOwed > 0) return -Infinity;
    if (this.elicitingSinceAck === 0) return Infinity;
    return this.immediate ? -Infinity : this.deadline;
  }

  /** An ACK frame carrying our ranges went out (or one was due and nothing was left to report). */
  onAckSent(): void {
    if (this.copiesOwed > 0) this.copiesOwed--;
    if (this.received.isEmpty) this.copiesOwed = 0;
    if (!this.dirty && this.repeats > 0) this.repeats--;
    this.elicitingSinceAck = 0;
    this.immediate = false;
    this.deadline = Infinity;
    this.dirty = false;
  }

  /**
   * The peer acknowledged a packet of ours whose ACK frame reported up to `largestReported`:
   * it knows about those numbers, so stop repeating them.
   */
  onAckOfAck(largestReported: number): void {
    this.probeStreak = 0;
    this.received.removeBelow(largestReported + 1);
    if (this.received.isEmpty) {
      this.repeats = 0;
      this.copiesOwed = 0;
    }
  }

  /** ACK delay to report, in microseconds. */
  ackDelayUs(now: number): number {
    return Math.max(0, (now - this.largestTime) * 1000);
  }

  clear(): void {
    this.received.clear();
    this.elicitingSinceAck = 0;
    this.immediate = false;
    this.deadline = Infinity;
    this.dirty = false;
    this.repeats = 0;
    this.copiesOwed = 0;
    this.probeStreak = 0;
  }
}
