// Uploads and files sent to a user, as users see them, over real sockets on 127.0.0.1: the limits
// are checked before a byte is accepted (size, type, name), the server-wide queue holds 5 uploads and
// tells the 6th its place (raw TCP clients hold the slots: deterministic, no sleeps), a waiting upload
// may be cancelled, an interrupted one leaves nothing visible, taken names are numbered; `/sendfile`
// and `/sendimage` reach the recipient's received_files (after `/accept`, or at once with --auto-accept).
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import crc32 from 'crc-32';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatCrc32 } from '../../src/commands/numbers.ts';
import type { Reply } from '../../src/commands/types.ts';
import { fileClient, fileEvent, fileServer, listDir, randomFile, sha256, sha256File, tempDir, type FileServer } from './files-helpers.ts';
import { connectedClient, type RawClient } from './helpers.ts';

const MAX_UPLOAD = 256 * 1024;

let srv: FileServer;
let home: { dir: string; remove: () => Promise<void> };
const local = (name: string): string => path.join(home.dir, 'local', name);
const content: Record<string, Uint8Array> = {
  'report.txt': randomFile(100_000),
  'photo.png': randomFile(50_000),
  'notes.txt': new TextEncoder().encode('my own notes'),
  'huge.txt': randomFile(MAX_UPLOAD + 1),
  'tool.exe': randomFile(10),
};

beforeAll(async () => {
  srv = await fileServer({ 'notes.txt': 'the shared notes' }, { files: { maxUploadBytes: MAX_UPLOAD } });
  home = await tempDir('files-upload');
  const { mkdir } = await import('node:fs/promises');
  await mkdir(path.join(home.dir, 'local'));
  for (const [name, bytes] of Object.entries(content)) await writeFile(local(name), bytes);
});

afterAll(async () => {
  await srv.close();
  await home.remove();
});

const crcOf = (bytes: Uint8Array): string => formatCrc32(crc32.buf(bytes));
const visible = async (): Promise<string[]> => (await listDir(srv.filesDir)).filter((n) => !n.startsWith('.'));

describe('uploads', () => {
  it('refuses, before a byte is sent, what is too large, of a refused type, or badly named', async () => {
    const { client } = await fileClient(srv.port, 'refusee', home.dir, ['--no-udp']);
    const raw = await connectedClient(srv.port, 'rawref');
    try {
      client.send(`/upload ${local('huge.txt')}`, `-file ${local('tool.exe')}`, '/upload /no/such/file.txt');
      const big = await client.waitFor(fileEvent('transfer-error', 'huge.txt'), 'too large');
      expect(big).toMatchObject({ direction: 'upload', code: 'too-large', resumable: false });
      expect(String(big.message)).toMatch(/over the/);
      const exe = await client.waitFor(fileEvent('transfer-error', 'tool.exe'), 'type refused');
      expect(exe).toMatchObject({ code: 'refused' });
      expect(String(exe.message)).toMatch(/\.txt/);
      const missing = await client.waitFor((e) => e.type === 'error' && String(e.message).includes('/no/such/file.txt'), 'missing local file');
      expect(missing.source).toBe('client');
      // Names a client could write by hand.
      for (const name of ['../escape.txt', '/etc/cron.txt', '.hidden.txt', 'a<b>.txt']) {
        raw.send(`<upload>5 00000000 ${name}\n`);
        const r = await raw.expectReply((x) => x.kind === 'refused', `refusal of ${name}`);
        expect(r, name).toMatchObject({ request: 'upload', code: 'bad-argument' });
      }
      expect(await visible()).toEqual(['notes.txt']);
    } finally {
      raw.destroy();
      client.end();
      await client.waitExit();
    }
  });

  it('queues a 6th upload behind 5 running ones, tells its place, lets a waiter cancel, stores it once a slot frees', async () => {
    const holders: RawClient[] = [];
    const { client } = await fileClient(srv.port, 'sixth', home.dir);
    let seventh: RawClient | undefined;
    try {
      // Five uploads that hold a slot and send nothing, from five addresses (one address group holds at
      // most DEFAULT_UPLOAD_SLOTS_PER_USER slots, however many sessions it opens).
      for (let i = 0; i < 5; i++) {
        const holder = await connectedClient(srv.port, `holder${i}`, `127.0.0.${20 + i}`);
        holder.send(`<upload>10 00000000 held${i}.txt\n`);
        await holder.expectReply((r) => r.kind === 'ready', `slot for holder ${i}`);
        holders.push(holder);
      }
      client.send(`/upload ${local('report.txt')}`);
      expect(await client.waitFor(fileEvent('queued', 'report.txt'), 'queued')).toMatchObject({ position: 1 });
      // A 7th waits behind it, then leaves the line.
      seventh = await connectedClient(srv.port, 'seventh', '127.0.0.30');
      seventh.send(`<upload>10 00000000 late.txt\n`);
      const queued = (await seventh.expectReply((r) => r.kind === 'queued', 'seventh queued')) as Extract<Reply, { kind: 'queued' }>;
      expect(queued.position).toBe(2);
      seventh.send(`<cancel>${queued.id}\n`);
      expect(await seventh.expectReply((r) => r.kind === 'aborted', 'seventh cancelled')).toMatchObject({ id: queued.id, code: 'cancelled' });
      // One holder goes away mid-upload: its slot goes to the 6th, and it leaves nothing behind.
      holders[0]!.destroy();
      const stored = await client.waitFor(fileEvent('stored', 'report.txt'), 'stored', 20_000);
      expect(stored).toMatchObject({ storedAs: 'report.txt', size: content['report.txt']!.length });
      expect(await sha256File(path.join(srv.filesDir, 'report.txt'))).toBe(sha256(content['report.txt']!));
      expect(client.events.findIndex(fileEvent('upload', 'report.txt'))).toBeGreaterThan(client.events.findIndex(fileEvent('queued', 'report.txt')));
    } finally {
      for (const h of holders) h.destroy();
      seventh?.destroy();
      client.end();
      await client.waitExit();
    }
    // Interrupted uploads leave nothing, visible or hidden, once their senders are gone.
    await expect.poll(async () => (await listDir(srv.filesDir)).filter((n) => n.includes('held')), { timeout: 5_000 }).toEqual([]);
    expect(await visible()).toEqual(['notes.txt', 'report.txt']);
  });

  it('numbers a taken name: notes.txt is stored as notes (1).txt', async () => {
    const { client } = await fileClient(srv.port, 'collider', home.dir, ['--no-udp']);
    try {
      client.send(`/upload ${local('notes.txt')}`);
      const stored = await client.waitFor(fileEvent('stored', 'notes.txt'), 'stored');
      expect(stored.storedAs).toBe('notes (1).txt');
      expect(await sha256File(path.join(srv.filesDir, 'notes (1).txt'))).toBe(sha256(content['notes.txt']!));
      expect(await sha256File(path.join(srv.filesDir, 'notes.txt'))).toBe(sha256(new TextEncoder().encode('the shared notes')));
    } finally {
      client.end();
      await client.waitExit();
    }
  });
});

describe('sending a file to a user', () => {
  it('auto-accepted with --auto-accept; by default after /accept; declined; unknown users and non-images refused', async () => {
    const alice = await fileClient(srv.port, 'alice', home.dir);
    const bob = await fileClient(srv.port, 'bob', home.dir, ['--auto-accept']);
    const carol = await fileClient(srv.port, 'carol', home.dir);
    try {
      // bob takes it at once.
      alice.client.send(`/sendfile bob ${local('report.txt')}`);
      const offer = await bob.client.waitFor(fileEvent('offer', 'report.txt'), 'offer to bob');
      expect(offer).toMatchObject({ from: 'alice', accepted: true, size: content['report.txt']!.length });
      const saved = await bob.client.waitFor(fileEvent('saved', 'report.txt'), 'saved by bob');
      expect(saved).toMatchObject({ direction: 'receive', path: path.join(bob.received, 'report.txt') });
      expect(await sha256File(path.join(bob.received, 'report.txt'))).toBe(sha256(content['report.txt']!));
      expect(await alice.client.waitFor(fileEvent('delivered', 'report.txt'), 'delivered to bob')).toMatchObject({ to: 'bob' });

      // carol is asked first (and the argument order PATH USER works too).
      alice.client.send(`/sendimage ${local('photo.png')} carol`);
      const asked = await carol.client.waitFor(fileEvent('offer', 'photo.png'), 'offer to carol');
      expect(asked).toMatchObject({ from: 'alice', accepted: false });
      expect(await listDir(carol.received)).toEqual([]);
      carol.client.send(`/accept ${String(asked.id)}`);
      await carol.client.waitFor(fileEvent('saved', 'photo.png'), 'saved by carol');
      expect(await sha256File(path.join(carol.received, 'photo.png'))).toBe(sha256(content['photo.png']!));
      await alice.client.waitFor(fileEvent('delivered', 'photo.png', { to: 'carol' }), 'delivered to carol');

      // carol declines the next one: alice hears it, nothing is stored.
      alice.client.send(`/sendfile carol ${local('notes.txt')}`);
      const second = await carol.client.waitFor(fileEvent('offer', 'notes.txt'), 'second offer');
      carol.client.send(`/decline ${String(second.id)}`);
      expect(await alice.client.waitFor(fileEvent('transfer-error', 'notes.txt'), 'declined')).toMatchObject({ direction: 'send', code: 'declined' });
      expect(await listDir(carol.received)).toEqual(['photo.png']);

      // Nobody of that name; not an image.
      alice.client.send(`/sendfile ghost ${local('notes.txt')}`);
      const ghost = await alice.client.waitFor((e) => e.type === 'transfer-error' && e.code === 'unknown-user', 'unknown user');
      expect(String(ghost.message)).toMatch(/ghost/);
      alice.client.send(`/sendimage bob ${local('report.txt')}`);
      const notImage = await alice.client.waitFor((e) => e.type === 'transfer-error' && e.name === 'report.txt' && e.code === 'refused', 'not an image');
      expect(String(notImage.message)).toMatch(/not an image/);
      // The spool of files waiting for delivery is empty again.
      await expect.poll(async () => listDir(path.join(srv.filesDir, '.relay')), { timeout: 5_000 }).toEqual([]);
    } finally {
      for (const c of [alice, bob, carol]) c.client.end();
      await Promise.all([alice, bob, carol].map((c) => c.client.waitExit()));
    }
  });
});
