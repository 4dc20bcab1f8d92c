// The IRC framer: CR LF or LF, 512 bytes with CR LF (tags apart), too long refused and skipped, bad
// UTF-8 refused, the stream kept in step whatever the chunking.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { IRC_MAX_FRAME_BYTES, IrcFramer } from '../../../src/doors/irc/framing.ts';
import type { FramerOutput } from '../../../src/tcp/line-framer.ts';

const enc = (s: string): Uint8Array => Buffer.from(s, 'utf8');

function frame(chunks: Array<string | Uint8Array>): FramerOutput[] {
  const f = new IrcFramer();
  return [...chunks.flatMap((c) => f.push(typeof c === 'string' ? enc(c) : c, 0)), ...f.end(0)];
}

describe('IRC framer', () => {
  it('cuts at CR LF and at LF, drops empty lines, keeps an unterminated last line at the end', () => {
    expect(frame(['NICK a\r\nUSER a 0 * :A\n\r\n\nPING x'])).toEqual([
      { type: 'line', text: 'NICK a' },
      { type: 'line', text: 'USER a 0 * :A' },
      { type: 'line', text: 'PING x' },
    ]);
  });

  it('takes 510 bytes before CR LF, refuses 511 (417) and goes on with the next line', () => {
    const ok = `PRIVMSG #r :${'x'.repeat(510 - 12)}`;
    expect(Buffer.byteLength(ok)).toBe(510);
    expect(frame([`${ok}\r\n`])).toEqual([{ type: 'line', text: ok }]);
    expect(frame([`${ok}y\r\nPING z\r\n`])).toEqual([
      { type: 'error', code: 'line-too-long', fatal: false },
      { type: 'line', text: 'PING z' },
    ]);
  });

  it('does not count tags against the 512 bytes', () => {
    const line = `@+draft/x=${'t'.repeat(4000)} PRIVMSG #r :${'x'.repeat(400)}`;
    expect(frame([`${line}\r\n`])).toEqual([{ type: 'line', text: line }]);
  });

  it('refuses a runaway line without a terminator once, and skips it to its end', () => {
    const f = new IrcFramer();
    const out = [...f.push(enc('x'.repeat(IRC_MAX_FRAME_BYTES + 1)), 0), ...f.push(enc('x'.repeat(100_000)), 0), ...f.push(enc('tail\r\nPING ok\r\n'), 0)];
    expect(out).toEqual([
      { type: 'error', code: 'line-too-long', fatal: false },
      { type: 'line', text: 'PING ok' },
    ]);
  });

  it('refuses a line that is not UTF-8, and keeps NUL and CR inside a line for the parser to refuse', () => {
    expect(frame([Buffer.from([0x50, 0xff, 0x0a]), 'A\0B\r\nC\rD\r\n'])).toEqual([
      { type: 'error', code: 'bad-encoding', fatal: false },
      { type: 'line', text: 'A\0B' },
      { type: 'line', text: 'C\rD' },
    ]);
  });

  it('frames the same way however the bytes are chunked', () => {
    fc.assert(
      fc.property(fc.array(fc.stringMatching(/^[ -~]{0,600}$/), { maxLength: 8 }), fc.array(fc.integer({ min: 1, max: 700 }), { minLength: 1, maxLength: 20 }), (lines, cuts) => {
        const bytes = enc(lines.map((l) => `${l}\r\n`).join(''));
        const chunks: Uint8Array[] = [];
        let at = 0;
        for (let i = 0; at < bytes.length; i++) {
          const n = cuts[i % cuts.length]!;
          chunks.push(bytes.subarray(at, at + n));
          at += n;
        }
        expect(frame(chunks)).toEqual(frame([bytes]));
      }),
    );
  });
});
