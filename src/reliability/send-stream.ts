// The sending half of one channel: messages queued in sequence order, a cursor to the first byte
// never sent, a queue of byte ranges declared lost (retransmitted before new data), and per
// message acknowledgement coverage. A message is freed once every byte of it is acknowledged
// and every earlier message is too.

import type { ChannelId } from './types.ts';
import { Deque } from './deque.ts';
import { RangeSet } from './range-set.ts';

const EMPTY = new Uint8Array(0);

export class OutMessage {
  /** Acknowledged byte ranges, allocated only once the message travels in pieces. */
  acked: RangeSet | undefined = undefined;
  done = false;

  constructor(
    readonly channel: ChannelId,
    readonly seq: number,
    public data: Uint8Array,
    readonly length: number,
  ) {}
}

/** A byte range of a message to send again. `start` advances as pieces go out. */
export class RetransmitItem {
  constructor(
    readonly msg: OutMessage,
    public start: number,
    readonly end: number,
    /** Loss was found by a timer (PTO probe or loss timer) rather than by an arriving ACK. */
    readonly byTimeout: boolean,
  ) {}
}

export class SendStream {
  nextSeq: number;
  private readonly messages = new Deque<OutMessage>(64);
  /** Index in `messages` of the first message not yet completely sent once. */
  private sendIndex = 0;
  /** Bytes of that message already sent once. */
  sendOffset = 0;
  private readonly retransmits = new Deque<RetransmitItem>(64);
  /** Messages queued and not yet completely acknowledged. */
  unacked = 0;

  constructor(
    readonly channel: ChannelId,
    initialSeq: number,
  ) {
    this.nextSeq = initialSeq;
  }

  enqueue(data: Uint8Array): OutMessage {
    const msg = new OutMessage(this.channel, this.nextSeq++, data, data.length);
    this.messages.push(msg);
    this.unacked++;
    return msg;
  }

  /** Sequence number of the oldest message not yet acknowledged (or the next one). */
  oldestUnackedSeq(): number {
    return this.messages.peek()?.seq ?? this.nextSeq;
  }

  /** The first message with bytes never sent, or undefined. */
  peekUnsent(): OutMessage | undefined {
    return this.messages.get(this.sendIndex);
  }

  /** Record that bytes up to `offset` of the current unsent message went out. */
  advanceUnsent(offset: number): void {
    const msg = this.messages.get(this.sendIndex);
    if (msg === undefined) return;
    if (offset >= msg.length) {
      this.sendIndex++;
      this.sendOffset = 0;
    } else {
      this.sendOffset = offset;
    }
  }

  /**
   * The retransmission due first, with `start` moved past bytes acknowledged meanwhile; stale
   * entries (fully acknowledged) are dropped on the way.
   */
  peekRetransmit(): RetransmitItem | undefined {
    for (;;) {
      const item = this.retransmits.peek();
      if (item === undefined) return undefined;
      const msg = item.msg;
      if (msg.done) {
        this.retransmits.shift();
        continue;
      }
      if (msg.acked !== undefined && item.end > item.start) {
        item.start = msg.acked.firstGapAtOrAfter(item.start);
        if (item.start >= item.end) {
          this.retransmits.shift();
          continue;
        }
      }
      return item;
    }
  }

  /** End of the unacknowledged run starting at item.start (≤ item.end). */
  retransmitRunEnd(item: RetransmitItem): number {
    const acked = item.msg.acked;
    if (acked === undefined) return item.end;
    const i = acked.indexAfter(item.start);
    return i < acked.count ? Math.min(item.end, acked.start(i)) : item.end;
  }

  /** Mark the front retransmission sent up to `upTo`; removes it when complete. */
  consumeRetransmit(item: RetransmitItem, upTo: number): void {
    item.start = upTo;
    if (upTo >= item.end) this.retransmits.shift();
  }

  /** Bytes [start, end) of `msg` were in a packet declared lost. */
  onChunkLost(msg: OutMessage, start: number, end: number, byTimeout: boolean): void {
    if (msg.done) return;
    if (msg.acked !== undefined && msg.acked.containsRange(start, end)) return;
    this.retransmits.push(new RetransmitItem(msg, start, end, byTimeout));
  }

  /**
   * Bytes [start, end) of `msg` were acknowledged. Returns true if they had all been
   * acknowledged before (the copy was redundant: a spurious retransmission).
   */
  onChunkAcked(msg: OutMessage, start: number, end: number): boolean {
    if (msg.done) return true;
    if (start === 0 && end === msg.length) {
      this.complete(msg);
      return false;
    }
    if (msg.acked === undefined) msg.acked = new RangeSet();
    const added = msg.acked.insert(start, end);
    if (msg.acked.containsRange(0, msg.length)) this.complete(msg);
    return added === 0;
  }

  private complete(msg: OutMessage): void {
    msg.done = true;
    msg.data = EMPTY;
    msg.acked = undefined;
    this.unacked--;
    let head = this.messages.peek();
    while (head !== undefined && head.done) {
      this.messages.shift();
      this.sendIndex--;
      head = this.messages.peek();
    }
  }

  /** Free everything (connection lost or closed). */
  clear(): void {
    this.messages.clear();
    this.retransmits.clear();
    this.sendIndex = 0;
    this.sendOffset = 0;
    this.unacked = 0;
  }
}
