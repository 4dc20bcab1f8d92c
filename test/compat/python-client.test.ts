// A stdlib Python 3 client, sending raw unterminated commands one send() at a time exactly as the
// Python student chats do, against a real server.
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Reply } from '../../src/commands/types.ts';
import { connectedClient, startTestServer } from '../e2e/helpers.ts';
import { parseReply } from '../../src/commands/grammar.ts';
import { hasPython, pythonSuiteTitle, runPython, type PythonRecord } from './python.ts';

const TITLE = pythonSuiteTitle('Python chat client compatibility');

describe.skipIf(!hasPython)(TITLE, () => {
  it('connects, lists users, broadcasts, receives a broadcast and a private message, lists files', async () => {
    const ts = await startTestServer();
    try {
      await writeFile(path.join(ts.filesDir, 'notes.txt'), 'some notes');
      const bob = await connectedClient(ts.port, 'bob');

      const python = runPython(
        [
          '127.0.0.1',
          String(ts.port),
          'send:<connect>pyuser',
          'expect:<welcome>',
          'send:<get_users>',
          'expect:<users>',
          'send:<set_msg_all>pyuser : hello from python',
          'expect:<message>', // its own echo
          'expect:<message>', // bob's broadcast
          'expect:<private>',
          'send:<listfiles>',
          'expect:<files>',
          'send:<disconnect>',
          'expect:<disconnected>',
        ],
        20_000,
      );

      // bob answers once the Python client has spoken.
      await bob.expectReply((r) => r.kind === 'message' && r.from === 'pyuser', 'the python broadcast', 10_000);
      bob.send('<set_msg_all>hi python\n');
      bob.send('<set_msg>pyuser a secret\n');
      await bob.expectReply((r) => r.kind === 'left' && r.name === 'pyuser' && r.reason === 'disconnect', 'python leaves', 15_000);

      const result = await python;
      const record = JSON.parse(result.stdout) as PythonRecord;
      expect(record.error).toBeNull();
      expect(result.code).toBe(0);
      const replies = record.received.map((line) => {
        const parsed = parseReply(line);
        if (!parsed.ok) throw new Error(`unparsable line from the server: ${line}`);
        return parsed.value;
      });
      const byKind = <K extends Reply['kind']>(kind: K): Array<Extract<Reply, { kind: K }>> =>
        replies.filter((r): r is Extract<Reply, { kind: K }> => r.kind === kind);

      expect(byKind('welcome')).toMatchObject([{ name: 'pyuser', room: 'lobby' }]);
      expect(byKind('users')).toEqual([
        {
          kind: 'users',
          users: [
            { name: 'bob', room: 'lobby' },
            { name: 'pyuser', room: 'lobby' },
          ],
        },
      ]);
      expect(byKind('message')).toMatchObject([
        { from: 'pyuser', self: true, text: 'hello from python' },
        { from: 'bob', self: false, text: 'hi python' },
      ]);
      expect(byKind('private')).toMatchObject([{ from: 'bob', to: 'pyuser', text: 'a secret' }]);
      expect(byKind('files')).toEqual([{ kind: 'files', files: [{ name: 'notes.txt', size: 10 }] }]);
      expect(byKind('disconnected')).toHaveLength(1);
      expect(byKind('error')).toEqual([]);
      // Nothing it cannot use: no UDP offer (only a client that asks with <udp> gets one).
      expect(byKind('udp')).toEqual([]);
      expect(new Set(replies.map((r) => r.kind))).toEqual(new Set(['welcome', 'joined', 'users', 'message', 'private', 'files', 'disconnected']));
      bob.destroy();
    } finally {
      await ts.close();
    }
  });
});
