// The receiving half of one channel: puts fragments back together and hands out whole messages
// exactly once, in sequence order. Messages ahead of the next expected one wait here; anything
// older is a duplicate. Memory held is what was received (pieces are kept until the message is
// complete, then joined), so a peer announcing a huge message cannot make us allocate it.

import type { ChannelId } from './types.ts';
import { RangeSet } from './range-set.ts';
import { unwrap } from './serial.ts';
import type { ByteSlab } from './byte-slab.ts';

/** What happened to one stream frame. */
export const FrameOutcome = {
  /** New bytes stored (message still incomplete or waiting for an earlier one). */
  stored: 0,
  /** Completed a message (and maybe released others) — see the delivery callback. */
  delivered: 1,
  /** Nothing new: the bytes or the whole message were already here. */
  duplicate: 2,
  /** Not accepted now (too far ahead, or no buffer room); the sender will retransmit. */
  refused: 3,
  /** Contradicts what we already have (a different length for the same message). */
  invalid: 4,
} as const;
export type FrameOutcomeCode = (typeof FrameOutcome)[keyof typeof FrameOutcome];

class InMessage {
  /** Received byte coverage. */
  readonly got = new RangeSet();
  readonly pieces: Uint8Array[] = [];
  readonly pieceOffsets: number[] = [];
  received = 0;
  /** Set once complete. */
  data: Uint8Array | undefined = undefined;

  constructor(readonly total: number) {}

  assemble(slab: ByteSlab): Uint8Array {
    if (this.pieces.length === 1 && this.pieces[0]?.length === this.total) return this.pieces[0];
    const out = slab.alloc(this.total);
    for (let i = 0; i < this.pieces.length; i++) {
      const piece = this.pieces[i];
      if (piece !== undefined) out.set(piece, this.pieceOffsets[i] ?? 0);
    }
    return out;
  }
}

export type Deliver = (channel: ChannelId, data: Uint8Array) => void;

export class Reassembler {
  /** Full sequence number of the next message to deliver. */
  nextSeq: number;
  private readonly pending = new Map<number, InMessage>();
  /** Bytes held here (received, not yet delivered). */
  bufferedBytes = 0;

  constructor(
    readonly channel: ChannelId,
    initialSeq: number,
    private readonly maxAhead: number,
    private readonly deliver: Deliver,
    private readonly slab: ByteSlab,
  ) {
    this.nextSeq = initialSeq;
  }

  /**
   * Bytes that count against the receive window: everything held except the message at the
   * head of the line. That one must be accepted whole whatever its size (a message larger than
   * the window could never complete otherwise); it is bounded by maxMessageBytes instead.
   */
  get windowBytes(): number {
    const head = this.pending.get(this.nextSeq);
    return head === undefined ? this.bufferedBytes : this.bufferedBytes - head.received;
  }

  /** Messages waiting (incomplete or out of order). */
  get pendingMessages(): number {
    return this.pending.size;
  }

  /**
   * One stream frame: `length` bytes at `dataAt` in `bytes`, being [offset, offset+length) of
   * message `seqWire` (32-bit) whose size is `total`. `room` is how many new bytes may be
   * buffered beyond the head-of-line message (which is always accepted). Never throws.
   */
  onFrame(seqWire: number, total: number, offset: number, bytes: Uint8Array, dataAt: number, length: number, room: number): FrameOutcomeCode {
    const seq = unwrap(seqWire, this.nextSeq);
    if (seq < this.nextSeq) return FrameOutcome.duplicate;
    if (seq - this.nextSeq >= this.maxAhead) return FrameOutcome.refused;
    const head = seq === this.nextSeq;
    let msg = this.pending.get(seq);
    if (msg === undefined) {
      if (!head && length > room) return FrameOutcome.refused;
      // Fast path: a whole message that is next in line goes straight out.
      if (head && offset === 0 && length === total) {
        this.nextSeq++;
        this.deliver(this.channel, this.slab.copy(bytes, dataAt, dataAt + length));
        this.releaseReady();
        return FrameOutcome.delivered;
      }
      msg = new InMessage(total);
      this.pending.set(seq, msg);
    } else {
      if (msg.total !== total) return FrameOutcome.invalid;
      if (msg.data !== undefined || msg.got.containsRange(offset, offset + length)) return FrameOutcome.duplicate;
      if (!head && length > room) return FrameOutcome.refused;
    }
    const added = msg.got.insert(offset, offset + length);
    if (length > 0) {
      msg.pieces.push(this.slab.copy(bytes, dataAt, dataAt + length));
      msg.pieceOffsets.push(offset);
    }
    // Count what we hold (pieces may overlap a little when re-split; count stored bytes).
    msg.received += length;
    this.bufferedBytes += length;
    if (added > 0 || total === 0) {
      if (!msg.got.containsRange(0, total)) return FrameOutcome.stored;
      msg.data = msg.assemble(this.slab);
      msg.pieces.length = 0;
      msg.pieceOffsets.length = 0;
      this.bufferedBytes += msg.data.length - msg.received;
      msg.received = msg.data.length;
      if (seq === this.nextSeq) {
        this.releaseReady();
        return FrameOutcome.delivered;
      }
    }
    return FrameOutcome.stored;
  }

  /** Deliver every complete message at the head of the line. */
  private releaseReady(): void {
    for (;;) {
      const msg = this.pending.get(this.nextSeq);
      if (msg === undefined || msg.data === undefined) return;
      this.pending.delete(this.nextSeq);
      this.bufferedBytes -= msg.received;
      this.nextSeq++;
      this.deliver(this.channel, msg.data);
    }
  }

  clear(): void {
    this.pending.clear();
    this.bufferedBytes = 0;
  }
}
