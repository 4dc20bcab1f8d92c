// A log that an attacker can make loud (refused connections, refused lines, bad hellos, junk datagrams)
// is throttled: at most N lines a second, the rest counted.
import { INPUT_LOGS_PER_SECOND } from './constants.ts';

/** What an InputLog needs of a logger (pino's Logger has it). */
export interface LevelLogger {
  isLevelEnabled(level: string): boolean;
  info(fields: object, msg: string): void;
  debug(fields: object, msg: string): void;
}

type InputLogLevel = 'info' | 'debug';

interface Window {
  level: InputLogLevel;
  second: number;
  count: number;
  /** Lines of this message not written since the last one that was. */
  suppressed: number;
}

/**
 * The log lines one input causes — a refused line, a bad hello, a rejected datagram: the sender picks
 * how many. Each message is written at most `perSecond` times a wall-clock second; the rest are counted,
 * and the count is written as `suppressed` on the next line of that message, or — when the junk stops —
 * by a line of its own within the next second (`{ suppressed }` under the same message), so the log
 * grows by a bounded amount per second whatever arrives, and no count is lost. Messages are code
 * literals: the windows are few.
 */
export class InputLog {
  private readonly windows = new Map<string, Window>();
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly logger: LevelLogger,
    private readonly perSecond: number,
    private readonly clock: () => number = Date.now,
  ) {}

  info(fields: object, msg: string): void {
    this.line('info', fields, msg);
  }

  debug(fields: object, msg: string): void {
    this.line('debug', fields, msg);
  }

  /** Write every count not yet written (at the end of a second, and on close). */
  flush(): void {
    for (const [msg, w] of this.windows) {
      if (w.suppressed === 0) continue;
      this.logger[w.level]({ suppressed: w.suppressed }, msg);
      w.suppressed = 0;
    }
  }

  /** Flush and stop the timer (the server's close). */
  close(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.flush();
  }

  private line(level: InputLogLevel, fields: object, msg: string): void {
    if (!this.logger.isLevelEnabled(level)) return;
    const second = Math.floor(this.clock() / 1000);
    let w = this.windows.get(msg);
    if (w === undefined) {
      w = { level, second, count: 0, suppressed: 0 };
      this.windows.set(msg, w);
    }
    if (w.second !== second) {
      w.second = second;
      w.count = 0;
    }
    if (w.count >= this.perSecond) {
      w.suppressed++;
      this.flushLater();
      return;
    }
    w.count++;
    this.logger[level](w.suppressed > 0 ? { ...fields, suppressed: w.suppressed } : fields, msg);
    w.suppressed = 0;
  }

  private flushLater(): void {
    if (this.timer !== undefined) return;
    const timer = setTimeout(() => {
      this.timer = undefined;
      this.flush();
    }, 1_000);
    timer.unref();
    this.timer = timer;
  }
}

const inputLogs = new WeakMap<LevelLogger, InputLog>();

/** The one InputLog of `logger` (every part of a server shares its per-second allowance per message). */
export function inputLogOf(logger: LevelLogger): InputLog {
  let log = inputLogs.get(logger);
  if (log === undefined) {
    log = new InputLog(logger, INPUT_LOGS_PER_SECOND);
    inputLogs.set(logger, log);
  }
  return log;
}
