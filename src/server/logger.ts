// The server's log: pino JSON lines to stderr (one object per line, for journals and scripts), made
// readable with pino-pretty when stderr is a terminal, or JSON lines to a file with --log-file.
// stderr, not stdout: a log is diagnostics, and stdout stays free for what a command prints as its
// result (systemd's journal and `docker logs` take both; `2>server.log` keeps the log apart).
import { openSync } from 'node:fs';
import { pino, type Logger } from 'pino';
import pretty from 'pino-pretty';
import type { LogLevel } from './log-levels.ts';

export { isLogLevel, LOG_LEVELS, type LogLevel } from './log-levels.ts';

/** File descriptor of stderr, where the log goes unless --log-file says otherwise. */
const STDERR_FD = 2;

export interface LoggerOptions {
  level: LogLevel;
  /** Write JSON lines to this file (created if missing, appended to) instead of stderr. */
  file?: string;
}

/** Throws if the log file cannot be opened (the message names the path and the cause). */
export function createLogger(options: LoggerOptions): Logger {
  const base = { level: options.level, base: { pid: process.pid } };
  if (options.file !== undefined) {
    // Opened here rather than by pino (sonic-boom retries forever on a path it cannot open), and
    // without creating directories: a typo in the path should be an error, not a new tree.
    const fd = openSync(options.file, 'a');
    return pino(base, pino.destination({ dest: fd, sync: true }));
  }
  if (process.stderr.isTTY === true) {
    return pino(
      base,
      pretty({ colorize: true, singleLine: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname', destination: STDERR_FD, sync: true }),
    );
  }
  return pino(base, pino.destination({ dest: STDERR_FD, sync: true }));
}
