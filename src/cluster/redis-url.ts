// `--redis redis://HOST:PORT[/DB]`: read and checked once, with a clear message for anything else.
import { REDIS_DB_MAX, REDIS_DEFAULT_PORT } from './constants.ts';

/** Where the cluster's Redis is. `password` (and `username`) only when the URL carries them. */
export interface RedisTarget {
  host: string;
  port: number;
  db: number;
  username?: string;
  password?: string;
}

export type RedisUrlResult = { ok: true; target: RedisTarget } | { ok: false; message: string };

const USAGE = 'expected redis://HOST:PORT[/DB], e.g. redis://127.0.0.1:6379/0';

export function parseRedisUrl(text: string): RedisUrlResult {
  let url: URL;
  try {
    url = new URL(text.trim());
  } catch {
    return { ok: false, message: `not a URL: ${JSON.stringify(text).slice(0, 80)} (${USAGE})` };
  }
  if (url.protocol !== 'redis:') return { ok: false, message: `the scheme must be redis:, got ${url.protocol} (${USAGE}; TLS to Redis is not supported)` };
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  if (host === '') return { ok: false, message: `no host in ${JSON.stringify(text)} (${USAGE})` };
  const port = url.port === '' ? REDIS_DEFAULT_PORT : Number(url.port);
  if (!Number.isInteger(port) || port < 1 || port > 65_535) return { ok: false, message: `bad port ${url.port} (${USAGE})` };
  if (url.search !== '' || url.hash !== '') return { ok: false, message: `no query or fragment is understood (${USAGE})` };
  const path = url.pathname.replace(/^\//, '');
  const db = path === '' ? 0 : /^[0-9]{1,10}$/.test(path) ? Number(path) : Number.NaN;
  if (!Number.isSafeInteger(db) || db > REDIS_DB_MAX) return { ok: false, message: `the database must be a whole number from 0 to ${REDIS_DB_MAX}, got ${JSON.stringify(path)} (${USAGE})` };
  const target: RedisTarget = { host, port, db };
  if (url.username !== '') target.username = decodeURIComponent(url.username);
  if (url.password !== '') target.password = decodeURIComponent(url.password);
  return { ok: true, target };
}

/** The target for a log line or an error: never its password. */
export function describeTarget(target: RedisTarget): string {
  const host = target.host.includes(':') ? `[${target.host}]` : target.host;
  return `redis://${host}:${target.port}/${target.db}`;
}
