// The sending half of one channel: messages queued in sequence order, a cursor to the first byte
// never sent, a queue of byte ranges declared lost (retransmitted before new data), and per
// message acknowledgement coverage. A message is freed once every byte of it is acknowledged
// and every earlier message is too.
//
// Each byte declared lost is queued once however many lost packets carried it: after a timeout,
// the original and the probes that repeated it are often declared lost together, and resending
// each copy would put the same bytes on the wire several times.

import type { ChannelId } from './types.ts';
import { Deque } from './deque.ts';
import { RangeSet } from './range-set.ts';

const EMPTY = new Uint8Array(0);

export class OutMessage {
  /** Acknowledged byte ranges, allocated only once the message travels in pieces. */
  acked: RangeSet | undefined = undefined;
  /** Bytes queued for retransmission and not yet resent, allocated on the first loss. */
  pending: RangeSet | undefined = undefined;
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
    /** Grows when the next lost range of the same message follows on (see onChunkLost). */
    public end: number,
    /** Loss was found by a timer (PTO probe or loss timer) rather than by an arriving ACK. */
    readonly byTimeout: boolean,
  ) {}
}

/** First byte at or after `from` that is queued for retransmission and not acknowledged (or Infinity). */
function nextToResend(msg: OutMessage, from: number): number {
  const pending = msg.pending;
  const acked = msg.acked;
  let at = from;
  // Alternate between the two sets until a byte is in `pending` and not in `acked` (bounded: each
  // step moves past one range of either set).
  for (;;) {
    if (pending !== undefined) at = pending.firstMemberAtOrAfter(at);
    if (acked === undefined || at === Infinity) return at;
    const next = acked.firstGapAtOrAfter(at);
    if (next === at) return at;
    at = next;
  }
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
    /** Takes back a message's data once every byte is acknowledged (the copy is ours alone). */
    private readonly recycle: (data: Uint8Array) => void = () => {},
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

  /** Are there bytes never sent? */
  hasUnsent(): boolean {
    return this.sendIndex < this.messages.length;
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
   * The retransmission due first, with `start` moved to its first byte still pending and not
   * acknowledged meanwhile; spent entries are dropped on the way.
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
      // (A 0-byte message's item has no bytes to skip: it stays until sent.)
      if (item.end > item.start) {
        item.start = nextToResend(msg, item.start);
        if (item.start >= item.end) {
          this.retransmits.shift();
          continue;
        }
      }
      return item;
    }
  }

  /** End of the run of pending, unacknowledged bytes starting at item.start (≤ item.end). */
  retransmitRunEnd(item: RetransmitItem): number {
    const msg = item.msg;
    let end = item.end;
    const pending = msg.pending;
    if (pending !== undefined) {
      const i = pending.indexAfter(item.start);
      if (i < pending.count && pending.end(i) < end) end = pending.end(i);
    }
    const acked = msg.acked;
    if (acked !== undefined) {
      const i = acked.indexAfter(item.start);
      if (i < acked.count && acked.start(i) < end) end = acked.start(i);
    }
    return end;
  }

  /** Mark the front retransmission sent up to `upTo`; removes it when complete. */
  consumeRetransmit(item: RetransmitItem, upTo: number): void {
    item.msg.pending?.remove(item.start, upTo);
    item.start = upTo;
    if (upTo >= item.end) this.retransmits.shift();
  }

  /** Bytes [start, end) of `msg` were in a packet declared lost. */
  onChunkLost(msg: OutMessage, start: number, end: number, byTimeout: boolean): void {
    if (msg.done) return;
    if (end <= start) {
      // A 0-byte message: no bytes to deduplicate; its frame goes again.
      this.retransmits.push(new RetransmitItem(msg, start, end, byTimeout));
      return;
    }
    if (msg.acked !== undefined && msg.acked.containsRange(start, end)) return;
    if (msg.pending === undefined) msg.pending = new RangeSet();
    else if (msg.pending.containsRange(start, end)) return; // already queued
    msg.pending.insert(start, end);
    // Consecutive lost packets of one message give adjacent ranges: one run of them packs into
    // full packets, where separate items would leave a sliver of each to a packet of its own.
    const last = this.retransmits.peekLast();
    if (last !== undefined && last.msg === msg && last.end === start && last.byTimeout === byTimeout && last.end > last.start) {
      last.end = end;
      return;
    }
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
    msg.pending?.remove(start, end);
    if (msg.acked.containsRange(0, msg.length)) this.complete(msg);
    return added === 0;
  }

  private complete(msg: OutMessage): void {
    msg.done = true;
    // Nothing reads it any more: packets hold copies, and queued retransmissions of a done
    // message are skipped.
    this.recycle(msg.data);
    msg.data = EMPTY;
    msg.acked = undefined;
    msg.pending = undefined;
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
