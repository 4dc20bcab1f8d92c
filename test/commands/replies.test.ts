import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ERROR_CODE_MEANINGS } from '../../src/commands/error-codes.ts';
import { decodeField, encodeField } from '../../src/commands/field-encoding.ts';
import { formatReply, parseReply } from '../../src/commands/grammar.ts';
import type { Reply } from '../../src/commands/types.ts';
import { hostileString, replyField, reply } from './arbitraries.ts';

function parsed(line: string): Reply {
  const r = parseReply(line);
  if (!r.ok) throw new Error(`expected ${JSON.stringify(line)} to parse, got ${r.error.message}`);
  return r.value;
}

function refused(line: string): { code: string; message: string } {
  const r = parseReply(line);
  if (r.ok) throw new Error(`expected ${JSON.stringify(line)} to be refused, got ${JSON.stringify(r.value)}`);
  return { code: r.error.code, message: r.error.message };
}

describe('parseReply ∘ formatReply', () => {
  it('gives back every valid reply exactly, on one line', () => {
    fc.assert(
      fc.property(reply, (r) => {
        const line = formatReply(r);
        expect(line).not.toMatch(/[\r\n]/);
        expect(parseReply(line)).toStrictEqual({ ok: true, value: r });
      }),
      { numRuns: 3000 },
    );
  });

  it('is a fixed point: whatever parses, formats to a line that parses to the same reply', () => {
    fc.assert(
      fc.property(hostileString, (s) => {
        const r = parseReply(s);
        if (r.ok) expect(parseReply(formatReply(r.value))).toStrictEqual(r);
      }),
      { numRuns: 3000 },
    );
  });

  it('never throws, and refusals carry a grammar code and a message', () => {
    fc.assert(
      fc.property(hostileString, (s) => {
        const r = parseReply(s);
        if (!r.ok) {
          expect(['bad-command', 'unknown-command', 'bad-argument']).toContain(r.error.code);
          expect(r.error.message.length).toBeGreaterThan(0);
        }
      }),
      { numRuns: 5000 },
    );
  });

  it('never throws on every reply verb followed by soup', () => {
    const verbs = ['welcome', 'message', 'private', 'users', 'rooms', 'files', 'joined', 'left', 'error', 'system', 'disconnected'];
    fc.assert(
      fc.property(fc.constantFrom(...verbs), hostileString, (verb, rest) => {
        const r = parseReply(`<${verb}>${rest}`);
        if (r.ok) expect(r.value.kind).toBe(verb);
      }),
      { numRuns: 5000 },
    );
  });
});

describe('reply wire forms', () => {
  const ts = 1732200000000;
  const examples: Array<[Reply, string]> = [
    [{ kind: 'welcome', name: 'alice', room: 'lobby', text: 'Welcome to dualchat, alice!' }, '<welcome>alice lobby - Welcome to dualchat, alice!'],
    [{ kind: 'welcome', name: 'alice', room: 'lobby', text: 'hi', limits: { rate: 20, burst: 40 } }, '<welcome>alice lobby 20 40 - hi'],
    [{ kind: 'welcome', name: 'alice', room: 'lobby', text: 'hi', limits: { rate: 0.5, burst: 3 } }, '<welcome>alice lobby 0.5 3 - hi'],
    [{ kind: 'welcome', name: 'alice', room: 'lobby', text: '20 40', limits: { rate: 0, burst: 1 } }, '<welcome>alice lobby 0 1 - 20 40'],
    [{ kind: 'message', from: 'alice', room: 'lobby', ts, self: false, text: 'hello there' }, `<message>lobby alice ${ts} - hello there`],
    [{ kind: 'message', from: 'alice', room: 'lobby', ts, self: true, text: 'hello there' }, `<message>lobby alice ${ts} self - hello there`],
    [{ kind: 'message', from: 'alice', room: 'lobby', ts, self: false, text: '' }, `<message>lobby alice ${ts} -`],
    [{ kind: 'message', from: 'alice', room: 'lobby', ts, self: false, text: ' - self - ' }, `<message>lobby alice ${ts} -  - self - `],
    [{ kind: 'private', from: 'alice', to: 'bob', ts, self: false, text: 'psst' }, `<private>alice bob ${ts} - psst`],
    [{ kind: 'private', from: 'alice', to: 'bob', ts, self: true, text: 'psst' }, `<private>alice bob ${ts} self - psst`],
    [{ kind: 'users', users: [{ name: 'alice', room: 'lobby' }, { name: 'bob', room: 'games' }] }, '<users>alice@lobby,bob@games'],
    [{ kind: 'users', users: [] }, '<users>'],
    [{ kind: 'rooms', rooms: [{ name: 'lobby', count: 3 }, { name: 'games', count: 1 }] }, '<rooms>lobby:3,games:1'],
    [{ kind: 'files', files: [{ name: 'notes.txt', size: 1234 }, { name: 'my file, v2.txt', size: 0 }] }, '<files>notes.txt:1234,my%20file%2C%20v2.txt:0'],
    [{ kind: 'files', files: [] }, '<files>'],
    [{ kind: 'joined', name: 'alice', room: 'lobby', ts }, `<joined>lobby alice ${ts}`],
    [{ kind: 'left', name: 'alice', room: 'lobby', ts, reason: 'moved' }, `<left>lobby alice ${ts} moved`],
    [{ kind: 'left', name: 'alice', room: 'lobby', ts, reason: 'lost' }, `<left>lobby alice ${ts} lost`],
    [{ kind: 'error', code: 'name-taken', message: 'Name "bob" is taken; choose another' }, '<error>name-taken Name "bob" is taken; choose another'],
    [{ kind: 'error', code: 'internal', message: '' }, '<error>internal'],
    [{ kind: 'system', text: 'server restarting in 5 minutes' }, '<system>server restarting in 5 minutes'],
    [{ kind: 'system', text: '' }, '<system>'],
    [{ kind: 'disconnected' }, '<disconnected>'],
  ];

  it('writes and reads every example', () => {
    for (const [r, line] of examples) {
      expect(formatReply(r)).toBe(line);
      expect(parseReply(line)).toStrictEqual({ ok: true, value: r });
    }
  });

  it('percent-encodes only the delimiters in fields', () => {
    expect(formatReply({ kind: 'joined', name: 'zoë 😀', room: 'a@b:c,d<e>f%', ts: 0 })).toBe(
      '<joined>a%40b%3Ac%2Cd%3Ce%3Ef%25 zoë%20😀 0',
    );
    expect(parsed('<joined>zo%C3%AB lobby 0')).toEqual({ kind: 'joined', name: 'lobby', room: 'zoë', ts: 0 });
  });

  it('writes CR and LF in free text as spaces, and encodes them exactly in fields', () => {
    expect(formatReply({ kind: 'system', text: 'a\r\nb' })).toBe('<system>a  b');
    expect(formatReply({ kind: 'error', code: 'internal', message: 'x\ny' })).toBe('<error>internal x y');
    expect(formatReply({ kind: 'welcome', name: 'a\nb', room: 'r', text: '\n' })).toBe('<welcome>a%0Ab r -  ');
  });

  it('reads verbs in any case and ignores leading white space, keeping text verbatim', () => {
    expect(parsed('  <SYSTEM>  spaced  ')).toEqual({ kind: 'system', text: '  spaced  ' });
    expect(parsed('<Message>lobby alice 5 -   x ')).toEqual({
      kind: 'message',
      from: 'alice',
      room: 'lobby',
      ts: 5,
      self: false,
      text: '  x ',
    });
  });

  it('every ErrorCode has a wire form', () => {
    for (const code of Object.keys(ERROR_CODE_MEANINGS)) {
      expect(parsed(`<error>${code} why`)).toMatchObject({ kind: 'error', code, message: 'why' });
    }
  });
});

describe('reply refusals', () => {
  const cases: Array<[string, string, string]> = [
    ['', 'bad-command', 'starts with "<"'],
    ['hello', 'bad-command', 'starts with "<"'],
    ['<system', 'bad-command', 'missing ">"'],
    ['<system>a\nb', 'bad-command', 'CR or LF'],
    ['<shout>hi', 'unknown-command', 'unknown reply <shout>'],
    ['<welcome>alice lobby', 'bad-argument', 'expected <welcome>NAME ROOM - TEXT'],
    ['<welcome>alice lobby hi', 'bad-argument', 'expected <welcome>NAME ROOM - TEXT'],
    ['<welcome> lobby - hi', 'bad-argument', 'bad welcome'],
    ['<welcome>alice lobby 20 - hi', 'bad-argument', 'expected <welcome>NAME ROOM - TEXT'],
    ['<welcome>alice lobby 20 1e3 - hi', 'bad-argument', 'expected <welcome>NAME ROOM - TEXT'],
    ['<message>lobby alice x - hi', 'bad-argument', 'expected <message>ROOM FROM TS [self] - TEXT'],
    ['<message>lobby alice -1 - hi', 'bad-argument', 'bad message header'],
    ['<message>lobby alice 9007199254740992 - hi', 'bad-argument', 'bad message header'],
    ['<message>lobby alice 1 me - hi', 'bad-argument', 'bad message header'],
    ['<message>lobby alice 1 -hi', 'bad-argument', 'bad message header'],
    ['<message>lobby  1 - hi', 'bad-argument', 'bad message header'],
    ['<message>lob%zz alice 1 - hi', 'bad-argument', 'bad message header'],
    ['<message>lob%C3 alice 1 - hi', 'bad-argument', 'bad message header'],
    ['<private>alice bob 1', 'bad-argument', 'expected <private>FROM TO TS [self] - TEXT'],
    ['<users>alice', 'bad-argument', 'lacks "@"'],
    ['<users>alice@lobby,', 'bad-argument', 'lacks "@"'],
    ['<users>@lobby', 'bad-argument', 'bad user entry'],
    ['<users>alice@', 'bad-argument', 'bad user entry'],
    ['<rooms>lobby', 'bad-argument', 'lacks ":"'],
    ['<rooms>lobby:x', 'bad-argument', 'bad room entry'],
    ['<rooms>:3', 'bad-argument', 'bad room entry'],
    ['<files>a.txt:-1', 'bad-argument', 'bad file entry'],
    ['<files>a.txt', 'bad-argument', 'lacks ":"'],
    ['<joined>lobby alice', 'bad-argument', 'expected 3 fields, got 2'],
    ['<joined>lobby alice 1 x', 'bad-argument', 'expected 3 fields, got 4'],
    ['<joined>lobby alice 1.5', 'bad-argument', 'bad field'],
    ['<left>lobby alice 1', 'bad-argument', 'expected 4 fields, got 3'],
    ['<left>lobby alice 1 bored', 'bad-argument', 'unknown reason "bored"'],
    ['<error>', 'bad-argument', 'unknown error code ""'],
    ['<error>oops something', 'bad-argument', 'unknown error code "oops"'],
    ['<disconnected>now', 'bad-argument', 'unexpected text'],
  ];
  it.each(cases)('%j → %s', (line, code, fragment) => {
    const r = refused(line);
    expect(r.code).toBe(code);
    expect(r.message).toContain(fragment);
  });
});

describe('field encoding', () => {
  it('decode ∘ encode is the identity on any string', () => {
    fc.assert(
      fc.property(replyField, (s) => {
        expect(decodeField(encodeField(s))).toBe(s);
      }),
    );
  });

  it('encoded fields hold no delimiter, white space or control character', () => {
    fc.assert(
      fc.property(replyField, (s) => {
        expect(encodeField(s)).not.toMatch(/[,@:<>\s\x00-\x1f\x7f]/);
      }),
    );
  });

  it('leaves ordinary names as they are', () => {
    for (const s of ['alice', 'lobby', 'notes.txt', 'zoë', 'Ünïcödé-名前_1']) expect(encodeField(s)).toBe(s);
  });

  it('refuses malformed escapes', () => {
    expect(decodeField('%')).toBeUndefined();
    expect(decodeField('%G0')).toBeUndefined();
    expect(decodeField('%FF')).toBeUndefined();
    expect(decodeField('%41')).toBe('A');
  });
});
