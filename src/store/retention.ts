// History retention: rows older than `days`, and the oldest beyond `maxRows`, deleted in chunks of a
// bounded size, each its own short transaction (the server runs one chunk at a time between its other
// work; the operator's `dualchat db prune` runs them all). 0 turns either rule off.
import type { Db } from './open.ts';

export interface Retention {
  /** Keep room messages this many days (0 = forever). */
  days: number;
  /** Keep at most this many room messages (0 = no bound). */
  maxRows: number;
}

const DAY_MS = 86_400_000;

/** Delete at most `chunk` rows that retention says go: how many were deleted, and whether more remain. */
export function pruneChunk(db: Db, retention: Retention, now: number, chunk: number): { deleted: number; more: boolean } {
  if (retention.days > 0) {
    const cutoff = now - retention.days * DAY_MS;
    // Ids grow with time, so the oldest rows come first in id order: the scan stops early.
    const n = db.prepare('DELETE FROM messages WHERE id IN (SELECT id FROM messages WHERE ts < ? ORDER BY id LIMIT ?)').run(cutoff, chunk).changes;
    if (n === chunk) return { deleted: n, more: true };
    if (n > 0) return { deleted: n, more: retention.maxRows > 0 };
  }
  if (retention.maxRows > 0) {
    const excess = Number(db.prepare('SELECT count(*) FROM messages').pluck().get()) - retention.maxRows;
    if (excess <= 0) return { deleted: 0, more: false };
    const take = Math.min(excess, chunk);
    const n = db.prepare('DELETE FROM messages WHERE id IN (SELECT id FROM messages ORDER BY id LIMIT ?)').run(take).changes;
    return { deleted: n, more: n > 0 && excess > take };
  }
  return { deleted: 0, more: false };
}

/** Every chunk until nothing more goes (bounded: each pass deletes rows or stops); rows deleted. */
export function pruneHistory(db: Db, retention: Retention, now: number, chunk: number): number {
  let deleted = 0;
  for (;;) {
    const step = pruneChunk(db, retention, now, chunk);
    deleted += step.deleted;
    if (!step.more || step.deleted === 0) return deleted;
  }
}
