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
//
// A connection may *follow* a room's pieces: its queue ends in an open range, which takes every part
// added until something else is queued for it (src/tcp/connection.ts). Then a room's next line reaches
// every member that follows it by one add, without a visit per member (src/server/delivery.ts). A
// follower that something else was queued for since — a private reply, another room's line — lapses:
// its range is closed there and it is listed here, to follow again from the next part on.

/** A connection that follows pieces (see above). */
export interface PieceFollower {
  /** Follow `pieces` again from part `from` on (after something else was queued: it lapsed). */
  follow(pieces: SharedPieces, from: number): void;
}

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
  /** Followers whose open range was closed by something else queued for them (see above). */
  private lapsedFollowers: PieceFollower[] = [];

  /** Parts added so far. */
  get count(): number {
    return this.parts.length;
  }

  /** `follower` stopped following: something else was queued for it. */
  lapse(follower: PieceFollower): void {
    this.lapsedFollowers.push(follower);
  }

  /** The followers that lapsed since the last call (each follows again, or is let go). */
  takeLapsed(): PieceFollower[] {
    const lapsed = this.lapsedFollowers;
    if (lapsed.length > 0) this.lapsedFollowers = [];
    return lapsed;
  }

  /** Add a part; its index. */
  add(bytes: Uint8Array): number {
    this.parts.push(bytes);
    this.total += bytes.length;
    this.ends.push(this.total);
    return this.parts.length - 1;
  }

  /** Bytes of parts [from, to). */
  bytes(from: number, to: number): number {
    if (to <= from) return 0;
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
  /** This iteration's shared pieces and other state, per owner (a door, the delivery) and key (a room). */
  private shared = new Map<object, Map<string, unknown>>();

  /** Flush `target` at the end of this iteration (once, however often it is added). */
  add(target: Batched): void {
    if (target.batched) return;
    target.batched = true;
    this.list.push(target);
    this.schedule();
  }

  /** The pieces `owner` shares under `key` in this iteration (new ones after each flush). */
  sharedFor(owner: object, key: string): SharedPieces {
    return this.forIteration(owner, key, newPieces);
  }

  /**
   * What `owner` keeps under `key` for this iteration: made by `make` the first time, forgotten when the
   * batch flushes. An owner keeps one kind of value (its keys are its own).
   */
  forIteration<T>(owner: object, key: string, make: () => T): T {
    let byKey = this.shared.get(owner);
    if (byKey === undefined) {
      byKey = new Map();
      this.shared.set(owner, byKey);
    }
    let value = byKey.get(key) as T | undefined;
    if (value === undefined) {
      value = make();
      byKey.set(key, value);
      this.schedule();
    }
    return value;
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

const newPieces = (): SharedPieces => new SharedPieces();

/** The process's one batch: every control connection shares it, so one check-phase callback flushes them all. */
export const WRITE_BATCH = new WriteBatch();
