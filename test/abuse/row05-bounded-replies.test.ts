// Abuse row 5: 5,600 empty uploads with long names made `<files>` one 1 MB line, and every client that
// listed files was then dropped as "not reading"; `<get_users>` has the same shape at ~20k users. Now a
// list reply is never longer than `listReplyBytes` (8 KiB by default): a longer list comes in pages,
// each ending with `+page P/N of T`, `+N` asks for page N, and dualchat's client fetches them all
// (docs/protocol.md, "Long lists"). Shown here at the hub with 20,000 users, on a running server with
// 5,600 long file names (bystanders' chat measured before and during), on the wire with a few hundred
// sessions and rooms under a lowered bound, to an old Python client, and through `dualchat client --json`.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Hub } from '../../src/chat/hub.ts';
import { DEFAULT_HUB_OPTIONS, ROOM_NAME_MAX_LENGTH, USER_NAME_MAX_LENGTH } from '../../src/chat/limits.ts';
import { DEFAULT_LIST_REPLY_BYTES, MAX_LIST_REPLY_BYTES, MIN_LIST_REPLY_BYTES } from '../../src/commands/list-pages.ts';
import { formatReply, type ListReply } from '../../src/commands/reply-syntax.ts';
import type { Reply } from '../../src/commands/types.ts';
import { MAX_PENDING_WRITE_BYTES } from '../../src/server/constants.ts';
import { MAX_REPLY_LINE_BYTES } from '../../src/tcp/client-connection.ts';
import { MAX_LINE_BYTES } from '../../src/tcp/constants.ts';
import { spawnClient, stopAll, type ClientProcess } from '../e2e/client-helpers.ts';
import { connectedClient, rawClient, startTestServer, type RawClient, type TestServer } from '../e2e/helpers.ts';
import { hasPython, pythonSuiteTitle, runPythonSteps } from '../compat/python.ts';
import { chatProbe, unaffectedBound } from './probe.ts';
import { prepare, uploadAll } from './raw-files.ts';

const bytes = (line: string): number => Buffer.byteLength(line);

/** The reply of `kind` that answers a request, on `client`, after the ones already taken. */
async function listReply<K extends ListReply['kind']>(client: RawClient, kind: K, what: string): Promise<Extract<ListReply, { kind: K }>> {
  return (await client.expectReply((r) => r.kind === kind, what, 20_000)) as Extract<ListReply, { kind: K }>;
}

/** Asks for every page of a list with `verb` (`<listfiles>`, …): the replies in order, the last one's marker saying it is the last. */
async function allPages<K extends ListReply['kind']>(client: RawClient, verb: string, kind: K): Promise<Array<Extract<ListReply, { kind: K }>>> {
  client.send(`${verb}\n`);
  const pages = [await listReply(client, kind, `${verb}`)];
  const last = pages[0]!.page?.pages ?? 1;
  // Bounded by the page count page 1 announced.
  for (let n = 2; n <= last; n++) {
    client.send(`${verb}+${n}\n`);
    pages.push(await listReply(client, kind, `${verb}+${n}`));
  }
  return pages;
}

/** The raw lines a client received that are list replies of `kind`. */
const linesOf = (client: RawClient, kind: string): string[] => client.lines.filter((l) => l.startsWith(`<${kind}>`));

describe('row 5: bounded list replies', () => {
  it('no bracket reply line comes near what a client may leave unread or what the client buffers', () => {
    // Lists: at most MAX_LIST_REPLY_BYTES, itself no longer than a command line.
    expect(MAX_LIST_REPLY_BYTES).toBeLessThanOrEqual(MAX_LINE_BYTES);
    expect(MAX_LIST_REPLY_BYTES * 16).toBeLessThanOrEqual(Math.min(MAX_PENDING_WRITE_BYTES, MAX_REPLY_LINE_BYTES));
    // The longest other reply: a chat line of the longest text in 4-byte characters, from the longest
    // name in the longest room, every character of both escaped (3 bytes each, at most 4 UTF-8 bytes in).
    const text = '😀'.repeat(DEFAULT_HUB_OPTIONS.maxTextLength);
    const line = formatReply({
      kind: 'message',
      room: '😀'.repeat(ROOM_NAME_MAX_LENGTH),
      from: '\u3000'.repeat(USER_NAME_MAX_LENGTH),
      ts: Number.MAX_SAFE_INTEGER,
      self: true,
      text,
    });
    expect(bytes(line)).toBeLessThan(MAX_LINE_BYTES);
    expect(bytes(line) * 16).toBeLessThan(MAX_PENDING_WRITE_BYTES);
  });

  it('at the hub: 20,000 users are listed in pages of at most 8 KiB, every user exactly once', () => {
    const N = 20_000;
    // Rooms of 100 keep the hub's join notices small; the lobby keeps one user in 100.
    const hub = new Hub({ roomCapacity: 100 });
    for (let s = 0; s < N; s++) {
      hub.open(s, 0);
      hub.handle(s, { kind: 'connect', name: `someone${s}` }, 0);
      if (s % 100 !== 0) hub.handle(s, { kind: 'join', room: `room${Math.floor(s / 100)}` }, 0);
    }
    const ask = (page?: number): Extract<Reply, { kind: 'users' }> => {
      const out = hub.handle(0, page === undefined ? { kind: 'users' } : { kind: 'users', page }, 0);
      const reply = out.flatMap((o) => (o.type === 'reply' && o.reply.kind === 'users' ? [o.reply] : []))[0];
      expect(reply).toBeDefined();
      return reply as Extract<Reply, { kind: 'users' }>;
    };
    const first = ask();
    expect(bytes(formatReply(first))).toBeLessThanOrEqual(DEFAULT_LIST_REPLY_BYTES);
    expect(first.page).toMatchObject({ page: 1, total: N });
    const pages = [first];
    for (let n = 2; n <= first.page!.pages; n++) pages.push(ask(n));
    for (const p of pages) expect(bytes(formatReply(p))).toBeLessThanOrEqual(DEFAULT_LIST_REPLY_BYTES);
    const names = pages.flatMap((p) => p.users.map((u) => u.name));
    expect(names).toHaveLength(N);
    expect(new Set(names)).toEqual(new Set(hub.users().map((u) => u.name)));
    // The rooms (201 of them) fit one line: sent whole, unmarked.
    const rooms = hub.handle(0, { kind: 'rooms' }, 0).flatMap((o) => (o.type === 'reply' && o.reply.kind === 'rooms' ? [o.reply] : []))[0];
    expect(rooms?.rooms).toHaveLength(201);
    expect(rooms?.page).toBeUndefined();
  });

  describe('on a running server: 5,600 long file names', () => {
    let base: string;
    let srv: TestServer | undefined;
    const FILES = 5_600;
    /** Names of 180 bytes: long, within the shared directory's 200-byte limit. */
    const longName = (i: number): string => `${String(i).padStart(5, '0')} ${'a long file name '.repeat(10)}`.slice(0, 176) + '.txt';
    beforeAll(async () => {
      base = await mkdtemp(path.join(os.tmpdir(), 'dualchat-row05-'));
      const filesDir = path.join(base, 'shared');
      srv = await startTestServer({ db: ':memory:', filesDir });
      // Straight into the shared directory: faster than 5,600 uploads, the same listing.
      for (let i = 0; i < FILES; i += 200) {
        await Promise.all(Array.from({ length: Math.min(200, FILES - i) }, (_, k) => writeFile(path.join(filesDir, longName(i + k)), '')));
      }
    }, 60_000);
    afterAll(async () => {
      await srv?.close();
      await rm(base, { recursive: true, force: true });
    });

    it('uploads add to the listing, every page stays within 8 KiB, listers are not dropped and the bystanders are unaffected', async () => {
      const port = srv!.port;
      const uploader = await connectedClient(port, 'uploader');
      const lister = await connectedClient(port, 'lister');
      const second = await connectedClient(port, 'second');
      const probe = await chatProbe(port, 'row05');
      try {
        const uploads = prepare(new Map([1, 2, 3].map((i) => [`${'uploaded '.repeat(15)}${i}.txt`, new TextEncoder().encode(`upload ${i}`)] as const)));
        const outcome = await uploadAll(uploader, uploads);
        expect([...outcome.values()].map((r) => r.kind)).toEqual(['stored', 'stored', 'stored']);

        const before = await probe.measure();
        const during = probe.measure();
        // Two clients list everything at once, page by page, while the bystanders chat.
        const [a, b] = await Promise.all([allPages(lister, '<listfiles>', 'files'), allPages(second, '<get_files>', 'files')]);
        const figures = await during;

        for (const pages of [a, b]) {
          expect(pages[0]!.page).toMatchObject({ page: 1, total: FILES + 3 });
          expect(pages.length).toBe(pages[0]!.page!.pages);
          const names = pages.flatMap((p) => p.files.map((f) => f.name));
          expect(names).toHaveLength(FILES + 3);
          expect(new Set(names).size).toBe(FILES + 3);
          for (const name of uploads.keys()) expect(names).toContain(name);
        }
        for (const line of [...linesOf(lister, 'files'), ...linesOf(second, 'files')]) {
          expect(bytes(line)).toBeLessThanOrEqual(DEFAULT_LIST_REPLY_BYTES);
          expect(bytes(line)).toBeLessThan(MAX_PENDING_WRITE_BYTES / 100);
        }
        // Nobody was dropped as "not reading": both listers still chat.
        lister.send('<set_msg>second still here\n');
        await second.expectReply((r) => r.kind === 'private' && r.text === 'still here', 'a private message after the listing');
        expect(figures.max, `probe before ${JSON.stringify(before)}, during ${JSON.stringify(figures)}`).toBeLessThanOrEqual(unaffectedBound(before));
      } finally {
        probe.close();
        for (const c of [uploader, lister, second]) c.destroy();
      }
    }, 120_000);

    it('a page beyond the last is empty with its marker; +0 is refused with a reason', async () => {
      const client = await connectedClient(srv!.port, 'pager');
      try {
        client.send('<listfiles>+100000\n');
        const beyond = await listReply(client, 'files', 'a page beyond the last');
        expect(beyond.files).toEqual([]);
        expect(beyond.page).toMatchObject({ page: 100_000, total: FILES + 3 });
        client.send('<listfiles>+0\n');
        const refused = await client.expectReply((r) => r.kind === 'error', 'the refusal of +0');
        expect(refused).toMatchObject({ code: 'bad-argument', message: expect.stringContaining('numbered from +1') });
      } finally {
        client.destroy();
      }
    });
  });

  describe('on the wire, with the bound lowered to 1 KiB: 300 sessions in 150 rooms', () => {
    const SESSIONS = 300;
    let srv: TestServer | undefined;
    let crowd: RawClient[] = [];
    beforeAll(async () => {
      srv = await startTestServer({ db: ':memory:', listReplyBytes: MIN_LIST_REPLY_BYTES, maxConnectionsPerAddress: 1_000, maxConnections: 1_000 });
      // Batches of 50: bounded concurrency for a shared 2-core machine.
      for (let i = 0; i < SESSIONS; i += 50) {
        crowd.push(
          ...(await Promise.all(
            Array.from({ length: 50 }, async (_, k) => {
              const c = await connectedClient(srv!.port, `member${i + k}`);
              c.send(`<join>chatroom${Math.floor((i + k) / 2)}\n`);
              await c.expectReply((r) => r.kind === 'joined' && r.name === `member${i + k}`, 'its own join');
              return c;
            }),
          )),
        );
      }
    }, 120_000);
    afterAll(async () => {
      for (const c of crowd) c.destroy();
      crowd = [];
      await srv?.close();
    });

    it('<get_users> and <rooms> come in pages of at most 1 KiB, all of them together the whole list', async () => {
      const client = await connectedClient(srv!.port, 'asker');
      try {
        const users = await allPages(client, '<get_users>', 'users');
        const rooms = await allPages(client, '<rooms>', 'rooms');
        expect(users.length).toBeGreaterThan(5);
        expect(users.flatMap((p) => p.users.map((u) => u.name)).sort()).toEqual([...crowd.map((_, i) => `member${i}`), 'asker'].sort());
        expect(rooms.flatMap((p) => p.rooms.map((r) => r.name))).toHaveLength(SESSIONS / 2 + 1);
        for (const line of [...linesOf(client, 'users'), ...linesOf(client, 'rooms')]) expect(bytes(line)).toBeLessThanOrEqual(MIN_LIST_REPLY_BYTES);
        // The marker, as a raw reader sees it.
        expect(linesOf(client, 'users')[0]).toMatch(/,\+page 1\/\d+ of 301$/);
      } finally {
        client.destroy();
      }
    });

    it.skipIf(!hasPython)(pythonSuiteTitle('an old Python client sees page 1 with the marker, within one recv(1024)'), async () => {
      const r = await runPythonSteps(['127.0.0.1', String(srv!.port), 'send:<connect>pyold', 'expect:<welcome>', 'send:<get_users>pyold', 'expect:<users>', 'send:<disconnect>', 'expect:<disconnected>'], 20_000);
      expect(r.error).toBeNull();
      const line = r.received.find((l) => l.startsWith('<users>'))!;
      expect(bytes(`${line}\n`)).toBeLessThanOrEqual(1024);
      const users = r.replies.find((x): x is Extract<Reply, { kind: 'users' }> => x.kind === 'users')!;
      expect(users.page).toMatchObject({ page: 1, total: SESSIONS + 1 });
    });

    it('dualchat client --json fetches every page and shows each list whole, once', async () => {
      const children: ClientProcess[] = [];
      try {
        const c = spawnClient(['--host', '127.0.0.1', '--tcp', String(srv!.port), '--no-udp', '--name', 'jsonreader', '--json']);
        children.push(c);
        c.send('/users all', '/rooms');
        const users = await c.waitFor((e) => e.type === 'users', 'the users event', 20_000);
        const rooms = await c.waitFor((e) => e.type === 'rooms', 'the rooms event', 20_000);
        expect((users.users as unknown[]).length).toBe(SESSIONS + 1);
        expect((rooms.rooms as unknown[]).length).toBe(SESSIONS / 2 + 1);
        expect(c.events.filter((e) => e.type === 'users' || e.type === 'rooms')).toHaveLength(2);
        expect(c.junk).toEqual([]);
      } finally {
        await stopAll(children);
      }
    }, 30_000);

    it('dualchat client without --json prints every user of every page', async () => {
      const children: ClientProcess[] = [];
      try {
        const c = spawnClient(['--host', '127.0.0.1', '--tcp', String(srv!.port), '--no-udp', '--name', 'plainreader']);
        children.push(c);
        c.send('/users all');
        c.end();
        expect((await c.waitExit(20_000)).code).toBe(0);
        const printed = c.junk.join('\n');
        for (let i = 0; i < SESSIONS; i++) expect(printed).toMatch(new RegExp(`\\bmember${i}\\b`));
        expect(printed).not.toContain('+page');
      } finally {
        await stopAll(children);
      }
    }, 30_000);
  });

  it('a client of the server with no long list is answered as before: whole, no marker', async () => {
    const srv = await startTestServer({ db: ':memory:' });
    const client = await rawClient(srv.port);
    try {
      client.send('<connect>solo\n<get_users>\n<rooms>\n<listfiles>\n');
      await client.expectReply((r) => r.kind === 'files', 'the files reply');
      expect(client.lines.filter((l) => /^<(users|rooms|files)>/.test(l))).toEqual(['<users>solo@lobby', '<rooms>lobby:1', '<files>']);
    } finally {
      client.destroy();
      await srv.close();
    }
  });
});
