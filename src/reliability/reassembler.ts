// The receiving half of one channel: puts fragments back together and hands out whole messages
// exactly once, in sequence order. Messages ahead of the next expected one wait here; anything
// older is a duplicate.
//
// Memory: a fragmented message of up to PREALLOCATE_MAX_BYTES gets its buffer at its first
// fragment and every fragment is copied straight into place (one copy of each byte, no joining) —
// but only within the room the connection grants, which counts such reservations: a peer announcing
// many large messages cannot make us allocate more than the hard receive limit. Larger messages
// keep their fragments as received pieces and join them when complete, so one frame announcing a
// huge message allocates nothing beyond what it carries.

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

/**
 * Largest fragmented message whose buffer is allocated at its first fragment. A file's chunks
 * (16 KiB in the simulator, tens of KiB from the file transfer) fit; messages of megabytes keep
 * the piecewise path, so their memory follows what actually arrived.
 */
export const PREALLOCATE_MAX_BYTES = 1024 * 1024;

class InMessage {
  /** Received byte coverage. */
  readonly got = new RangeSet();
  /** The whole message's buffer, written in place (preallocated path), or undefined. */
  buffer: Uint8Array | undefined = undefined;
  /** Received pieces and their offsets (piecewise path; allocated on the first piece). */
  pieces: Uint8Array[] | undefined = undefined;
  pieceOffsets: number[] | undefined = undefined;
  /** Bytes held for this message: distinct bytes received (preallocated) or stored (piecewise). */
  received = 0;
  /** Set once complete. */
  data: Uint8Array | undefined = undefined;

  constructor(readonly total: number) {}

  assemble(slab: ByteSlab): Uint8Array {
    if (this.buffer !== undefined) return this.buffer;
    const pieces = this.pieces;
    const offsets = this.pieceOffsets;
    if (pieces === undefined || offsets === undefined) return slab.alloc(this.total); // 0 bytes
    if (pieces.length === 1 && pieces[0]?.length === this.total) return pieces[0];
    const out = slab.alloc(this.total);
    for (let i = 0; i < pieces.length; i++) {
      const piece = pieces[i];
      if (piece !== undefined) out.set(piece, offsets[i] ?? 0);
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
  /** Bytes allocated for preallocated messages and not received yet (counted against the hard limit). */
  reservedBytes = 0;
  /** pending.get(nextSeq), kept at hand (the window is read for every packet sent). */
  private head: InMessage | undefined = undefined;

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
    const head = this.head;
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
      if (length < total && total <= PREALLOCATE_MAX_BYTES && (head || total <= room)) {
        msg.buffer = this.slab.alloc(total);
        this.reservedBytes += total;
      }
      this.pending.set(seq, msg);
      if (head) this.head = msg;
    } else {
      if (msg.total !== total) return FrameOutcome.invalid;
      if (msg.data !== undefined || msg.got.containsRange(offset, offset + length)) return FrameOutcome.duplicate;
      // Preallocated: its bytes are already reserved. Piecewise: what it adds must fit.
      if (!head && msg.buffer === undefined && length > room) return FrameOutcome.refused;
    }
    const added = msg.got.insert(offset, offset + length);
    if (msg.buffer !== undefined) {
      if (length > 0) msg.buffer.set(bytes.subarray(dataAt, dataAt + length), offset);
      msg.received += added;
      this.bufferedBytes += added;
      this.reservedBytes -= added;
    } else {
      if (length > 0) {
        (msg.pieces ??= []).push(this.slab.copy(bytes, dataAt, dataAt + length));
        (msg.pieceOffsets ??= []).push(offset);
      }
      // Count what we hold (pieces may overlap a little when re-split; count stored bytes).
      msg.received += length;
      this.bufferedBytes += length;
    }
    if (added > 0 || total === 0) {
      if (!msg.got.containsRange(0, total)) return FrameOutcome.stored;
      msg.data = msg.assemble(this.slab);
      msg.buffer = undefined;
      msg.pieces = undefined;
      msg.pieceOffsets = undefined;
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
      this.head = msg;
      if (msg === undefined || msg.data === undefined) return;
      this.pending.delete(this.nextSeq);
      this.bufferedBytes -= msg.received;
      this.nextSeq++;
      this.deliver(this.channel, msg.data);
    }
  }

  clear(): void {
    this.pending.clear();
    this.head = undefined;
    this.bufferedBytes = 0;
    this.reservedBytes = 0;
  }
}
