import fc from 'fast-check';
import { mkdir, mkdtemp, readFile, readdir, rm, symlink, writeFile, appendFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { crc32Of } from '../../src/files/crc.ts';
import { DOWNLOAD_TAG, partName, sidecarName } from '../../src/files/names.ts';
import { forgetDownload, planDownload, startDownload, startReceive } from '../../src/files/receive.ts';
import { listSharedFiles } from '../../src/files/shared-dir.ts';
import {
  createPartFile,
  parseRecord,
  readResumeRecord,
  removeStaleParts,
  reopenPartFile,
  storeWithoutOverwrite,
} from '../../src/files/writer.ts';
import type { Chunk } from '../../src/files/chunk-codec.ts';
import { patternBytes } from './helpers.ts';

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'dualchat-writer-'));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function chunksOf(id: number, bytes: Uint8Array, n: number, from = 0): Chunk[] {
  const out: Chunk[] = [];
  for (let offset = from; ; offset += n) {
    const end = Math.min(offset + n, bytes.length);
    out.push({ transferId: id, offset, final: end === bytes.length, data: bytes.subarray(offset, end) });
    if (end === bytes.length) return out;
  }
}

async function receive(name: string, bytes: Uint8Array, crc = crc32Of(bytes), id = 3) {
  const started = await startReceive(dir, { id, name, size: bytes.length, crc });
  if (!started.ok) throw new Error(started.message);
  for (const c of chunksOf(id, bytes, 7)) started.transfer.accept(c);
  return started.transfer.done;
}

describe('receiving into a directory', () => {
  it('writes under a hidden temporary name, then stores under the final name', async () => {
    const bytes = patternBytes(50);
    const started = await startReceive(dir, { id: 12, name: 'notes.txt', size: 50, crc: crc32Of(bytes) });
    if (!started.ok) throw new Error(started.message);
    const t = started.transfer;
    chunksOf(12, bytes, 20).slice(0, 2).forEach((c) => t.accept(c));
    for (let i = 0; i < 1000 && t.written < 40; i++) await new Promise((r) => setImmediate(r));
    expect(await readdir(dir)).toEqual(['.notes.txt.part-12']);
    expect(await listSharedFiles(dir)).toEqual([]); // nothing partial is listed
    chunksOf(12, bytes, 20).slice(2).forEach((c) => t.accept(c));
    expect(await t.done).toMatchObject({ ok: true, name: 'notes.txt' });
    expect(await readdir(dir)).toEqual(['notes.txt']);
    expect(new Uint8Array(await readFile(path.join(dir, 'notes.txt')))).toEqual(bytes);
  });

  it('renames on collision and never overwrites: notes (1).txt, notes (2).txt', async () => {
    await writeFile(path.join(dir, 'notes.txt'), 'original');
    const a = patternBytes(10, 1);
    const b = patternBytes(10, 2);
    expect(await receive('notes.txt', a)).toMatchObject({ ok: true, name: 'notes (1).txt' });
    expect(await receive('notes.txt', b, undefined, 4)).toMatchObject({ ok: true, name: 'notes (2).txt' });
    expect(await readFile(path.join(dir, 'notes.txt'), 'utf8')).toBe('original');
    expect(new Uint8Array(await readFile(path.join(dir, 'notes (1).txt')))).toEqual(a);
    expect(new Uint8Array(await readFile(path.join(dir, 'notes (2).txt')))).toEqual(b);
    expect((await readdir(dir)).sort()).toEqual(['notes (1).txt', 'notes (2).txt', 'notes.txt']);
  });

  it('does not store over a directory, a dangling link or a link of the same name', async () => {
    await mkdir(path.join(dir, 'a.txt'));
    await symlink('nowhere', path.join(dir, 'a (1).txt'));
    await symlink('/etc/passwd', path.join(dir, 'a (2).txt'));
    expect(await receive('a.txt', patternBytes(5))).toMatchObject({ ok: true, name: 'a (3).txt' });
    expect(await readFile('/etc/passwd', 'utf8')).not.toBe('');
  });

  it('stores racing writers of one name under distinct names, none lost', async () => {
    const files = Array.from({ length: 12 }, (_, i) => patternBytes(100 + i, i + 1));
    const results = await Promise.all(files.map((bytes, i) => receive('race.txt', bytes, undefined, 100 + i)));
    const names = results.map((r) => (r.ok ? r.name : r.failure.message));
    expect(new Set(names).size).toBe(12);
    for (const [i, r] of results.entries()) {
      if (!r.ok) throw new Error(r.failure.message);
      expect(new Uint8Array(await readFile(path.join(dir, r.name)))).toEqual(files[i]);
    }
    expect((await readdir(dir)).filter((n) => n.startsWith('.'))).toEqual([]);
  });

  it('a CRC mismatch removes the temporary file and stores nothing', async () => {
    const bytes = patternBytes(30);
    const r = await receive('bad.txt', bytes, (crc32Of(bytes) ^ 0x8000_0000) >>> 0);
    expect(r).toMatchObject({ ok: false, failure: { code: 'crc' } });
    expect(await readdir(dir)).toEqual([]);
  });

  it('cancel leaves nothing, visible or hidden', async () => {
    const bytes = patternBytes(100);
    const started = await startReceive(dir, { id: 8, name: 'big.txt', size: 100, crc: crc32Of(bytes) });
    if (!started.ok) throw new Error(started.message);
    chunksOf(8, bytes, 10).slice(0, 5).forEach((c) => started.transfer.accept(c));
    expect(await started.transfer.cancel()).toMatchObject({ ok: false, failure: { code: 'cancelled' } });
    expect(await readdir(dir)).toEqual([]);
  });

  it('an interrupted upload (not resumable) leaves nothing either', async () => {
    const bytes = patternBytes(100);
    const started = await startReceive(dir, { id: 8, name: 'up.txt', size: 100, crc: crc32Of(bytes) });
    if (!started.ok) throw new Error(started.message);
    chunksOf(8, bytes, 10).slice(0, 5).forEach((c) => started.transfer.accept(c));
    expect(await started.transfer.interrupt()).toMatchObject({ ok: false, failure: { code: 'interrupted' } });
    expect(await readdir(dir)).toEqual([]);
  });

  it('refuses unsafe names before creating anything', async () => {
    for (const name of ['../escape.txt', '/etc/x', '.hidden', '']) {
      const r = await startReceive(dir, { id: 1, name, size: 1, crc: 0 });
      expect(r.ok, name).toBe(false);
    }
    expect(await readdir(dir)).toEqual([]);
    expect(await readdir(path.dirname(dir))).not.toContain('escape.txt');
  });

  it('replaces a stale temporary file of the same id, and removeStaleParts clears leftovers', async () => {
    await writeFile(path.join(dir, '.x.txt.part-5'), 'stale');
    expect(await receive('x.txt', patternBytes(3), undefined, 5)).toMatchObject({ ok: true, name: 'x.txt' });
    await writeFile(path.join(dir, '.y.txt.part-6'), 'stale');
    await writeFile(path.join(dir, '.y.txt.part-6.json'), '{}');
    await writeFile(path.join(dir, '.z.txt.part-download'), 'resumable');
    await writeFile(path.join(dir, '.keep'), 'not ours');
    expect(await removeStaleParts(dir)).toBe(2);
    expect((await readdir(dir)).sort()).toEqual(['.keep', '.z.txt.part-download', 'x.txt']);
  });
});

describe('storeWithoutOverwrite', () => {
  it('gives up with a clear error after the last number', async () => {
    await writeFile(path.join(dir, '.t'), 'x');
    await writeFile(path.join(dir, 'n'), 'x');
    for (let i = 1; i <= 999; i++) await writeFile(path.join(dir, `n (${i})`), 'x');
    await expect(storeWithoutOverwrite(dir, '.t', 'n')).rejects.toThrow(/every number between exist already/);
  });
});

describe('resumable downloads', () => {
  const name = 'movie.txt';

  async function partial(bytes: Uint8Array, upTo: number, checkpointBytes = 1 << 20) {
    const started = await startDownload(dir, { id: 2, name, size: bytes.length, crc: crc32Of(bytes), offset: 0 }, { checkpointBytes });
    if (!started.ok) throw new Error(started.message);
    chunksOf(2, bytes, 10).filter((c) => c.offset < upTo).forEach((c) => started.transfer.accept(c));
    return started.transfer;
  }

  it('plans fresh without a record, resume with one, and continues to an identical file', async () => {
    const bytes = patternBytes(100);
    expect(await planDownload(dir, name)).toEqual({ kind: 'fresh' });
    const t = await partial(bytes, 60);
    expect(await t.interrupt()).toMatchObject({ ok: false, failure: { code: 'interrupted' } });
    expect(await readdir(dir)).toEqual(expect.arrayContaining(['.movie.txt.part-download', '.movie.txt.part-download.json']));
    expect(await listSharedFiles(dir)).toEqual([]);
    const plan = await planDownload(dir, name);
    expect(plan).toEqual({ kind: 'resume', offset: 60, size: 100, crc: crc32Of(bytes) });
    const resumed = await startDownload(dir, { id: 9, name, size: 100, crc: crc32Of(bytes), offset: 60 });
    if (!resumed.ok) throw new Error(resumed.message);
    chunksOf(9, bytes, 15, 60).forEach((c) => resumed.transfer.accept(c));
    expect(await resumed.transfer.done).toMatchObject({ ok: true, name });
    expect(new Uint8Array(await readFile(path.join(dir, name)))).toEqual(bytes);
    expect(await readdir(dir)).toEqual([name]);
  });

  it('after a crash, resumes from the last checkpoint and drops bytes written after it', async () => {
    const bytes = patternBytes(100);
    const t = await partial(bytes, 100, 25);
    // Let the writes land, then simulate the crash: the file holds more than the record vouches for.
    await t.done;
    const record = { version: 1, name, size: 100, crc: crc32Of(bytes).toString(16).padStart(8, '0'), verified: 30, prefixCrc: crc32Of(bytes.subarray(0, 30)).toString(16).padStart(8, '0') };
    await writeFile(path.join(dir, partName(name, DOWNLOAD_TAG)), bytes.subarray(0, 70));
    await appendFile(path.join(dir, partName(name, DOWNLOAD_TAG)), 'garbage after the checkpoint');
    await writeFile(path.join(dir, sidecarName(partName(name, DOWNLOAD_TAG))), JSON.stringify(record));
    await rm(path.join(dir, name));
    expect(await planDownload(dir, name)).toEqual({ kind: 'resume', offset: 30, size: 100, crc: crc32Of(bytes) });
    const resumed = await startDownload(dir, { id: 4, name, size: 100, crc: crc32Of(bytes), offset: 30 });
    if (!resumed.ok) throw new Error(resumed.message);
    chunksOf(4, bytes, 33, 30).forEach((c) => resumed.transfer.accept(c));
    expect(await resumed.transfer.done).toMatchObject({ ok: true, name });
    expect(new Uint8Array(await readFile(path.join(dir, name)))).toEqual(bytes);
  });

  it('a damaged partial file is not resumed: plan is fresh and the leftovers are removed', async () => {
    const bytes = patternBytes(100);
    await (await partial(bytes, 50)).interrupt();
    const part = path.join(dir, partName(name, DOWNLOAD_TAG));
    const damaged = new Uint8Array(await readFile(part));
    damaged[3] = (damaged[3] ?? 0) ^ 0xff;
    await writeFile(part, damaged);
    expect(await planDownload(dir, name)).toEqual({ kind: 'fresh' });
    expect(await readdir(dir)).toEqual([]);
  });

  it('a changed file on the server (offer at 0 with a new CRC) starts over', async () => {
    const old = patternBytes(100, 1);
    await (await partial(old, 50)).interrupt();
    const fresh = patternBytes(80, 2);
    const started = await startDownload(dir, { id: 6, name, size: 80, crc: crc32Of(fresh), offset: 0 });
    if (!started.ok) throw new Error(started.message);
    chunksOf(6, fresh, 30).forEach((c) => started.transfer.accept(c));
    expect(await started.transfer.done).toMatchObject({ ok: true });
    expect(new Uint8Array(await readFile(path.join(dir, name)))).toEqual(fresh);
    expect(await readdir(dir)).toEqual([name]);
  });

  it('reopen refuses a record of another version, an offset beyond it, and no record', async () => {
    const bytes = patternBytes(100);
    await (await partial(bytes, 40)).interrupt();
    const options = { dir, name, tag: DOWNLOAD_TAG, resumable: true, size: 100, crc: crc32Of(bytes) };
    expect(await reopenPartFile({ ...options, crc: 1 }, 40)).toMatchObject({ ok: false, message: expect.stringMatching(/different version/) });
    expect(await reopenPartFile(options, 41)).toMatchObject({ ok: false, message: expect.stringMatching(/40 bytes were verified/) });
    expect(await reopenPartFile({ ...options, name: 'other.txt' }, 1)).toMatchObject({ ok: false, message: expect.stringMatching(/no resumable/) });
    const earlier = await reopenPartFile(options, 25); // an earlier offset is fine: the rest is cut off
    expect(earlier).toMatchObject({ ok: true, prefixCrc: crc32Of(bytes.subarray(0, 25)) });
    if (earlier.ok) await earlier.part.suspend(25, earlier.prefixCrc);
    expect(await readResumeRecord(dir, name, DOWNLOAD_TAG)).toMatchObject({ verified: 25 });
    await forgetDownload(dir, name);
    expect(await readdir(dir)).toEqual([]);
  });

  it('cancel of a resumable download removes the part and its record', async () => {
    const t = await partial(patternBytes(100), 50);
    await t.cancel();
    expect(await readdir(dir)).toEqual([]);
  });

  it('parseRecord never throws and accepts only well-formed records', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.json()), (text) => {
        const r = parseRecord(text);
        if (r !== undefined) expect(r.verified).toBeLessThanOrEqual(r.size);
      }),
    );
    expect(parseRecord('{"version":1,"name":"a","size":5,"crc":"0000000a","verified":6,"prefixCrc":"00000000"}')).toBeUndefined();
    expect(parseRecord('{"version":1,"name":"a","size":5,"crc":"0000000a","verified":5,"prefixCrc":"00000001"}')).toEqual({
      name: 'a',
      size: 5,
      crc: 10,
      verified: 5,
      prefixCrc: 1,
    });
  });

  it('createPartFile reports an unwritable directory as a message', async () => {
    const r = await createPartFile({ dir: path.join(dir, 'missing'), name: 'a.txt', tag: '1', resumable: false, size: 1, crc: 0 });
    expect(r).toMatchObject({ ok: false, message: expect.stringMatching(/cannot create a temporary file/) });
  });
});
