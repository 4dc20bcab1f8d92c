// The operator's view of a database (`dualchat db`): counts and sizes, a room's history as ndjson, and
// retention on demand. It opens the file without the server's lock, so it works while a server runs
// (WAL: readers never wait for the writer; a prune waits up to ADMIN_BUSY_TIMEOUT_MS for its turn).
import { statSync } from 'node:fs';
import { ADMIN_BUSY_TIMEOUT_MS, SCHEMA_VERSION } from './constants.ts';
import { openAdminDatabase, type Db } from './open.ts';
import { pruneHistory, type Retention } from './retention.ts';
import { PRUNE_CHUNK_ROWS } from './constants.ts';

export interface DbStats {
  path: string;
  schema: number;
  /** Bytes of the database file and of its write-ahead log. */
  fileBytes: number;
  walBytes: number;
  accounts: number;
  messages: number;
  rooms: number;
  mailbox: number;
  oldest: number | null;
  newest: number | null;
  /** The busiest rooms, most messages first. */
  topRooms: Array<{ room: string; messages: number }>;
}

/** How many rooms `stats` lists by name. */
const TOP_ROOMS = 10;

export function openForReading(path: string): Db {
  return openAdminDatabase(path, { readonly: true, busyTimeoutMs: ADMIN_BUSY_TIMEOUT_MS });
}

export function dbStats(path: string): DbStats {
  const db = openForReading(path);
  try {
    const count = (sql: string): number => Number(db.prepare(sql).pluck().get());
    const span = db.prepare('SELECT min(ts) AS oldest, max(ts) AS newest FROM messages').get() as { oldest: number | null; newest: number | null };
    const topRooms = db
      .prepare('SELECT room, count(*) AS messages FROM messages GROUP BY room ORDER BY messages DESC, room LIMIT ?')
      .all(TOP_ROOMS) as Array<{ room: string; messages: number }>;
    return {
      path,
      schema: SCHEMA_VERSION,
      fileBytes: sizeOf(path),
      walBytes: sizeOf(`${path}-wal`),
      accounts: count('SELECT count(*) FROM accounts'),
      messages: count('SELECT count(*) FROM messages'),
      rooms: count('SELECT count(DISTINCT room) FROM messages'),
      mailbox: count('SELECT count(*) FROM mailbox'),
      oldest: span.oldest,
      newest: span.newest,
      topRooms,
    };
  } finally {
    db.close();
  }
}

/** Every kept message of `room`, oldest first, one JSON object per line through `write`; how many. */
export function exportRoom(path: string, room: string, write: (line: string) => void): number {
  const db = openForReading(path);
  try {
    let n = 0;
    const rows = db.prepare('SELECT id, room, sender, ts, text FROM messages WHERE room = ? ORDER BY id').iterate(room) as IterableIterator<{
      id: number;
      room: string;
      sender: string;
      ts: number;
      text: string;
    }>;
    for (const row of rows) {
      write(`${JSON.stringify({ id: row.id, room: row.room, from: row.sender, ts: row.ts, text: row.text })}\n`);
      n++;
    }
    return n;
  } finally {
    db.close();
  }
}

/** Retention now; rows deleted. */
export function pruneNow(path: string, retention: Retention, now: number): number {
  const db = openAdminDatabase(path, { readonly: false, busyTimeoutMs: ADMIN_BUSY_TIMEOUT_MS });
  try {
    return pruneHistory(db, retention, now, PRUNE_CHUNK_ROWS);
  } finally {
    db.close();
  }
}

function sizeOf(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}
