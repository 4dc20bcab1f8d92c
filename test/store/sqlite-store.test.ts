// The SQLite store on its own: exact round trips, ids that page, accounts and mailboxes, the clear
// refusals of a file that cannot be used, a full disk, retention.
import { chmodSync, truncateSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MAILBOX_MAX_MESSAGES } from '../../src/chat/limits.ts';
import { storeLines } from '../../src/server/stats.ts';
import { dbStats, exportRoom, pruneNow } from '../../src/store/admin.ts';
import { StoreOpenError } from '../../src/store/open.ts';
import { capturedLog, openStore, tempDir } from './helpers.ts';

let tmp: ReturnType<typeof tempDir>;
beforeEach(() => {
  tmp = tempDir();
});
afterEach(() => {
  tmp.remove();
});

const file = (name = 'chat.db'): string => path.join(tmp.dir, name);

describe('room history', () => {
  it('gives back exactly what was recorded: NUL, quotes, SQL, 4 KiB of emoji — across a reopen', async () => {
    const texts = ['a\u0000b', "'; DROP TABLE messages; --", 'x" OR "1"="1', '😀'.repeat(1024), '\\%_', ' spaced '];
    let store = openStore(file());
    texts.forEach((text, i) => store.recordRoomMessage({ room: 'dev', from: 'ann', ts: 1000 + i, text }));
    expect((await store.roomHistory('dev', 50)).map((m) => m.text)).toEqual(texts);
    await store.close();
    store = openStore(file());
    const again = await store.roomHistory('dev', 50);
    expect(again.map((m) => m.text)).toEqual(texts);
    expect(again.map((m) => m.ts)).toEqual(texts.map((_, i) => 1000 + i));
    await store.close();
  });

  it('cuts off when asked: a message recorded after the call is not in the answer; BEFORE pages back', async () => {
    const store = openStore(':memory:');
    for (let i = 0; i < 10; i++) store.recordRoomMessage({ room: 'r', from: 'a', ts: i, text: `m${i}` });
    store.recordRoomMessage({ room: 'other', from: 'a', ts: 99, text: 'elsewhere' });
    const asked = store.roomHistory('r', 4);
    store.recordRoomMessage({ room: 'r', from: 'a', ts: 10, text: 'later' });
    const page = await asked;
    expect(page.map((m) => m.text)).toEqual(['m6', 'm7', 'm8', 'm9']);
    const older = await store.roomHistory('r', 4, page[0]!.id);
    expect(older.map((m) => m.text)).toEqual(['m2', 'm3', 'm4', 'm5']);
    expect((await store.roomHistory('r', 100)).map((m) => m.text).at(-1)).toBe('later');
    await store.close();
  });
});

describe('accounts and mailboxes', () => {
  it('registers with a salted hash, verifies, changes and forgets a password; the hash is not the password', async () => {
    const store = openStore(file());
    expect(await store.register('ann', 'Ann', 'pw-one')).toBe(true);
    expect(await store.register('ann', 'ANN', 'other')).toBe(false);
    expect(store.registeredName('ann')).toBe('Ann');
    expect(await store.verify('ann', 'pw-one')).toBe(true);
    expect(await store.verify('ann', 'pw-onE')).toBe(false);
    expect(await store.verify('nobody', 'pw-one')).toBe(false);
    expect(await store.changePassword('ann', 'wrong', 'pw-two')).toBe(false);
    expect(await store.changePassword('ann', 'pw-one', 'pw-two')).toBe(true);
    expect(await store.register('bob', 'bob', 'pw-one')).toBe(true);
    await store.close();

    const raw = new Database(file(), { readonly: true });
    const rows = raw.prepare('SELECT key, salt, hash FROM accounts ORDER BY key').all() as Array<{ key: string; salt: Buffer; hash: Buffer }>;
    raw.close();
    expect(rows.map((r) => r.key)).toEqual(['ann', 'bob']);
    // Per-account salt: the same password gives different hashes; no stored byte string is the password.
    expect(rows[0]!.salt.equals(rows[1]!.salt)).toBe(false);
    for (const r of rows) expect(r.hash.toString('utf8')).not.toContain('pw-');

    const reopened = openStore(file());
    expect(await reopened.verify('ann', 'pw-two')).toBe(true);
    expect(await reopened.unregister('ann', 'pw-one')).toBe(false);
    expect(await reopened.unregister('ann', 'pw-two')).toBe(true);
    expect(reopened.registeredName('ann')).toBeUndefined();
    await reopened.close();
  });

  it('keeps private messages for a registered user, hands them over once, in order, bounded', async () => {
    let store = openStore(file());
    await store.register('cy', 'cy', 'secret1');
    expect(store.deposit('nobody', { from: 'a', to: 'nobody', ts: 1, text: 'x' })).toBe(false);
    expect(store.deposit('cy', { from: 'a', to: 'cy', ts: 1, text: 'one' })).toBe(true);
    await store.close();
    store = openStore(file());
    expect(store.deposit('cy', { from: 'b', to: 'cy', ts: 2, text: 'two' })).toBe(true);
    expect((await store.collect('cy')).map((m) => m.text)).toEqual(['one', 'two']);
    expect(await store.collect('cy')).toEqual([]);
    await store.close();
    store = openStore(file());
    expect(await store.collect('cy')).toEqual([]);
    for (let i = 0; i < MAILBOX_MAX_MESSAGES; i++) expect(store.deposit('cy', { from: 'a', to: 'cy', ts: i, text: `${i}` })).toBe(true);
    expect(store.deposit('cy', { from: 'a', to: 'cy', ts: 0, text: 'one too many' })).toBe(false);
    await store.close();
  });
});

describe('a file that cannot be used: one clear line', () => {
  it('refuses another program\'s SQLite file, a text file, a truncated file, a read-only file, a second server', async () => {
    const foreign = new Database(file('foreign.db'));
    foreign.exec('CREATE TABLE t (x)');
    foreign.close();
    expect(() => openStore(file('foreign.db'))).toThrow(/another program, not a dualchat database/);

    writeFileSync(file('text.db'), 'hello, not a database '.repeat(100));
    expect(() => openStore(file('text.db'))).toThrow(/not a dualchat database/);

    const store = openStore(file('whole.db'));
    for (let i = 0; i < 3000; i++) store.recordRoomMessage({ room: 'r', from: 'a', ts: i, text: 'y'.repeat(100) });
    expect(() => openStore(file('whole.db'))).toThrow(/in use by another dualchat server/);
    await store.close();
    const bytes = new Database(file('whole.db'));
    bytes.pragma('wal_checkpoint(TRUNCATE)');
    bytes.close();
    truncateSync(file('whole.db'), 40_000);
    expect(() => openStore(file('whole.db'))).toThrow(StoreOpenError);
    expect(() => openStore(file('whole.db'))).toThrow(/corrupt|truncated/);

    const ro = openStore(file('ro.db'));
    await ro.close();
    chmodSync(file('ro.db'), 0o444);
    if (process.getuid?.() !== 0) expect(() => openStore(file('ro.db'))).toThrow(/read-only/);
  });
});

describe('checkpoints', () => {
  it('a thread of its own copies the write-ahead log into the file while the chat writes', async () => {
    const store = openStore(file(), capturedLog(), { checkpointIntervalMs: 20 });
    for (let i = 0; i < 3_000; i++) store.recordRoomMessage({ room: 'r', from: 'a', ts: i, text: `line ${i}` });
    store.flush();
    // Bounded: the thread reports every 20 ms; 5 s is far beyond what one checkpoint takes.
    const deadline = Date.now() + 5_000;
    while (Date.now() < deadline) {
      const report = store.status().lastCheckpoint;
      if (report !== undefined && report.log > 0 && report.checkpointed === report.log) break;
      await new Promise((resolve) => setImmediate(resolve));
    }
    const report = store.status().lastCheckpoint;
    expect(report?.log).toBeGreaterThan(0);
    expect(report?.checkpointed).toBe(report?.log);
    await store.close();
    const reopened = openStore(file());
    expect(reopened.status().lastCheckpoint).toBeUndefined();
    expect((await reopened.roomHistory('r', 1)).map((m) => m.text)).toEqual(['line 2999']);
    await reopened.close();
  });
});

describe('a restart in the same breath', () => {
  it('opens the file again while the last store\'s checkpoint thread is still closing', async () => {
    const closing: Promise<void>[] = [];
    for (let round = 0; round < 5; round++) {
      const store = openStore(file(), capturedLog(), { checkpointIntervalMs: 5 });
      store.recordRoomMessage({ room: 'r', from: 'a', ts: round, text: `r${round}` });
      closing.push(store.close()); // not awaited yet: the next open must wait for the thread's lock, not fail
    }
    const last = openStore(file());
    expect((await last.roomHistory('r', 10)).map((m) => m.text)).toEqual(['r0', 'r1', 'r2', 'r3', 'r4']);
    await last.close();
    // Every close finished before the directory is removed (a late one recreated files in it: ENOTEMPTY).
    await Promise.all(closing);
  });
});

describe('a failing disk', () => {
  it('logs the failure, keeps serving from memory, never throws into the chat', async () => {
    const log = capturedLog();
    // A database that may not grow past a few pages: the next write fails with SQLITE_FULL, as on a full disk.
    const store = openStore(file('full.db'), log, { pragmas: ['max_page_count = 8'] });
    await store.register('dee', 'dee', 'secret1');
    for (let i = 0; i < 500; i++) store.recordRoomMessage({ room: 'r', from: 'dee', ts: i, text: `line ${i} ${'q'.repeat(200)}` });
    store.flush();
    expect(store.status().degraded).toBe(true);
    expect(log.records.some((r) => r['msg'] === 'store write failed: continuing in memory')).toBe(true);
    // The operator's `<stats>` says so too (nothing while the store is healthy).
    expect(storeLines(store.status())).toEqual([expect.stringContaining('store: DEGRADED: writes to')]);
    expect(storeLines({ ...store.status(), degraded: false })).toEqual([]);
    // Nothing of the chat is lost from what the store still answers: every line, and the account.
    const lines = await store.roomHistory('r', 200);
    expect(lines.length).toBe(200);
    expect(lines.at(-1)!.text).toContain('line 499');
    expect(await store.verify('dee', 'secret1')).toBe(true);
    store.recordRoomMessage({ room: 'r', from: 'dee', ts: 600, text: 'after' });
    expect((await store.roomHistory('r', 1)).map((m) => m.text)).toEqual(['after']);
    await store.close();
  });
});

describe('retention and the operator view', () => {
  it('the server prunes in short steps, one chunk at a time, until done, then logs the total', async () => {
    const day = 86_400_000;
    const log = capturedLog();
    const store = openStore(file(), log, { retention: { days: 1, maxRows: 0 }, now: () => 10 * day });
    for (let i = 0; i < 5_000; i++) store.recordRoomMessage({ room: 'r', from: 'a', ts: i, text: 'old' });
    store.recordRoomMessage({ room: 'r', from: 'a', ts: 10 * day, text: 'new' });
    expect(store.prune()).toBe(2_000);
    // The rest follows in steps between the chat's other work; the closing log line tells the total.
    expect(await log.waitFor('store pruned')).toMatchObject({ deleted: 5_000 });
    expect((await store.roomHistory('r', 10)).map((m) => m.text)).toEqual(['new']);
    await store.close();
  });

  it('prunes by age and by count; stats count; export writes ndjson that reads back exactly', async () => {
    const day = 86_400_000;
    const now = 100 * day;
    const store = openStore(file());
    for (let i = 0; i < 30; i++) store.recordRoomMessage({ room: i % 2 === 0 ? 'even' : 'odd', from: 'a', ts: now - (30 - i) * day, text: `t${i} "quoted"\u0000` });
    await store.close();
    expect(dbStats(file())).toMatchObject({ messages: 30, rooms: 2, accounts: 0, mailbox: 0 });
    const out: string[] = [];
    expect(exportRoom(file(), 'even', (l) => out.push(l))).toBe(15);
    const parsed = out.join('').trimEnd().split('\n').map((l) => JSON.parse(l) as { text: string; from: string });
    expect(parsed[0]).toMatchObject({ from: 'a', text: 't0 "quoted"\u0000' });
    expect(pruneNow(file(), { days: 10, maxRows: 0 }, now)).toBe(20);
    expect(pruneNow(file(), { days: 0, maxRows: 4 }, now)).toBe(6);
    expect(dbStats(file()).messages).toBe(4);
  });
});
