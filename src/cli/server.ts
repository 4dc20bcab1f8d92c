// `dualchat server`: options → startServer, one clear line on failure, graceful stop on SIGINT/SIGTERM
// (a second signal stops at once; a stop that hangs past SHUTDOWN_DEADLINE_MS is cut short).
import { Command, InvalidArgumentError, Option } from 'commander';
import type { Logger } from 'pino';
import {
  DEFAULT_FILES_DIR,
  DEFAULT_HOST,
  DEFAULT_LOG_LEVEL,
  DEFAULT_MAX_CONNECTIONS_PER_ADDRESS,
  DEFAULT_TCP_PORT,
  DEFAULT_UDP_PORT,
  MAX_CONNECTIONS_PER_ADDRESS_LIMIT,
  SHUTDOWN_DEADLINE_MS,
} from '../server/constants.ts';
import { DEFAULT_HUB_OPTIONS, ROOM_CAPACITY_MAX, ROOM_CAPACITY_MIN } from '../chat/limits.ts';
import { createLogger, LOG_LEVELS, type LogLevel } from '../server/logger.ts';
import { PORT_MAX, PORT_MIN } from '../server/options.ts';
import { startServer, type RunningServer } from '../server/server.ts';
import { messageOf } from '../server/start-error.ts';
import { DEFAULT_MAX_UPLOAD_BYTES, DEFAULT_UPLOAD_SLOTS, DEFAULT_UPLOAD_TYPES } from '../files/limits.ts';
import { parseUploadTypes } from '../files/options.ts';
import { parseByteSize } from '../sim/units.ts';

interface ServerFlags {
  host: string;
  tcp: number;
  udp: number;
  files: string;
  roomCapacity: number;
  rateLimit: number;
  rateBurst: number;
  maxConnPerIp: number;
  maxUpload: number;
  uploadTypes: string[];
  uploadSlots: number;
  logLevel: LogLevel;
  logFile?: string;
}

export function serverCommand(): Command {
  return new Command('server')
    .description('Run the chat server: TCP control plane, UDP data plane, shared files directory.')
    .option('--host <address>', 'address to listen on', DEFAULT_HOST)
    .option('--tcp <port>', `TCP control port (${PORT_MIN}–${PORT_MAX}; 0 = any free port)`, parsePort, DEFAULT_TCP_PORT)
    .option('--udp <port>', `UDP data port (${PORT_MIN}–${PORT_MAX}; 0 = any free port)`, parsePort, DEFAULT_UDP_PORT)
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
      '--max-upload <size>',
      'largest upload or file sent to a user, e.g. 3mib, 500kb, 10000000 (b, kb, mb, kib, mib …)',
      parseMaxUpload,
      DEFAULT_MAX_UPLOAD_BYTES,
    )
    .option(
      '--upload-types <list>',
      'file types accepted for upload, comma-separated, e.g. ".txt,.pdf,.md"',
      parseUploadTypesFlag,
      [...DEFAULT_UPLOAD_TYPES],
    )
    .option(
      '--upload-slots <n>',
      'uploads stored at once, server-wide; the others wait in line, told their position',
      (v: string) => parseWholeFlag('--upload-slots', v, 1),
      DEFAULT_UPLOAD_SLOTS,
    )
    .addOption(new Option('--log-level <level>', 'log level').choices(LOG_LEVELS).default(DEFAULT_LOG_LEVEL))
    .option('--log-file <path>', 'write the JSON log to this file instead of stderr')
    .action(async (flags: ServerFlags) => {
      await runServer(flags);
    });
}

async function runServer(flags: ServerFlags): Promise<void> {
  let logger: Logger;
  try {
    logger = createLogger({ level: flags.logLevel, ...(flags.logFile !== undefined ? { file: flags.logFile } : {}) });
  } catch (error) {
    fail(`cannot open the log file ${flags.logFile ?? ''}: ${messageOf(error)}`);
    return;
  }
  let running: RunningServer;
  try {
    running = await startServer({
      host: flags.host,
      tcpPort: flags.tcp,
      udpPort: flags.udp,
      filesDir: flags.files,
      roomCapacity: flags.roomCapacity,
      rateLimit: flags.rateLimit,
      rateBurst: flags.rateBurst,
      maxConnectionsPerAddress: flags.maxConnPerIp,
      files: { maxUploadBytes: flags.maxUpload, uploadTypes: flags.uploadTypes, uploadSlots: flags.uploadSlots },
      logger,
    });
  } catch (error) {
    fail(messageOf(error));
    return;
  }
  const onSignal = shutdownOnSignal({
    close: () => running.close(),
    logger,
    deadlineMs: SHUTDOWN_DEADLINE_MS,
    exit: (code) => process.exit(code),
    say: (line) => process.stderr.write(`dualchat server: ${line}\n`),
  });
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
}

export interface ShutdownOnSignalOptions {
  /** The graceful stop (RunningServer.close). */
  close: () => Promise<void>;
  logger: Logger;
  /** Exit with status 1 if the graceful stop has not finished by then. */
  deadlineMs: number;
  exit: (code: number) => void;
  /** One line for the operator (stderr). */
  say: (line: string) => void;
}

/**
 * The SIGINT/SIGTERM handler: the first signal starts the graceful stop and exits 0 when it is done
 * (1 if it fails, or is still running after `deadlineMs`); a second signal exits 1 at once.
 */
export function shutdownOnSignal(options: ShutdownOnSignalOptions): (signal: NodeJS.Signals) => void {
  let stopping = false;
  return (signal) => {
    if (stopping) {
      options.say(`${signal} again, stopping now`);
      options.exit(1);
      return;
    }
    stopping = true;
    options.logger.info({ signal }, 'signal received, shutting down');
    const deadline = setTimeout(() => {
      options.logger.error({ deadlineMs: options.deadlineMs }, 'shutdown did not finish in time; exiting anyway');
      options.say(`shutdown did not finish within ${options.deadlineMs} ms; exiting anyway`);
      options.exit(1);
    }, options.deadlineMs);
    deadline.unref();
    options.close().then(
      () => {
        clearTimeout(deadline);
        options.exit(0);
      },
      (error: unknown) => {
        clearTimeout(deadline);
        options.logger.error({ err: error }, 'error while shutting down');
        options.say(`error while shutting down: ${messageOf(error)}`);
        options.exit(1);
      },
    );
  };
}

function fail(message: string): void {
  process.stderr.write(`dualchat server: ${message}\n`);
  process.exitCode = 1;
}

function parsePort(value: string): number {
  const port = /^[0-9]{1,5}$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isInteger(port) || port < PORT_MIN || port > PORT_MAX) {
    throw new InvalidArgumentError(`a port is a whole number from ${PORT_MIN} to ${PORT_MAX}.`);
  }
  return port;
}

function parseRoomCapacity(value: string): number {
  const n = /^[0-9]{1,7}$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isInteger(n) || n < ROOM_CAPACITY_MIN || n > ROOM_CAPACITY_MAX) {
    throw new InvalidArgumentError(`the room capacity is a whole number from ${ROOM_CAPACITY_MIN} to ${ROOM_CAPACITY_MAX}.`);
  }
  return n;
}

function parseMaxConnections(value: string): number {
  const n = /^[0-9]{1,7}$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isInteger(n) || n < 1 || n > MAX_CONNECTIONS_PER_ADDRESS_LIMIT) {
    throw new InvalidArgumentError(`--max-conn-per-ip is a whole number from 1 to ${MAX_CONNECTIONS_PER_ADDRESS_LIMIT}.`);
  }
  return n;
}

function parseMaxUpload(value: string): number {
  const parsed = parseByteSize(value, '--max-upload');
  if (!parsed.ok) throw new InvalidArgumentError(parsed.error);
  if (!Number.isSafeInteger(parsed.value)) throw new InvalidArgumentError(`--max-upload must be a whole number of bytes, got "${value}"`);
  return parsed.value;
}

function parseUploadTypesFlag(value: string): string[] {
  const parsed = parseUploadTypes(value);
  if (!parsed.ok) throw new InvalidArgumentError(`--upload-types: ${parsed.message}`);
  return parsed.types;
}

function parseWholeFlag(flag: string, value: string, min: number): number {
  const n = /^[0-9]{1,9}$/.test(value.trim()) ? Number(value.trim()) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < min) throw new InvalidArgumentError(`${flag} must be a whole number ≥ ${min}, got "${value}"`);
  return n;
}

function parseNumberFlag(flag: string, value: string, min: number): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < min) {
    throw new InvalidArgumentError(`${flag} must be a number ≥ ${min}, got "${value}"`);
  }
  return n;
}
