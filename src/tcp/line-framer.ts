// What a control connection needs of a door's framer: bytes and `now` in, lines, framing errors and the
// time to wake up out. Pure; each door has its own (src/doors/bracket/framing.ts for the bracket language).

export type FramingErrorCode = 'line-too-long' | 'bad-encoding';

export type FramerOutput =
  | { type: 'line'; text: string }
  /** `fatal`: the framer is done and the connection must be closed. */
  | { type: 'error'; code: FramingErrorCode; fatal: boolean };

export interface LineFramer {
  /** Bytes arrived at `now`: the lines (and errors) they complete. */
  push(chunk: Uint8Array, now: number): FramerOutput[];
  /** Absolute time at which handleTimeout should run, or undefined when nothing waits on time. */
  pollTimeout(): number | undefined;
  handleTimeout(now: number): FramerOutput[];
  /** The stream ended: whatever is held is the last line. */
  end(now: number): FramerOutput[];
  /** The longest line accepted, in bytes (for the error message of a line that is longer). */
  readonly maxLineBytes: number;
}
