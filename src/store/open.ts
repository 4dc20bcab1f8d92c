// Opening a database file as dualchat's: created and laid out when new, migrated forward when older, and
// refused with one clear line (StoreOpenError) when it is not ours, read-only, held by another server,
// truncated or corrupt. A server also holds `PATH.lock` (a small SQLite file under an exclusive lock the
// operating system drops if the process dies): a second server on the same file is refused, while
// readers — `dualchat db stats`, `sqlite3 PATH .backup` — still work (WAL).
import { accessSync, constants as fsConstants, existsSync, statSync } from 'node:fs';
import Database from 'better-sqlite3';
import { APPLICATION_ID, SCHEMA_VERSION, STORE_BUSY_MS, STORE_OPEN_BUSY_MS, WAL_AUTOCHECKPOINT_PAGES } from './constants.ts';
import { MIGRATIONS } from './schema.ts';

export type Db = Database.Database;

/** The path of an in-memory database (nothing on disk). */
export const MEMORY_PATH = ':memory:';

export class StoreOpenError extends Error {
  override readonly name = 'StoreOpenError';
}

export interface OpenedDatabase {
  db: Db;
  /** Release the file (and its lock): close both connections. */
  close(): void;
}

/** Open `path` for a server: the file and its lock, schema brought up to date. Throws StoreOpenError. */
export function openServerDatabase(path: string, pragmas: readonly string[] = []): OpenedDatabase {
  if (path === MEMORY_PATH) {
    const db = new Database(MEMORY_PATH);
    layOut(db, path);
    for (const pragma of pragmas) db.pragma(pragma);
    return { db, close: () => db.close() };
  }
  checkWritable(path);
  const lock = takeLock(path);
  let db: Db | undefined;
  try {
    db = new Database(path, { timeout: STORE_OPEN_BUSY_MS });
    recognise(db, path);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma(`wal_autocheckpoint = ${WAL_AUTOCHECKPOINT_PAGES}`);
    layOut(db, path);
    for (const pragma of pragmas) db.pragma(pragma);
    db.pragma(`busy_timeout = ${STORE_BUSY_MS}`);
    const opened = db;
    return {
      db: opened,
      // The last connection to close (this one, or the checkpoint thread's) folds the log into the file.
      close: () => {
        opened.close();
        lock.close();
      },
    };
  } catch (error) {
    db?.close();
    lock.close();
    throw error instanceof StoreOpenError ? error : new StoreOpenError(describe(path, error));
  }
}

/** Open `path` for the operator's commands (no lock: the server may be running). Throws StoreOpenError. */
export function openAdminDatabase(path: string, options: { readonly: boolean; busyTimeoutMs: number }): Db {
  if (!existsSync(path)) throw new StoreOpenError(`${path}: no such database`);
  let db: Db | undefined;
  try {
    db = new Database(path, { readonly: options.readonly, fileMustExist: true, timeout: options.busyTimeoutMs });
    recognise(db, path);
    const version = Number(db.pragma('user_version', { simple: true }));
    if (version > SCHEMA_VERSION) throw new StoreOpenError(`${path}: written by a newer dualchat (schema ${version}; this one knows ${SCHEMA_VERSION})`);
    if (version < SCHEMA_VERSION) throw new StoreOpenError(`${path}: schema ${version} is older than ${SCHEMA_VERSION}: start the server on it once to migrate it`);
    return db;
  } catch (error) {
    db?.close();
    throw error instanceof StoreOpenError ? error : new StoreOpenError(describe(path, error));
  }
}

function checkWritable(path: string): void {
  if (!existsSync(path)) return;
  if (statSync(path).isDirectory()) throw new StoreOpenError(`${path} is a directory, not a database file`);
  try {
    accessSync(path, fsConstants.R_OK | fsConstants.W_OK);
  } catch {
    throw new StoreOpenError(`${path} is read-only: the server writes to its database (check the file's permissions)`);
  }
}

/** The exclusive lock that keeps a second server off the file. */
function takeLock(path: string): Db {
  const lockPath = `${path}.lock`;
  let lock: Db;
  try {
    lock = new Database(lockPath, { timeout: 0 });
  } catch (error) {
    throw new StoreOpenError(`cannot create the lock file ${lockPath}: ${messageOf(error)}`);
  }
  try {
    lock.pragma('locking_mode = EXCLUSIVE');
    // No journal file beside the lock: it holds one row and is never read back.
    lock.pragma('journal_mode = MEMORY');
    lock.exec('CREATE TABLE IF NOT EXISTS held (pid INTEGER)');
    lock.exec('BEGIN EXCLUSIVE');
    lock.prepare('DELETE FROM held').run();
    lock.prepare('INSERT INTO held (pid) VALUES (?)').run(process.pid);
    return lock;
  } catch (error) {
    lock.close();
    if (codeOf(error) === 'SQLITE_BUSY' || codeOf(error) === 'SQLITE_LOCKED') {
      throw new StoreOpenError(`${path} is in use by another dualchat server (it holds ${lockPath}); stop it or use another --db`);
    }
    throw new StoreOpenError(`cannot lock ${lockPath}: ${messageOf(error)}`);
  }
}

/** A file that is SQLite, whole, and dualchat's (or empty: a new one). */
function recognise(db: Db, path: string): void {
  const applicationId = Number(db.pragma('application_id', { simple: true }));
  const tables = Number(db.prepare("SELECT count(*) AS n FROM sqlite_schema WHERE type = 'table'").pluck().get());
  if (applicationId !== APPLICATION_ID && !(applicationId === 0 && tables === 0)) {
    throw new StoreOpenError(`${path} is an SQLite database of another program, not a dualchat database`);
  }
  const check = db.pragma('quick_check', { simple: true });
  if (check !== 'ok') throw new StoreOpenError(`${path} is corrupt (${String(check).slice(0, 120)}): restore it from a backup`);
}

/** The schema brought to SCHEMA_VERSION, one transaction per migration. */
function layOut(db: Db, path: string): void {
  const version = Number(db.pragma('user_version', { simple: true }));
  if (version > SCHEMA_VERSION) {
    throw new StoreOpenError(`${path}: written by a newer dualchat (schema ${version}; this one knows ${SCHEMA_VERSION})`);
  }
  for (let v = version; v < SCHEMA_VERSION; v++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[v] ?? '');
      db.pragma(`user_version = ${v + 1}`);
      db.pragma(`application_id = ${APPLICATION_ID}`);
    })();
  }
}

function describe(path: string, error: unknown): string {
  switch (codeOf(error)) {
    case 'SQLITE_NOTADB':
      return `${path} is not a dualchat database (not an SQLite file at all)`;
    case 'SQLITE_CORRUPT':
      return `${path} is corrupt or truncated (${messageOf(error)}): restore it from a backup`;
    case 'SQLITE_READONLY':
    case 'SQLITE_CANTOPEN':
    case 'SQLITE_PERM':
      return `cannot open ${path} for writing (${messageOf(error)})`;
    case 'SQLITE_BUSY':
    case 'SQLITE_LOCKED':
      return `${path} is locked by another program; stop it or use another --db`;
    default:
      return `cannot open the database ${path}: ${messageOf(error)}`;
  }
}

/** The primary SQLite result code of an error (SQLITE_CORRUPT for SQLITE_CORRUPT_VTAB), if it has one. */
export function codeOf(error: unknown): string | undefined {
  const code: unknown = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
  return typeof code === 'string' ? /^SQLITE_[A-Z]+/.exec(code)?.[0] : undefined;
}

export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
