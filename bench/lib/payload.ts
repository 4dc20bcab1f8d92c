// The chat text the real-socket suites send: a mark naming the stream (a sender, a pair) and the
// line's sequence number, padded to an exact size, so a receiver finds which line arrived from any
// wire format — a dualchat `<message>`/`<private>` reply, the raw line a forwarder echoes, or a udx
// stream chunk — with one indexOf and two integer parses, whatever surrounds it.
//
//   markLine(3, 17, 100) → "#m3:17:xxxx…x" (100 characters)
//   readMark("<private>a b 1795… - #m3:17:xxx") → { stream: 3, seq: 17 }

/** The mark's opening: '#' never appears in dualchat user or room names (letters and digits only). */
export const MARK = '#m';
const PAD = 'x';

/** Largest stream or sequence number a mark carries (32 bits: ten digits at most). */
export const MAX_MARKED_NUMBER = 0xffff_ffff;

export interface Mark {
  stream: number;
  seq: number;
}

/** `#m<stream>:<seq>:` padded with 'x' to `bytes` characters (ASCII, so also `bytes` bytes). */
export function markLine(stream: number, seq: number, bytes: number): string {
  if (!isMarkNumber(stream) || !isMarkNumber(seq)) throw new RangeError(`stream and seq must be whole numbers from 0 to ${MAX_MARKED_NUMBER} (got ${stream}, ${seq})`);
  const head = `${MARK}${stream}:${seq}:`;
  if (!Number.isSafeInteger(bytes) || bytes < head.length) throw new RangeError(`a marked line needs at least ${head.length} bytes (asked ${bytes})`);
  return head + PAD.repeat(bytes - head.length);
}

function isMarkNumber(n: number): boolean {
  return Number.isSafeInteger(n) && n >= 0 && n <= MAX_MARKED_NUMBER;
}

/** The decimal number at `from` and where it ends, if digits start there and `stop` follows them. */
function readNumber(text: string, from: number, stop: number): { value: number; end: number } | undefined {
  let value = 0;
  let i = from;
  // Bounded by the 10 digits of MAX_MARKED_NUMBER.
  for (; i < text.length && i - from <= 10; i++) {
    const c = text.charCodeAt(i);
    if (c >= 48 && c <= 57) value = value * 10 + (c - 48);
    else break;
  }
  if (i === from || text.charCodeAt(i) !== stop || value > MAX_MARKED_NUMBER) return undefined;
  return { value, end: i };
}

const COLON = 58;

/** The first mark in `text`, or undefined when it holds none. */
export function readMark(text: string): Mark | undefined {
  const at = text.indexOf(MARK);
  if (at < 0) return undefined;
  const stream = readNumber(text, at + MARK.length, COLON);
  if (stream === undefined) return undefined;
  const seq = readNumber(text, stream.end + 1, COLON);
  if (seq === undefined) return undefined;
  return { stream: stream.value, seq: seq.value };
}
