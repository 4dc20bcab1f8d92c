// Three raw TCP clients, each framing its commands differently (\n, none as the Python clients do,
// !@#$), in two rooms, through every command and every alias.
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Reply } from '../../src/commands/types.ts';
import { connectedClient, isKind, rawClient, startTestServer, type RawClient, type TestServer } from './helpers.ts';

let ts: TestServer;

beforeAll(async () => {
  ts = await startTestServer({ roomCapacity: 2, operatorLocal: true });
  await writeFile(path.join(ts.filesDir, 'notes.txt'), 'hello');
  await writeFile(path.join(ts.filesDir, 'b.bin'), new Uint8Array([1, 2, 3]));
  await writeFile(path.join(ts.filesDir, '.hidden'), 'secret');
  await mkdir(path.join(ts.filesDir, 'subdir'));
  await writeFile(path.join(ts.filesDir, 'subdir', 'inner.txt'), 'inner');
  await symlink(path.join(ts.filesDir, 'notes.txt'), path.join(ts.filesDir, 'link-in'));
  await symlink('/etc/hostname', path.join(ts.filesDir, 'link-out'));
});

afterAll(async () => {
  await ts.close();
});

const message = (text: string) => (r: Reply) => r.kind === 'message' && r.text === text;
const joined = (name: string, room: string) => (r: Reply) => r.kind === 'joined' && r.name === name && r.room === room;
const left = (name: string, room: string, reason: string) => (r: Reply) =>
  r.kind === 'left' && r.name === name && r.room === room && r.reason === reason;
const error = (code: string) => (r: Reply) => r.kind === 'error' && r.code === code;

describe('three clients in two rooms', () => {
  it('run every command and alias over \\n, unterminated and !@#$ framing', async () => {
    // alice ends lines with \n, bob sends bare commands one write at a time, carol uses !@#$.
    const alice = await rawClient(ts.port);
    alice.send('<connect>alice\n');
    expect(await alice.expectReply(isKind('welcome'), 'alice welcome')).toMatchObject({ name: 'alice', room: 'lobby' });

    const bob = await rawClient(ts.port);
    bob.send('<connect>bob');
    expect(await bob.expectReply(isKind('welcome'), 'bob welcome')).toMatchObject({ name: 'bob', room: 'lobby' });
    await alice.expectReply(joined('bob', 'lobby'), 'alice sees bob join');

    const carol = await rawClient(ts.port);
    carol.send('<CONNECT>carol!@#$');
    expect(await carol.expectReply(isKind('welcome'), 'carol welcome')).toMatchObject({ name: 'carol' });
    await alice.expectReply(joined('carol', 'lobby'), 'alice sees carol join');
    await bob.expectReply(joined('carol', 'lobby'), 'bob sees carol join');

    // <get_users>, with and without the family's own-name argument.
    const everyone = [
      { name: 'alice', room: 'lobby' },
      { name: 'bob', room: 'lobby' },
      { name: 'carol', room: 'lobby' },
    ];
    alice.send('<get_users>\n');
    expect(await alice.expectReply(isKind('users'), 'users for alice')).toEqual({ kind: 'users', users: everyone });
    bob.send('<get_users>bob');
    expect(await bob.expectReply(isKind('users'), 'users for bob')).toEqual({ kind: 'users', users: everyone });

    // <set_msg_all> and <msg_all> (with the Python clients' own-name prefix) reach the room.
    alice.send('<set_msg_all>hello everyone\n');
    expect(await alice.expectReply(message('hello everyone'), 'alice echo')).toMatchObject({ from: 'alice', self: true });
    expect(await bob.expectReply(message('hello everyone'), 'bob gets alice')).toMatchObject({ from: 'alice', self: false });
    await carol.expectReply(message('hello everyone'), 'carol gets alice');
    bob.send('<msg_all>bob : hi from bob');
    expect(await carol.expectReply(message('hi from bob'), 'carol gets bob')).toMatchObject({ from: 'bob', room: 'lobby' });
    await alice.expectReply(message('hi from bob'), 'alice gets bob');

    // <set_msg> reaches one user, and the sender sees its echo.
    carol.send('<set_msg>alice psst!@#$');
    expect(await alice.expectReply(isKind('private'), 'alice private')).toMatchObject({
      from: 'carol',
      to: 'alice',
      self: false,
      text: 'psst',
    });
    expect(await carol.expectReply(isKind('private'), 'carol echo')).toMatchObject({ to: 'alice', self: true });

    // <join>: bob and carol move to dev; the lobby sees them leave.
    bob.send('<join>dev');
    await bob.expectReply(joined('bob', 'dev'), 'bob joined dev');
    await alice.expectReply(left('bob', 'lobby', 'moved'), 'alice sees bob move');
    carol.send('<join>#Dev!@#$');
    await carol.expectReply(joined('carol', 'dev'), 'carol joined dev');
    await bob.expectReply(joined('carol', 'dev'), 'bob sees carol in dev');
    await alice.expectReply(left('carol', 'lobby', 'moved'), 'alice sees carol move');

    alice.send('<rooms>\n');
    expect(await alice.expectReply(isKind('rooms'), 'rooms')).toEqual({
      kind: 'rooms',
      rooms: [
        { name: 'lobby', count: 1 },
        { name: 'dev', count: 2 },
      ],
    });
    alice.send('<join>dev\n');
    await alice.expectReply(error('room-full'), 'dev is full');

    // Broadcasts stay in their room.
    bob.send('<set_msg_all>dev only');
    await carol.expectReply(message('dev only'), 'carol gets dev message');
    alice.send('<set_msg_all>lobby only\n');
    await alice.expectReply(message('lobby only'), 'alice echo in lobby');
    expect(alice.replies.some(message('dev only'))).toBe(false);
    carol.send('<set_msg_all>still dev!@#$');
    await bob.expectReply(message('still dev'), 'bob gets carol in dev');
    expect(bob.replies.some(message('lobby only'))).toBe(false);
    expect(carol.replies.some(message('lobby only'))).toBe(false);

    // <leave> returns to the lobby.
    carol.send('<leave>!@#$');
    await carol.expectReply(joined('carol', 'lobby'), 'carol back in lobby');
    await bob.expectReply(left('carol', 'dev', 'moved'), 'bob sees carol leave dev');
    await alice.expectReply(joined('carol', 'lobby'), 'alice sees carol return');

    // Every spelling of <listfiles> lists the real shared directory.
    const files = [
      { name: 'b.bin', size: 3 },
      { name: 'link-in', size: 5 },
      { name: 'notes.txt', size: 5 },
    ];
    alice.send('<listfiles>\n');
    expect(await alice.expectReply(isKind('files'), 'listfiles')).toEqual({ kind: 'files', files });
    alice.send('<listfiles>alice\n');
    expect(await alice.expectReply(isKind('files'), 'listfiles NAME')).toEqual({ kind: 'files', files });
    bob.send('<get_list_file>');
    expect(await bob.expectReply(isKind('files'), 'get_list_file')).toEqual({ kind: 'files', files });
    carol.send('<get_files>!@#$');
    expect(await carol.expectReply(isKind('files'), 'get_files')).toEqual({ kind: 'files', files });

    // Transfer commands reach the files shell in every form (test/e2e/files-*.test.ts covers them).
    alice.send('<download>alice,notes.txt\n');
    expect(await alice.expectReply(isKind('sending'), '<download>OWN,FILE')).toMatchObject({ name: 'notes.txt', size: 5, offset: 0 });
    alice.send('<download>nothing.txt\n');
    expect(await alice.expectReply(isKind('refused'), '<download> of a missing file')).toMatchObject({ request: 'download', code: 'unknown-file', name: 'nothing.txt' });
    alice.send('<upload>5 0000abcd up.exe\n');
    expect(await alice.expectReply(isKind('refused'), '<upload> of a refused type')).toMatchObject({ request: 'upload', code: 'refused' });
    alice.send('<cancel>7\n');
    await alice.expectReply(error('bad-argument'), '<cancel> of no transfer');

    alice.send('<help>\n');
    const help = await alice.expectReply((r) => r.kind === 'system' && r.text.startsWith('Commands'), 'help');
    expect(help.kind).toBe('system');
    await alice.expectReply((r) => r.kind === 'system' && r.text.includes('<disconnect>'), 'help lists <disconnect>');

    alice.send('<stats>\n');
    const stats = await alice.expectReply((r) => r.kind === 'system' && r.text.startsWith('stats:'), 'stats');
    expect(stats).toMatchObject({ text: expect.stringMatching(/sessions=3 users=3 rooms=2 /) });

    // <disconnect>: carol leaves, the lobby sees it, the server closes her connection.
    carol.send('<disconnect>!@#$');
    await carol.expectReply(isKind('disconnected'), 'carol disconnected');
    await carol.waitClosed();
    await alice.expectReply(left('carol', 'lobby', 'disconnect'), 'alice sees carol disconnect');
    alice.send('<get_users>\n');
    expect(await alice.expectReply(isKind('users'), 'users without carol')).toEqual({
      kind: 'users',
      users: [
        { name: 'alice', room: 'lobby' },
        { name: 'bob', room: 'dev' },
      ],
    });

    // <end_connection> is the family's spelling of the same.
    bob.send('<end_connection>');
    await bob.expectReply(isKind('disconnected'), 'bob disconnected');
    await bob.waitClosed();
    alice.send('<disconnect>\n');
    await alice.waitClosed();
  });
});

describe('coalesced and unterminated commands', () => {
  it('executes every command of one segment without terminators', async () => {
    const dan = await rawClient(ts.port);
    dan.send('<connect>dan<get_users><set_msg_all>all at once');
    await dan.expectReply(isKind('welcome'), 'welcome');
    expect(await dan.expectReply(isKind('users'), 'users')).toMatchObject({ users: [{ name: 'dan', room: 'lobby' }] });
    await dan.expectReply(message('all at once'), 'echo');
    dan.send('<disconnect>');
    await dan.waitClosed();
  });

  it('keeps a terminated line whole, verbs in its text included', async () => {
    const erin = await rawClient(ts.port);
    erin.send('<connect>erin\n<set_msg_all>type <get_users> to see who is here\n');
    await erin.expectReply(message('type <get_users> to see who is here'), 'echo with a verb inside');
    expect(erin.replies.some(isKind('users'))).toBe(false);
    erin.send('<disconnect>\n');
    await erin.waitClosed();
  });

  it('answers a client that sends byte by byte', async () => {
    const fay = await connectedClient(ts.port, 'fay');
    for (const ch of '<set_msg_all>slowly, café\n') fay.send(Buffer.from(ch));
    await fay.expectReply(message('slowly, café'), 'echo');
    fay.send('<disconnect>\n');
    await fay.waitClosed();
  });
});
