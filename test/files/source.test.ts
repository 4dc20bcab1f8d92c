import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, open, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CRC32_EMPTY, crc32Of, crc32Update, crcHex } from '../../src/files/crc.ts';
import { crc32OfHandle, handleSource, openLocalFile } from '../../src/files/source.ts';
import { patternBytes } from './helpers.ts';

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'dualchat-source-'));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('crc', () => {
  it('is the IEEE CRC-32, unsigned, and incremental', () => {
    expect(crcHex(crc32Of(Buffer.from('123456789')))).toBe('cbf43926');
    const bytes = patternBytes(1000);
    let crc = CRC32_EMPTY;
    for (let i = 0; i < 1000; i += 77) crc = crc32Update(crc, bytes.subarray(i, i + 77));
    expect(crc).toBe(crc32Of(bytes));
    expect(crc).toBeGreaterThanOrEqual(0);
  });
});

describe('handleSource and crc32OfHandle', () => {
  it('read at offsets, short at the end; CRC over small blocks equals the whole', async () => {
    const bytes = patternBytes(10_000);
    await writeFile(path.join(dir, 'f'), bytes);
    const handle = await open(path.join(dir, 'f'));
    try {
      const source = handleSource(handle);
      expect(await source.read(9_990, 100)).toEqual(bytes.subarray(9_990));
      expect(await source.read(20_000, 10)).toEqual(new Uint8Array(0));
      expect((await source.stat()).size).toBe(10_000);
      expect(await crc32OfHandle(handle, 10_000, 333)).toBe(crc32Of(bytes));
      await expect(crc32OfHandle(handle, 10_001, 4096)).rejects.toThrow(/ended at byte 10000, expected 10001/);
    } finally {
      await handle.close();
    }
  });
});

describe('openLocalFile', () => {
  it('opens a file (through a link), with its base name, size and CRC-32', async () => {
    const bytes = patternBytes(5_000);
    await writeFile(path.join(dir, 'holiday photo.jpg'), bytes);
    await symlink('holiday photo.jpg', path.join(dir, 'link.jpg'));
    for (const name of ['holiday photo.jpg', 'link.jpg']) {
      const r = await openLocalFile(path.join(dir, name));
      if (!r.ok) throw new Error(r.message);
      try {
        expect(r.file).toMatchObject({ name, size: 5_000, crc: crc32Of(bytes) });
        expect(await r.file.source.read(0, 5)).toEqual(bytes.subarray(0, 5));
      } finally {
        await r.file.handle.close();
      }
    }
  });

  it('refuses what cannot be sent, with a message', async () => {
    await mkdir(path.join(dir, 'folder'));
    execFileSync('mkfifo', [path.join(dir, 'pipe')]);
    await symlink('missing', path.join(dir, 'dangling'));
    const cases: Array<[string, RegExp]> = [
      ['folder', /is a directory/],
      ['pipe', /not a regular file/],
      ['missing.txt', /no such file/],
      ['dangling', /no such file/],
    ];
    for (const [name, message] of cases) {
      const r = await openLocalFile(path.join(dir, name));
      expect(r.ok, name).toBe(false);
      if (!r.ok) expect(r.message).toMatch(message);
    }
  });
});
