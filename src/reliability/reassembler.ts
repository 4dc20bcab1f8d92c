// The receiving half of one channel: puts fragments back together and hands out whole messages
// exactly once, in sequence order. Messages ahead of the next expected one wait here; anything
// older is a duplicate.
//
// Accounting (docs/engine.md, "Receive accounting"): every message held is charged by what it
// actually costs — MESSAGE_OVERHEAD_BYTES for being held at all (an empty message too), plus the
// bytes allocated for it. A fragmented message of up to PREALLOCATE_MAX_BYTES gets its buffer at its
// first fragment, charged whole at once, and every fragment is copied straight into place (one copy
// of each byte, no joining); a byte range that does not touch the ones already there costs
// PIECE_OVERHEAD_BYTES more (its entry in the coverage set). Larger messages keep their fragments as
// received pieces and join them when complete; of a piece only the bytes not yet held are stored,
// each stored piece costing PIECE_OVERHEAD_BYTES beyond its bytes — a piece overlapping the held
// ones by all but one byte stores one byte. The connection hands every frame the room it has left
// under its receive bound; a frame that would need more is not stored (`overLimit`), nor is a
// message further ahead than the peer may send (`tooFarAhead`): the connection closes such a peer.

import type { ChannelId } from './types.ts';
import { RangeSet } from './range-set.ts';
import { unwrap } from './serial.ts';
import type { ByteSlab } from './byte-slab.ts';
import { MESSAGE_OVERHEAD_BYTES, PIECE_OVERHEAD_BYTES } from './receive-bound.ts';

/** What happened to one stream frame. */
export const FrameOutcome = {
  /** New bytes stored (message still incomplete or waiting for an earlier one). */
  stored: 0,
  /** Completed a message (and maybe released others) — see the delivery callback. */
  delivered: 1,
  /** Nothing new: the bytes or the whole message were already here. */
  duplicate: 2,
  /** Not stored: holding it would exceed the room the connection gave (the peer exceeded its credit). */
  overLimit: 3,
  /** Contradicts what we already have (a different length for the same message). */
  invalid: 4,
  /** Not stored: the message lies maxAhead or more beyond the next expected one (no honest peer sends it). */
  tooFarAhead: 5,
} as const;
export type FrameOutcomeCode = (typeof FrameOutcome)[keyof typeof FrameOutcome];

/**
 * Largest fragmented message whose buffer is allocated at its first fragment. A file's chunks
 * (16 KiB in the simulator, 32 KiB from the file transfer) and chat lines fit; messages of megabytes
 * keep the piecewise path, so their memory follows what actually arrived.
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
  /** Distinct bytes received. */
  received = 0;
  /** Bytes charged for holding this message (see MESSAGE_OVERHEAD_BYTES, PIECE_OVERHEAD_BYTES). */
  cost = MESSAGE_OVERHEAD_BYTES;
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
  /** Distinct message bytes held here (received, not yet delivered). */
  bufferedBytes = 0;
  /** Bytes allocated for preallocated messages and not received yet. */
  reservedBytes = 0;
  /** Everything charged for what is held here: overheads, preallocated buffers, stored pieces. */
  heldBytes = 0;
  /** pending.get(nextSeq), kept at hand (the window is read for every packet sent). */
  private head: InMessage | undefined = undefined;
  /** The uncovered parts of a piece being stored (piecewise path), reused. */
  private readonly gapStarts: number[] = [];
  private readonly gapEnds: number[] = [];

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
   * What counts against the advertised window: everything held except the message at the head of
   * the line. That one is exempt from the window (a message larger than the window could never
   * complete otherwise) though not from the connection's receive bound.
   */
  get windowBytes(): number {
    const head = this.head;
    return head === undefined ? this.heldBytes : this.heldBytes - head.cost;
  }

  /** Messages waiting (incomplete or out of order). */
  get pendingMessages(): number {
    return this.pending.size;
  }

  /**
   * One stream frame: `length` bytes at `dataAt` in `bytes`, being [offset, offset+length) of
   * message `seqWire` (32-bit) whose size is `total` (offset + length ≤ total, as the decoder
   * checks). `room` is how many bytes more the connection may hold. Never throws.
   */
  onFrame(seqWire: number, total: number, offset: number, bytes: Uint8Array, dataAt: number, length: number, room: number): FrameOutcomeCode {
    const seq = unwrap(seqWire, this.nextSeq);
    if (seq < this.nextSeq) return FrameOutcome.duplicate;
    if (seq - this.nextSeq >= this.maxAhead) return FrameOutcome.tooFarAhead;
    const head = seq === this.nextSeq;
    const end = offset + length;
    let msg = this.pending.get(seq);
    if (msg === undefined) {
      if (offset === 0 && length === total) {
        // A whole message: next in line it goes straight out (where it costs as an event does);
        // ahead of the line it waits complete.
        if (MESSAGE_OVERHEAD_BYTES + length > room) return FrameOutcome.overLimit;
        const data = this.slab.copy(bytes, dataAt, dataAt + length);
        if (head) {
          this.nextSeq++;
          this.deliver(this.channel, data);
          this.releaseReady();
          return FrameOutcome.delivered;
        }
        msg = new InMessage(total);
        msg.got.insert(0, total);
        msg.data = data;
        msg.received = total;
        msg.cost += total;
        this.hold(seq, msg);
        this.bufferedBytes += total;
        return FrameOutcome.stored;
      }
      if (total <= PREALLOCATE_MAX_BYTES) {
        if (MESSAGE_OVERHEAD_BYTES + total + PIECE_OVERHEAD_BYTES > room) return FrameOutcome.overLimit;
        msg = new InMessage(total);
        msg.buffer = this.slab.alloc(total);
        msg.cost += total;
        this.reservedBytes += total;
      } else {
        if (MESSAGE_OVERHEAD_BYTES + length + PIECE_OVERHEAD_BYTES > room) return FrameOutcome.overLimit;
        msg = new InMessage(total);
      }
      room -= msg.cost;
      this.hold(seq, msg);
    } else {
      if (msg.total !== total) return FrameOutcome.invalid;
      if (msg.data !== undefined || msg.got.containsRange(offset, end)) return FrameOutcome.duplicate;
    }
    if (msg.buffer !== undefined) {
      // Preallocated: the bytes are paid for; a range apart from the others costs its entry.
      const apart = !msg.got.intersects(offset - 1, end + 1);
      if (apart) {
        if (PIECE_OVERHEAD_BYTES > room) return FrameOutcome.overLimit;
        this.charge(msg, PIECE_OVERHEAD_BYTES);
      }
      msg.buffer.set(bytes.subarray(dataAt, dataAt + length), offset);
      const added = msg.got.insert(offset, end);
      msg.received += added;
      this.bufferedBytes += added;
      this.reservedBytes -= added;
    } else if (!this.storeNewBytes(msg, bytes, dataAt, offset, end, room)) {
      return FrameOutcome.overLimit;
    }
    if (!msg.got.containsRange(0, total)) return FrameOutcome.stored;
    msg.data = msg.assemble(this.slab);
    msg.buffer = undefined;
    msg.pieces = undefined;
    msg.pieceOffsets = undefined;
    // Joined: the pieces and their overheads are gone, the whole message remains.
    this.charge(msg, MESSAGE_OVERHEAD_BYTES + total - msg.cost);
    if (!head) return FrameOutcome.stored;
    this.releaseReady();
    return FrameOutcome.delivered;
  }

  /**
   * Piecewise path: store the parts of [offset, end) not held yet, one piece each, if they and their
   * overheads fit `room`. False (nothing stored) when they do not.
   */
  private storeNewBytes(msg: InMessage, bytes: Uint8Array, dataAt: number, offset: number, end: number, room: number): boolean {
    const got = msg.got;
    const starts = this.gapStarts;
    const ends = this.gapEnds;
    let gaps = 0;
    let newBytes = 0;
    let at = offset;
    // Bounded by the ranges held within [offset, end).
    for (let i = got.indexAfter(offset); at < end; i++) {
      const nextStart = i < got.count ? Math.min(got.start(i), end) : end;
      if (nextStart > at) {
        starts[gaps] = at;
        ends[gaps] = nextStart;
        gaps++;
        newBytes += nextStart - at;
      }
      if (i >= got.count) break;
      at = Math.max(at, got.end(i));
    }
    const cost = newBytes + gaps * PIECE_OVERHEAD_BYTES;
    if (cost > room) return false;
    const pieces = (msg.pieces ??= []);
    const offsets = (msg.pieceOffsets ??= []);
    for (let g = 0; g < gaps; g++) {
      const s = starts[g] ?? 0;
      const e = ends[g] ?? 0;
      pieces.push(this.slab.copy(bytes, dataAt + (s - offset), dataAt + (e - offset)));
      offsets.push(s);
    }
    got.insert(offset, end);
    msg.received += newBytes;
    this.bufferedBytes += newBytes;
    this.charge(msg, cost);
    return true;
  }

  private hold(seq: number, msg: InMessage): void {
    this.pending.set(seq, msg);
    this.heldBytes += msg.cost;
    if (seq === this.nextSeq) this.head = msg;
  }

  private charge(msg: InMessage, bytes: number): void {
    msg.cost += bytes;
    this.heldBytes += bytes;
  }

  /** Deliver every complete message at the head of the line. */
  private releaseReady(): void {
    for (;;) {
      const msg = this.pending.get(this.nextSeq);
      this.head = msg;
      if (msg === undefined || msg.data === undefined) return;
      this.pending.delete(this.nextSeq);
      this.bufferedBytes -= msg.received;
      this.heldBytes -= msg.cost;
      this.nextSeq++;
      this.deliver(this.channel, msg.data);
    }
  }

  clear(): void {
    this.pending.clear();
    this.head = undefined;
    this.bufferedBytes = 0;
    this.reservedBytes = 0;
    this.heldBytes = 0;
  }
}
