// `dualchat server`: options → startServer, one clear line on failure, graceful stop on SIGINT/SIGTERM
// (a second signal stops at once).
import { Command, InvalidArgumentError, Option } from 'commander';
import type { Logger } from 'pino';
import {
  DEFAULT_FILES_DIR,
  DEFAULT_HOST,
  DEFAULT_LOG_LEVEL,
  DEFAULT_TCP_PORT,
  DEFAULT_UDP_PORT,
} from '../server/constants.ts';
import { DEFAULT_HUB_OPTIONS, ROOM_CAPACITY_MAX, ROOM_CAPACITY_MIN } from '../chat/limits.ts';
import { createLogger, LOG_LEVELS, type LogLevel } from '../server/logger.ts';
import { PORT_MAX, PORT_MIN } from '../server/options.ts';
import { startServer, type RunningServer } from '../server/server.ts';
import { messageOf } from '../server/start-error.ts';

interface ServerFlags {
  host: string;
  tcp: number;
  udp: number;
  files: string;
  roomCapacity: number;
  rateLimit: number;
  rateBurst: number;
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
    .addOption(new Option('--log-level <level>', 'log level').choices(LOG_LEVELS).default(DEFAULT_LOG_LEVEL))
    .option('--log-file <path>', 'write the JSON log to this file instead of stdout')
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
      logger,
    });
  } catch (error) {
    fail(messageOf(error));
    return;
  }
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (stopping) {
      process.stderr.write(`dualchat server: ${signal} again, stopping now\n`);
      process.exit(1);
    }
    stopping = true;
    logger.info({ signal }, 'signal received, shutting down');
    running.close().then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(`dualchat server: error while shutting down: ${messageOf(error)}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
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

function parseNumberFlag(flag: string, value: string, min: number): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < min) {
    throw new InvalidArgumentError(`${flag} must be a number ≥ ${min}, got "${value}"`);
  }
  return n;
}
