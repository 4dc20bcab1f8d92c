// What `dualchat server` does once its flags are valid: start the server, one clear line on failure,
// graceful stop on SIGINT/SIGTERM (a second signal stops at once; a stop that hangs past
// SHUTDOWN_DEADLINE_MS is cut short). Loaded by the subcommand's action only, so `--help` and flag
// errors never load the server, the transports or the file transfers.
import { readFile } from 'node:fs/promises';
import type { Logger } from 'pino';
import { SHUTDOWN_DEADLINE_MS } from '../server/constants.ts';
import { createLogger, type LogLevel } from '../server/logger.ts';
import { startServer, type RunningServer } from '../server/server.ts';
import { messageOf } from '../server/start-error.ts';

/** The flags as commander hands them to the action (each already checked by its parser). */
export interface ServerFlags {
  host: string;
  tcp: number;
  udp: number;
  irc?: number;
  ircTls?: number;
  files: string;
  roomCapacity: number;
  rateLimit: number;
  rateBurst: number;
  maxConnPerIp: number;
  maxConnections?: number;
  maxUpload: number;
  uploadBytesPerHour: number;
  maxSharedBytes: number;
  uploadTypes: string[];
  uploadSlots: number;
  db: string;
  /** `--no-history` sets it false: no room message is written. */
  history: boolean;
  historyOnJoin: number;
  historyDays: number;
  historyMaxRows: number;
  /** `--name-hold SECONDS`: a lost session's name held for its owner (0 = off). */
  nameHold: number;
  logLevel: LogLevel;
  logFile?: string;
  tlsCert?: string;
  tlsKey?: string;
  tlsPort?: number;
  requireTls?: boolean;
  operatorPassword?: string;
  operatorLocal?: boolean;
}

/** The certificate and key the flags name, read; or why not. */
async function readTlsIdentity(flags: ServerFlags): Promise<{ ok: true; tls: { cert: Buffer; key: Buffer } | undefined } | { ok: false; message: string }> {
  if (flags.tlsCert === undefined && flags.tlsKey === undefined) {
    if (flags.tlsPort !== undefined || flags.ircTls !== undefined || flags.requireTls === true) return { ok: false, message: '--tls-port, --irc-tls and --require-tls need --tls-cert and --tls-key' };
    return { ok: true, tls: undefined };
  }
  if (flags.tlsCert === undefined || flags.tlsKey === undefined) return { ok: false, message: '--tls-cert and --tls-key go together' };
  try {
    const [cert, key] = await Promise.all([readFile(flags.tlsCert), readFile(flags.tlsKey)]);
    return { ok: true, tls: { cert, key } };
  } catch (error) {
    return { ok: false, message: `cannot read the TLS certificate or key: ${messageOf(error)}` };
  }
}

export async function runServer(flags: ServerFlags): Promise<void> {
  let logger: Logger;
  try {
    logger = createLogger({ level: flags.logLevel, ...(flags.logFile !== undefined ? { file: flags.logFile } : {}) });
  } catch (error) {
    fail(`cannot open the log file ${flags.logFile ?? ''}: ${messageOf(error)}`);
    return;
  }
  const identity = await readTlsIdentity(flags);
  if (!identity.ok) {
    fail(identity.message);
    return;
  }
  let running: RunningServer;
  try {
    running = await startServer({
      host: flags.host,
      tcpPort: flags.tcp,
      udpPort: flags.udp,
      ...(flags.irc === undefined ? {} : { ircPort: flags.irc }),
      ...(flags.ircTls === undefined ? {} : { ircTlsPort: flags.ircTls }),
      filesDir: flags.files,
      roomCapacity: flags.roomCapacity,
      rateLimit: flags.rateLimit,
      rateBurst: flags.rateBurst,
      maxConnectionsPerAddress: flags.maxConnPerIp,
      ...(flags.maxConnections === undefined ? {} : { maxConnections: flags.maxConnections }),
      files: {
        maxUploadBytes: flags.maxUpload,
        uploadTypes: flags.uploadTypes,
        uploadSlots: flags.uploadSlots,
        uploadBytesPerHour: flags.uploadBytesPerHour,
        maxSharedBytes: flags.maxSharedBytes,
      },
      db: flags.db,
      keepHistory: flags.history,
      historyOnJoin: flags.historyOnJoin,
      historyDays: flags.historyDays,
      historyMaxRows: flags.historyMaxRows,
      nameHoldMs: flags.nameHold * 1000,
      logger,
      ...(identity.tls !== undefined ? { tls: identity.tls } : {}),
      ...(flags.tlsPort !== undefined ? { tlsPort: flags.tlsPort } : {}),
      ...(flags.requireTls === true ? { requireTls: true } : {}),
      ...(flags.operatorPassword !== undefined ? { operatorPassword: flags.operatorPassword } : {}),
      ...(flags.operatorLocal === true ? { operatorLocal: true } : {}),
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
