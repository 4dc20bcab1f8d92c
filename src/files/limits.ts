// Limits and sizes of the file features, each with its reason. Pure data; no behaviour.

/**
 * Largest upload (and file sent to a user), in bytes: 3 MB as the ancestor chats counted it
 * (3 × 1024 × 1024). Small enough that a handful of concurrent uploads cannot fill a disk or pin
 * a server's memory, large enough for documents and photos. `--max-upload` changes it.
 */
export const DEFAULT_MAX_UPLOAD_BYTES = 3 * 1024 * 1024;

/** Extensions `/sendimage` accepts (and a recipient's client may show as an image). */
export const IMAGE_TYPES: readonly string[] = Object.freeze(['.jpg', '.jpeg', '.png', '.gif', '.webp', '.bmp']);

/**
 * Extensions that name one type: a `.jpeg` is a `.jpg`. Whichever spelling a type list holds, the
 * other is accepted too.
 */
export const TYPE_ALIASES: Readonly<Record<string, string>> = Object.freeze({ '.jpeg': '.jpg' });

/**
 * File types accepted for upload, as lower-case extensions with their dot: the ancestors' list
 * (text, PDF, JPEG, PNG) and every image type, so that whatever the client offers as an image
 * (`/sendimage`) the server takes by default. Executables, scripts and archives are refused by
 * default because the shared directory is served to everyone. `--upload-types` changes it.
 */
export const DEFAULT_UPLOAD_TYPES: readonly string[] = Object.freeze(['.txt', '.pdf', '.jpg', '.png', '.gif', '.webp', '.bmp']);

/**
 * Uploads stored at once, server-wide; the rest wait in FIFO order and are told their position.
 * 5 is the ancestors' limit: it bounds the disk bandwidth and open temp files uploads take.
 */
export const DEFAULT_UPLOAD_SLOTS = 5;

/**
 * Uploads that may wait for a slot, server-wide. Waiting costs only a queue entry, but an
 * unbounded queue lets one client enqueue forever; 100 is far above any real backlog of a chat.
 */
export const DEFAULT_MAX_WAITING_UPLOADS = 100;

/**
 * Downloads one client may run at once. Several at once is a feature (a list of notes), but every
 * download holds an open file and a reader on the server; 4 keeps one client's share bounded while
 * still filling a link (one transfer alone already can).
 */
export const DEFAULT_MAX_DOWNLOADS_PER_CLIENT = 4;

/**
 * File bytes per chunk message. The engine fragments a message into packets itself, so the chunk
 * size only trades per-message overhead (a 14-byte header) against the granularity of resume and
 * progress. 32 KiB also keeps the TCP fallback line — base64 of header + chunk, 43,712 characters —
 * well under the control plane's 64 KiB line limit (src/tcp/constants.ts MAX_LINE_BYTES).
 */
export const CHUNK_BYTES = 32 * 1024;

/**
 * Chunk messages a link may hold queued in the engine (sent but not yet acknowledged) before the
 * senders on it pause. 32 × 32 KiB = 1 MiB: a full window for a 100 ms × 80 Mbit/s path, well
 * within the engine's 4 MiB receive window, and a bound on what one session's transfers cost in
 * memory. The wiring's `mayQueue()` compares the engine's queue depth with this.
 */
export const MAX_QUEUED_CHUNKS_PER_LINK = 32;

/**
 * Bytes a receiver may hold in memory waiting to be written to disk. Above it the wiring stops
 * polling the engine for messages, so the engine's receive window closes and the sender slows down
 * (flow control reaches the disk). 8 MiB absorbs a slow disk's stalls without growing unbounded.
 */
export const MAX_WRITE_BACKLOG_BYTES = 8 * 1024 * 1024;

/**
 * A resumable download records its verified byte count this often (data synced to disk first, then
 * the record). A crash loses at most this much; syncing every MiB costs little on any disk.
 */
export const CHECKPOINT_BYTES = 1024 * 1024;

/**
 * Longest file name, in UTF-8 bytes. File systems allow 255 (NAME_MAX); a temporary name adds a dot
 * prefix and a `.part-<id>` suffix (id up to 10 digits), its resume record `.json` and that
 * record's rewrite `.tmp`: at most 26 bytes in all, so 200 leaves room for them (and for a
 * ` (999)` collision suffix) and stays a readable one-line name.
 */
export const MAX_FILE_NAME_BYTES = 200;

/**
 * `notes (1).txt` … `notes (999).txt`: how many non-colliding names a stored file may try before the
 * store gives up. Bounds the loop; a directory holding 1000 copies of one name is a misuse.
 */
export const MAX_COLLISION_SUFFIX = 999;

/**
 * A `/sendfile` offer not accepted within this long is withdrawn, its spooled copy removed and the
 * sender told (`expired`): a server must not hold files for absent users forever. Offers wait for
 * `/accept` by default, so a person has to see one and answer: five minutes covers a look away from
 * the screen, and what one offer pins (a spooled file ≤ `--max-upload`) is counted in the shared
 * directory's budget meanwhile.
 */
export const OFFER_TIMEOUT_MS = 5 * 60_000;

/**
 * Offers one sender may have waiting for (or being delivered to) one recipient, counted from the
 * announcement (`<sendfile>`) on. A person sends a few files at a time; more, before the recipient
 * answered any, is a flood of their screen and of the server's spool.
 */
export const DEFAULT_MAX_OFFERS_PER_SENDER = 3;

/**
 * Offers waiting for one recipient from everyone together: bounds what a crowd (or one person with
 * several names) can make the server spool for someone who is away.
 */
export const DEFAULT_MAX_OFFERS_PER_RECIPIENT = 10;

/**
 * A granted upload slot (`<ready>`) is released, and the upload ended (`expired`), when the session
 * sent no chunk of any of its uploads for this long: a dualchat client starts streaming within
 * milliseconds of `<ready>` (and streams its uploads one after the other, which is why a chunk of any
 * of them keeps the others' slots). 10 s is many round trips of the slowest link and short enough
 * that announcing uploads without sending a byte holds nobody's slot for long.
 */
export const UPLOAD_START_TIMEOUT_MS = 10_000;

/**
 * Uploads one user may have in the queue at once, storing or waiting (files sent to a user included).
 * Ten is a batch of photos sent in a row; more waits only lengthens everyone's queue. Counted per
 * session and per address group (an IPv6 /64 as one): sixteen sessions from one host share these ten.
 */
export const DEFAULT_MAX_UPLOADS_PER_USER = 10;

/**
 * Upload slots one user may hold at once, out of the server's DEFAULT_UPLOAD_SLOTS: with 2 of 5, one
 * user (an attacker who announces and never sends, too) always leaves three slots to the others. Their
 * further uploads wait in line; the total bandwidth they get is the same. Counted per session and per
 * address group (an IPv6 /64 as one), so that opening more sessions from one host gains no slot.
 */
export const DEFAULT_UPLOAD_SLOTS_PER_USER = 2;

/**
 * Bytes one user may upload per hour (files sent to users included), counted when an upload is
 * announced and given back when it fails: 64 MiB is 21 uploads of the 3 MiB maximum in an hour,
 * more than a person shares in a chat, and at most 1.5 GiB a day of disk per name. Counted per name
 * and per address group (an IPv6 /64 as one), whichever runs out first: a new name or a reconnect
 * does not refill it. `--upload-bytes-per-hour`.
 */
export const DEFAULT_UPLOAD_BYTES_PER_HOUR = 64 * 1024 * 1024;

/**
 * Whatever an announced upload declares, it is counted as at least this many bytes against the hourly
 * quota: an empty file still costs a directory entry and a disk block, and without a minimum a
 * thousand empty uploads would cost nothing.
 */
export const MIN_UPLOAD_CHARGE_BYTES = 4 * 1024;

/**
 * Total size of the shared directory (its files, the spool of files sent to users, and uploads in
 * progress counted at their announced size) past which uploads are refused: 1 GiB. A fixed budget
 * rather than a share of the free disk: it means the same thing on every run and does not shrink
 * because something else on the machine wrote a file; an operator who wants more says so
 * (`--max-shared-bytes`, 0 = no budget).
 */
export const DEFAULT_MAX_SHARED_BYTES = 1024 * 1024 * 1024;

/**
 * How long the measured size of the shared directory is trusted before it is read again (uploads and
 * deliveries the server makes itself are counted as they happen; this catches files the operator
 * added or removed). Reading it on every `<upload>` would let a client make the server walk the
 * directory as often as it likes.
 */
export const SHARED_USAGE_REFRESH_MS = 60_000;

/**
 * The slowest average rate an upload holding a slot must keep: 8 KiB/s is a poor mobile link (64 kbit/s,
 * below EDGE), so every real sender clears it, and a 3 MiB upload may take 6.4 min. Without it a slot
 * could be held forever by one small chunk now and then (each within the start timeout). An upload's
 * time limit is fixed when it gets its slot: UPLOAD_RATE_GRACE_MS plus its bytes — and those still to
 * come of its session's uploads already holding slots, which a client sends first — at this rate.
 */
export const MIN_UPLOAD_BYTES_PER_SECOND = 8 * 1024;

/**
 * What an upload's time limit adds to its bytes at MIN_UPLOAD_BYTES_PER_SECOND: a mobile link's
 * stalls (a handover, a tunnel) and the engine's retransmission back-off last seconds; 30 s covers
 * several, and a small file is not held to a few milliseconds.
 */
export const UPLOAD_RATE_GRACE_MS = 30_000;

/**
 * CRC-32s of shared files kept (by size, mtime and inode), so that downloading one file again does
 * not read it whole again: a few hundred distinct files served within a session's lifetime is a busy
 * shared directory. 40 bytes or so an entry: the bound is on keys, not on memory in any real sense.
 */
export const CRC_CACHE_ENTRIES = 1024;

/**
 * A download announced with `<sending>` and not accepted within this long is ended (`expired`): every
 * dualchat client accepts within milliseconds; a client that cannot take files (the Python
 * ancestors ask `<download>` but never `<accept>`) must not hold an open file on the server.
 */
export const ACCEPT_TIMEOUT_MS = 30_000;

/**
 * Transfer ids per session the server remembers after they ended, so that a `<cancel>` crossing the
 * end (a client cleaning up, a user's late `/cancel`) is answered "already over" rather than as an
 * error. A client has at most a handful of transfers at once; 32 covers any crossing.
 */
export const RECENTLY_ENDED_PER_SESSION = 32;

/** Block size for computing a whole file's CRC-32 before an offer: large reads, bounded memory. */
export const CRC_READ_BYTES = 1024 * 1024;

/** Default directory names of the client side. */
export const DEFAULT_DOWNLOADS_DIR = './downloads';
export const DEFAULT_RECEIVED_DIR = './received_files';

/**
 * TCP fallback (a session without UDP): chunk lines are written while fewer than this many bytes
 * wait in the socket's user-space buffer. The kernel's send buffer (several MiB on loopback) comes
 * first, so this only bounds what waits behind it — and keeps a transfer far below the server's
 * MAX_PENDING_WRITE_BYTES (1 MiB, src/server/constants.ts), past which a client that stopped reading
 * is dropped. 256 KiB is six chunk lines: enough to keep the socket busy between two pumps.
 */
export const TCP_CHUNK_WINDOW_BYTES = 256 * 1024;

/**
 * While a TCP-fallback sender waits for the socket buffer to drain (or a receiver for its disk to
 * catch up), it looks again this often. Short enough that a loopback transfer never idles for long,
 * long enough that a stalled peer costs a few hundred wake-ups a second at most.
 */
export const FLOW_RETRY_MS = 5;

/**
 * The latest the server looks again for offers, announcements and upload slots past their deadline,
 * even when it knows of none coming (it also wakes at each deadline it knows): a safety net.
 */
export const OFFER_EXPIRY_CHECK_MS = 5_000;

/**
 * Stats of the shared directory's files in flight at once while listing or measuring it: enough to keep
 * libuv's four threads busy several times over, few enough that one turn of the event loop starts a
 * handful, not thousands.
 */
export const STATS_IN_FLIGHT = 32;
