// History retention: rows older than `days`, and the oldest beyond `maxRows`, deleted in bounded chunks
// (short transactions: the server's writes are never held up for long). 0 turns either rule off.
import type { Db } from './open.ts';

export interface Retention {
  /** Keep room messages this many days (0 = forever). */
  days: number;
  /** Keep at most this many room messages (0 = no bound). */
  maxRows: number;
}

const DAY_MS = 86_400_000;

/** Delete what retention says goes, at most `chunk` rows per transaction until done; rows deleted. */
export function pruneHistory(db: Db, retention: Retention, now: number, chunk: number): number {
  let deleted = 0;
  if (retention.days > 0) {
    const cutoff = now - retention.days * DAY_MS;
    // Ids grow with time, so the oldest rows are the first in id order: each chunk stops early.
    const old = db.prepare('DELETE FROM messages WHERE id IN (SELECT id FROM messages WHERE ts < ? ORDER BY id LIMIT ?)');
    for (;;) {
      const n = old.run(cutoff, chunk).changes;
      deleted += n;
      if (n < chunk) break;
    }
  }
  if (retention.maxRows > 0) {
    const count = Number(db.prepare('SELECT count(*) FROM messages').pluck().get());
    let excess = count - retention.maxRows;
    const oldest = db.prepare('DELETE FROM messages WHERE id IN (SELECT id FROM messages ORDER BY id LIMIT ?)');
    while (excess > 0) {
      const n = oldest.run(Math.min(excess, chunk)).changes;
      if (n === 0) break;
      deleted += n;
      excess -= n;
    }
  }
  return deleted;
}
