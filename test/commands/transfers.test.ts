// The file-transfer lines: the client's TransferCommands and the server's file replies
// (docs/protocol.md, "File transfers"). Round trips are properties over every valid value; the
// refusals name what is wrong; nothing throws on hostile input.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { findCommandStarts, formatReply, parseCommand, parseReply } from '../../src/commands/grammar.ts';
import {
  ABORT_CODE_MEANINGS,
  formatTransferCommand,
  isBase64,
  parseTransferCommand,
  parseTransferId,
} from '../../src/commands/transfer-syntax.ts';
import type { Reply, TransferCommand } from '../../src/commands/types.ts';
import { ABORT_CODES, formatFileRequest, type FileRequest } from '../../src/files/protocol.ts';
import { fileReply, hostileString, transferCommand } from './arbitraries.ts';

function command(line: string): TransferCommand {
  const r = parseTransferCommand(line);
  if (r === undefined || !r.ok) throw new Error(`not a transfer command: ${line} ${JSON.stringify(r)}`);
  return r.value;
}

function refusal(line: string): string {
  const r = parseTransferCommand(line);
  if (r === undefined || r.ok) throw new Error(`expected a refusal for ${line}: ${JSON.stringify(r)}`);
  expect(r.error.code).toBe('bad-argument');
  return r.error.message;
}

function reply(line: string): Reply {
  const r = parseReply(line);
  if (!r.ok) throw new Error(`${line}: ${r.error.message}`);
  return r.value;
}

describe('TransferCommand lines', () => {
  it('parseTransferCommand ∘ formatTransferCommand is the identity', () => {
    fc.assert(
      fc.property(transferCommand, (c) => {
        const line = formatTransferCommand(c);
        expect(line).not.toMatch(/[\r\n]/);
        expect(parseTransferCommand(line)).toEqual({ ok: true, value: c });
      }),
    );
  });

  it('reads the wire forms of docs/files.md', () => {
    expect(command('<resume>1048576 3000000 1a2b3c4d movie.jpg')).toEqual({ kind: 'resume', offset: 1048576, size: 3000000, crc: 0x1a2b3c4d, name: 'movie.jpg' });
    expect(command('<RESUME>0 0 00000000 my notes.txt')).toEqual({ kind: 'resume', offset: 0, size: 0, crc: 0, name: 'my notes.txt' });
    expect(command('<sendimage>bob 12 DEADBEEF cat.png')).toEqual({ kind: 'sendimage', to: 'bob', size: 12, crc: 0xdeadbeef, name: 'cat.png' });
    expect(command('<sendimage><bob smith>,12,deadbeef,<cat one.png>')).toEqual({ kind: 'sendimage', to: 'bob smith', size: 12, crc: 0xdeadbeef, name: 'cat one.png' });
    expect(command('<accept>7')).toEqual({ kind: 'accept', id: 7 });
    expect(command('<decline> 4294967295 ')).toEqual({ kind: 'decline', id: 4294967295 });
    expect(command('<received>1')).toEqual({ kind: 'received', id: 1 });
    expect(command('<chunk>AQAAAAEAAAAAAAAAAAFoaQ==')).toEqual({ kind: 'chunk', data: 'AQAAAAEAAAAAAAAAAAFoaQ==' });
  });

  it('refuses bad arguments, saying what is wrong and how it should look', () => {
    expect(refusal('<accept>0')).toMatch(/ID must be a transfer number from 1 to 4294967295.*usage: <accept>ID/);
    expect(refusal('<accept>4294967296')).toMatch(/transfer number/);
    expect(refusal('<decline>seven')).toMatch(/"seven"/);
    expect(refusal('<received>')).toMatch(/usage: <received>ID/);
    expect(refusal('<resume>10 5 00000000 a.txt')).toMatch(/past the end/);
    expect(refusal('<resume>x 5 00000000 a.txt')).toMatch(/OFFSET must be a decimal/);
    expect(refusal('<resume>1 5 xyz a.txt')).toMatch(/CRC must be 8 hexadecimal digits/);
    expect(refusal('<resume>1 5 00000000')).toMatch(/missing file NAME/);
    expect(refusal('<sendimage>bob 5 0000000g a.png')).toMatch(/CRC/);
    expect(refusal('<chunk>')).toMatch(/missing chunk data/);
    expect(refusal('<chunk>not base64!')).toMatch(/base64/);
    expect(refusal('<chunk>QQ=')).toMatch(/base64/);
  });

  it('leaves every other line to parseCommand and parseTransportCommand', () => {
    for (const line of ['<download>a', '<connect>x', '<transport>tcp 0 lost', 'hello', '<acceptx>1', '<accept', '']) {
      expect(parseTransferCommand(line), line).toBeUndefined();
    }
    // …which does not know these verbs: the server shell asks parseTransferCommand first.
    expect(parseCommand('<accept>1')).toMatchObject({ ok: false, error: { code: 'unknown-command' } });
  });

  it('never throws, on anything', () => {
    fc.assert(
      fc.property(hostileString, (s) => {
        const r = parseTransferCommand(s);
        if (r !== undefined && !r.ok) expect(r.error.message.length).toBeGreaterThan(0);
      }),
    );
  });

  it('the new verbs start commands in unterminated text', () => {
    expect(findCommandStarts('<accept>1<chunk>QQ==<received>1')).toEqual([0, 9, 20]);
  });

  it('isBase64 and parseTransferId', () => {
    expect(isBase64('QUJD')).toBe(true);
    expect(isBase64('QUI=')).toBe(true);
    expect(isBase64('QQ==')).toBe(true);
    expect(isBase64('QUJ')).toBe(false);
    expect(isBase64('Q===')).toBe(false);
    expect(isBase64('QU=D')).toBe(false);
    expect(parseTransferId('1')).toBe(1);
    expect(parseTransferId(' 42 ')).toBe(42);
    expect(parseTransferId('0')).toBeUndefined();
    expect(parseTransferId('-1')).toBeUndefined();
    expect(parseTransferId('1e3')).toBeUndefined();
  });
});

describe('file replies', () => {
  it('parseReply ∘ formatReply is the identity on every file reply', () => {
    fc.assert(
      fc.property(fileReply, (r) => {
        const line = formatReply(r);
        expect(line).not.toMatch(/[\r\n]/);
        expect(parseReply(line)).toEqual({ ok: true, value: r });
      }),
    );
  });

  it('writes the forms of docs/files.md', () => {
    const examples: Array<[Reply, string]> = [
      [{ kind: 'sending', id: 3, size: 20, crc: 0xabc, offset: 0, name: 'my notes.txt' }, '<sending>3 20 00000abc 0 my%20notes.txt'],
      [{ kind: 'queued', id: 9, position: 2, name: 'a.txt' }, '<queued>9 2 a.txt'],
      [{ kind: 'ready', id: 9, name: 'a.txt' }, '<ready>9 a.txt'],
      [{ kind: 'stored', id: 9, name: 'a (1).txt' }, '<stored>9 a%20(1).txt'],
      [{ kind: 'offer', id: 4, from: 'bob', size: 5, crc: 1, name: 'cat.png' }, '<offer>4 bob 5 00000001 cat.png'],
      [{ kind: 'delivered', id: 4, to: 'carol', name: 'cat.png' }, '<delivered>4 carol cat.png'],
      [{ kind: 'aborted', id: 4, code: 'cancelled', message: 'download of x cancelled' }, '<aborted>4 cancelled download of x cancelled'],
      [{ kind: 'aborted', id: 4, code: 'crc', message: '' }, '<aborted>4 crc'],
      [{ kind: 'refused', request: 'download', code: 'unknown-file', name: 'nothing.txt', message: 'no such file' }, '<refused>download unknown-file nothing.txt - no such file'],
      [{ kind: 'refused', request: 'upload', code: 'too-large', name: 'big.pdf', message: '' }, '<refused>upload too-large big.pdf -'],
      [{ kind: 'chunk', data: 'QUJD' }, '<chunk>QUJD'],
    ];
    for (const [r, line] of examples) {
      expect(formatReply(r)).toBe(line);
      expect(reply(line)).toEqual(r);
    }
  });

  it('refuses malformed file replies with a usage message', () => {
    for (const line of [
      '<sending>0 20 00000abc 0 a',
      '<sending>1 20 00000abc 21 a',
      '<sending>1 20 abc 0 a',
      '<sending>1 20 00000abc 0',
      '<queued>1 0 a',
      '<ready>1',
      '<offer>1 bob x 00000000 a',
      '<aborted>1 exploded boom',
      '<aborted>x cancelled',
      '<refused>print refused a - no',
      '<refused>upload nonsense a - no',
      '<refused>upload refused a no',
      '<chunk>',
      '<chunk>QQ=',
    ]) {
      const r = parseReply(line);
      expect(r.ok, line).toBe(false);
      if (!r.ok) expect(r.error.message, line).toMatch(/expected <[a-z]+>/);
    }
  });

  it('every AbortCode has a meaning, and the files core knows the same list', () => {
    expect([...ABORT_CODES].sort()).toEqual(Object.keys(ABORT_CODE_MEANINGS).sort());
  });
});

describe('FileRequest lines (formatFileRequest)', () => {
  it('writes each request as the line the server parses back to it', () => {
    const requests: Array<[FileRequest, string]> = [
      [{ kind: 'download', name: 'notes.txt' }, '<download>notes.txt'],
      [{ kind: 'resume', offset: 5, size: 10, crc: 255, name: 'a b.txt' }, '<resume>5 10 000000ff a b.txt'],
      [{ kind: 'upload', size: 3, crc: 1, name: 'up.txt' }, '<upload>3 00000001 up.txt'],
      [{ kind: 'sendfile', to: 'bob', size: 3, crc: 1, name: 'up.txt', image: false }, '<sendfile>bob 3 00000001 up.txt'],
      [{ kind: 'sendfile', to: 'bob', size: 3, crc: 1, name: 'cat.png', image: true }, '<sendimage>bob 3 00000001 cat.png'],
      [{ kind: 'cancel', id: 7 }, '<cancel>7'],
      [{ kind: 'accept', id: 7 }, '<accept>7'],
      [{ kind: 'decline', id: 7 }, '<decline>7'],
      [{ kind: 'received', id: 7 }, '<received>7'],
    ];
    for (const [request, line] of requests) {
      expect(formatFileRequest(request)).toBe(line);
      const parsed = parseTransferCommand(line) ?? parseCommand(line);
      expect(parsed.ok, line).toBe(true);
    }
  });
});
