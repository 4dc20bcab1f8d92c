// A store on a temporary file (or in memory) with cheap hashing and a log captured for assertions.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { pino, type Logger } from 'pino';
import type { HubOutput } from '../../src/chat/hub.ts';
import { SqliteStore, type SqliteStoreOptions } from '../../src/store/sqlite-store.ts';

export const CHEAP_SCRYPT = { cost: 1024, block: 8, par: 1 };

export interface CapturedLog {
  logger: Logger;
  records: Array<Record<string, unknown>>;
  /** The first record whose `msg` is `msg`, waiting for it up to `timeoutMs`. */
  waitFor(msg: string, timeoutMs?: number): Promise<Record<string, unknown>>;
}

export function capturedLog(): CapturedLog {
  const records: Array<Record<string, unknown>> = [];
  const listeners = new Set<() => void>();
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line.trim() !== '') records.push(JSON.parse(line) as Record<string, unknown>);
      for (const l of [...listeners]) l();
      done();
    },
  });
  const waitFor = (msg: string, timeoutMs = 5_000): Promise<Record<string, unknown>> =>
    new Promise((resolve, reject) => {
      const check = (): boolean => {
        const found = records.find((r) => r['msg'] === msg);
        if (found === undefined) return false;
        listeners.delete(listener);
        clearTimeout(timer);
        resolve(found);
        return true;
      };
      const listener = (): void => void check();
      const timer = setTimeout(() => {
        listeners.delete(listener);
        reject(new Error(`no log record "${msg}" within ${timeoutMs} ms`));
      }, timeoutMs);
      listeners.add(listener);
      check();
    });
  return { logger: pino({ level: 'info' }, sink), records, waitFor };
}

export function tempDir(): { dir: string; remove: () => void } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'dualchat-store-unit-'));
  // Retries: a checkpoint thread of a store just closed may still be removing its log files.
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 20 }) };
}

export function openStore(file: string, log: CapturedLog = capturedLog(), extra: Partial<SqliteStoreOptions> = {}): SqliteStore {
  return new SqliteStore({ path: file, logger: log.logger, retention: { days: 0, maxRows: 0 }, scrypt: CHEAP_SCRYPT, ...extra });
}


/** The hub's outputs with every later answer (a store port's) awaited, in order. */
export async function settle(outputs: readonly HubOutput[]): Promise<HubOutput[]> {
  const flat: HubOutput[] = [];
  for (const o of outputs) {
    if (o.type === 'await') flat.push(...(await settle(await o.outputs)));
    else flat.push(o);
  }
  return flat;
}
