// Every user action is in the log, as one JSON record with a timestamp: connect, refused name, join,
// leave, message and private-message metadata (never their text), download, upload, disconnect, a
// client dropped by the server (kick), and every rejection of bad input — and nothing else carries
// what people wrote.
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { crc32 } from '../../src/wire/crc32.ts';
import { connectedClient, isKind, rawClient, startTestServer, type LogRecord } from './helpers.ts';

const SECRET = 'the-launch-code-is-4711';
const PRIVATE_SECRET = 'meet-me-at-the-old-mill';

/** The first record with this msg whose fields contain `fields` (a deep partial match). */
function find(logs: LogRecord[], msg: string, fields: Record<string, unknown> = {}): LogRecord | undefined {
  return logs.find((l) => l.msg === msg && matches(l, fields));
}

function matches(value: unknown, pattern: unknown): boolean {
  if (pattern === null || typeof pattern !== 'object') return value === pattern;
  if (value === null || typeof value !== 'object') return false;
  return Object.entries(pattern as Record<string, unknown>).every(([k, v]) => matches((value as Record<string, unknown>)[k], v));
}

describe('the log', () => {
  it('records every user action with a timestamp and never the text of a message', { timeout: 30_000 }, async () => {
    const ts = await startTestServer({ captureLogs: 'info', maxConnectionsPerAddress: 4, connectTimeoutMs: 400, operatorLocal: true });
    await writeFile(path.join(ts.filesDir, 'notes.txt'), 'shared notes\n');
    try {
      const port = ts.port;
      const alice = await connectedClient(port, 'alice');
      const bob = await connectedClient(port, 'bob');

      // Refused names: taken, and not a name at all.
      const impostor = await rawClient(port);
      impostor.send('<connect>ALICE\n<connect>no spaces allowed\n');
      await impostor.waitFor(() => impostor.replies.filter(isKind('error')).length >= 2 && true, 'two refusals');

      // Rooms, chat, a private message.
      alice.send('<join>garden\n');
      await alice.expectReply((r) => r.kind === 'joined' && r.name === 'alice' && r.room === 'garden', 'joined');
      alice.send(`<set_msg_all>${SECRET}\n`);
      await alice.expectReply((r) => r.kind === 'message' && r.self, 'echo');
      alice.send(`<set_msg>bob ${PRIVATE_SECRET}\n`);
      await bob.expectReply(isKind('private'), 'private message');
      alice.send('<leave>\n');
      await alice.expectReply((r) => r.kind === 'joined' && r.name === 'alice' && r.room === 'lobby', 'back in the lobby');

      // Files: a listing, a download, an upload refused (its type), a download of nothing.
      bob.send('<listfiles>\n<download>notes.txt\n<download>nothing.txt\n');
      await bob.expectReply(isKind('files'), 'listing');
      const sending = await bob.expectReply((r) => r.kind === 'sending', 'the download starts');
      if (sending.kind === 'sending') bob.send(`<accept>${sending.id}\n`);
      await bob.waitFor(() => ts.logs.some((l) => l.msg === 'file transfer-done'), 'the download done (logged)');
      const payload = Buffer.from('hello upload\n');
      alice.send(`<upload>${payload.length} ${crc32(payload).toString(16).padStart(8, '0')} tool.exe\n`);
      await alice.waitFor(() => alice.lines.some((l) => l.startsWith('<refused>upload')), 'upload refused');

      // Bad input: not a command, an unknown verb, bad UTF-8, a command before <connect>.
      alice.send('hello there\n<frobnicate>\n');
      alice.send(Buffer.from([0xff, 0xfe, 0x0a]));
      await alice.waitFor(() => alice.replies.filter(isKind('error')).length >= 3 && true, 'three errors');
      const early = await rawClient(port);
      early.send('<get_users>\n');
      await early.expectReply(isKind('error'), 'not-connected');

      // Over the per-address limit (4 open from 127.0.0.1 already: alice, bob, impostor, early).
      const fifth = await rawClient(port, '127.0.0.1');
      await fifth.waitClosed();

      // A kick: the connect timeout (a client that stops reading: hardening-limits.test.ts).
      await early.waitClosed(3_000);
      bob.send('<stats>\n');
      await bob.expectReply((r) => r.kind === 'system' && r.text.startsWith('stats:'), 'stats');

      // Leaving: <disconnect>, and a connection reset.
      bob.send('<disconnect>\n');
      await bob.waitClosed();
      alice.socket.resetAndDestroy();
      await alice.waitClosed();
      await impostor.waitFor(() => ts.logs.some((l) => l.msg === 'disconnect' && matches(l, { event: { name: 'alice' } })) && true, 'alice gone');

      const logs = ts.logs;
      const expected: Array<[string, Record<string, unknown>]> = [
        ['connect', { event: { type: 'connect', name: 'alice', room: 'lobby' }, remote: expect.stringMatching(/^127\.0\.0\.1:\d+$/) }],
        ['name-refused', { event: { code: 'name-taken', name: 'ALICE' } }],
        ['name-refused', { event: { code: 'bad-name' } }],
        ['join', { event: { name: 'alice', room: 'garden', from: 'lobby' } }],
        ['message', { event: { name: 'alice', room: 'garden', length: SECRET.length, recipients: 0 } }],
        ['private', { event: { from: 'alice', to: 'bob', length: PRIVATE_SECRET.length } }],
        ['leave', { event: { name: 'alice', room: 'garden', reason: 'moved' } }],
        ['request', { event: { name: 'bob', command: 'listfiles' } }],
        ['request', { event: { name: 'bob', command: 'download' } }],
        ['file transfer-start', { event: { kind: 'download', name: 'notes.txt' } }],
        ['file transfer-done', { event: { name: 'notes.txt' } }],
        ['file refused', { event: { request: 'download', code: 'unknown-file' } }],
        ['request', { event: { name: 'alice', command: 'upload' } }],
        ['file refused', { event: { request: 'upload' } }],
        ['input rejected', { name: 'alice', via: 'tcp', code: 'bad-command' }],
        ['input rejected', { name: 'alice', via: 'tcp', code: 'unknown-command' }],
        ['input rejected', { name: 'alice', via: 'tcp', code: 'bad-encoding' }],
        ['refused', { event: { command: 'users', code: 'not-connected' } }],
        ['connection refused: too many from this address', { limit: 4 }],
        ['connection lost', { detail: 'no <connect> in time' }],
        ['request', { event: { name: 'bob', command: 'stats' } }],
        ['disconnect', { event: { name: 'bob', reason: 'disconnect' } }],
        ['disconnect', { event: { name: 'alice', reason: 'lost' } }],
      ];
      for (const [msg, fields] of expected) {
        const record = logs.find((l) => l.msg === msg && matchesExpect(l, fields));
        expect(record, `a "${msg}" record with ${JSON.stringify(fields)}; log:\n${logs.map((l) => JSON.stringify(l)).join('\n')}`).toBeDefined();
        expect(typeof record?.['time']).toBe('number');
        expect(record?.level).toBe(30);
      }
      const everything = JSON.stringify(logs);
      expect(everything).not.toContain(SECRET);
      expect(everything).not.toContain(PRIVATE_SECRET);
      expect(find(logs, 'connect', { event: { name: 'bob' } })).toBeDefined();
    } finally {
      await ts.close();
    }
  });

  it('writes every line said, however many a second (refusals are throttled, actions are not)', async () => {
    const ts = await startTestServer({ captureLogs: 'info', rateLimit: 0 });
    try {
      const carl = await connectedClient(ts.port, 'carl');
      const dora = await connectedClient(ts.port, 'dora');
      const lines = 40;
      for (let i = 0; i < lines; i++) carl.send(`<set_msg_all>line ${i}\n<set_msg>dora psst ${i}\n`);
      await dora.waitFor(() => dora.replies.filter((r) => r.kind === 'private').length === lines, 'every private line');
      await carl.waitFor(() => carl.replies.filter((r) => r.kind === 'message' && r.self).length === lines, 'every echo');
      expect(ts.logs.filter((l) => l.msg === 'message' && matches(l, { event: { name: 'carl' } }))).toHaveLength(lines);
      expect(ts.logs.filter((l) => l.msg === 'private' && matches(l, { event: { from: 'carl', to: 'dora' } }))).toHaveLength(lines);
      expect(ts.logs.some((l) => 'suppressed' in l && (l.msg === 'message' || l.msg === 'private'))).toBe(false);
      carl.destroy();
      dora.destroy();
    } finally {
      await ts.close();
    }
  });
});

/** Like matches(), but `expect.stringMatching(...)` and friends in the pattern are honoured. */
function matchesExpect(value: unknown, pattern: unknown): boolean {
  if (pattern !== null && typeof pattern === 'object' && 'asymmetricMatch' in pattern) {
    return (pattern as { asymmetricMatch: (v: unknown) => boolean }).asymmetricMatch(value);
  }
  if (pattern === null || typeof pattern !== 'object') return value === pattern;
  if (value === null || typeof value !== 'object') return false;
  return Object.entries(pattern as Record<string, unknown>).every(([k, v]) => matchesExpect((value as Record<string, unknown>)[k], v));
}
