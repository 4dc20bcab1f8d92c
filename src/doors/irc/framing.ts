// The IRC door's framer: lines end with CR LF (LF alone is accepted, as every server does); a line is at
// most 512 bytes with its CR LF (RFC 2812 §2.3), not counting its IRCv3 tags, which have 8191 bytes of
// their own (message-tags). A longer line is refused (ERR_INPUTTOOLONG, 417) and skipped up to its end —
// the stream stays in step, since LF still ends it — and the connection goes on. Empty lines are ignored
// (RFC 2812 §2.3.1). A CR or NUL inside a line is left in it: the door's parser refuses that line with a
// numeric. Pure: bytes in, lines out; nothing waits on time.
import type { FramerOutput, LineFramer } from '../../tcp/line-framer.ts';
import { IRC_MAX_LINE, IRC_MAX_TAG_BYTES } from './message.ts';

const LF = 0x0a;
const CR = 0x0d;
const AT = 0x40;
const SPACE = 0x20;

/** The most a line may hold, tags and CR LF included: past this without an LF, the line is refused. */
export const IRC_MAX_FRAME_BYTES = IRC_MAX_TAG_BYTES + IRC_MAX_LINE + 2;

export class IrcFramer implements LineFramer {
  private readonly decoder = new TextDecoder('utf-8', { fatal: true });
  private held: Uint8Array = new Uint8Array(0);
  /** Inside a line already refused as too long: bytes are dropped up to its LF. */
  private skipping = false;
  private done = false;

  get maxLineBytes(): number {
    return IRC_MAX_LINE + 2;
  }

  push(chunk: Uint8Array, _now: number): FramerOutput[] {
    const out: FramerOutput[] = [];
    if (this.done || chunk.length === 0) return out;
    const bytes = this.held.length === 0 ? chunk : concat(this.held, chunk);
    let start = 0;
    // Each turn consumes one line (or the rest): bounded by the chunk's length.
    for (let turn = 0; turn <= bytes.length; turn++) {
      const lf = bytes.indexOf(LF, start);
      if (lf < 0) break;
      if (this.skipping) this.skipping = false;
      else this.line(bytes.subarray(start, lf), out);
      start = lf + 1;
    }
    const rest = bytes.subarray(start);
    if (this.skipping) this.held = new Uint8Array(0);
    else if (rest.length > IRC_MAX_FRAME_BYTES) {
      out.push({ type: 'error', code: 'line-too-long', fatal: false });
      this.skipping = true;
      this.held = new Uint8Array(0);
    } else this.held = rest.length === 0 ? new Uint8Array(0) : rest.slice();
    return out;
  }

  pollTimeout(): number | undefined {
    return undefined;
  }

  handleTimeout(_now: number): FramerOutput[] {
    return [];
  }

  /** The stream ended: an unterminated last line still counts (a client that sent QUIT without CR LF). */
  end(_now: number): FramerOutput[] {
    const out: FramerOutput[] = [];
    if (this.done) return out;
    this.done = true;
    if (!this.skipping && this.held.length > 0) this.line(this.held, out);
    this.held = new Uint8Array(0);
    return out;
  }

  /** One line without its LF (a CR before the LF is dropped). */
  private line(raw: Uint8Array, out: FramerOutput[]): void {
    const bytes = raw.length > 0 && raw[raw.length - 1] === CR ? raw.subarray(0, raw.length - 1) : raw;
    if (bytes.length === 0) return;
    if (bodyBytes(bytes) > IRC_MAX_LINE || bytes.length > IRC_MAX_FRAME_BYTES - 2) {
      out.push({ type: 'error', code: 'line-too-long', fatal: false });
      return;
    }
    let text: string;
    try {
      text = this.decoder.decode(bytes);
    } catch {
      out.push({ type: 'error', code: 'bad-encoding', fatal: false });
      return;
    }
    if (text.trim() !== '') out.push({ type: 'line', text });
  }
}

/** Bytes of the line after its tags (`@tags ` is not counted against the 512). */
function bodyBytes(line: Uint8Array): number {
  if (line[0] !== AT) return line.length;
  const space = line.indexOf(SPACE);
  if (space < 0) return 0;
  if (space > IRC_MAX_TAG_BYTES) return Number.POSITIVE_INFINITY;
  return line.length - space - 1;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const joined = new Uint8Array(a.length + b.length);
  joined.set(a, 0);
  joined.set(b, a.length);
  return joined;
}
