// Output batched per event-loop iteration: a connection that is written to joins this iteration's list
// once, and the list is flushed when the loop has handled the I/O it polled (setImmediate runs in the check
// phase, after the poll phase's callbacks). So every line a connection is sent while the server reads a
// burst of input from many clients — a busy room's fan-out — leaves in one write: one system call per
// connection per iteration instead of one per line. (Per tick — cork in the callback, uncork on
// process.nextTick — batches only what one socket's callback produced.)
//
// A room's fan-out queues the same bytes for every member: those go into the room's SharedPieces for this
// iteration, joined once when the batch flushes, and each member's queue holds ranges of them. A member
// who sent nothing itself gets one range — one view of the joined bytes, no copy of its own; a sender,
// whose own echo stands where the shared copy of its line would, gets a few ranges around it.

/** What the batch flushes. */
export interface Batched {
  /** Set by the batch while the connection is in this iteration's list. */
  batched: boolean;
  flush(): void;
}

/** Bytes that many connections are sent in this iteration, in the order they were added. */
export class SharedPieces {
  private readonly parts: Uint8Array[] = [];
  /** Where each part ends in the joined bytes. */
  private readonly ends: number[] = [];
  private total = 0;
  private joined: Uint8Array | undefined;
  private joinedParts = 0;

  /** Add a part; its index. */
  add(bytes: Uint8Array): number {
    this.parts.push(bytes);
    this.total += bytes.length;
    this.ends.push(this.total);
    return this.parts.length - 1;
  }

  /** Bytes of parts [from, to). */
  bytes(from: number, to: number): number {
    return this.ends[to - 1]! - (from === 0 ? 0 : this.ends[from - 1]!);
  }

  /** Parts [from, to) as one array: the part itself, or a view of the joined parts (joined once). */
  view(from: number, to: number): Uint8Array {
    if (to - from === 1) return this.parts[from]!;
    if (this.joined === undefined || this.joinedParts < to) {
      this.joined = Buffer.concat(this.parts, this.total);
      this.joinedParts = this.parts.length;
    }
    return this.joined.subarray(from === 0 ? 0 : this.ends[from - 1]!, this.ends[to - 1]!);
  }
}

export class WriteBatch {
  private list: Batched[] = [];
  private scheduled = false;
  /** This iteration's shared pieces, per owner (a door) and key (a room). */
  private shared = new Map<object, Map<string, SharedPieces>>();

  /** Flush `target` at the end of this iteration (once, however often it is added). */
  add(target: Batched): void {
    if (target.batched) return;
    target.batched = true;
    this.list.push(target);
    this.schedule();
  }

  /** The pieces `owner` shares under `key` in this iteration (new ones after each flush). */
  sharedFor(owner: object, key: string): SharedPieces {
    let byKey = this.shared.get(owner);
    if (byKey === undefined) {
      byKey = new Map();
      this.shared.set(owner, byKey);
    }
    let pieces = byKey.get(key);
    if (pieces === undefined) {
      pieces = new SharedPieces();
      byKey.set(key, pieces);
      this.schedule();
    }
    return pieces;
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(this.flush);
  }

  private readonly flush = (): void => {
    this.scheduled = false;
    const list = this.list;
    this.list = [];
    // Pieces shared from here on belong to the next iteration (connections keep what they hold).
    this.shared = new Map();
    for (const target of list) {
      target.batched = false;
      target.flush();
    }
  };
}

/** The process's one batch: every control connection shares it, so one check-phase callback flushes them all. */
export const WRITE_BATCH = new WriteBatch();
