import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { findCommandStarts, KNOWN_VERBS } from '../../../src/commands/grammar.ts';
import { MAX_LINE_BYTES, PARTIAL_FLUSH_MS, QUIET_FLUSH_MS } from '../../../src/tcp/constants.ts';
import { CommandFramer, LONGEST_COMMAND_START, type FramerOutput } from '../../../src/doors/bracket/framing.ts';

const utf8 = new TextEncoder();
const bytes = (s: string): Uint8Array => utf8.encode(s);

function lines(outputs: FramerOutput[]): string[] {
  return outputs.flatMap((o) => (o.type === 'line' ? [o.text] : []));
}

/** Split `data` at the given cut points (any order, any values; clamped and deduplicated). */
function chunked(data: Uint8Array, cuts: number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((c) => Math.min(data.length, Math.max(0, c))))].sort((a, b) => a - b);
  const out: Uint8Array[] = [];
  let from = 0;
  for (const p of [...points, data.length]) {
    if (p > from) out.push(data.subarray(from, p));
    from = Math.max(from, p);
  }
  return out;
}

/** Feed every chunk at time `now`, then end the stream. */
function feedAll(framer: CommandFramer, chunks: Uint8Array[], now = 0): FramerOutput[] {
  const out: FramerOutput[] = [];
  for (const c of chunks) out.push(...framer.push(c, now));
  out.push(...framer.end(now));
  return out;
}

/** Text that is not blank, has no terminator inside, and survives UTF-8 round trip unchanged. */
const lineText = fc
  .array(
    fc.oneof(
      fc.constantFrom('<connect>', '<get_users>', '<SET_MSG_ALL>', '<set_msg>', '<msg_all>', '<nope>', '<', '>'),
      fc.constantFrom('!', '!@', '!@#', '@#$', '\r', ' ', '\t', 'é', '😀', '中'),
      fc.string({ unit: 'binary', maxLength: 12 }),
    ),
    { minLength: 1, maxLength: 8 },
  )
  .map((parts) => parts.join(''))
  .filter(
    (t) =>
      !t.includes('\n') &&
      !t.includes('!@#$') &&
      !t.endsWith('\r') &&
      !t.startsWith('\uFEFF') &&
      t.trim() !== '',
  );

const terminator = fc.constantFrom('\n', '\r\n', '!@#$');

describe('CommandFramer: terminated lines', () => {
  it('takes \\n, \\r\\n and !@#$ as line ends', () => {
    const framer = new CommandFramer();
    const out = framer.push(bytes('<connect>alice\n<get_users>\r\n<set_msg_all>hi!@#$<listfiles>'), 0);
    expect(lines(out)).toEqual(['<connect>alice', '<get_users>', '<set_msg_all>hi']);
    expect(framer.mode).toBe('terminated');
    expect(framer.pollTimeout()).toBeUndefined(); // a terminated connection never flushes on time
    expect(lines(framer.end(0))).toEqual(['<listfiles>']);
  });

  it('keeps a terminated line whole even when it contains command verbs', () => {
    const framer = new CommandFramer();
    const out = framer.push(bytes('<set_msg_all>type <get_users> or <help>\n'), 0);
    expect(lines(out)).toEqual(['<set_msg_all>type <get_users> or <help>']);
  });

  it('skips blank lines', () => {
    const framer = new CommandFramer();
    expect(framer.push(bytes('\n\r\n  \n<help>\n\t\n!@#$'), 0)).toEqual([{ type: 'line', text: '<help>' }]);
  });

  it('waits for a !@#$ cut across chunks', () => {
    const framer = new CommandFramer();
    expect(framer.push(bytes('<help>!@'), 0)).toEqual([]);
    expect(framer.push(bytes('#'), 0)).toEqual([]);
    expect(lines(framer.push(bytes('$<rooms>!@#$'), 0))).toEqual(['<help>', '<rooms>']);
  });

  it('finds a \\n right after an unfinished "!"', () => {
    const framer = new CommandFramer();
    expect(lines(framer.push(bytes('wow!\n'), 0))).toEqual(['wow!']);
    expect(lines(framer.push(bytes('a!@\nb\n'), 0))).toEqual(['a!@', 'b']);
  });

  it('any chunking of a stream of terminated lines yields the same lines', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(lineText, terminator), { minLength: 1, maxLength: 12 }),
        fc.array(fc.nat(), { maxLength: 40 }),
        (entries, cuts) => {
          const stream = bytes(entries.map(([t, term]) => t + term).join(''));
          const out = feedAll(new CommandFramer(), chunked(stream, cuts));
          expect(out).toEqual(entries.map(([t]) => ({ type: 'line', text: t })));
        },
      ),
    );
  });

  it('decodes UTF-8 split across chunks', () => {
    const data = bytes('<set_msg_all>café 😀 中文\n');
    for (let cut = 1; cut < data.length; cut++) {
      const framer = new CommandFramer();
      const out = [...framer.push(data.subarray(0, cut), 0), ...framer.push(data.subarray(cut), 0)];
      expect(lines(out)).toEqual(['<set_msg_all>café 😀 中文']);
    }
  });
});

describe('CommandFramer: unterminated commands (the Python clients)', () => {
  it('takes a lone command after the quiet period, not before', () => {
    const framer = new CommandFramer();
    expect(framer.push(bytes('<connect>alice'), 1000)).toEqual([]);
    expect(framer.pollTimeout()).toBe(1000 + QUIET_FLUSH_MS);
    expect(framer.handleTimeout(1000 + QUIET_FLUSH_MS - 1)).toEqual([]);
    expect(framer.handleTimeout(1000 + QUIET_FLUSH_MS)).toEqual([{ type: 'line', text: '<connect>alice' }]);
    expect(framer.mode).toBe('unterminated');
    expect(framer.pollTimeout()).toBeUndefined();
  });

  it('restarts the quiet period on every chunk', () => {
    const framer = new CommandFramer();
    framer.push(bytes('<set_msg_all>hel'), 0);
    framer.push(bytes('lo'), 30);
    expect(framer.handleTimeout(QUIET_FLUSH_MS)).toEqual([]);
    expect(lines(framer.handleTimeout(30 + QUIET_FLUSH_MS))).toEqual(['<set_msg_all>hello']);
  });

  it('executes commands coalesced into one segment, split at known verbs', () => {
    const framer = new CommandFramer();
    expect(framer.push(bytes('<connect>alice<GET_USERS><set_msg_all>hi all'), 0)).toEqual([]);
    expect(lines(framer.handleTimeout(QUIET_FLUSH_MS))).toEqual(['<connect>alice', '<GET_USERS>', '<set_msg_all>hi all']);
  });

  it('once unterminated, a new command start releases the previous command at once', () => {
    const framer = new CommandFramer();
    framer.push(bytes('<connect>bob'), 0);
    framer.handleTimeout(QUIET_FLUSH_MS);
    expect(lines(framer.push(bytes('<set_msg>alice hi'), 100))).toEqual([]);
    expect(lines(framer.push(bytes('<get_us'), 101))).toEqual([]);
    expect(lines(framer.push(bytes('ers>'), 102))).toEqual(['<set_msg>alice hi']);
    expect(lines(framer.handleTimeout(102 + QUIET_FLUSH_MS))).toEqual(['<get_users>']);
  });

  it('does not split at unknown verbs or at "<" in text', () => {
    const framer = new CommandFramer();
    framer.push(bytes('<set_msg_all>a < b <nope> c'), 0);
    expect(lines(framer.handleTimeout(QUIET_FLUSH_MS))).toEqual(['<set_msg_all>a < b <nope> c']);
  });

  it('waits longer for a visibly partial command', () => {
    const framer = new CommandFramer();
    framer.push(bytes('<set_ms'), 0);
    expect(framer.pollTimeout()).toBe(PARTIAL_FLUSH_MS);
    framer.push(bytes('g_all>caf'), 10);
    framer.push(new Uint8Array([0xc3]), 20); // first byte of "é"
    expect(framer.pollTimeout()).toBe(20 + PARTIAL_FLUSH_MS);
    expect(framer.handleTimeout(20 + QUIET_FLUSH_MS)).toEqual([]);
    framer.push(new Uint8Array([0xa9]), 200);
    expect(framer.pollTimeout()).toBe(200 + QUIET_FLUSH_MS);
    expect(lines(framer.handleTimeout(200 + QUIET_FLUSH_MS))).toEqual(['<set_msg_all>café']);
  });

  it('gives up waiting for a partial command after PARTIAL_FLUSH_MS', () => {
    const framer = new CommandFramer();
    framer.push(bytes('<get_us'), 0);
    expect(lines(framer.handleTimeout(PARTIAL_FLUSH_MS))).toEqual(['<get_us']);
  });

  it('switches to terminated lines when the client starts using terminators', () => {
    const framer = new CommandFramer();
    framer.push(bytes('<connect>carol'), 0);
    framer.handleTimeout(QUIET_FLUSH_MS);
    expect(lines(framer.push(bytes('<get_users><set_msg_all>x\n<set_msg_all>see <rooms>\n'), 100))).toEqual([
      '<get_users>',
      '<set_msg_all>x',
      '<set_msg_all>see <rooms>',
    ]);
    expect(framer.mode).toBe('terminated');
  });

  it('flushes what is held when the stream ends', () => {
    const framer = new CommandFramer();
    framer.push(bytes('<connect>dave<disconnect>'), 0);
    expect(lines(framer.end(1))).toEqual(['<connect>dave', '<disconnect>']);
    expect(framer.finished).toBe(true);
    expect(framer.push(bytes('<help>\n'), 2)).toEqual([]);
  });

  it('splits the same way whatever the chunking, once unterminated', () => {
    const verbs = [...KNOWN_VERBS];
    const command = fc.tuple(
      fc.constantFrom(...verbs),
      fc.boolean(),
      fc.string({ unit: fc.constantFrom('a', 'b', ' ', '<', '>', 'é', '😀', '_', 'x'), maxLength: 10 }),
    );
    fc.assert(
      fc.property(fc.array(command, { minLength: 1, maxLength: 8 }), fc.array(fc.nat(), { maxLength: 30 }), (cmds, cuts) => {
        const texts = cmds.map(([verb, upper, arg]) => `<${upper ? verb.toUpperCase() : verb}>${arg}`);
        const whole = texts.join('');
        const reference = new CommandFramer();
        reference.push(bytes('<help>'), 0);
        reference.handleTimeout(QUIET_FLUSH_MS); // now unterminated
        const expected = lines([...reference.push(bytes(whole), 100), ...reference.end(100)]);

        const framer = new CommandFramer();
        framer.push(bytes('<help>'), 0);
        framer.handleTimeout(QUIET_FLUSH_MS);
        expect(lines(feedAll(framer, chunked(bytes(whole), cuts), 100))).toEqual(expected);
        // And the split is at every known verb: one piece per command start, re-joined the input.
        expect(expected.join('')).toBe(whole);
        expect(expected.length).toBe(findCommandStarts(whole).length);
      }),
    );
  });

  it('stays linear on many short terminated lines of mixed terminators', () => {
    const framer = new CommandFramer();
    const data = bytes('<help>!@#$'.repeat(50_000) + '<rooms>\n'.repeat(50_000) + '!');
    const started = performance.now();
    let count = 0;
    for (let i = 0; i < data.length; i += 64 * 1024) count += lines(framer.push(data.subarray(i, i + 64 * 1024), 0)).length;
    expect(count).toBe(100_000);
    expect(performance.now() - started).toBeLessThan(2_000);
  });

  it('stays linear when a long command arrives one byte at a time', () => {
    const framer = new CommandFramer();
    framer.push(bytes('<help>'), 0);
    framer.handleTimeout(QUIET_FLUSH_MS);
    const text = bytes(`<set_msg_all><${'x'.repeat(MAX_LINE_BYTES - 20)}`);
    const started = performance.now();
    for (let i = 0; i < text.length; i++) framer.push(text.subarray(i, i + 1), 100);
    expect(lines(framer.end(100))).toHaveLength(1);
    expect(performance.now() - started).toBeLessThan(2_000);
  });
});

describe('CommandFramer: bad input', () => {
  it('closes on a terminated line over the maximum, after the lines before it', () => {
    const framer = new CommandFramer();
    const out = framer.push(bytes(`<help>\n<set_msg_all>${'x'.repeat(MAX_LINE_BYTES)}\n<rooms>\n`), 0);
    expect(out).toEqual([
      { type: 'line', text: '<help>' },
      { type: 'error', code: 'line-too-long', fatal: true },
    ]);
    expect(framer.finished).toBe(true);
    expect(framer.push(bytes('<rooms>\n'), 1)).toEqual([]);
  });

  it('closes as soon as an unfinished line passes the maximum', () => {
    const framer = new CommandFramer();
    const chunk = bytes('y'.repeat(16 * 1024));
    let out: FramerOutput[] = [];
    for (let i = 0; i < 4 && out.length === 0; i++) out = framer.push(chunk, 0);
    expect(out).toEqual([]);
    expect(framer.push(bytes('z'), 0)).toEqual([{ type: 'error', code: 'line-too-long', fatal: true }]);
    expect(framer.bufferedBytes).toBe(0);
  });

  it('accepts a line of exactly the maximum', () => {
    const framer = new CommandFramer();
    const line = `<set_msg_all>${'x'.repeat(MAX_LINE_BYTES - '<set_msg_all>'.length)}`;
    expect(lines(framer.push(bytes(`${line}\n`), 0))).toEqual([line]);
  });

  it('reports a non-UTF-8 line and goes on', () => {
    const framer = new CommandFramer();
    const bad = new Uint8Array([...bytes('<set_msg_all>'), 0xff, 0xfe, 0x0a, ...bytes('<get_users>\n')]);
    expect(framer.push(bad, 0)).toEqual([
      { type: 'error', code: 'bad-encoding', fatal: false },
      { type: 'line', text: '<get_users>' },
    ]);
  });

  it('reports a non-UTF-8 unterminated command and goes on', () => {
    const framer = new CommandFramer();
    framer.push(new Uint8Array([...bytes('<set_msg_all>'), 0xc0, 0xaf, ...bytes('<help>')]), 0);
    expect(framer.handleTimeout(QUIET_FLUSH_MS)).toEqual([
      { type: 'error', code: 'bad-encoding', fatal: false },
      { type: 'line', text: '<help>' },
    ]);
  });

  it('never throws on random bytes, chunks and times; every output is well-formed', () => {
    const byte = fc.oneof(fc.integer({ min: 0, max: 255 }), fc.constantFrom(0x0a, 0x0d, 0x21, 0x40, 0x23, 0x24, 0x3c, 0x3e));
    const step = fc.oneof(
      fc.record({ kind: fc.constant('push' as const), data: fc.array(byte, { maxLength: 64 }), dt: fc.nat(100) }),
      fc.record({ kind: fc.constant('timeout' as const), dt: fc.nat(600) }),
    );
    fc.assert(
      fc.property(fc.array(step, { maxLength: 30 }), fc.integer({ min: 8, max: 256 }), (steps, maxLineBytes) => {
        const framer = new CommandFramer({ maxLineBytes });
        let now = 0;
        const out: FramerOutput[] = [];
        for (const s of steps) {
          now += s.dt;
          if (s.kind === 'push') {
            out.push(...framer.push(Uint8Array.from(s.data), now));
            continue;
          }
          const due = framer.pollTimeout();
          out.push(...framer.handleTimeout(now));
          // Once due, a timeout takes everything held: nothing is left waiting on time.
          if (due !== undefined && now >= due) expect(framer.pollTimeout()).toBeUndefined();
        }
        out.push(...framer.end(now));
        let fatal = 0;
        for (const o of out) {
          if (o.type === 'line') {
            expect(o.text.trim()).not.toBe('');
            expect(utf8.encode(o.text).length).toBeLessThanOrEqual(maxLineBytes);
          } else if (o.fatal) {
            fatal++;
            expect(o).toBe(out[out.length - 1]);
          }
        }
        expect(fatal).toBeLessThanOrEqual(1);
      }),
    );
  });
});

describe('LONGEST_COMMAND_START', () => {
  it('covers every known verb in brackets, and no more', () => {
    for (const verb of KNOWN_VERBS) expect(`<${verb}>`.length).toBeLessThanOrEqual(LONGEST_COMMAND_START);
    expect(Math.max(...[...KNOWN_VERBS].map((v) => `<${v}>`.length))).toBe(LONGEST_COMMAND_START);
  });
});
