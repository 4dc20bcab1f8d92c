// Accounts, room history and offline messages over real sockets, with the store on a real file that
// survives a restart of the server.
import { mkdtemp, rm, truncate, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Reply } from '../../src/commands/types.ts';
import { connectedClient, isKind, rawClient, startTestServer, type RawClient, type TestServer } from './helpers.ts';

/** Cheap hashing: the tests exercise the logic, not scrypt's cost. */
const passwordCost = { cost: 1024, block: 8, par: 1 };

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'dualchat-store-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const error = (code: string) => (r: Reply) => r.kind === 'error' && r.code === code;
const system = (part: string) => (r: Reply) => r.kind === 'system' && r.text.includes(part);

function serverOn(db: string, extra: Parameters<typeof startTestServer>[0] = {}): Promise<TestServer> {
  return startTestServer({ db, passwordCost, rateLimit: 0, historyOnJoin: 50, ...extra });
}

async function signIn(port: number, name: string, password: string): Promise<RawClient> {
  const c = await rawClient(port);
  c.send(`<connect>${name} ${password}\n`);
  await c.expectReply(isKind('welcome'), `welcome for ${name}`);
  return c;
}

describe('accounts', () => {
  it('register, then the name needs its password: refused without it, refused with a wrong one, welcome with it', async () => {
    const ts = await serverOn(path.join(dir, 'accounts.db'), { captureLogs: 'info' });
    try {
      const alice = await connectedClient(ts.port, 'alice');
      alice.send('<register>s3cret-pw\n');
      await alice.expectReply(system('alice is registered'), 'registered');
      alice.send('<disconnect>\n');
      await alice.waitClosed();

      const bare = await rawClient(ts.port);
      bare.send('<connect>alice\n');
      await bare.expectReply(error('name-registered'), 'name-registered without a password');
      bare.send('<connect>alice wrong-pw\n');
      await bare.expectReply(error('bad-password'), 'bad-password');
      bare.send('<connect>Alice s3cret-pw\n');
      const welcome = await bare.expectReply(isKind('welcome'), 'welcome with the password');
      expect(welcome).toMatchObject({ name: 'alice' });

      bare.send('<password>s3cret-pw n3w-pw\n');
      await bare.expectReply(system('password of alice is changed'), 'password changed');
      bare.send('<disconnect>\n');
      await bare.waitClosed();
      const again = await signIn(ts.port, 'alice', 'n3w-pw');
      again.send('<unregister>n3w-pw\n');
      await again.expectReply(system('no longer registered'), 'unregistered');
      again.destroy();
      const guest = await connectedClient(ts.port, 'alice');
      guest.destroy();

      // The password is in no log line, and no line sent back repeats it.
      const logged = JSON.stringify(ts.logs);
      for (const secret of ['s3cret-pw', 'wrong-pw', 'n3w-pw']) expect(logged).not.toContain(secret);
      for (const line of [...bare.lines, ...again.lines]) expect(line).not.toMatch(/s3cret-pw|wrong-pw|n3w-pw/);
    } finally {
      await ts.close();
    }
  });

  it('1,000 wrong passwords: rate-limited after a few, hashing stops, the server keeps serving', async () => {
    const ts = await serverOn(':memory:');
    try {
      const owner = await connectedClient(ts.port, 'carol');
      owner.send('<register>right-pw\n');
      await owner.expectReply(system('registered'), 'registered');
      owner.send('<disconnect>\n');
      await owner.waitClosed();

      const guesser = await rawClient(ts.port);
      const tries = 1_000;
      for (let i = 0; i < tries; i++) guesser.send(`<connect>carol guess${i}\n`);
      await guesser.waitFor(() => guesser.replies.filter((r) => r.kind === 'error').length >= tries, 'an answer to every guess', 20_000);
      const codes = guesser.replies.filter((r): r is Extract<Reply, { kind: 'error' }> => r.kind === 'error').map((r) => r.code);
      expect(codes.filter((c) => c === 'bad-password').length).toBe(5);
      expect(codes.filter((c) => c === 'rate-limited').length).toBe(tries - 5);
      expect(guesser.replies.find((r) => r.kind === 'error' && r.code === 'rate-limited')).toMatchObject({ message: expect.stringContaining('try again in') });
      // Even the right password waits out the window; everyone else is served as before.
      guesser.send('<connect>carol right-pw\n');
      await guesser.expectReply(error('rate-limited'), 'still limited', 5_000);
      const other = await connectedClient(ts.port, 'dave');
      other.send('<rooms>\n');
      await other.expectReply(isKind('rooms'), 'rooms');
      guesser.destroy();
      other.destroy();
    } finally {
      await ts.close();
    }
  });
});

describe('room history', () => {
  it('a newcomer sees the last N lines, marked as history, exactly as sent (SQL-significant text, 4 KiB of emoji)', async () => {
    const ts = await serverOn(':memory:', { historyOnJoin: 3 });
    try {
      const alice = await connectedClient(ts.port, 'alice');
      alice.send('<join>dev\n');
      await alice.expectReply(isKind('joined'), 'in dev');
      const emoji = '😀'.repeat(1024);
      const texts = ['first', "'; DROP TABLE messages; --", 'x" OR 1=1 --', emoji];
      for (const text of texts) alice.send(`<set_msg_all>${text}\n`);
      await alice.waitFor(() => alice.replies.filter((r) => r.kind === 'message').length === texts.length, 'every echo');

      const bob = await connectedClient(ts.port, 'bob');
      bob.send('<join>dev\n');
      await bob.waitFor(() => bob.replies.filter((r) => r.kind === 'history').length === 3, 'three history lines');
      const history = bob.replies.filter(isKind('history'));
      expect(history.map((h) => h.text)).toEqual(texts.slice(1));
      expect(history.every((h) => h.room === 'dev' && h.from === 'alice')).toBe(true);
      // Replayed lines are never counted as new messages.
      expect(bob.replies.some((r) => r.kind === 'message')).toBe(false);

      // Paging further back from the oldest line shown.
      bob.send(`<history>dev 10 ${history[0]!.id}\n`);
      const older = await bob.expectReply((r) => r.kind === 'history' && r.text === 'first', 'the line before');
      expect(older).toMatchObject({ from: 'alice', room: 'dev' });
      bob.send(`<history>dev 10 ${(older as Extract<Reply, { kind: 'history' }>).id}\n`);
      await bob.expectReply(system('no earlier messages'), 'nothing older');
      alice.destroy();
      bob.destroy();
    } finally {
      await ts.close();
    }
  });
});

describe('--no-history', () => {
  it('writes no room message (nothing replayed, not even after a restart), /history says so; accounts still work', async () => {
    const db = path.join(dir, 'no-history.db');
    let ts = await serverOn(db, { keepHistory: false });
    try {
      const alice = await connectedClient(ts.port, 'alice');
      alice.send('<register>s3cret-pw\n');
      await alice.expectReply(system('alice is registered'), 'registered');
      alice.send('<set_msg_all>not to be kept\n');
      await alice.expectReply((r) => r.kind === 'message' && r.text === 'not to be kept', 'the echo');
      alice.send('<history>lobby 10\n');
      await alice.expectReply((r) => r.kind === 'error' && r.message.includes('keeps no history'), 'no history kept');
      alice.destroy();
      await ts.close();
      // The same file with history on: the line was never written, the account was.
      ts = await serverOn(db);
      const back = await signIn(ts.port, 'alice', 's3cret-pw');
      back.send('<history>lobby 10\n');
      await back.expectReply(system('no messages kept in #lobby'), 'nothing kept');
      expect(back.replies.some((r) => r.kind === 'history')).toBe(false);
      back.destroy();
    } finally {
      await ts.close();
    }
  });
});

describe('a restart', () => {
  it('keeps accounts and history; offline private messages arrive once, in order, also across the restart', async () => {
    const db = path.join(dir, 'restart.db');
    let ts = await serverOn(db);
    const erin = await connectedClient(ts.port, 'erin');
    erin.send('<register>erin-pw1\n');
    await erin.expectReply(system('registered'), 'registered');
    erin.send('<disconnect>\n');
    await erin.waitClosed();
    const frank = await connectedClient(ts.port, 'frank');
    frank.send('<set_msg_all>before the restart\n');
    frank.send('<set_msg>erin one\n');
    await frank.expectReply(system('erin is offline'), 'kept for erin');
    await ts.close();

    ts = await serverOn(db);
    try {
      const frank2 = await connectedClient(ts.port, 'frank');
      frank2.send('<set_msg>erin two\n');
      await frank2.expectReply(system('erin is offline'), 'kept for erin again');
      // Without the password the name stays erin's after the restart.
      const impostor = await rawClient(ts.port);
      impostor.send('<connect>erin\n');
      await impostor.expectReply(error('name-registered'), 'still registered');
      impostor.destroy();

      const back = await signIn(ts.port, 'erin', 'erin-pw1');
      await back.waitFor(() => back.replies.filter((r) => r.kind === 'private').length === 2, 'two private messages');
      expect(back.replies.find(system('2 messages while you were away'))).toBeDefined();
      expect(back.replies.filter(isKind('private')).map((p) => [p.from, p.text, p.self])).toEqual([
        ['frank', 'one', false],
        ['frank', 'two', false],
      ]);
      expect(back.replies.filter(isKind('history')).map((h) => h.text)).toEqual(['before the restart']);
      back.send('<disconnect>\n');
      await back.waitClosed();

      // Once: signing in again brings nothing more.
      const third = await signIn(ts.port, 'erin', 'erin-pw1');
      third.send('<rooms>\n');
      await third.expectReply(isKind('rooms'), 'rooms');
      expect(third.replies.filter((r) => r.kind === 'private')).toEqual([]);
      third.destroy();
      frank2.destroy();
    } finally {
      await ts.close();
    }
  });
});

describe('the database file', () => {
  it('a truncated file, a file of another kind, a second server: one clear line at start', async () => {
    const good = path.join(dir, 'trunc.db');
    const ts = await serverOn(good);
    const c = await connectedClient(ts.port, 'gina');
    for (let i = 0; i < 200; i++) c.send(`<set_msg_all>line ${i} ${'z'.repeat(200)}\n`);
    await c.waitFor(() => c.replies.filter((r) => r.kind === 'message').length === 200, 'every echo');
    // A second server on the same file is refused while the first runs.
    await expect(serverOn(good)).rejects.toThrow(/in use by another dualchat server/);
    await ts.close();

    await truncate(good, 6_000);
    await expect(serverOn(good)).rejects.toThrow(/corrupt|truncated/);

    const text = path.join(dir, 'notes.db');
    await writeFile(text, 'these are my notes, not a database\n'.repeat(200));
    await expect(serverOn(text)).rejects.toThrow(/not a dualchat database/);
  });
});
