// The store the server runs: room history, accounts and mailboxes in SQLite, behind the hub's ports
// (src/chat/ports.ts). The chat never waits on the disk:
// - writes are queued and committed together, one transaction per FLUSH_DELAY_MS (or per
//   FLUSH_BATCH_MAX writes), after the lines that made them were routed;
// - which names are registered, and how full each mailbox is, are kept in memory and answered at once;
// - history and mailbox reads answer later (a promise settled after the current I/O has been handled),
//   with the cut-off taken when asked: ids are given out here, in memory, as messages are recorded;
// - password hashes are computed on libuv's thread pool (src/store/passwords.ts).
// A write that fails (disk full, the file gone) is logged, and the store carries on in memory: the
// failed batch is written to an in-memory database with the same schema, and everything after it too.
import type { Logger } from 'pino';
import { MAILBOX_MAX_MESSAGES } from '../chat/limits.ts';
import type { Accounts, History, RoomMessage, Store, StoredPrivate, StoredRoomMessage } from '../chat/ports.ts';
import { startCheckpointer, type Checkpointer, type CheckpointReport } from './checkpointer.ts';
import { CHECKPOINT_INTERVAL_MS, FLUSH_BATCH_MAX, FLUSH_DELAY_MS, PRUNE_CHUNK_ROWS, PRUNE_INTERVAL_MS, PRUNE_STEP_PAUSE_MS } from './constants.ts';
import { MEMORY_PATH, messageOf, openServerDatabase, type Db, type OpenedDatabase } from './open.ts';
import { DEFAULT_SCRYPT, hashPassword, verifyPassword, type PasswordHash, type ScryptCost } from './passwords.ts';
import { pruneChunk, type Retention } from './retention.ts';

export interface SqliteStoreOptions {
  /** A file, or ':memory:' for a throwaway store. */
  path: string;
  logger: Logger;
  retention: Retention;
  /** scrypt cost for new passwords (tests make it cheap). */
  scrypt?: ScryptCost;
  /** The clock, for account creation times and retention (default Date.now). */
  now?: () => number;
  /**
   * Checkpoint thread interval (default CHECKPOINT_INTERVAL_MS; tests shorten it); 0: no thread, the
   * connection checkpoints by itself past WAL_AUTOCHECKPOINT_PAGES (tests that reopen files by the hundred).
   */
  checkpointIntervalMs?: number;
  /**
   * PRAGMA statements run on the file once it is open (e.g. `cache_size = -65536`). Tests simulate a
   * full disk with `max_page_count`.
   */
  pragmas?: readonly string[];
}

interface Account extends PasswordHash {
  name: string;
}

type Write =
  | { type: 'message'; id: number; message: RoomMessage }
  | { type: 'mail'; key: string; message: StoredPrivate }
  | { type: 'mail-taken'; key: string; upTo: number }
  | { type: 'account'; key: string; account: Account; created: number }
  | { type: 'account-gone'; key: string };

/** What `status()` tells the operator. */
export interface StoreStatus {
  path: string;
  /** A write failed and the store runs in memory since. */
  degraded: boolean;
  /** The last checkpoint the checkpoint thread made (none in memory, or before the first). */
  lastCheckpoint: CheckpointReport | undefined;
  accounts: number;
  pendingWrites: number;
}

export class SqliteStore implements Store, History, Accounts {
  private opened: OpenedDatabase;
  private db: Db;
  private readonly accountsByKey = new Map<string, Account>();
  private readonly mailCounts = new Map<string, number>();
  private nextMessageId: number;
  private queue: Write[] = [];
  private flushTimer: NodeJS.Timeout | undefined;
  private pruneTimer: NodeJS.Timeout | undefined;
  /** The next step of a retention pass that has more to delete. */
  private pruneStep: NodeJS.Timeout | undefined;
  /** Rows the retention pass under way deleted so far (logged when it ends). */
  private pruned = 0;
  private degraded = false;
  private closed = false;
  private readonly scrypt: ScryptCost;
  private readonly now: () => number;
  private statements: Statements;
  private checkpointer: Checkpointer | undefined;
  private threadEnded: Promise<void> = Promise.resolve();
  private lastCheckpoint: CheckpointReport | undefined;

  /** Opens (and locks) the database; throws StoreOpenError with a one-line reason. */
  constructor(private readonly options: SqliteStoreOptions) {
    this.scrypt = options.scrypt ?? DEFAULT_SCRYPT;
    this.now = options.now ?? Date.now;
    this.opened = openServerDatabase(options.path, options.pragmas);
    this.db = this.opened.db;
    this.statements = prepare(this.db);
    for (const row of this.db.prepare('SELECT key, name, salt, hash, cost, block, par FROM accounts').all() as AccountRow[]) {
      this.accountsByKey.set(row.key, { name: row.name, salt: row.salt, hash: row.hash, cost: row.cost, block: row.block, par: row.par });
    }
    for (const row of this.db.prepare('SELECT recipient, count(*) AS n FROM mailbox GROUP BY recipient').all() as Array<{ recipient: string; n: number }>) {
      this.mailCounts.set(row.recipient, row.n);
    }
    this.nextMessageId = Number(this.db.prepare('SELECT coalesce(max(id), 0) FROM messages').pluck().get()) + 1;
    const interval = options.checkpointIntervalMs ?? CHECKPOINT_INTERVAL_MS;
    if (options.path !== MEMORY_PATH && interval > 0) {
      this.checkpointer = startCheckpointer(options.path, interval, {
        done: (report) => (this.lastCheckpoint = report),
        failed: (message) => options.logger.warn({ err: message }, 'store checkpoint failed'),
      });
    }
    if (options.retention.days > 0 || options.retention.maxRows > 0) {
      this.pruneTimer = setInterval(() => this.prune(), PRUNE_INTERVAL_MS);
      this.pruneTimer.unref();
    }
  }

  // ---- Store, History ---------------------------------------------------------------------------

  recordRoomMessage(message: RoomMessage): void {
    this.enqueue({ type: 'message', id: this.nextMessageId++, message });
  }

  roomHistory(room: string, limit: number, before?: number): Promise<StoredRoomMessage[]> {
    const cutoff = Math.min(before ?? this.nextMessageId, this.nextMessageId);
    return this.later(() => {
      const rows = this.statements.history.all(room, cutoff, limit) as MessageRow[];
      const out: StoredRoomMessage[] = [];
      for (let i = rows.length - 1; i >= 0; i--) {
        const row = rows[i] as MessageRow;
        out.push({ id: row.id, room: row.room, from: row.sender, ts: row.ts, text: row.text });
      }
      return out;
    }, []);
  }

  // ---- Accounts ---------------------------------------------------------------------------------

  registeredName(key: string): string | undefined {
    return this.accountsByKey.get(key)?.name;
  }

  async verify(key: string, password: string): Promise<boolean> {
    const account = this.accountsByKey.get(key);
    if (account === undefined) return false;
    return verifyPassword(password, account);
  }

  async register(key: string, name: string, password: string): Promise<boolean> {
    if (this.accountsByKey.has(key)) return false;
    const hashed = await hashPassword(password, this.scrypt);
    if (this.accountsByKey.has(key)) return false;
    this.setAccount(key, { name, ...hashed });
    return true;
  }

  async changePassword(key: string, old: string, password: string): Promise<boolean> {
    const account = this.accountsByKey.get(key);
    if (account === undefined || !(await verifyPassword(old, account))) return false;
    const hashed = await hashPassword(password, this.scrypt);
    if (this.accountsByKey.get(key) !== account) return false;
    this.setAccount(key, { name: account.name, ...hashed });
    return true;
  }

  async unregister(key: string, password: string): Promise<boolean> {
    const account = this.accountsByKey.get(key);
    if (account === undefined || !(await verifyPassword(password, account))) return false;
    if (this.accountsByKey.get(key) !== account) return false;
    this.accountsByKey.delete(key);
    this.mailCounts.delete(key);
    this.enqueue({ type: 'account-gone', key });
    return true;
  }

  deposit(key: string, message: StoredPrivate): boolean {
    if (!this.accountsByKey.has(key)) return false;
    const count = this.mailCounts.get(key) ?? 0;
    if (count >= MAILBOX_MAX_MESSAGES) return false;
    this.mailCounts.set(key, count + 1);
    this.enqueue({ type: 'mail', key, message });
    return true;
  }

  collect(key: string): StoredPrivate[] | Promise<StoredPrivate[]> {
    if ((this.mailCounts.get(key) ?? 0) === 0) return [];
    return this.later(() => {
      const rows = this.statements.mail.all(key) as MailRow[];
      const last = rows.at(-1);
      this.mailCounts.delete(key);
      if (last === undefined) return [];
      // Handed over once: the removal is committed now, before the messages are sent.
      this.enqueue({ type: 'mail-taken', key, upTo: last.id });
      this.flush();
      return rows.map((row) => ({ from: row.sender, to: row.to_name, ts: row.ts, text: row.text }));
    }, []);
  }

  // ---- the operator's view ----------------------------------------------------------------------

  status(): StoreStatus {
    return {
      path: this.options.path,
      degraded: this.degraded,
      accounts: this.accountsByKey.size,
      pendingWrites: this.queue.length,
      lastCheckpoint: this.lastCheckpoint,
    };
  }

  /** Commit what is queued now (tests, shutdown). */
  flush(): void {
    if (this.flushTimer !== undefined) {
      clearTimeout(this.flushTimer);
      this.flushTimer = undefined;
    }
    if (this.queue.length === 0) return;
    const batch = this.queue;
    this.queue = [];
    try {
      this.commit(batch);
    } catch (error) {
      this.degrade(error, batch);
    }
  }

  /**
   * Commit what is queued and release the file (at once: another store may open it next). The promise
   * settles when the checkpoint thread has ended too. Idempotent.
   */
  close(): Promise<void> {
    if (this.closed) return this.threadEnded;
    this.flush();
    this.closed = true;
    this.threadEnded = this.checkpointer?.stop() ?? Promise.resolve();
    if (this.pruneTimer !== undefined) clearInterval(this.pruneTimer);
    if (this.pruneStep !== undefined) clearTimeout(this.pruneStep);
    this.opened.close();
    return this.threadEnded;
  }

  /**
   * One step of retention (every PRUNE_INTERVAL_MS): at most PRUNE_CHUNK_ROWS rows; while more remain the
   * next step follows PRUNE_STEP_PAUSE_MS later. Rows this step deleted.
   */
  prune(): number {
    if (this.closed || this.pruneStep !== undefined) return 0;
    try {
      this.flush();
      const step = pruneChunk(this.db, this.options.retention, this.now(), PRUNE_CHUNK_ROWS);
      this.pruned += step.deleted;
      if (step.more && step.deleted > 0) {
        this.pruneStep = setTimeout(() => {
          this.pruneStep = undefined;
          this.prune();
        }, PRUNE_STEP_PAUSE_MS);
        this.pruneStep.unref();
      } else if (this.pruned > 0) {
        this.options.logger.info({ deleted: this.pruned }, 'store pruned');
        this.pruned = 0;
      }
      return step.deleted;
    } catch (error) {
      this.options.logger.error({ err: messageOf(error) }, 'store prune failed');
      return 0;
    }
  }

  // ---- inside -----------------------------------------------------------------------------------

  private setAccount(key: string, account: Account): void {
    this.accountsByKey.set(key, account);
    this.enqueue({ type: 'account', key, account, created: this.now() });
  }

  private enqueue(write: Write): void {
    if (this.closed) return;
    this.queue.push(write);
    if (this.queue.length >= FLUSH_BATCH_MAX) this.flush();
    else this.flushTimer ??= setTimeout(() => this.flush(), FLUSH_DELAY_MS);
  }

  /** `read` after the current I/O callbacks (off the line's path), on what was queued before it. */
  private later<T>(read: () => T, fallback: T): Promise<T> {
    return new Promise((resolve) => {
      setImmediate(() => {
        if (this.closed) return resolve(fallback);
        this.flush();
        try {
          resolve(read());
        } catch (error) {
          this.options.logger.error({ err: messageOf(error) }, 'store read failed');
          resolve(fallback);
        }
      });
    });
  }

  private commit(batch: readonly Write[]): void {
    const s = this.statements;
    // Room messages go in groups of INSERT_ROWS per statement (one call into SQLite instead of many).
    const rows: unknown[] = [];
    const insertRows = (): void => {
      if (rows.length === INSERT_ROWS * MESSAGE_COLUMNS) s.insertMessages.run(...rows);
      else for (let i = 0; i < rows.length; i += MESSAGE_COLUMNS) s.insertMessage.run(...rows.slice(i, i + MESSAGE_COLUMNS));
      rows.length = 0;
    };
    this.db.transaction(() => {
      for (const w of batch) {
        if (w.type !== 'message' && rows.length > 0) insertRows();
        switch (w.type) {
          case 'message':
            rows.push(w.id, w.message.room, w.message.from, w.message.ts, w.message.text);
            if (rows.length === INSERT_ROWS * MESSAGE_COLUMNS) insertRows();
            break;
          case 'mail':
            s.insertMail.run(w.key, w.message.from, w.message.to, w.message.ts, w.message.text);
            break;
          case 'mail-taken':
            s.deleteMail.run(w.key, w.upTo);
            break;
          case 'account':
            s.upsertAccount.run(w.key, w.account.name, w.account.salt, w.account.hash, w.account.cost, w.account.block, w.account.par, w.created);
            break;
          case 'account-gone':
            s.deleteAccount.run(w.key);
            s.deleteAllMail.run(w.key);
            break;
        }
      }
      if (rows.length > 0) insertRows();
    })();
  }

  /** A write failed: log it, and carry on in an in-memory database holding what the memory knows. */
  private degrade(error: unknown, batch: readonly Write[]): void {
    this.options.logger.error(
      { err: messageOf(error), path: this.options.path, lost: 'history and mailboxes written before now stay on disk; new writes are kept in memory only' },
      'store write failed: continuing in memory',
    );
    if (this.degraded) return;
    this.degraded = true;
    void this.checkpointer?.stop();
    this.checkpointer = undefined;
    try {
      this.opened.close();
    } catch {
      // The file is failing already; the memory database takes over either way.
    }
    this.opened = openServerDatabase(MEMORY_PATH);
    this.db = this.opened.db;
    this.statements = prepare(this.db);
    const created = this.now();
    const accounts: Write[] = [...this.accountsByKey].map(([key, account]) => ({ type: 'account', key, account, created }));
    try {
      this.commit([...accounts, ...batch]);
    } catch (again) {
      this.options.logger.error({ err: messageOf(again) }, 'store: the in-memory database failed too; this batch is dropped');
    }
  }
}

interface AccountRow {
  key: string;
  name: string;
  salt: Buffer;
  hash: Buffer;
  cost: number;
  block: number;
  par: number;
}

interface MessageRow {
  id: number;
  room: string;
  sender: string;
  ts: number;
  text: string;
}

interface MailRow {
  id: number;
  sender: string;
  to_name: string;
  ts: number;
  text: string;
}

type Statements = ReturnType<typeof prepare>;

/** Columns of one message row, and rows per multi-row INSERT (measured: 1.7 µs a row against 2.6 one by one). */
const MESSAGE_COLUMNS = 5;
const INSERT_ROWS = 40;

function prepare(db: Db) {
  const row = '(?, ?, ?, ?, ?)';
  return {
    insertMessage: db.prepare(`INSERT INTO messages (id, room, sender, ts, text) VALUES ${row}`),
    insertMessages: db.prepare(`INSERT INTO messages (id, room, sender, ts, text) VALUES ${Array<string>(INSERT_ROWS).fill(row).join(', ')}`),
    history: db.prepare('SELECT id, room, sender, ts, text FROM messages WHERE room = ? AND id < ? ORDER BY id DESC LIMIT ?'),
    insertMail: db.prepare('INSERT INTO mailbox (recipient, sender, to_name, ts, text) VALUES (?, ?, ?, ?, ?)'),
    mail: db.prepare('SELECT id, sender, to_name, ts, text FROM mailbox WHERE recipient = ? ORDER BY id'),
    deleteMail: db.prepare('DELETE FROM mailbox WHERE recipient = ? AND id <= ?'),
    deleteAllMail: db.prepare('DELETE FROM mailbox WHERE recipient = ?'),
    upsertAccount: db.prepare(
      `INSERT INTO accounts (key, name, salt, hash, cost, block, par, created) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (key) DO UPDATE SET name = excluded.name, salt = excluded.salt, hash = excluded.hash,
         cost = excluded.cost, block = excluded.block, par = excluded.par`,
    ),
    deleteAccount: db.prepare('DELETE FROM accounts WHERE key = ?'),
  };
}
