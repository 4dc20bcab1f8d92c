// Packets sent and not yet forgotten, indexed by packet number. Every packet gets a fresh number
// (retransmitted data travels in new packets), so the records form a contiguous ring from
// `firstPn` to `nextPn − 1`. Two range sets make ACK processing and loss detection proportional
// to what changed rather than to the window: `acked` (numbers acknowledged) and `resolved`
// (acknowledged or declared lost). Records are pooled: the hot path allocates nothing here.

import { Deque } from './deque.ts';
import { RangeSet } from './range-set.ts';
import type { OutMessage } from './send-stream.ts';

/** Records kept for reuse; beyond this the garbage collector takes them. */
const POOL_LIMIT = 4096;

/**
 * Why a packet carries data sent before (timeout wins over fast). Counted in the statistics only
 * for packets that carry nothing new: a packet that also takes new data is a first transmission.
 */
export const Retransmission = {
  none: 0,
  /** Loss found by arriving ACKs (packet or time threshold). */
  fast: 1,
  /** Loss found after a probe or a retransmission timeout, or resent by one. */
  timeout: 2,
} as const;
export type RetransmissionCode = (typeof Retransmission)[keyof typeof Retransmission];

export const PacketState = {
  outstanding: 0,
  acked: 1,
  lost: 2,
} as const;
export type PacketStateCode = (typeof PacketState)[keyof typeof PacketState];

/** One data chunk a packet carried: bytes [start, end) of a message. */
export class SentPacket {
  pn = 0;
  timeSent = 0;
  /** Packet bytes on the wire (engine packet). */
  size = 0;
  ackEliciting = false;
  /** Counts toward bytes in flight (RFC 9002 §2: ack-eliciting packets). */
  inFlight = false;
  state: PacketStateCode = PacketState.outstanding;
  /** Largest peer packet number reported by an ACK frame in this packet, or −1. */
  ackLargest = -1;
  /** Bytes in flight reached at least half the window when this was sent (growth allowed). */
  cwndLimited = false;
  /** Bytes in flight just after this was sent (delivery-rate samples). */
  inFlightAtSend = 0;
  /** Sum of chunk lengths (flow-control accounting). */
  dataBytes = 0;
  /** Carries data sent before, and why (Retransmission). */
  retransmit: RetransmissionCode = Retransmission.none;
  /** Carries bytes never sent before. */
  newData = false;
  /** Of dataBytes, the bytes sent before (retransmissions and probe copies). */
  resentBytes = 0;
  /** Carries chat data (counts against the chat allowance while in flight). */
  carriesChat = false;
  /** Built by an RTO probe from another packet's data. */
  probeCopy = false;
  /** RTO-probe episode in which a probe resent this packet's data (0 = never). */
  probedEpisode = 0;
  chunkCount = 0;
  readonly chunkMsg: Array<OutMessage | undefined> = [];
  readonly chunkStart: number[] = [];
  readonly chunkEnd: number[] = [];

  addChunk(msg: OutMessage, start: number, end: number): void {
    if (msg.channel === 0) this.carriesChat = true;
    const i = this.chunkCount++;
    this.chunkMsg[i] = msg;
    this.chunkStart[i] = start;
    this.chunkEnd[i] = end;
    this.dataBytes += end - start;
  }

  reset(pn: number): void {
    this.pn = pn;
    this.timeSent = 0;
    this.size = 0;
    this.ackEliciting = false;
    this.inFlight = false;
    this.state = PacketState.outstanding;
    this.ackLargest = -1;
    this.cwndLimited = false;
    this.inFlightAtSend = 0;
    this.dataBytes = 0;
    this.retransmit = Retransmission.none;
    this.newData = false;
    this.resentBytes = 0;
    this.carriesChat = false;
    this.probeCopy = false;
    this.probedEpisode = 0;
    for (let i = 0; i < this.chunkCount; i++) this.chunkMsg[i] = undefined;
    this.chunkCount = 0;
  }
}

export class SentPackets {
  /** Packet number of the oldest record kept. */
  firstPn: number;
  /** Packet number the next packet gets. */
  nextPn: number;
  private readonly ring = new Deque<SentPacket>(256);
  private readonly pool: SentPacket[] = [];
  /** Acknowledged packet numbers ≥ firstPn. */
  readonly acked = new RangeSet();
  /** Acknowledged or declared-lost packet numbers ≥ firstPn. */
  readonly resolved = new RangeSet();

  constructor(initialPacketNumber: number) {
    this.firstPn = initialPacketNumber;
    this.nextPn = initialPacketNumber;
  }

  get length(): number {
    return this.ring.length;
  }

  /** A blank record to fill while building a packet; commit() or release() it. */
  take(): SentPacket {
    const rec = this.pool.pop() ?? new SentPacket();
    rec.reset(this.nextPn);
    return rec;
  }

  /** The packet went out: it gets the next packet number and joins the ring. */
  commit(rec: SentPacket): void {
    rec.pn = this.nextPn++;
    this.ring.push(rec);
  }

  /** The packet was abandoned (nothing to send after all). */
  release(rec: SentPacket): void {
    rec.reset(0);
    if (this.pool.length < POOL_LIMIT) this.pool.push(rec);
  }

  /** The record of `pn`, if still kept. */
  get(pn: number): SentPacket | undefined {
    return this.ring.get(pn - this.firstPn);
  }

  /**
   * Forget records at the front that no longer matter: acknowledged ones, lost ones older than
   * `lostBefore` (kept until then to recognise late ACKs — spurious retransmissions), and
   * non-ack-eliciting ones below `largestAcked` (nobody waits for them).
   */
  trim(lostBefore: number, largestAcked: number): void {
    let rec = this.ring.peek();
    while (rec !== undefined) {
      const done =
        rec.state === PacketState.acked ||
        (rec.state === PacketState.lost && rec.timeSent < lostBefore) ||
        (!rec.ackEliciting && rec.pn < largestAcked);
      if (!done) break;
      this.ring.shift();
      this.release(rec);
      this.firstPn++;
      rec = this.ring.peek();
    }
    this.acked.removeBelow(this.firstPn);
    this.resolved.removeBelow(this.firstPn);
  }

  /** Drop everything (connection lost or closed). */
  clear(): void {
    this.ring.clear();
    this.pool.length = 0;
    this.acked.clear();
    this.resolved.clear();
    this.firstPn = this.nextPn;
  }
}
