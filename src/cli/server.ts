// `dualchat server`: its flags, each checked by its parser (a bad value is one clear commander error).
// What the server does once started is src/cli/server-run.ts, loaded by the action only: `--help` and
// flag errors stay cheap.
import { Command, InvalidArgumentError, Option } from 'commander';
import {
  DEFAULT_FILES_DIR,
  DEFAULT_HOST,
  DEFAULT_LOG_LEVEL,
  DEFAULT_MAX_CONNECTIONS_PER_ADDRESS,
  DEFAULT_TCP_PORT,
  DEFAULT_UDP_PORT,
  MAX_CONNECTIONS_LIMIT,
  MAX_CONNECTIONS_PER_ADDRESS_LIMIT,
} from '../server/constants.ts';
import { DEFAULT_HUB_OPTIONS, HISTORY_ON_JOIN_DEFAULT, HISTORY_PAGE_MAX, NAME_HOLD_MAX_S, NAME_HOLD_MS, ROOM_CAPACITY_MAX, ROOM_CAPACITY_MIN } from '../chat/limits.ts';
import { DEFAULT_DB_PATH, HISTORY_DAYS_MAX, HISTORY_MAX_ROWS_MAX } from '../server/store-options.ts';
import { LOG_LEVELS } from '../server/log-levels.ts';
import { PORT_MAX, PORT_MIN } from '../server/options.ts';
import { DEFAULT_MAX_SHARED_BYTES, DEFAULT_MAX_UPLOAD_BYTES, DEFAULT_UPLOAD_BYTES_PER_HOUR, DEFAULT_UPLOAD_SLOTS, DEFAULT_UPLOAD_TYPES } from '../files/limits.ts';
import { formatSize } from '../files/format.ts';
import { parseUploadTypes } from '../files/options.ts';
import { parsePort } from '../commands/numbers.ts';
import { parseByteSize } from '../sim/units.ts';
import type { ServerFlags } from './server-run.ts';

export function serverCommand(): Command {
  return new Command('server')
    .description('Run the chat server: TCP control plane, UDP data plane, shared files directory.')
    .option('--host <address>', 'address to listen on', DEFAULT_HOST)
    .option('--tcp <port>', `TCP control port (${PORT_MIN}–${PORT_MAX}; 0 = any free port)`, parseListenPort, DEFAULT_TCP_PORT)
    .option('--udp <port>', `UDP data port (${PORT_MIN}–${PORT_MAX}; 0 = any free port)`, parseListenPort, DEFAULT_UDP_PORT)
    .option('--irc <port>', `also open the IRC door on this port (${PORT_MIN}–${PORT_MAX}; 0 = any free port)`, parseListenPort)
    .option('--files <dir>', 'shared files directory (created if missing)', DEFAULT_FILES_DIR)
    .option(
      '--room-capacity <n>',
      `people per room other than the lobby (${ROOM_CAPACITY_MIN}–${ROOM_CAPACITY_MAX})`,
      parseRoomCapacity,
      DEFAULT_HUB_OPTIONS.roomCapacity,
    )
    .option(
      '--rate-limit <n>',
      'chat messages per second per client (0 = no limit)',
      (v: string) => parseNumberFlag('--rate-limit', v, 0),
      DEFAULT_HUB_OPTIONS.rateLimit,
    )
    .option(
      '--rate-burst <n>',
      'messages a client may send at once before the rate applies',
      (v: string) => parseNumberFlag('--rate-burst', v, 1),
      DEFAULT_HUB_OPTIONS.rateBurst,
    )
    .option(
      '--max-conn-per-ip <n>',
      'open TCP connections one source address may hold; more are refused with an error line',
      parseMaxConnections,
      DEFAULT_MAX_CONNECTIONS_PER_ADDRESS,
    )
    .option(
      '--max-connections <n>',
      'open TCP connections of the whole server; more are refused with an error line (default: the open-file limit less 64)',
      parseMaxServerConnections,
    )
    // Defaults described in words: commander would print 3145728 and a JSON array.
    .addOption(
      new Option('--max-upload <size>', 'largest upload or file sent to a user, e.g. 3mib, 500kb, 10000000 (b, kb, mb, kib, mib …)')
        .argParser((v: string) => parseByteFlag('--max-upload', v))
        .default(DEFAULT_MAX_UPLOAD_BYTES, formatSize(DEFAULT_MAX_UPLOAD_BYTES)),
    )
    .addOption(
      new Option('--upload-bytes-per-hour <size>', 'bytes one user may upload per hour, files sent to users included, e.g. 64mib (0 = no quota)')
        .argParser((v: string) => parseByteFlag('--upload-bytes-per-hour', v))
        .default(DEFAULT_UPLOAD_BYTES_PER_HOUR, formatSize(DEFAULT_UPLOAD_BYTES_PER_HOUR)),
    )
    .addOption(
      new Option('--max-shared-bytes <size>', 'disk budget of the shared directory (its files, files waiting for delivery, uploads in progress), e.g. 1gib (0 = none)')
        .argParser((v: string) => parseByteFlag('--max-shared-bytes', v))
        .default(DEFAULT_MAX_SHARED_BYTES, formatSize(DEFAULT_MAX_SHARED_BYTES)),
    )
    .addOption(
      new Option('--upload-types <list>', 'file types accepted for upload, comma-separated, e.g. ".txt,.pdf,.md"')
        .argParser(parseUploadTypesFlag)
        .default([...DEFAULT_UPLOAD_TYPES], DEFAULT_UPLOAD_TYPES.join(',')),
    )
    .option(
      '--upload-slots <n>',
      'uploads stored at once, server-wide; the others wait in line, told their position',
      (v: string) => parseWholeFlag('--upload-slots', v, 1),
      DEFAULT_UPLOAD_SLOTS,
    )
    .option(
      '--name-hold <seconds>',
      `hold a lost connection's name and rooms this long for its owner's client to come back (0 = off, at most ${NAME_HOLD_MAX_S})`,
      (v: string) => parseWholeFlag('--name-hold', v, 0, NAME_HOLD_MAX_S),
      NAME_HOLD_MS / 1000,
    )
    .option('--db <path>', 'accounts and history database (SQLite; :memory: for a throwaway one)', DEFAULT_DB_PATH)
    .option('--no-history', 'keep no room history: nothing said in a room is written (accounts and offline messages still are)')
    .option(
      '--history-on-join <n>',
      `stored lines replayed on entering a room (0–${HISTORY_PAGE_MAX}; 0 = off)`,
      (v: string) => parseWholeFlag('--history-on-join', v, 0, HISTORY_PAGE_MAX),
      HISTORY_ON_JOIN_DEFAULT,
    )
    .option('--history-days <n>', 'keep room history this many days (0 = forever)', (v: string) => parseWholeFlag('--history-days', v, 0, HISTORY_DAYS_MAX), 0)
    .option(
      '--history-max-rows <n>',
      'keep at most this many room messages, the oldest pruned first (0 = no bound)',
      (v: string) => parseWholeFlag('--history-max-rows', v, 0, HISTORY_MAX_ROWS_MAX),
      0,
    )
    .addOption(new Option('--log-level <level>', 'log level').choices(LOG_LEVELS).default(DEFAULT_LOG_LEVEL))
    .option('--log-file <path>', 'write the JSON log to this file instead of stderr')
    .option('--tls-cert <file>', 'TLS certificate chain (PEM): the control port speaks TLS (with --tls-key; `dualchat cert` makes a pair)')
    .option('--tls-key <file>', 'the private key (PEM) of --tls-cert')
    .option('--tls-port <port>', 'offer TLS on this port and keep --tcp plain (for clients that speak plain TCP)', parseListenPort)
    .option('--require-tls', 'refuse plain connections (with --tls-port, the plain port tells each one where TLS is; the IRC door then only with --irc-tls)')
    .addOption(
      new Option('--operator-password <word>', 'the password of <oper>PASSWORD (IRC: OPER): an operator\'s <stats> shows the whole server, anyone else\'s their own link').env(
        'DUALCHAT_OPERATOR_PASSWORD',
      ),
    )
    .option('--operator-local', 'connections from this machine (a loopback address) are operators')
    // A habit from other servers: no such flag here, and commander's own guess ("--host?") misleads.
    .addOption(
      new Option('--port <port>').hideHelp().argParser((value: string) => {
        throw new InvalidArgumentError(`there is no --port: the TCP control port is --tcp ${value}, the UDP data port --udp PORT.`);
      }),
    )
    .option('--irc-tls <port>', `also open the IRC door with TLS on this port, with --tls-cert and --tls-key (${PORT_MIN}–${PORT_MAX}; 0 = any free port; 6697 is IRC's usual)`, parseListenPort)
    .action(async (flags: ServerFlags) => {
      const { runServer } = await import('./server-run.ts');
      await runServer(flags);
    });
}

function parseListenPort(value: string): number {
  const port = parsePort(value, PORT_MIN);
  if (!port.ok) throw new InvalidArgumentError(`${port.message}.`);
  return port.value;
}

function parseRoomCapacity(value: string): number {
  return parseWholeFlag('--room-capacity', value, ROOM_CAPACITY_MIN, ROOM_CAPACITY_MAX);
}

/** A connection count option: a whole number from 1 to `max`. */
function connectionCount(flag: string, max: number): (value: string) => number {
  return (value) => parseWholeFlag(flag, value, 1, max);
}
const parseMaxConnections = connectionCount('--max-conn-per-ip', MAX_CONNECTIONS_PER_ADDRESS_LIMIT);
const parseMaxServerConnections = connectionCount('--max-connections', MAX_CONNECTIONS_LIMIT);

/** A size flag (`3mib`, `500kb`, `10000000`), or commander's error for it. */
function parseByteFlag(flag: string, value: string): number {
  const parsed = parseByteSize(value, flag);
  if (!parsed.ok) throw new InvalidArgumentError(parsed.error);
  if (!Number.isSafeInteger(parsed.value)) throw new InvalidArgumentError(`${flag} must be a whole number of bytes, got "${value}"`);
  return parsed.value;
}

function parseUploadTypesFlag(value: string): string[] {
  const parsed = parseUploadTypes(value);
  if (!parsed.ok) throw new InvalidArgumentError(`--upload-types: ${parsed.message}`);
  return parsed.types;
}

/**
 * A whole-number flag from `min` to `max`, or commander's error for it: one wording for every such flag
 * ("must be a whole number from 0 to 3600", or "≥ 1" when there is no upper bound), whatever was wrong.
 */
export function parseWholeFlag(flag: string, value: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const n = /^[0-9]{1,10}$/.test(value.trim()) ? Number(value.trim()) : Number.NaN;
  if (Number.isSafeInteger(n) && n >= min && n <= max) return n;
  const range = max === Number.MAX_SAFE_INTEGER ? `≥ ${min}` : `from ${min} to ${max}`;
  throw new InvalidArgumentError(`${flag} must be a whole number ${range}, got "${value}"`);
}

function parseNumberFlag(flag: string, value: string, min: number): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < min) {
    throw new InvalidArgumentError(`${flag} must be a number ≥ ${min}, got "${value}"`);
  }
  return n;
}
