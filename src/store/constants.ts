// The store's numbers, each with its reason.

/** `PRAGMA application_id` of a dualchat database ("dcht"): tells our file from any other SQLite file. */
export const APPLICATION_ID = 0x64636874;

/** The schema this code writes; older files are migrated forward on open (src/store/schema.ts). */
export const SCHEMA_VERSION = 1;

/**
 * Writes wait at most this long to be committed together: one transaction for every message of a busy
 * few milliseconds instead of one per message, and a crash loses at most this much chat. Measured
 * (bench/micro/history-replay.ts, one room, a file): a commit of 40 messages costs the event loop about
 * 5 µs per message, one of 80 about 3.4 µs, against 2 µs in memory; 10 ms holds 80 at 8,000 lines/s.
 */
export const FLUSH_DELAY_MS = 10;

/** A batch this long is committed at once, without waiting: bounds the memory a burst can queue. */
export const FLUSH_BATCH_MAX = 2_000;

/**
 * How often the checkpoint thread copies the write-ahead log into the database (src/store/checkpointer.ts):
 * the log holds about a second of writes.
 */
export const CHECKPOINT_INTERVAL_MS = 1_000;

/**
 * The server's connection checkpoints by itself only past this many pages of log (about 40 MiB): a
 * backstop for a write load that never lets the thread's passive checkpoints finish (SQLite's default,
 * 1,000 pages, would put a checkpoint and its fsyncs on the event loop every few seconds of busy chat).
 */
export const WAL_AUTOCHECKPOINT_PAGES = 10_000;

/**
 * scrypt cost (N = 2^15, r = 8, p = 1): about 50 ms and 32 MiB per hash on a small server, the
 * interactive-login setting of RFC 7914's authors' guidance; it runs on libuv's thread pool, never on the
 * event loop. Stored per account, so a later change applies to new passwords while old ones still verify.
 */
export const SCRYPT_COST = 1 << 15;
export const SCRYPT_BLOCK_SIZE = 8;
export const SCRYPT_PARALLELISM = 1;
/** Node's scrypt refuses above 32 MiB by default; N = 2^15, r = 8 needs 32 MiB plus a little. */
export const SCRYPT_MAX_MEMORY = 64 * 1024 * 1024;
/** Bytes of salt per account (random) and of derived key. */
export const SALT_BYTES = 16;
export const HASH_BYTES = 32;

/**
 * How often retention runs; how many rows one step deletes at most (its own transaction: a few ms, so
 * the chat is never held up for long); and the pause between steps while more remain (the chat's
 * lines are handled in between).
 */
export const PRUNE_INTERVAL_MS = 60_000;
export const PRUNE_CHUNK_ROWS = 2_000;
export const PRUNE_STEP_PAUSE_MS = 20;

/**
 * How long the server's connection waits for another connection's lock: at start (a checkpoint thread
 * of a server that just stopped, an operator's `dualchat db prune`) up to STORE_OPEN_BUSY_MS; while
 * running, a commit waits at most STORE_BUSY_MS (a prune step holds the lock a few ms) before it counts as
 * failed — the event loop is held that long at worst.
 */
export const STORE_OPEN_BUSY_MS = 2_000;
export const STORE_BUSY_MS = 100;

/** How long `dualchat db prune` waits for the running server's write lock before giving up. */
export const ADMIN_BUSY_TIMEOUT_MS = 5_000;
