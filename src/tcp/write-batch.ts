// Output batched per event-loop iteration: a connection that is written to joins this iteration's list
// once, and the list is flushed when the loop has handled the I/O it polled (setImmediate runs in the check
// phase, after the poll phase's callbacks). So every line a connection is sent while the server reads a
// burst of input from many clients — a busy room's fan-out — leaves in one write: one system call per
// connection per iteration instead of one per line. (Per tick — cork in the callback, uncork on
// process.nextTick — batches only what one socket's callback produced.)

/** What the batch flushes. */
export interface Batched {
  /** Set by the batch while the connection is in this iteration's list. */
  batched: boolean;
  flush(): void;
}

export class WriteBatch {
  private list: Batched[] = [];
  private scheduled = false;

  /** Flush `target` at the end of this iteration (once, however often it is added). */
  add(target: Batched): void {
    if (target.batched) return;
    target.batched = true;
    this.list.push(target);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.flush);
    }
  }

  private readonly flush = (): void => {
    this.scheduled = false;
    const list = this.list;
    this.list = [];
    for (const target of list) {
      target.batched = false;
      target.flush();
    }
  };
}

/** The process's one batch: every control connection shares it, so one check-phase callback flushes them all. */
export const WRITE_BATCH = new WriteBatch();
