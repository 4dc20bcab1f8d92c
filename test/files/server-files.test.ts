// The server's file coordinator over real directories and in-memory links: what a client sees
// (notices), what lands on disk, and that nothing is left behind when transfers end or clients go.
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { decodeChunk, type Chunk } from '../../src/files/chunk-codec.ts';
import { crc32Of } from '../../src/files/crc.ts';
import type { IncomingTransfer } from '../../src/files/incoming.ts';
import {
  ACCEPT_TIMEOUT_MS,
  MIN_UPLOAD_BYTES_PER_SECOND,
  OFFER_TIMEOUT_MS,
  SHARED_USAGE_REFRESH_MS,
  UPLOAD_RATE_GRACE_MS,
  UPLOAD_START_TIMEOUT_MS,
} from '../../src/files/limits.ts';
import { DEFAULT_FILE_OPTIONS, type FileOptions } from '../../src/files/options.ts';
import { createOutgoing, type OutgoingTransfer } from '../../src/files/outgoing.ts';
import { startReceive } from '../../src/files/receive.ts';
import { prepareServerDirs, ServerFiles, type FileNotice, type FileOutput, type Party } from '../../src/files/server-files.ts';
import { ensureSharedDir } from '../../src/files/shared-dir.ts';
import { MemoryFile, MemoryLink, patternBytes, sha256 } from './helpers.ts';

const ALICE: Party = { session: 1, name: 'alice' };
const BOB: Party = { session: 2, name: 'bob' };

let base: string;
let root: string;
let spool: string;
let received: string;
let links: Map<number, MemoryLink>;
let outputs: FileOutput[];
let clock: number;
let files: ServerFiles;

function make(options: Partial<FileOptions> = {}): ServerFiles {
  return new ServerFiles({
    root,
    spoolDir: spool,
    options: { ...DEFAULT_FILE_OPTIONS, ...options },
    linkFor: (s) => links.get(s),
    emit: (o) => outputs.push(o),
    now: () => clock,
  });
}

beforeEach(async () => {
  base = await mkdtemp(path.join(os.tmpdir(), 'dualchat-serverfiles-'));
  root = await ensureSharedDir(path.join(base, 'files'));
  spool = await ensureSharedDir(path.join(root, '.relay'));
  received = await ensureSharedDir(path.join(base, 'received_files'));
  links = new Map([
    [ALICE.session, new MemoryLink(1_000_000)],
    [BOB.session, new MemoryLink(1_000_000)],
  ]);
  outputs = [];
  clock = 1_000;
  files = make();
});

afterEach(async () => {
  await files.close();
  await rm(base, { recursive: true, force: true });
});

function notices(session: number): FileNotice[] {
  return outputs.flatMap((o) => (o.type === 'notice' && o.session === session ? [o.notice] : []));
}

/** Wait (bounded by a deadline, on the event loop) until `session` got a notice matching `pick`. */
async function waitNotice<K extends FileNotice['kind']>(
  session: number,
  kind: K,
  pick: (n: Extract<FileNotice, { kind: K }>) => boolean = () => true,
): Promise<Extract<FileNotice, { kind: K }>> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    const found = notices(session).find((n): n is Extract<FileNotice, { kind: K }> => n.kind === kind && pick(n as Extract<FileNotice, { kind: K }>));
    if (found !== undefined) return found;
    await new Promise((r) => setImmediate(r));
  }
  throw new Error(`no ${kind} notice for session ${session}; got ${JSON.stringify(notices(session))}`);
}

async function until(check: () => boolean | Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setImmediate(r));
  }
  throw new Error(`timed out waiting for ${what}`);
}

function chunksFrom(session: number): Chunk[] {
  return (links.get(session)?.drain() ?? []).map((m) => {
    const d = decodeChunk(m);
    if (!d.ok) throw new Error(d.message);
    return d.chunk;
  });
}

/** Client side of a download or delivery: receive everything the server queued for `id`. */
async function receiveAll(session: number, receiver: IncomingTransfer): Promise<void> {
  await until(async () => {
    files.pump(session);
    for (const c of chunksFrom(session)) receiver.accept(c);
    return receiver.status !== 'receiving';
  }, 'the last chunk');
}

/** Client side of an upload: after `<ready>`, pump chunks of `bytes` into the server. */
async function sendAll(from: Party, id: number, bytes: Uint8Array, cutAfter = Infinity): Promise<OutgoingTransfer> {
  const file = new MemoryFile(bytes);
  const toServer = new MemoryLink(4);
  const made = createOutgoing({ id, name: 'x', size: bytes.length, crc: crc32Of(bytes), snapshot: file.snapshot, chunkBytes: 1000, source: file, sink: toServer });
  if (!made.ok) throw new Error(made.message);
  let delivered = 0;
  for (let i = 0; i < 100_000; i++) {
    const state = await made.transfer.pump();
    for (const m of toServer.drain()) {
      if (delivered++ >= cutAfter) return made.transfer;
      const d = decodeChunk(m);
      if (d.ok) files.chunk(from.session, d.chunk);
    }
    if (state.status !== 'sending') break;
  }
  return made.transfer;
}

describe('downloads', () => {
  it('announces size and CRC, streams the file, and frees the transfer', async () => {
    const bytes = patternBytes(100_000);
    await writeFile(path.join(root, 'notes.txt'), bytes);
    await files.download(ALICE.session, 'notes.txt');
    const sending = await waitNotice(ALICE.session, 'sending');
    expect(sending).toEqual({ kind: 'sending', id: sending.id, size: 100_000, crc: crc32Of(bytes), offset: 0, name: 'notes.txt' });
    const started = await startReceive(received, { id: sending.id, name: 'notes.txt', size: sending.size, crc: sending.crc });
    if (!started.ok) throw new Error(started.message);
    files.pump(ALICE.session);
    expect(links.get(ALICE.session)?.queued).toHaveLength(0); // nothing before the client is ready
    await files.accept(ALICE.session, sending.id);
    await receiveAll(ALICE.session, started.transfer);
    expect(await started.transfer.done).toMatchObject({ ok: true });
    expect(sha256(new Uint8Array(await readFile(path.join(received, 'notes.txt'))))).toBe(sha256(bytes));
    await until(() => files.transfers === 0, 'the download to be freed');
  });

  it('refuses bad names with the resolver’s error', async () => {
    await files.download(ALICE.session, '../../etc/passwd');
    await files.download(ALICE.session, 'missing.txt');
    await files.download(ALICE.session, '.relay');
    expect(notices(ALICE.session)).toEqual([
      {
        kind: 'refused',
        request: 'download',
        code: 'bad-argument',
        name: '../../etc/passwd',
        message: '"../../etc/passwd" is a path; give a file name only (no / or \\)',
      },
      { kind: 'refused', request: 'download', code: 'unknown-file', name: 'missing.txt', message: 'no shared file named "missing.txt"' },
      { kind: 'refused', request: 'download', code: 'bad-argument', name: '.relay', message: '".relay" is a hidden file name (starts with a dot)' },
    ]);
    expect(files.transfers).toBe(0);
  });

  it('bounds concurrent downloads per client', async () => {
    links.set(ALICE.session, new MemoryLink(0)); // a stalled link keeps them running
    await writeFile(path.join(root, 'a.txt'), 'aaaa');
    for (let i = 0; i < 5; i++) await files.download(ALICE.session, 'a.txt');
    expect(notices(ALICE.session).filter((n) => n.kind === 'sending')).toHaveLength(4);
    expect(notices(ALICE.session).at(-1)).toEqual({
      kind: 'refused',
      request: 'download',
      code: 'refused',
      name: 'a.txt',
      message: 'at most 4 downloads at once; wait for one to finish',
    });
    await files.download(BOB.session, 'a.txt'); // others are not affected
    expect(notices(BOB.session)[0]?.kind).toBe('sending');
  });

  it('resumes at the offset asked for when the file is unchanged, else from 0', async () => {
    const bytes = patternBytes(50_000);
    await writeFile(path.join(root, 'r.bin'), bytes);
    await files.download(ALICE.session, 'r.bin', { offset: 20_000, size: 50_000, crc: crc32Of(bytes) });
    const sending = await waitNotice(ALICE.session, 'sending');
    expect(sending).toMatchObject({ offset: 20_000 });
    await files.accept(ALICE.session, sending.id);
    const first = chunksFrom(ALICE.session);
    await until(() => {
      files.pump(ALICE.session);
      first.push(...chunksFrom(ALICE.session));
      return first.some((c) => c.final);
    }, 'the final chunk');
    expect(first[0]?.offset).toBe(20_000);
    await files.download(BOB.session, 'r.bin', { offset: 20_000, size: 50_000, crc: 1 });
    expect(await waitNotice(BOB.session, 'sending')).toMatchObject({ offset: 0, crc: crc32Of(bytes) });
  });

  it('a client that disappears mid-transfer frees the server side', async () => {
    links.set(ALICE.session, new MemoryLink(2));
    await writeFile(path.join(root, 'big.bin'), patternBytes(1_000_000));
    await files.download(ALICE.session, 'big.bin');
    await files.download(ALICE.session, 'big.bin');
    await files.accept(ALICE.session, (await waitNotice(ALICE.session, 'sending')).id);
    expect(files.transfers).toBe(2);
    links.delete(ALICE.session);
    await files.disconnect(ALICE.session);
    expect(files.transfers).toBe(0);
    files.pump(ALICE.session); // nothing left to pump
  });

  it('cancel stops a download and confirms it', async () => {
    links.set(ALICE.session, new MemoryLink(0));
    await writeFile(path.join(root, 'c.txt'), 'c');
    await files.download(ALICE.session, 'c.txt');
    const { id } = await waitNotice(ALICE.session, 'sending');
    await files.cancel(ALICE.session, id);
    expect(notices(ALICE.session).at(-1)).toMatchObject({ kind: 'aborted', id, code: 'cancelled' });
    await files.cancel(BOB.session, id);
    expect(notices(BOB.session).at(-1)).toEqual({ kind: 'error', code: 'bad-argument', message: `no transfer ${id} of yours is in progress` });
  });
});

describe('uploads', () => {
  it('checks the limits before accepting a byte', async () => {
    await files.upload(ALICE, { name: 'big.pdf', size: 4 * 1024 * 1024, crc: 0 });
    await files.upload(ALICE, { name: 'run.sh', size: 10, crc: 0 });
    await files.upload(ALICE, { name: '../up.txt', size: 10, crc: 0 });
    expect(notices(ALICE.session).map((n) => n.kind === 'refused' && [n.request, n.code, n.name])).toEqual([
      ['upload', 'too-large', 'big.pdf'],
      ['upload', 'refused', 'run.sh'],
      ['upload', 'bad-argument', '../up.txt'],
    ]);
    expect(await readdir(root)).toEqual(['.relay']);
  });

  it('stores a verified upload, renaming on collision, never overwriting', async () => {
    await writeFile(path.join(root, 'notes.txt'), 'original');
    const bytes = patternBytes(12_345);
    await files.upload(ALICE, { name: 'notes.txt', size: bytes.length, crc: crc32Of(bytes) });
    const { id } = await waitNotice(ALICE.session, 'ready');
    await sendAll(ALICE, id, bytes);
    expect(await waitNotice(ALICE.session, 'stored')).toEqual({ kind: 'stored', id, name: 'notes (1).txt' });
    expect(await readFile(path.join(root, 'notes.txt'), 'utf8')).toBe('original');
    expect(sha256(new Uint8Array(await readFile(path.join(root, 'notes (1).txt'))))).toBe(sha256(bytes));
    expect(files.transfers).toBe(0);
  });

  it('queues the 6th upload with its position and starts it when a slot frees; a waiter may cancel', async () => {
    const bytes = patternBytes(100);
    const crc = crc32Of(bytes);
    for (let i = 1; i <= 7; i++) await files.upload({ session: 10 + i, name: `u${i}` }, { name: `f${i}.txt`, size: 100, crc });
    for (let i = 1; i <= 5; i++) expect(notices(10 + i)).toEqual([{ kind: 'ready', id: i, name: `f${i}.txt` }]);
    expect(notices(16)).toEqual([{ kind: 'queued', id: 6, position: 1, name: 'f6.txt' }]);
    expect(notices(17)).toEqual([{ kind: 'queued', id: 7, position: 2, name: 'f7.txt' }]);
    await files.upload({ session: 18, name: 'u8' }, { name: 'f8.txt', size: 100, crc });
    await files.cancel(17, 7); // waiting: leaves the line, the one behind moves up
    expect(notices(17).at(-1)).toMatchObject({ kind: 'aborted', id: 7, code: 'cancelled' });
    expect(notices(18).at(-1)).toEqual({ kind: 'queued', id: 8, position: 2, name: 'f8.txt' });
    await sendAll({ session: 11, name: 'u1' }, 1, bytes);
    await waitNotice(11, 'stored');
    expect(await waitNotice(16, 'ready')).toEqual({ kind: 'ready', id: 6, name: 'f6.txt' });
    expect(notices(18).at(-1)).toEqual({ kind: 'queued', id: 8, position: 1, name: 'f8.txt' });
  });

  it('releases a granted slot whose bytes do not start in time (told as expired); chunks of any upload of the session keep it', async () => {
    files = make({ uploadSlots: 2, uploadSlotsPerUser: 2 });
    const bytes = patternBytes(100);
    const crc = crc32Of(bytes);
    await files.upload(ALICE, { name: 'a.txt', size: 100, crc });
    await files.upload(ALICE, { name: 'b.txt', size: 100, crc });
    await files.upload(BOB, { name: 'c.txt', size: 100, crc });
    const first = await waitNotice(ALICE.session, 'ready', (n) => n.name === 'a.txt');
    expect(await files.expire()).toBe(clock + UPLOAD_START_TIMEOUT_MS);
    // a.txt's chunks flow at 9 s: b.txt, granted with it and not started, keeps its slot too.
    clock += UPLOAD_START_TIMEOUT_MS - 1_000;
    await sendAll(ALICE, first.id, bytes);
    await waitNotice(ALICE.session, 'stored');
    clock += 2_000;
    await files.expire();
    expect(notices(ALICE.session).some((n) => n.kind === 'aborted')).toBe(false);
    // Ten seconds after the session's last chunk, b.txt goes, and bob's waiting upload gets the slot.
    clock += UPLOAD_START_TIMEOUT_MS;
    await files.expire();
    expect(notices(ALICE.session).at(-1)).toMatchObject({ kind: 'aborted', code: 'expired', message: 'no bytes of b.txt arrived within 10 s; its upload slot went to the next in line' });
    expect(await waitNotice(BOB.session, 'ready')).toMatchObject({ name: 'c.txt' });
    // b.txt's part file is gone; c.txt's is being written.
    expect((await readdir(root)).sort()).toEqual(['.c.txt.part-3', '.relay', 'a.txt']);
  });

  it('ends an upload that trickles below the minimum rate, however often its chunks come (told as expired)', async () => {
    files = make({ uploadSlots: 1 });
    const bytes = patternBytes(16 * 1024);
    await files.upload(ALICE, { name: 'slow.txt', size: bytes.length, crc: crc32Of(bytes) });
    await files.upload(BOB, { name: 'next.txt', size: 1, crc: crc32Of(new Uint8Array(1)) });
    const { id } = await waitNotice(ALICE.session, 'ready');
    // The time limit: the grace plus 16 KiB at 8 KiB/s.
    const limit = UPLOAD_RATE_GRACE_MS + (bytes.length * 1000) / MIN_UPLOAD_BYTES_PER_SECOND;
    const endBy = clock + limit;
    // One 100-byte chunk every 9 s: the start timeout never fires, the time limit does.
    let offset = 0;
    for (let i = 0; i < 100 && clock < endBy; i++) {
      files.chunk(ALICE.session, { transferId: id, offset, final: false, data: bytes.subarray(offset, offset + 100) });
      offset += 100;
      clock += UPLOAD_START_TIMEOUT_MS - 1_000;
      await files.expire();
      if (clock < endBy) expect(notices(ALICE.session).some((n) => n.kind === 'aborted')).toBe(false);
    }
    expect(notices(ALICE.session).at(-1)).toEqual({
      kind: 'aborted',
      id,
      code: 'expired',
      message: `slow.txt was not stored within ${limit / 1000} s (at least 8.0 KiB/s); its upload slot went to the next in line`,
    });
    expect(await waitNotice(BOB.session, 'ready')).toMatchObject({ name: 'next.txt' });
  });

  it("gives an upload granted behind the session's own uploads in progress their time too", async () => {
    files = make({ uploadSlots: 2, uploadSlotsPerUser: 2 });
    const big = patternBytes(64 * 1024);
    await files.upload(ALICE, { name: 'a.txt', size: big.length, crc: crc32Of(big) });
    await files.upload(ALICE, { name: 'b.txt', size: big.length, crc: crc32Of(big) });
    await waitNotice(ALICE.session, 'ready', (n) => n.name === 'b.txt');
    // a.txt: grace + 64 KiB at 8 KiB/s (8 s); b.txt: grace + 128 KiB (16 s), a.txt's bytes coming first.
    clock += UPLOAD_RATE_GRACE_MS + 8_000;
    files.chunk(ALICE.session, { transferId: 1, offset: 0, final: false, data: big.subarray(0, 100) });
    await files.expire();
    expect(notices(ALICE.session).filter((n) => n.kind === 'aborted').map((n) => n.kind === 'aborted' && n.id)).toEqual([1]);
    files.chunk(ALICE.session, { transferId: 2, offset: 0, final: false, data: big.subarray(0, 100) });
    clock += 7_999;
    await files.expire();
    expect(notices(ALICE.session).filter((n) => n.kind === 'aborted')).toHaveLength(1);
    clock += 1;
    await files.expire();
    expect(notices(ALICE.session).at(-1)).toMatchObject({ kind: 'aborted', id: 2, code: 'expired' });
  });

  it('counts slots and queue places per address group too: more sessions from one host gain no share', async () => {
    files = make({ uploadSlots: 5, uploadSlotsPerUser: 2, maxUploadsPerUser: 3 });
    const one = crc32Of(new Uint8Array(1));
    const sessions = [21, 22, 23, 24];
    for (const s of sessions) links.set(s, new MemoryLink(1_000_000));
    for (const session of sessions) await files.upload({ session, name: `h${session}`, group: '10.0.0.1' }, { name: `f${session}.txt`, size: 1, crc: one });
    await waitNotice(22, 'ready');
    expect(notices(23)).toEqual([{ kind: 'queued', id: 3, position: 1, name: 'f23.txt' }]);
    expect(notices(24)).toEqual([
      {
        kind: 'refused',
        request: 'upload',
        code: 'refused',
        name: 'f24.txt',
        message: 'your address has 3 uploads in the queue already (one share for all its sessions); wait for one to finish',
      },
    ]);
    // Someone from another address is granted a slot at once.
    await files.upload({ ...BOB, group: '10.0.0.2' }, { name: 'other.txt', size: 1, crc: one });
    expect(await waitNotice(BOB.session, 'ready')).toMatchObject({ name: 'other.txt' });
  });

  it('counts the hourly quota per address group too: a new name does not refill it', async () => {
    files = make({ uploadBytesPerHour: 8 * 1024, maxUploadBytes: 8 * 1024 });
    const bytes = patternBytes(8 * 1024);
    const first: Party = { session: ALICE.session, name: 'alice', group: '2001:db8:0:1::/64' };
    await files.upload(first, { name: 'one.txt', size: bytes.length, crc: crc32Of(bytes) });
    const { id } = await waitNotice(ALICE.session, 'ready');
    await sendAll(first, id, bytes);
    await waitNotice(ALICE.session, 'stored');
    await files.disconnect(ALICE.session);
    // Back under another name from the same /64: refused, naming whose quota it is.
    await files.upload({ session: BOB.session, name: 'mallory', group: '2001:db8:0:1::/64' }, { name: 'two.txt', size: bytes.length, crc: crc32Of(bytes) });
    expect(notices(BOB.session).at(-1)).toMatchObject({ kind: 'refused', code: 'refused', name: 'two.txt' });
    const refusal = notices(BOB.session).at(-1);
    expect(refusal?.kind === 'refused' ? refusal.message : '').toMatch(/^upload quota reached for your address: 8\.0 KiB per hour, 8\.0 KiB used or in progress; this file needs 8\.0 KiB, try again in \d+ min$/);
    // The old name from another address is refused too (the name's own quota).
    await files.upload({ session: BOB.session, name: 'alice', group: '192.0.2.7' }, { name: 'three.txt', size: bytes.length, crc: crc32Of(bytes) });
    const byName = notices(BOB.session).at(-1);
    expect(byName?.kind === 'refused' ? byName.message : '').toMatch(/^upload quota reached: 8\.0 KiB per hour/);
  });

  it('counts the files already in the shared directory against its budget, and measures again after a while', async () => {
    files = make({ maxSharedBytes: 10_000 });
    await writeFile(path.join(root, 'operator.pdf'), patternBytes(9_000));
    const bytes = patternBytes(2_000);
    await files.upload(ALICE, { name: 'more.txt', size: bytes.length, crc: crc32Of(bytes) });
    expect(notices(ALICE.session).at(-1)).toEqual({
      kind: 'refused',
      request: 'upload',
      code: 'refused',
      name: 'more.txt',
      message: 'the shared directory is full: 8.8 KiB of its 9.8 KiB budget used, this file needs 2.0 KiB',
    });
    await rm(path.join(root, 'operator.pdf'));
    clock += SHARED_USAGE_REFRESH_MS;
    await files.upload(ALICE, { name: 'more.txt', size: bytes.length, crc: crc32Of(bytes) });
    const { id } = await waitNotice(ALICE.session, 'ready');
    await sendAll(ALICE, id, bytes);
    await waitNotice(ALICE.session, 'stored');
  });

  it('judges uploads announced together one after another: the disk budget is not overshot', async () => {
    files = make({ maxSharedBytes: 10_000, uploadSlots: 5 });
    const bytes = patternBytes(4_000);
    // Five announced in the same turn, while the directory is being measured: two fit in the budget.
    await Promise.all(
      Array.from({ length: 5 }, (_, i) => files.upload({ ...ALICE, session: ALICE.session }, { name: `f${i}.txt`, size: bytes.length, crc: crc32Of(bytes) })),
    );
    const told = notices(ALICE.session);
    expect(told.filter((n) => n.kind === 'ready' || n.kind === 'queued')).toHaveLength(2);
    const refused = told.filter((n) => n.kind === 'refused');
    expect(refused).toHaveLength(3);
    expect(refused.every((n) => n.kind === 'refused' && n.message.startsWith('the shared directory is full'))).toBe(true);
  });

  it('a CRC mismatch stores nothing and says why', async () => {
    const bytes = patternBytes(5_000);
    await files.upload(ALICE, { name: 'bad.txt', size: bytes.length, crc: (crc32Of(bytes) ^ 1) >>> 0 });
    const { id } = await waitNotice(ALICE.session, 'ready');
    await sendAll(ALICE, id, bytes);
    expect(await waitNotice(ALICE.session, 'aborted')).toMatchObject({ id, code: 'crc' });
    expect(await readdir(root)).toEqual(['.relay']);
  });

  it('an interrupted upload leaves no partial file and frees its slot', async () => {
    files = make({ uploadSlots: 1 });
    const bytes = patternBytes(50_000);
    await files.upload(ALICE, { name: 'half.txt', size: bytes.length, crc: crc32Of(bytes) });
    await files.upload(BOB, { name: 'next.txt', size: 1, crc: crc32Of(new Uint8Array(1)) });
    const { id } = await waitNotice(ALICE.session, 'ready');
    expect(notices(BOB.session)).toEqual([{ kind: 'queued', id: id + 1, position: 1, name: 'next.txt' }]);
    await sendAll(ALICE, id, bytes, 10);
    links.delete(ALICE.session);
    await files.disconnect(ALICE.session);
    await waitNotice(BOB.session, 'ready');
    await until(async () => (await readdir(root)).length === 2, 'the temporary file to go');
    expect((await readdir(root)).sort()).toEqual(['.next.txt.part-2', '.relay']); // only bob's, in progress
  });
});

describe('sending a file to a user', () => {
  async function relayToBob(bytes: Uint8Array, name = 'photo.jpg'): Promise<{ upId: number; offerId: number }> {
    await files.sendFile(ALICE, { name, size: bytes.length, crc: crc32Of(bytes), image: true }, 'bob', BOB);
    const { id: upId } = await waitNotice(ALICE.session, 'ready');
    await sendAll(ALICE, upId, bytes);
    const offer = await waitNotice(BOB.session, 'offer');
    expect(offer).toEqual({ kind: 'offer', id: offer.id, from: 'alice', size: bytes.length, crc: crc32Of(bytes), name });
    return { upId, offerId: offer.id };
  }

  it('relays through the spool: offer, accept, delivery, confirmation; the spool is emptied', async () => {
    const bytes = patternBytes(70_000);
    const { upId, offerId } = await relayToBob(bytes);
    expect(await readdir(root)).toEqual(['.relay']); // not in the shared directory
    const started = await startReceive(received, { id: offerId, name: 'photo.jpg', size: bytes.length, crc: crc32Of(bytes) });
    if (!started.ok) throw new Error(started.message);
    await files.accept(BOB.session, offerId);
    await receiveAll(BOB.session, started.transfer);
    expect(await started.transfer.done).toMatchObject({ ok: true, name: 'photo.jpg' });
    await files.received(BOB.session, offerId);
    expect(notices(ALICE.session).at(-1)).toEqual({ kind: 'delivered', id: upId, to: 'bob', name: 'photo.jpg' });
    expect(sha256(new Uint8Array(await readFile(path.join(received, 'photo.jpg'))))).toBe(sha256(bytes));
    expect(await readdir(spool)).toEqual([]);
    expect(files.transfers).toBe(0);
  });

  it('refuses a non-image for /sendimage and a file to oneself', async () => {
    await files.sendFile(ALICE, { name: 'notes.txt', size: 1, crc: 0, image: true }, 'bob', BOB);
    await files.sendFile(ALICE, { name: 'notes.txt', size: 1, crc: 0 }, 'alice', ALICE);
    await files.sendFile(ALICE, { name: 'notes.txt', size: 1, crc: 0 }, 'carol', undefined);
    expect(notices(ALICE.session).map((n) => n.kind === 'refused' && [n.request, n.code])).toEqual([
      ['sendfile', 'refused'],
      ['sendfile', 'bad-argument'],
      ['sendfile', 'unknown-user'],
    ]);
    expect(notices(ALICE.session).at(-1)).toMatchObject({ message: 'no user named "carol" is online' });
  });

  it('a declined offer tells both and removes the spooled copy', async () => {
    const { upId, offerId } = await relayToBob(patternBytes(100));
    await files.decline(BOB.session, offerId);
    expect(notices(BOB.session).at(-1)).toMatchObject({ kind: 'aborted', id: offerId, code: 'declined' });
    expect(notices(ALICE.session).at(-1)).toMatchObject({ kind: 'aborted', id: upId, code: 'declined' });
    expect(await readdir(spool)).toEqual([]);
    expect(files.transfers).toBe(0);
  });

  it('an unanswered offer expires', async () => {
    const { upId } = await relayToBob(patternBytes(100));
    expect(await files.expire()).toBe(clock + OFFER_TIMEOUT_MS);
    clock += OFFER_TIMEOUT_MS;
    expect(await files.expire()).toBeUndefined();
    expect(notices(ALICE.session).at(-1)).toMatchObject({ kind: 'aborted', id: upId, code: 'expired' });
    expect(await readdir(spool)).toEqual([]);
  });

  it('a cancel that crosses the end of a transfer is answered "already over", an unknown id with an error', async () => {
    await writeFile(path.join(root, 'notes.txt'), 'hello');
    await files.download(ALICE.session, 'notes.txt');
    const sending = await waitNotice(ALICE.session, 'sending');
    await files.accept(ALICE.session, sending.id);
    await until(() => files.transfers === 0, 'every chunk queued');
    await files.cancel(ALICE.session, sending.id);
    expect(notices(ALICE.session).at(-1)).toEqual({ kind: 'aborted', id: sending.id, code: 'cancelled', message: `transfer ${sending.id} is already over` });
    await files.cancel(ALICE.session, 999);
    expect(notices(ALICE.session).at(-1)).toMatchObject({ kind: 'error', code: 'bad-argument' });
    // Another session's transfer is not "yours", ended or not.
    await files.cancel(BOB.session, sending.id);
    expect(notices(BOB.session).at(-1)).toMatchObject({ kind: 'error', code: 'bad-argument' });
  });

  it('a download announced but never accepted expires (a client that cannot take files)', async () => {
    await writeFile(path.join(root, 'notes.txt'), 'hello');
    await files.download(ALICE.session, 'notes.txt');
    const sending = await waitNotice(ALICE.session, 'sending');
    expect(await files.expire()).toBe(clock + ACCEPT_TIMEOUT_MS);
    clock += ACCEPT_TIMEOUT_MS;
    expect(await files.expire()).toBeUndefined();
    expect(notices(ALICE.session).at(-1)).toMatchObject({ kind: 'aborted', id: sending.id, code: 'expired' });
    expect(files.transfers).toBe(0);
    // An accepted one does not expire.
    await files.download(ALICE.session, 'notes.txt');
    const second = await waitNotice(ALICE.session, 'sending', (n) => n.id !== sending.id);
    await files.accept(ALICE.session, second.id);
    clock += ACCEPT_TIMEOUT_MS;
    await files.expire();
    expect(notices(ALICE.session).filter((n) => n.kind === 'aborted')).toHaveLength(1);
  });

  it('a recipient who leaves is reported to the sender; nothing is kept', async () => {
    const { upId } = await relayToBob(patternBytes(100));
    links.delete(BOB.session);
    await files.disconnect(BOB.session);
    expect(notices(ALICE.session).at(-1)).toEqual({ kind: 'aborted', id: upId, code: 'user-left', message: 'bob left before receiving photo.jpg' });
    expect(await readdir(spool)).toEqual([]);
    expect(files.transfers).toBe(0);
  });

  it('a recipient gone before the file is spooled: the sender is told', async () => {
    const bytes = patternBytes(100);
    await files.sendFile(ALICE, { name: 'a.png', size: 100, crc: crc32Of(bytes) }, 'bob', BOB);
    const { id } = await waitNotice(ALICE.session, 'ready');
    links.delete(BOB.session);
    await sendAll(ALICE, id, bytes);
    expect(await waitNotice(ALICE.session, 'aborted')).toEqual({ kind: 'aborted', id, code: 'user-left', message: 'bob is no longer online' });
    expect(await readdir(spool)).toEqual([]);
  });

  it('the sender may withdraw a file that waits for acceptance', async () => {
    const { upId, offerId } = await relayToBob(patternBytes(100));
    await files.cancel(ALICE.session, upId);
    expect(notices(ALICE.session).at(-1)).toMatchObject({ kind: 'aborted', id: upId, code: 'cancelled' });
    expect(notices(BOB.session).at(-1)).toMatchObject({ kind: 'aborted', id: offerId, code: 'cancelled' });
    await files.accept(BOB.session, offerId);
    expect(notices(BOB.session).at(-1)).toEqual({ kind: 'error', code: 'bad-argument', message: `no offer ${offerId} is waiting for you` });
    expect(await readdir(spool)).toEqual([]);
  });
});

describe('prepareServerDirs', () => {
  it('creates the directories, removes upload leftovers and the old spool, keeps shared files', async () => {
    const dir = path.join(base, 'fresh', 'files');
    const first = await prepareServerDirs(dir);
    expect(first).toEqual({ root: dir, spoolDir: path.join(dir, '.relay') });
    await writeFile(path.join(dir, 'keep.txt'), 'k');
    await writeFile(path.join(dir, '.keep.txt.part-9'), 'partial');
    await writeFile(path.join(dir, '.relay', 'old.jpg'), 'spooled');
    await prepareServerDirs(dir);
    expect((await readdir(dir)).sort()).toEqual(['.relay', 'keep.txt']);
    expect(await readdir(path.join(dir, '.relay'))).toEqual([]);
  });
});
