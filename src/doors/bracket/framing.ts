// Cutting a TCP byte stream into command lines. Pure: bytes and `now` go in, lines, errors and the
// time to wake up come out; no sockets, no timers, no clock.
//
// The rule (docs/protocol.md, "Framing on TCP"):
// - `\n`, `\r\n` and `!@#$` end a line. A connection that has sent one terminator is a *terminated*
//   connection from then on: a line is exactly one command, whatever its text contains, and an
//   unfinished line waits for its terminator (or the end of the stream).
// - A connection that has not (yet) sent a terminator may be one of the Python clients, which send
//   one command per `send()` with no delimiter. Its buffer is taken as complete after a quiet period
//   (QUIET_FLUSH_MS with no new bytes; PARTIAL_FLUSH_MS if it visibly stops mid-command), and from
//   then on the connection is *unterminated*: a known verb in brackets (`<get_users>`, any case)
//   always starts a new command, so commands coalesced into one segment are all executed, each as
//   soon as the next one begins.
// - Before that first flush the framer holds the bytes (undecided): if a terminator arrives first,
//   they were one line. So any chunking of a terminated stream gives the same lines.
// - A line longer than the maximum is a fatal error (the stream cannot be resynchronised); a line
//   that is not UTF-8 is an error for that line only. Blank lines are skipped.
import { findCommandStarts as grammarCommandStarts, MAX_VERB_LENGTH } from '../../commands/grammar.ts';
import { MAX_LINE_BYTES, PARTIAL_FLUSH_MS, QUIET_FLUSH_MS } from '../../tcp/constants.ts';
import type { FramerOutput, LineFramer } from '../../tcp/line-framer.ts';

export type { FramerOutput, FramingErrorCode } from '../../tcp/line-framer.ts';

/** undecided: no terminator seen and nothing flushed yet; then one of the two for good. */
export type FramingMode = 'undecided' | 'unterminated' | 'terminated';

export interface FramerOptions {
  maxLineBytes: number;
  quietMs: number;
  partialMs: number;
  /** Indexes in `text` where a `<knownverb>` begins (the grammar's `findCommandStarts`). */
  findCommandStarts: (text: string) => number[];
  /** Length of the longest text findCommandStarts can match (`<` + longest verb + `>`). */
  longestCommandStart: number;
}

/** `<` + the longest known verb + `>`: how far back a command start cut by a chunk can begin. */
export const LONGEST_COMMAND_START = MAX_VERB_LENGTH + 2;

const LF = 0x0a;
const CR = 0x0d;
const LT = 0x3c; // '<'
const GT = 0x3e; // '>'
const BANG_TERMINATOR = [0x21, 0x40, 0x23, 0x24] as const; // "!@#$"
const INITIAL_CAPACITY = 1024;
/** Arguments per String.fromCharCode call, well under engines' argument limits. */
const LATIN1_SLICE = 8192;

export class CommandFramer implements LineFramer {
  private readonly options: FramerOptions;
  private readonly decoder = new TextDecoder('utf-8', { fatal: true });
  private buf = new Uint8Array(INITIAL_CAPACITY);
  /** Unconsumed bytes are buf[head, tail). */
  private head = 0;
  private tail = 0;
  /** Terminator search resumes here (everything before has been searched). */
  private searchFrom = 0;
  /** Command-start search resumes here (unterminated mode). */
  private scanFrom = 0;
  private lastDataAt = 0;
  private modeValue: FramingMode = 'undecided';
  private done = false;

  constructor(options: Partial<FramerOptions> = {}) {
    this.options = {
      maxLineBytes: options.maxLineBytes ?? MAX_LINE_BYTES,
      quietMs: options.quietMs ?? QUIET_FLUSH_MS,
      partialMs: options.partialMs ?? PARTIAL_FLUSH_MS,
      findCommandStarts: options.findCommandStarts ?? grammarCommandStarts,
      longestCommandStart: options.longestCommandStart ?? LONGEST_COMMAND_START,
    };
  }

  get maxLineBytes(): number {
    return this.options.maxLineBytes;
  }

  get mode(): FramingMode {
    return this.modeValue;
  }

  /** Bytes held, waiting for a terminator, a quiet period or the next command. */
  get bufferedBytes(): number {
    return this.tail - this.head;
  }

  /** True after a fatal error or end(): further input is ignored. */
  get finished(): boolean {
    return this.done;
  }

  push(chunk: Uint8Array, now: number): FramerOutput[] {
    const out: FramerOutput[] = [];
    if (this.done || chunk.length === 0) return out;
    this.append(chunk);
    this.lastDataAt = now;
    this.takeTerminatedLines(out);
    if (this.done) return out;
    if (this.modeValue === 'unterminated') this.splitAtCommandStarts(out);
    if (this.done) return out;
    if (this.tail - this.head > this.options.maxLineBytes) this.fail(out);
    return out;
  }

  /** Absolute time at which handleTimeout should run, or undefined when nothing waits on time. */
  pollTimeout(): number | undefined {
    if (this.done || this.modeValue === 'terminated' || this.head === this.tail) return undefined;
    return this.lastDataAt + (this.looksPartial() ? this.options.partialMs : this.options.quietMs);
  }

  handleTimeout(now: number): FramerOutput[] {
    const out: FramerOutput[] = [];
    const due = this.pollTimeout();
    if (due === undefined || now < due) return out;
    this.flushUnterminated(out);
    return out;
  }

  /** The stream ended: whatever is held is the last command. */
  end(_now: number): FramerOutput[] {
    const out: FramerOutput[] = [];
    if (this.done) return out;
    if (this.modeValue === 'terminated') {
      this.emit(this.head, this.tail, out);
      this.head = this.tail;
    } else {
      this.flushUnterminated(out);
    }
    this.done = true;
    return out;
  }

  // --- internals -------------------------------------------------------------------------------

  private append(chunk: Uint8Array): void {
    if (this.head > 0) {
      // Compact: everything before `head` has been consumed.
      this.buf.copyWithin(0, this.head, this.tail);
      this.tail -= this.head;
      this.searchFrom -= this.head;
      this.scanFrom -= this.head;
      this.head = 0;
    }
    const needed = this.tail + chunk.length;
    if (needed > this.buf.length) {
      let capacity = this.buf.length;
      while (capacity < needed) capacity *= 2;
      const grown = new Uint8Array(capacity);
      grown.set(this.buf.subarray(0, this.tail));
      this.buf = grown;
    }
    this.buf.set(chunk, this.tail);
    this.tail = needed;
  }

  /** Every complete terminated line in the buffer, in order. */
  private takeTerminatedLines(out: FramerOutput[]): void {
    for (;;) {
      const found = this.nextTerminator();
      if (found === undefined) return;
      const [at, length] = found;
      let lineEnd = at;
      if (length === 1 && lineEnd > this.head && this.buf[lineEnd - 1] === CR) lineEnd--;
      if (this.modeValue === 'unterminated') {
        // Commands before the last command start were already taken; the terminator ends the last.
        this.splitAtCommandStarts(out, lineEnd);
        if (this.done) return;
      }
      this.modeValue = 'terminated';
      this.emit(this.head, lineEnd, out);
      if (this.done) return;
      this.head = at + length;
      this.searchFrom = this.head;
      this.scanFrom = this.head;
    }
  }

  /**
   * [index, length] of the first terminator at or after searchFrom, or undefined. One forward pass:
   * every byte is looked at once (a "!@#$" cut by the end of the data is looked at again next time).
   */
  private nextTerminator(): [number, number] | undefined {
    const buf = this.buf;
    const tail = this.tail;
    for (let i = this.searchFrom; i < tail; i++) {
      const byte = buf[i];
      if (byte === LF) return [i, 1];
      if (byte !== BANG_TERMINATOR[0]) continue;
      let matched = 1;
      while (matched < BANG_TERMINATOR.length && i + matched < tail && buf[i + matched] === BANG_TERMINATOR[matched]) {
        matched++;
      }
      if (matched === BANG_TERMINATOR.length) return [i, matched];
      if (i + matched === tail) {
        // A "!@#$" possibly cut by the end of the data: look again from here when more arrives.
        this.searchFrom = i;
        return undefined;
      }
    }
    this.searchFrom = tail;
    return undefined;
  }

  /**
   * Unterminated mode: emit every command that a later command start closes, within
   * buf[head, until). The last command stays in the buffer.
   */
  private splitAtCommandStarts(out: FramerOutput[], until: number = this.tail): void {
    const from = Math.max(this.scanFrom, this.head);
    if (from < until) {
      const text = latin1(this.buf, from, until);
      const starts = this.options.findCommandStarts(text).slice().sort((a, b) => a - b);
      for (const index of starts) {
        const at = from + index;
        if (!Number.isInteger(index) || at <= this.head || at >= until) continue;
        this.emit(this.head, at, out);
        if (this.done) return;
        this.head = at;
      }
    }
    // A command start cut by the end of the bytes so far begins less than its longest length
    // before that end: only there can new bytes complete a new match.
    this.scanFrom = Math.max(this.head, until - (this.options.longestCommandStart - 1));
  }

  /** Quiet period over (or stream ended) without a terminator: the buffer is complete commands. */
  private flushUnterminated(out: FramerOutput[]): void {
    if (this.modeValue === 'undecided') {
      this.modeValue = 'unterminated';
      this.scanFrom = this.head;
    }
    this.splitAtCommandStarts(out);
    if (this.done) return;
    this.emit(this.head, this.tail, out);
    this.head = this.tail;
    this.scanFrom = this.tail;
  }

  /**
   * The held bytes visibly stop mid-command: inside a UTF-8 sequence, or an opening `<` shorter
   * than the longest command start with no `>` yet (`<set_ms`).
   */
  private looksPartial(): boolean {
    if (endsInsideUtf8Sequence(this.buf, this.head, this.tail)) return true;
    const held = this.tail - this.head;
    if (this.buf[this.head] !== LT || held >= this.options.longestCommandStart) return false;
    return !this.buf.subarray(this.head, this.tail).includes(GT);
  }

  private emit(from: number, to: number, out: FramerOutput[]): void {
    if (to - from > this.options.maxLineBytes) {
      this.fail(out);
      return;
    }
    let text: string;
    try {
      text = this.decoder.decode(this.buf.subarray(from, to));
    } catch {
      out.push({ type: 'error', code: 'bad-encoding', fatal: false });
      return;
    }
    // Blank as the grammar sees it (String.prototype.trim: spaces, tabs, VT, FF, NBSP, BOM, ...).
    if (text.trim() !== '') out.push({ type: 'line', text });
  }

  private fail(out: FramerOutput[]): void {
    out.push({ type: 'error', code: 'line-too-long', fatal: true });
    this.done = true;
    this.head = this.tail = this.searchFrom = this.scanFrom = 0;
    this.buf = new Uint8Array(0);
  }
}

/** One character per byte, so string indexes are byte offsets (verbs are ASCII). */
function latin1(bytes: Uint8Array, from: number, to: number): string {
  let text = '';
  for (let i = from; i < to; i += LATIN1_SLICE) {
    text += String.fromCharCode(...bytes.subarray(i, Math.min(to, i + LATIN1_SLICE)));
  }
  return text;
}

/** True if bytes[from, to) ends with the lead of a multi-byte UTF-8 sequence still missing bytes. */
function endsInsideUtf8Sequence(bytes: Uint8Array, from: number, to: number): boolean {
  // Walk back over at most 3 continuation bytes to the lead byte.
  for (let i = to - 1, continuations = 0; i >= from && continuations <= 3; i--) {
    const b = bytes[i] ?? 0;
    if ((b & 0xc0) === 0x80) {
      continuations++;
      continue;
    }
    const expected = b >= 0xf5 ? 0 : b >= 0xf0 ? 3 : b >= 0xe0 ? 2 : b >= 0xc2 ? 1 : 0;
    return expected > continuations;
  }
  return false;
}
