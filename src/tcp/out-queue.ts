// What one connection is sent in one event-loop iteration, in order, until the write batch hands it to
// the socket (src/tcp/write-batch.ts): bytes of its own, ranges of parts shared with other connections
// (a room's fan-out), and at most one open range at the end — the connection *follows* those pieces and
// takes every part added to them until something else is queued (then it lapses: the range is closed
// there and the pieces are told, so the room's next line makes it follow again).
import type { PieceFollower, SharedPieces } from './write-batch.ts';

/** Consecutive parts [from, to) of a SharedPieces queued for one connection (to grows while it is followed). */
class SharedRange {
  constructor(
    readonly pieces: SharedPieces,
    public from: number,
    public to: number,
  ) {}
}

export class OutQueue implements PieceFollower {
  private out: Array<Uint8Array | SharedRange> = [];
  /** Bytes queued (an open range counted once it closes). */
  private queuedBytes = 0;
  /** The open range that ends the queue, when it follows pieces. */
  private following: SharedRange | undefined;
  /** Dropped for good: nothing more is queued. */
  private closed = false;

  /** `queued` is called whenever something is queued (the owner joins the batch). */
  constructor(private readonly queued: () => void) {}

  /** Bytes queued but the open range's (see pendingBytes). */
  get bytes(): number {
    return this.queuedBytes;
  }

  /** Every byte queued, the open range's parts so far included. */
  get pendingBytes(): number {
    const tail = this.following;
    return this.queuedBytes + (tail === undefined ? 0 : tail.pieces.bytes(tail.from, tail.pieces.count));
  }

  push(bytes: Uint8Array): void {
    if (this.closed) return;
    this.closeFollowing(true);
    this.out.push(bytes);
    this.queuedBytes += bytes.length;
    this.queued();
  }

  /** Part `index` of `pieces`: taken already when the queue follows them, which it stops doing after it. */
  pushShared(pieces: SharedPieces, index: number): void {
    if (this.closed) return;
    const tail = this.following;
    if (tail !== undefined) {
      this.closeFollowing(tail.pieces !== pieces);
      if (tail.pieces === pieces) return;
    }
    const last = this.out[this.out.length - 1];
    if (last instanceof SharedRange && last.pieces === pieces && last.to === index) last.to++;
    else this.out.push(new SharedRange(pieces, index, index + 1));
    this.queuedBytes += pieces.bytes(index, index + 1);
    this.queued();
  }

  /** Follow `pieces` from part `from` on (following them already, nothing changes). */
  follow(pieces: SharedPieces, from: number): void {
    if (this.closed) return;
    const tail = this.following;
    if (tail !== undefined) {
      if (tail.pieces === pieces) return;
      this.closeFollowing(true);
    }
    const last = this.out[this.out.length - 1];
    if (last instanceof SharedRange && last.pieces === pieces && last.to === from) {
      // The range that ends here goes on: open again (its bytes are counted when it closes).
      this.queuedBytes -= pieces.bytes(last.from, last.to);
      this.following = last;
    } else {
      const range = new SharedRange(pieces, from, from);
      this.out.push(range);
      this.following = range;
    }
    this.queued();
  }

  /** Part `index` of `pieces` is not for this queue (its own line); it follows them from the next part on. */
  skipShared(pieces: SharedPieces, index: number): void {
    if (this.closed) return;
    const tail = this.following;
    if (tail === undefined || tail.pieces !== pieces) {
      this.follow(pieces, index + 1);
      return;
    }
    if (tail.from === index) {
      tail.from = index + 1;
      return;
    }
    tail.to = index;
    this.queuedBytes += pieces.bytes(tail.from, index);
    const range = new SharedRange(pieces, index + 1, index + 1);
    this.out.push(range);
    this.following = range;
  }

  /** skipShared when the queue follows `pieces`; nothing otherwise. */
  skipIfFollowing(pieces: SharedPieces, index: number): void {
    if (this.following?.pieces === pieces) this.skipShared(pieces, index);
  }

  /** Stop following `pieces` (if it does): the parts added from here on are not for this queue. */
  unfollow(pieces: SharedPieces): void {
    if (this.following?.pieces === pieces) this.closeFollowing(false);
  }

  /**
   * Everything queued, as byte arrays in order (empty ranges left out); the queue starts again empty.
   * Following stops here and lapses: handed over within an iteration (at the bound of unread output),
   * the queue follows the room again from its next message.
   */
  take(): Uint8Array[] {
    this.closeFollowing(true);
    const out = this.out;
    this.out = [];
    this.queuedBytes = 0;
    const parts: Uint8Array[] = [];
    for (const piece of out) {
      if (!(piece instanceof SharedRange)) parts.push(piece);
      else if (piece.to > piece.from) parts.push(piece.pieces.view(piece.from, piece.to));
    }
    return parts;
  }

  /** Drop what is queued; nothing more is taken. */
  close(): void {
    this.closed = true;
    this.following = undefined;
    this.out = [];
    this.queuedBytes = 0;
  }

  /** Close the open range (at the parts added so far); `lapse`: something else is queued after it, its pieces are told. */
  private closeFollowing(lapse: boolean): void {
    const tail = this.following;
    if (tail === undefined) return;
    this.following = undefined;
    tail.to = tail.pieces.count;
    this.queuedBytes += tail.pieces.bytes(tail.from, tail.to);
    if (lapse) tail.pieces.lapse(this);
  }
}
