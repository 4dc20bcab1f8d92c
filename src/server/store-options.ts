// The store's server options (`--db`, `--no-history`, `--history-on-join`, `--history-days`, `--history-max-rows`): their
// defaults and their check. startServer() defaults to an in-memory store (nothing left on disk by a
// library user or a test) and replays no history unless asked (what a session hears stays what it was
// before the store); the `dualchat server` command defaults to DEFAULT_DB_PATH and
// HISTORY_ON_JOIN_DEFAULT lines.
import { HISTORY_PAGE_MAX } from '../chat/limits.ts';
import type { ScryptCost } from '../store/passwords.ts';
import type { Retention } from '../store/retention.ts';

/** Where `dualchat server` keeps accounts and history unless told otherwise: beside where it runs. */
export const DEFAULT_DB_PATH = './dualchat.db';

/** Upper bounds of the retention flags: 100 years, and a billion rows (far beyond the tested 1M). */
export const HISTORY_DAYS_MAX = 36_500;
export const HISTORY_MAX_ROWS_MAX = 1_000_000_000;

export interface StoreServerOptions {
  /** A database file, or ':memory:' (the default of startServer: a throwaway store). */
  db?: string;
  /** Stored lines replayed on entering a room (default 0 = off here; `dualchat server` asks for 50). */
  historyOnJoin?: number;
  /**
   * Keep room history at all (default true). False: nothing said in a room is written (a community that
   * keeps no log); accounts and the mailboxes of registered users are kept as before.
   */
  keepHistory?: boolean;
  /** Keep room messages this many days (default 0 = forever). */
  historyDays?: number;
  /** Keep at most this many room messages (default 0 = no bound). */
  historyMaxRows?: number;
  /** scrypt cost for new passwords. Not a flag: tests make hashing cheap. */
  passwordCost?: ScryptCost;
}

export interface ResolvedStoreOptions {
  path: string;
  keepHistory: boolean;
  historyOnJoin: number;
  retention: Retention;
  passwordCost: ScryptCost | undefined;
}

export function resolveStoreOptions(options: StoreServerOptions): { ok: true; store: ResolvedStoreOptions } | { ok: false; message: string } {
  const path = options.db ?? ':memory:';
  if (typeof path !== 'string' || path === '') return { ok: false, message: 'db must be a file path or :memory:' };
  const historyOnJoin = options.historyOnJoin ?? 0;
  const days = options.historyDays ?? 0;
  const maxRows = options.historyMaxRows ?? 0;
  const error =
    wholeIn('historyOnJoin', historyOnJoin, HISTORY_PAGE_MAX) ?? wholeIn('historyDays', days, HISTORY_DAYS_MAX) ?? wholeIn('historyMaxRows', maxRows, HISTORY_MAX_ROWS_MAX);
  if (error !== undefined) return { ok: false, message: error };
  const keepHistory = options.keepHistory ?? true;
  if (typeof keepHistory !== 'boolean') return { ok: false, message: 'keepHistory must be true or false' };
  return { ok: true, store: { path, keepHistory, historyOnJoin, retention: { days, maxRows }, passwordCost: options.passwordCost } };
}

function wholeIn(option: string, value: unknown, max: number): string | undefined {
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= max) return undefined;
  return `${option} must be a whole number from 0 to ${max}, got ${String(value)}`;
}
