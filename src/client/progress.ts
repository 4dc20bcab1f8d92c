// Progress, for people: which progress events a `--json` script gets (throttled), and the text of an
// interactive progress bar (cli-progress's formatter: bar, percentage, sizes, rate, ETA). Pure: the
// time comes in as an argument.
import cliProgress from 'cli-progress';
import type { Direction } from '../files/client-files.ts';
import { formatSize } from '../files/format.ts';
import { PROGRESS_EVENT_INTERVAL_MS, PROGRESS_EVENT_STEP_PERCENT } from './constants.ts';

/** Passes the first progress event of a transfer, then one per interval or step, and always the last. */
export class ProgressThrottle {
  private readonly last = new Map<number, { at: number; percent: number }>();

  constructor(
    private readonly intervalMs = PROGRESS_EVENT_INTERVAL_MS,
    private readonly stepPercent = PROGRESS_EVENT_STEP_PERCENT,
  ) {}

  pass(id: number, percent: number, done: number, size: number, now: number): boolean {
    if (done >= size) {
      this.last.delete(id);
      return true;
    }
    const previous = this.last.get(id);
    if (previous !== undefined && now - previous.at < this.intervalMs && percent - previous.percent < this.stepPercent) return false;
    this.last.set(id, { at: now, percent });
    return true;
  }

  /** The transfer ended (its last progress may never come). */
  forget(id: number): void {
    this.last.delete(id);
  }
}

/** One transfer's bar as it stands. */
export interface BarState {
  id: number;
  direction: Direction;
  name: string;
  done: number;
  size: number;
  /** Where this run started (a resume starts past 0) and when, for the rate and the ETA. */
  startDone: number;
  startedAt: number;
}

const ARROW: Readonly<Record<Direction, string>> = { download: '↓', receive: '↓', upload: '↑', send: '↑' };

/**
 * What an outgoing transfer waits for once every byte has left (a rate and "ETA 0s" would say nothing):
 * the recipient must accept and take a file sent to them; the server must store an upload.
 */
const SENT_ALL_WAITING: Readonly<Record<Direction, string | undefined>> = {
  send: 'all sent — waiting for the recipient to accept it',
  upload: 'all sent — waiting for the server to store it',
  download: undefined,
  receive: undefined,
};

/** Width of the bar itself in characters. */
const BAR_WIDTH = 24;

/** `↓ notes.txt [██████░░░░] 45% 9.0 MiB/20.0 MiB 12.5 MiB/s ETA 1s  #3`, at most `columns` wide. */
export function formatBar(bar: BarState, now: number, columns: number): string {
  const progress = bar.size > 0 ? Math.min(1, bar.done / bar.size) : 1;
  const seconds = Math.max(0.001, (now - bar.startedAt) / 1000);
  const rate = Math.max(0, bar.done - bar.startDone) / seconds;
  const eta = rate > 0 ? Math.ceil((bar.size - bar.done) / rate) : 0;
  const name = bar.name.length > 24 ? `${bar.name.slice(0, 23)}…` : bar.name;
  const line = cliProgress.Format.Formatter(
    {
      format:
        bar.done >= bar.size && SENT_ALL_WAITING[bar.direction] !== undefined
          ? `${ARROW[bar.direction]} {name} [{bar}] {percentage}% {totalSize} ${SENT_ALL_WAITING[bar.direction] ?? ''}  #{id}`
          : `${ARROW[bar.direction]} {name} [{bar}] {percentage}% {doneSize}/{totalSize} {rate} ETA {eta_formatted}  #{id}`,
      barsize: BAR_WIDTH,
      barCompleteString: '█'.repeat(BAR_WIDTH),
      barIncompleteString: '░'.repeat(BAR_WIDTH),
      barGlue: '',
      autopadding: true,
      autopaddingChar: ' ',
      align: 'left',
    },
    { progress, eta, startTime: bar.startedAt, stopTime: now, total: bar.size, value: bar.done, maxWidth: columns },
    { name, doneSize: formatSize(bar.done), totalSize: formatSize(bar.size), rate: `${formatSize(Math.round(rate))}/s`, id: String(bar.id) },
  );
  return [...line].length > columns ? `${[...line].slice(0, Math.max(0, columns - 1)).join('')}…` : line;
}
