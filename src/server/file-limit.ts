// The default of `--max-connections`: the process's open-file limit (each connection is a descriptor)
// minus what the server needs besides its connections. Node 20 has no getrlimit; Linux shows the limit in
// /proc/self/limits. Elsewhere (or if that file cannot be read) a fixed fallback stands in, and the
// `listening` log line says which it was.
import { readFileSync } from 'node:fs';
import { FALLBACK_OPEN_FILE_LIMIT, MIN_DEFAULT_MAX_CONNECTIONS, RESERVED_FILE_DESCRIPTORS } from './constants.ts';

export interface ConnectionCapDefault {
  maxConnections: number;
  /** Where the figure came from, for the log: the soft limit read, or the fallback. */
  source: { openFileLimit: number; from: '/proc/self/limits' | 'fallback' };
}

/** The soft "Max open files" of a /proc/<pid>/limits text; undefined when absent or "unlimited". */
export function softOpenFileLimit(limitsText: string): number | undefined {
  const match = /^Max open files\s+(\d+)\s/m.exec(limitsText);
  if (match === null) return undefined;
  const n = Number(match[1]);
  return Number.isSafeInteger(n) && n > 0 ? n : undefined;
}

/** The cap for `openFileLimit` descriptors: the limit less the reserve, never below the floor. */
export function maxConnectionsFor(openFileLimit: number): number {
  return Math.max(MIN_DEFAULT_MAX_CONNECTIONS, openFileLimit - RESERVED_FILE_DESCRIPTORS);
}

/** Reads this process's open-file limit (Linux) and derives the default cap from it. */
export function defaultMaxConnections(): ConnectionCapDefault {
  let read: number | undefined;
  try {
    read = softOpenFileLimit(readFileSync('/proc/self/limits', 'utf8'));
  } catch {
    read = undefined;
  }
  const source = read === undefined ? { openFileLimit: FALLBACK_OPEN_FILE_LIMIT, from: 'fallback' as const } : { openFileLimit: read, from: '/proc/self/limits' as const };
  return { maxConnections: maxConnectionsFor(source.openFileLimit), source };
}
