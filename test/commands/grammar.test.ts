import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { VERB_KINDS } from '../../src/commands/aliases.ts';
import {
  KNOWN_VERBS,
  findCommandStarts,
  formatCommand,
  parseCommand,
} from '../../src/commands/grammar.ts';
import type { Command, ParseResult } from '../../src/commands/types.ts';
import { command, commandText, grammarSoup, hostileString } from './arbitraries.ts';

function parsed(line: string): Command {
  const r = parseCommand(line);
  if (!r.ok) throw new Error(`expected ${JSON.stringify(line)} to parse, got ${r.error.message}`);
  return r.value;
}

function refused(line: string): { code: string; message: string } {
  const r = parseCommand(line);
  if (r.ok) throw new Error(`expected ${JSON.stringify(line)} to be refused, got ${JSON.stringify(r.value)}`);
  return { code: r.error.code, message: r.error.message };
}

function checkShape(r: ParseResult<Command>): void {
  if (!r.ok) {
    expect(['bad-command', 'unknown-command', 'bad-argument']).toContain(r.error.code);
    expect(r.error.kind).toBe('parse-error');
    expect(r.error.message.length).toBeGreaterThan(0);
  }
}

describe('parseCommand ∘ formatCommand', () => {
  it('gives back every valid command exactly', () => {
    fc.assert(
      fc.property(command, (c) => {
        const line = formatCommand(c);
        expect(line).not.toMatch(/[\r\n]/);
        expect(parseCommand(line)).toStrictEqual({ ok: true, value: c });
      }),
      { numRuns: 3000 },
    );
  });

  it('is a fixed point: whatever parses, formats to a line that parses to the same command', () => {
    fc.assert(
      fc.property(hostileString, (s) => {
        const r = parseCommand(s);
        if (r.ok) expect(parseCommand(formatCommand(r.value))).toStrictEqual(r);
      }),
      { numRuns: 3000 },
    );
  });

  it('writes the seed verbs and space-separated arguments', () => {
    expect(formatCommand({ kind: 'connect', name: 'alice' })).toBe('<connect>alice');
    expect(formatCommand({ kind: 'disconnect' })).toBe('<disconnect>');
    expect(formatCommand({ kind: 'users' })).toBe('<get_users>');
    expect(formatCommand({ kind: 'users', arg: 'alice' })).toBe('<get_users>alice');
    expect(formatCommand({ kind: 'private', to: 'bob', text: 'hi there' })).toBe('<set_msg>bob hi there');
    expect(formatCommand({ kind: 'broadcast', text: 'hello' })).toBe('<set_msg_all>hello');
    expect(formatCommand({ kind: 'listfiles' })).toBe('<listfiles>');
    expect(formatCommand({ kind: 'download', file: 'a.txt' })).toBe('<download>a.txt');
    expect(formatCommand({ kind: 'join', room: 'games' })).toBe('<join>games');
    expect(formatCommand({ kind: 'leave' })).toBe('<leave>');
    expect(formatCommand({ kind: 'rooms' })).toBe('<rooms>');
    expect(formatCommand({ kind: 'help' })).toBe('<help>');
    expect(formatCommand({ kind: 'stats' })).toBe('<stats>');
    expect(formatCommand({ kind: 'upload', name: 'my file.txt', size: 1234, crc: 0xcbf43926 })).toBe(
      '<upload>1234 cbf43926 my file.txt',
    );
    expect(formatCommand({ kind: 'sendfile', to: 'bob', name: 'a b.png', size: 5, crc: 1 })).toBe(
      '<sendfile>bob 5 00000001 a b.png',
    );
    expect(formatCommand({ kind: 'cancel', id: 't7' })).toBe('<cancel>t7');
  });

  it('escapes the texts that would otherwise read differently', () => {
    // A text that is one bracket group gets another pair, which the parser removes.
    expect(formatCommand({ kind: 'broadcast', text: '<hello>' })).toBe('<set_msg_all><<hello>>');
    expect(parsed('<set_msg_all><<hello>>')).toEqual({ kind: 'broadcast', text: '<hello>' });
    // A text starting with a comma follows a comma separator, which the parser removes.
    expect(formatCommand({ kind: 'private', to: 'bob', text: ',hi' })).toBe('<set_msg>bob,,hi');
    // A user name with a space is bracketed.
    expect(formatCommand({ kind: 'private', to: 'bob smith', text: 'hi' })).toBe('<set_msg><bob smith> hi');
    expect(parsed('<set_msg><bob smith> hi')).toEqual({ kind: 'private', to: 'bob smith', text: 'hi' });
  });

  it('writes CR and LF as spaces, so a command is always one line', () => {
    expect(formatCommand({ kind: 'broadcast', text: 'a\nb\r\nc' })).toBe('<set_msg_all>a b  c');
    expect(formatCommand({ kind: 'private', to: 'b\nob', text: 'x' })).toBe('<set_msg><b ob> x');
  });

  it('writes a signed CRC-32 (as the crc-32 package returns) as its unsigned value', () => {
    const line = formatCommand({ kind: 'upload', name: 'x', size: 1, crc: -1 });
    expect(line).toBe('<upload>1 ffffffff x');
    expect(parsed(line)).toEqual({ kind: 'upload', name: 'x', size: 1, crc: 0xffffffff });
  });
});

describe('parseCommand is total', () => {
  it('never throws, and refusals carry a grammar code and a message', () => {
    fc.assert(
      fc.property(hostileString, (s) => {
        checkShape(parseCommand(s));
      }),
      { numRuns: 5000 },
    );
  });

  it('never throws on bracketed soup', () => {
    fc.assert(
      fc.property(fc.constantFrom(...KNOWN_VERBS), grammarSoup, (verb, rest) => {
        checkShape(parseCommand(`<${verb}>${rest}`));
      }),
      { numRuns: 5000 },
    );
  });

  it('handles a very long line in linear time', () => {
    const long = `<set_msg>bob ${'<'.repeat(200_000)}${'>'.repeat(200_000)}`;
    const t0 = performance.now();
    expect(parsed(long)).toEqual({ kind: 'private', to: 'bob', text: '<'.repeat(199_999) + '>'.repeat(199_999) });
    expect(performance.now() - t0).toBeLessThan(2000);
  });
});

describe('the seed commands', () => {
  it('parses the examples', () => {
    expect(parsed('<connect>alice')).toEqual({ kind: 'connect', name: 'alice' });
    expect(parsed('<connect><alice>')).toEqual({ kind: 'connect', name: 'alice' });
    expect(parsed('<disconnect>')).toEqual({ kind: 'disconnect' });
    expect(parsed('<get_users>')).toEqual({ kind: 'users' });
    expect(parsed('<set_msg>bob hi')).toEqual({ kind: 'private', to: 'bob', text: 'hi' });
    expect(parsed('<set_msg><bob><hi there>')).toEqual({ kind: 'private', to: 'bob', text: 'hi there' });
    expect(parsed('<set_msg>bob,hi there')).toEqual({ kind: 'private', to: 'bob', text: 'hi there' });
    expect(parsed('<set_msg>bob hi there')).toEqual({ kind: 'private', to: 'bob', text: 'hi there' });
    expect(parsed('<set_msg_all>hello')).toEqual({ kind: 'broadcast', text: 'hello' });
    expect(parsed('<listfiles>')).toEqual({ kind: 'listfiles' });
    expect(parsed('<download>notes.txt')).toEqual({ kind: 'download', file: 'notes.txt' });
    expect(parsed('<download><a.txt>')).toEqual({ kind: 'download', file: 'a.txt' });
  });

  it('keeps <, > and commas inside message text', () => {
    expect(parsed('<set_msg>bob a<b, c>d')).toEqual({ kind: 'private', to: 'bob', text: 'a<b, c>d' });
    expect(parsed('<set_msg_all>x <b>bold</b>')).toEqual({ kind: 'broadcast', text: 'x <b>bold</b>' });
    expect(parsed('<set_msg_all><b>bold</b>')).toEqual({ kind: 'broadcast', text: '<b>bold</b>' });
    expect(parsed('<set_msg><bob><b>bold</b>')).toEqual({ kind: 'private', to: 'bob', text: '<b>bold</b>' });
    expect(parsed('<set_msg>bob <3, <3')).toEqual({ kind: 'private', to: 'bob', text: '<3, <3' });
    expect(parsed('<set_msg_all>a,b , c')).toEqual({ kind: 'broadcast', text: 'a,b , c' });
  });

  it('keeps the family own-name forms raw for the hub', () => {
    expect(parsed('<get_users>alice')).toEqual({ kind: 'users', arg: 'alice' });
    expect(parsed('<get_files>alice')).toEqual({ kind: 'listfiles', arg: 'alice' });
    expect(parsed('<disconnect>alice')).toEqual({ kind: 'disconnect', arg: 'alice' });
    expect(parsed('<end_connection><alice>')).toEqual({ kind: 'disconnect', arg: 'alice' });
    expect(parsed('<download>alice,a.txt')).toEqual({ kind: 'download', file: 'alice,a.txt' });
    expect(parsed('<set_msg_all>alice : hi all')).toEqual({ kind: 'broadcast', text: 'alice : hi all' });
    expect(parsed('<msg_all>alice: hi')).toEqual({ kind: 'broadcast', text: 'alice: hi' });
  });

  it('trims spaces around the line, the arguments and inside brackets', () => {
    expect(parsed('  <connect>  alice  ')).toEqual({ kind: 'connect', name: 'alice' });
    expect(parsed('<connect>< alice >')).toEqual({ kind: 'connect', name: 'alice' });
    expect(parsed('<set_msg>  bob ,  hi there  ')).toEqual({ kind: 'private', to: 'bob', text: 'hi there' });
    expect(parsed('<set_msg> < bob > < hi there > ')).toEqual({ kind: 'private', to: 'bob', text: 'hi there' });
    expect(parsed('<get_users>   ')).toEqual({ kind: 'users' });
    expect(parsed('<get_users><>')).toEqual({ kind: 'users' });
    expect(parsed('<leave>  ')).toEqual({ kind: 'leave' });
  });

  it('does not validate names beyond non-empty (the hub does)', () => {
    expect(parsed('<connect>al ice!')).toEqual({ kind: 'connect', name: 'al ice!' });
    expect(parsed('<join>#röom 1')).toEqual({ kind: 'join', room: '#röom 1' });
  });
});

describe('the extended commands', () => {
  it('parses join, leave, rooms, help, stats, cancel', () => {
    expect(parsed('<join>games')).toEqual({ kind: 'join', room: 'games' });
    expect(parsed('<JOIN><games>')).toEqual({ kind: 'join', room: 'games' });
    expect(parsed('<leave>')).toEqual({ kind: 'leave' });
    expect(parsed('<rooms>')).toEqual({ kind: 'rooms' });
    expect(parsed('<help>')).toEqual({ kind: 'help' });
    expect(parsed('<stats>')).toEqual({ kind: 'stats' });
    expect(parsed('<cancel>t-42')).toEqual({ kind: 'cancel', id: 't-42' });
  });

  it('parses upload and sendfile with the name last, spaces allowed', () => {
    expect(parsed('<upload>1234 cbf43926 my file.txt')).toEqual({
      kind: 'upload',
      name: 'my file.txt',
      size: 1234,
      crc: 0xcbf43926,
    });
    expect(parsed('<upload><1234><CBF43926><my file.txt>')).toEqual({
      kind: 'upload',
      name: 'my file.txt',
      size: 1234,
      crc: 0xcbf43926,
    });
    expect(parsed('<upload>0,00000000,a, b.txt')).toEqual({ kind: 'upload', name: 'a, b.txt', size: 0, crc: 0 });
    expect(parsed('<sendfile>bob 5 0000000a holiday photo.jpg')).toEqual({
      kind: 'sendfile',
      to: 'bob',
      name: 'holiday photo.jpg',
      size: 5,
      crc: 10,
    });
    expect(parsed('<sendfile><bob><5><0000000a><x.jpg>')).toEqual({
      kind: 'sendfile',
      to: 'bob',
      name: 'x.jpg',
      size: 5,
      crc: 10,
    });
    expect(parsed(`<upload>${Number.MAX_SAFE_INTEGER} ffffffff big`)).toEqual({
      kind: 'upload',
      name: 'big',
      size: Number.MAX_SAFE_INTEGER,
      crc: 0xffffffff,
    });
  });
});

describe('aliases', () => {
  it('KNOWN_VERBS holds every verb, lowercase, aliases included', () => {
    expect([...KNOWN_VERBS].sort()).toEqual(
      [
        'cancel',
        'connect',
        'disconnect',
        'download',
        'end_connection',
        'get_files',
        'get_list_file',
        'get_users',
        'help',
        'join',
        'leave',
        'listfiles',
        'msg_all',
        'rooms',
        'sendfile',
        'set_msg',
        'set_msg_all',
        'stats',
        'upload',
        // Accounts and history (the store).
        'register',
        'password',
        'unregister',
        'history',
        'oper',
        // The IRC habits.
        'nick',
        'away',
        'me',
        'topic',
        'whois',
        // Reconnecting: a lost connection's name held for its owner.
        'hold',
        'reconnect',
        // File transfers (TransferCommand, outside the hub's Command).
        'resume',
        'sendimage',
        'accept',
        'decline',
        'received',
        'chunk',
      ].sort(),
    );
  });

  it('every alias names its kind', () => {
    expect(parsed('<get_list_file>')).toEqual({ kind: 'listfiles' });
    expect(parsed('<get_files>')).toEqual({ kind: 'listfiles' });
    expect(parsed('<msg_all>hi')).toEqual({ kind: 'broadcast', text: 'hi' });
    expect(parsed('<end_connection>')).toEqual({ kind: 'disconnect' });
    for (const [verb, kind] of VERB_KINDS) {
      const r = parseCommand(`<${verb}>`);
      // Verbs without a required argument parse; the others say what they need, naming the verb.
      if (r.ok) expect(r.value.kind).toBe(kind);
      else expect(r.error).toMatchObject({ code: 'bad-argument', message: expect.stringContaining(`<${verb}>`) });
    }
  });

  /** Mixes the case of an ASCII verb. */
  const verbCase = (verb: string) =>
    fc
      .array(fc.boolean(), { minLength: verb.length, maxLength: verb.length })
      .map((up) => [...verb].map((ch, i) => (up[i] === true ? ch.toUpperCase() : ch)).join(''));
  const pad = fc.constantFrom('', ' ', '  ', '\t', ' \t ');
  /** Text a person types: no brackets, not starting with a comma. */
  const plainText = commandText
    .map((s) => s.replace(/[<>]/g, '').replace(/^[\s,]+/, ''))
    .filter((s) => s.trim() !== '')
    .map((s) => s.trim());
  const plainUser = fc.stringMatching(/^[A-Za-z0-9_.-]{1,16}$/);

  it('private: bracketed, comma, space, any case and spacing are the same command', () => {
    fc.assert(
      fc.property(
        plainUser,
        plainText,
        verbCase('set_msg'),
        pad,
        pad,
        pad,
        (to, text, verb, p1, p2, p3) => {
          const want: Command = { kind: 'private', to, text };
          for (const line of [
            `<${verb}>${p1}<${p2}${to}${p3}>${p1}<${p3}${text}${p2}>${p3}`,
            `<${verb}>${p1}${to}${p2},${p3}${text}${p1}`,
            `<${verb}>${p1}${to} ${p2}${text}${p3}`,
          ]) {
            expect(parseCommand(line)).toStrictEqual({ ok: true, value: want });
          }
        },
      ),
    );
  });

  it('broadcast: set_msg_all and msg_all, bracketed or not, any case and spacing', () => {
    fc.assert(
      fc.property(
        plainText,
        fc.constantFrom('set_msg_all', 'msg_all').chain(verbCase),
        pad,
        pad,
        (text, verb, p1, p2) => {
          const want: Command = { kind: 'broadcast', text };
          expect(parseCommand(`<${verb}>${p1}${text}${p2}`)).toStrictEqual({ ok: true, value: want });
          expect(parseCommand(`<${verb}>${p1}<${p2}${text}${p1}>${p2}`)).toStrictEqual({ ok: true, value: want });
        },
      ),
    );
  });

  it('listfiles and disconnect: every alias, with and without the own name', () => {
    const groups: Array<['listfiles' | 'disconnect', string[]]> = [
      ['listfiles', ['listfiles', 'get_list_file', 'get_files']],
      ['disconnect', ['disconnect', 'end_connection']],
    ];
    fc.assert(
      fc.property(
        fc.constantFrom(...groups).chain(([kind, verbs]) =>
          fc.tuple(fc.constant(kind), fc.constantFrom(...verbs).chain(verbCase)),
        ),
        fc.option(plainUser, { nil: undefined }),
        pad,
        pad,
        ([kind, verb], arg, p1, p2) => {
          const want: Command = arg === undefined ? { kind } : { kind, arg };
          const a = arg ?? '';
          expect(parseCommand(`${p1}<${verb}>${p2}${a}${p1}`)).toStrictEqual({ ok: true, value: want });
          expect(parseCommand(`<${verb}>${p1}<${p2}${a}${p1}>`)).toStrictEqual({ ok: true, value: want });
        },
      ),
    );
  });

  it('single-argument commands: bracketed or bare, any case and spacing', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(
          ['connect', 'connect'] as const,
          ['download', 'download'] as const,
          ['join', 'join'] as const,
          ['cancel', 'cancel'] as const,
        ),
        plainText,
        pad,
        pad,
        ([verb, kind], arg, p1, p2) => {
          const value =
            kind === 'connect'
              ? { kind, name: arg }
              : kind === 'download'
                ? { kind, file: arg }
                : kind === 'join'
                  ? { kind, room: arg }
                  : { kind, id: arg };
          expect(parseCommand(`<${verb.toUpperCase()}>${p1}${arg}${p2}`)).toStrictEqual({ ok: true, value });
          expect(parseCommand(`<${verb}>${p1}<${p2}${arg}${p1}>${p2}`)).toStrictEqual({ ok: true, value });
        },
      ),
    );
  });

  it('upload and sendfile: bracketed, comma and space forms agree', () => {
    fc.assert(
      fc.property(plainUser, plainText, fc.maxSafeNat(), fc.integer({ min: 0, max: 0xffffffff }), pad, (to, name, size, crc, p) => {
        const hex = crc.toString(16).padStart(8, '0');
        const up: Command = { kind: 'upload', name, size, crc };
        const sf: Command = { kind: 'sendfile', to, name, size, crc };
        for (const line of [
          `<upload>${size} ${hex} ${name}`,
          `<UPLOAD>${p}${size}${p},${p}${hex.toUpperCase()}${p},${name}${p}`,
          `<upload><${size}>${p}<${hex}>${p}<${p}${name}${p}>`,
        ]) {
          expect(parseCommand(line)).toStrictEqual({ ok: true, value: up });
        }
        for (const line of [
          `<sendfile>${to} ${size} ${hex} ${name}`,
          `<SendFile>${p}${to}${p},${size},${p}${hex}${p},${p}${name}`,
          `<sendfile><${to}><${size}><${hex}><${name}>`,
        ]) {
          expect(parseCommand(line)).toStrictEqual({ ok: true, value: sf });
        }
      }),
    );
  });
});

describe('refusals', () => {
  it('bad-command: not a bracket command', () => {
    expect(refused('hello')).toMatchObject({ code: 'bad-command', message: expect.stringContaining('starts with "<"') });
    expect(refused('')).toMatchObject({ code: 'bad-command', message: expect.stringContaining('empty line') });
    expect(refused('   ')).toMatchObject({ code: 'bad-command' });
    expect(refused('<connect alice')).toMatchObject({ code: 'bad-command', message: expect.stringContaining('missing ">"') });
    expect(refused('<>alice')).toMatchObject({ code: 'bad-command', message: expect.stringContaining('empty verb') });
    expect(refused('<connect>al\nice')).toMatchObject({ code: 'bad-command', message: expect.stringContaining('CR or LF') });
    expect(refused('<connect>alice\r')).toMatchObject({ code: 'bad-command' });
  });

  it('unknown-command names the verb', () => {
    expect(refused('<frobnicate>x')).toEqual({
      code: 'unknown-command',
      message: 'unknown command <frobnicate>; send <help> for the list',
    });
    expect(refused('< connect >alice')).toMatchObject({ code: 'unknown-command', message: expect.stringContaining('< connect >') });
    expect(refused(`<${'x'.repeat(500)}>`).message.length).toBeLessThan(120);
  });

  it('bad-argument says what is expected', () => {
    const cases: Array<[string, string]> = [
      ['<connect>', 'usage: <connect>NAME'],
      ['<connect><>', 'usage: <connect>NAME'],
      ['<set_msg>', 'usage: <set_msg>USER TEXT'],
      ['<set_msg>bob', 'missing TEXT; usage: <set_msg>USER TEXT'],
      ['<set_msg><bob>', 'missing TEXT; usage: <set_msg>USER TEXT'],
      ['<set_msg><bob><>', 'missing TEXT; usage: <set_msg>USER TEXT'],
      ['<set_msg>,hi', 'usage: <set_msg>USER TEXT'],
      ['<set_msg><>hi', 'usage: <set_msg>USER TEXT'],
      ['<set_msg><bob', 'usage: <set_msg>USER TEXT'],
      ['<set_msg><b<ob>hi', 'usage: <set_msg>USER TEXT'],
      ['<set_msg_all>', 'usage: <set_msg_all>TEXT'],
      ['<msg_all>  ', 'usage: <msg_all>TEXT'],
      ['<download>', 'usage: <download>FILE'],
      ['<join>', 'usage: <join>ROOM'],
      ['<cancel>', 'usage: <cancel>ID'],
      ['<leave>now', 'unexpected "now"; usage: <leave> (no arguments)'],
      ['<rooms>x', 'unexpected "x"; usage: <rooms>[+PAGE]'],
      ['<rooms>+0', 'pages are numbered from +1, got "+0"; usage: <rooms>[+PAGE]'],
      ['<get_users>+0', 'pages are numbered from +1, got "+0"; usage: <get_users>[NAME | +PAGE]'],
      ['<help>me', 'unexpected "me"; usage: <help> (no arguments)'],
      ['<stats>all', 'unexpected "all"; usage: <stats> (no arguments)'],
      ['<upload>', 'usage: <upload>SIZE CRC NAME'],
      ['<upload>12', 'usage: <upload>SIZE CRC NAME'],
      ['<upload>12 cbf43926', 'missing file NAME; usage: <upload>SIZE CRC NAME'],
      ['<upload>a.txt 12 cbf43926', 'SIZE must be a decimal number of bytes, got "a.txt"; usage: <upload>SIZE CRC NAME'],
      ['<upload>-1 cbf43926 a', 'SIZE must be a decimal number of bytes, got "-1"; usage: <upload>SIZE CRC NAME'],
      ['<upload>1.5 cbf43926 a', 'SIZE must be a decimal number of bytes, got "1.5"; usage: <upload>SIZE CRC NAME'],
      [
        '<upload>9007199254740992 cbf43926 a',
        'SIZE must be a decimal number of bytes, got "9007199254740992"; usage: <upload>SIZE CRC NAME',
      ],
      ['<upload>12 cbf4392 a', 'CRC must be 8 hexadecimal digits, got "cbf4392"; usage: <upload>SIZE CRC NAME'],
      ['<upload>12 cbf439260 a', 'CRC must be 8 hexadecimal digits, got "cbf439260"; usage: <upload>SIZE CRC NAME'],
      ['<upload>12 xyzxyzxy a', 'CRC must be 8 hexadecimal digits, got "xyzxyzxy"; usage: <upload>SIZE CRC NAME'],
      ['<sendfile>', 'usage: <sendfile>USER SIZE CRC NAME'],
      ['<sendfile>bob', 'usage: <sendfile>USER SIZE CRC NAME'],
      ['<sendfile>bob 1 00000000', 'missing file NAME; usage: <sendfile>USER SIZE CRC NAME'],
      ['<sendfile>bob x 00000000 a', 'SIZE must be a decimal number of bytes, got "x"; usage: <sendfile>USER SIZE CRC NAME'],
    ];
    for (const [line, message] of cases) {
      expect(refused(line), line).toEqual({ code: 'bad-argument', message });
    }
  });
});

describe('findCommandStarts', () => {
  it('finds every known verb, any case, and nothing else', () => {
    expect(findCommandStarts('<connect>a<SET_MSG_ALL>hi<b>x</b><Leave>')).toEqual([0, 10, 33]);
    expect(findCommandStarts('<connect')).toEqual([]);
    expect(findCommandStarts('< connect>')).toEqual([]);
    expect(findCommandStarts('<connect >')).toEqual([]);
    expect(findCommandStarts('<<connect>>')).toEqual([1]);
    expect(findCommandStarts('<nope><join>')).toEqual([6]);
    expect(findCommandStarts('')).toEqual([]);
    // Indexes are positions in the original text, whatever non-ASCII text precedes them.
    expect(findCommandStarts('İİ😀<get_users>')).toEqual([4]);
  });

  it('every known verb starts a command', () => {
    for (const verb of KNOWN_VERBS) {
      expect(findCommandStarts(`x<${verb}>y<${verb.toUpperCase()}>`)).toEqual([1, verb.length + 4]);
    }
  });

  it('splits coalesced formatted commands at their starts', () => {
    const noBrackets = command.filter((c) => !JSON.stringify(c).includes('<'));
    fc.assert(
      fc.property(fc.array(noBrackets, { maxLength: 8 }), (cs) => {
        const lines = cs.map(formatCommand);
        const starts: number[] = [];
        let at = 0;
        for (const l of lines) {
          starts.push(at);
          at += l.length;
        }
        expect(findCommandStarts(lines.join(''))).toEqual(starts);
      }),
    );
  });

  it('returns increasing in-range indexes on any text', () => {
    fc.assert(
      fc.property(hostileString, (s) => {
        const found = findCommandStarts(s);
        for (let i = 0; i < found.length; i++) {
          const at = found[i] ?? -1;
          expect(s[at]).toBe('<');
          if (i > 0) expect(at).toBeGreaterThan(found[i - 1] ?? -1);
        }
      }),
    );
  });

  it('is linear on pathological input', () => {
    const text = '<'.repeat(300_000);
    const t0 = performance.now();
    expect(findCommandStarts(text)).toEqual([]);
    expect(performance.now() - t0).toBeLessThan(2000);
  });
});

describe('commandText arbitrary sanity', () => {
  it('produces trimmed one-line non-empty text', () => {
    fc.assert(
      fc.property(commandText, (t) => {
        expect(t).toBe(t.trim());
        expect(t).not.toMatch(/[\r\n]/);
        expect(t.length).toBeGreaterThan(0);
      }),
    );
  });
});
