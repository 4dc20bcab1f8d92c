// Checkpoints off the event loop: a worker thread with its own connection copies the write-ahead log into
// the database file every CHECKPOINT_INTERVAL_MS (PASSIVE: it never blocks the server's writes), so the
// fsyncs a checkpoint makes happen on that thread, not on the one that routes chat lines. The server's
// own connection keeps a high automatic checkpoint as a backstop (WAL_AUTOCHECKPOINT_PAGES): under a
// write load that never lets a passive checkpoint finish, the log still stays bounded.
//
// The worker's code is a few lines of CommonJS evaluated in the thread (no file to load: the same in
// `dist/` and in the sources run by tsx).
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

export interface CheckpointReport {
  /** Frames in the log, and frames copied into the database so far (PRAGMA wal_checkpoint). */
  log: number;
  checkpointed: number;
}

export interface Checkpointer {
  /** Stop the thread; settles once it has closed its connection and ended (never rejects). */
  stop(): Promise<void>;
}

const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.module);
const db = new Database(workerData.path, { timeout: 0 });
const timer = setInterval(() => {
  try {
    const [row] = db.pragma('wal_checkpoint(PASSIVE)');
    parentPort.postMessage({ type: 'done', log: row.log, checkpointed: row.checkpointed });
  } catch (error) {
    parentPort.postMessage({ type: 'failed', message: String((error && error.message) || error) });
  }
}, workerData.intervalMs);
parentPort.on('message', () => {
  clearInterval(timer);
  db.close();
  parentPort.close();
});
`;

type WorkerMessage = { type: 'done'; log: number; checkpointed: number } | { type: 'failed'; message: string };

/** Start checkpointing the database at `path` every `intervalMs`. */
export function startCheckpointer(path: string, intervalMs: number, hooks: { done(report: CheckpointReport): void; failed(message: string): void }): Checkpointer {
  const module = createRequire(import.meta.url).resolve('better-sqlite3');
  const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { module, path, intervalMs } });
  // Never what keeps the process alive: a server that forgot to stop it still exits.
  worker.unref();
  worker.on('message', (m: WorkerMessage) => (m.type === 'done' ? hooks.done({ log: m.log, checkpointed: m.checkpointed }) : hooks.failed(m.message)));
  worker.on('error', (error) => hooks.failed(error.message));
  const ended = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  let stopped = false;
  return {
    stop: () => {
      if (!stopped) {
        stopped = true;
        // Held again while it stops: whoever awaits its end keeps the process alive until then.
        worker.ref();
        worker.postMessage('stop');
      }
      return ended;
    },
  };
}
