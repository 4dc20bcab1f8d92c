// A store on a temporary file (or in memory) with cheap hashing and a log captured for assertions.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { pino, type Logger } from 'pino';
import { SqliteStore, type SqliteStoreOptions } from '../../src/store/sqlite-store.ts';

export const CHEAP_SCRYPT = { cost: 1024, block: 8, par: 1 };

export interface CapturedLog {
  logger: Logger;
  records: Array<Record<string, unknown>>;
}

export function capturedLog(): CapturedLog {
  const records: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line.trim() !== '') records.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { logger: pino({ level: 'info' }, sink), records };
}

export function tempDir(): { dir: string; remove: () => void } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'dualchat-store-unit-'));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export function openStore(file: string, log: CapturedLog = capturedLog(), extra: Partial<SqliteStoreOptions> = {}): SqliteStore {
  return new SqliteStore({ path: file, logger: log.logger, retention: { days: 0, maxRows: 0 }, scrypt: CHEAP_SCRYPT, ...extra });
}

/** Wait for the store's batched writes to be committed (a flush is at most a few ms away). */
export async function settled(): Promise<void> {
  await new Promise((resolve) => setImmediate(resolve));
}
