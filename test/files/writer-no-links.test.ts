// The same no-overwrite guarantee on a file system without hard links (FAT, some network shares):
// link() fails with EPERM there, and the store falls back to an exclusive create + rename.
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

const calls = vi.hoisted(() => ({ link: 0 }));

vi.mock('node:fs/promises', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:fs/promises')>();
  return {
    ...real,
    link: async () => {
      calls.link++;
      throw Object.assign(new Error('EPERM: operation not permitted, link'), { code: 'EPERM' });
    },
  };
});

const { storeWithoutOverwrite } = await import('../../src/files/writer.ts');

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'dualchat-nolink-'));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('storeWithoutOverwrite without hard links', () => {
  it('reserves the first free name and renames into it, never overwriting', async () => {
    await writeFile(path.join(dir, 'notes.txt'), 'original');
    await writeFile(path.join(dir, '.tmp-a'), 'first');
    await writeFile(path.join(dir, '.tmp-b'), 'second');
    expect(await storeWithoutOverwrite(dir, '.tmp-a', 'notes.txt')).toBe('notes (1).txt');
    expect(await storeWithoutOverwrite(dir, '.tmp-b', 'notes.txt')).toBe('notes (2).txt');
    expect(calls.link).toBeGreaterThan(0);
    expect(await readFile(path.join(dir, 'notes.txt'), 'utf8')).toBe('original');
    expect(await readFile(path.join(dir, 'notes (1).txt'), 'utf8')).toBe('first');
    expect(await readFile(path.join(dir, 'notes (2).txt'), 'utf8')).toBe('second');
    expect((await readdir(dir)).sort()).toEqual(['notes (1).txt', 'notes (2).txt', 'notes.txt']);
  });

  it('racing stores of one name get distinct names', async () => {
    const temps = Array.from({ length: 8 }, (_, i) => `.tmp-${i}`);
    await Promise.all(temps.map((t, i) => writeFile(path.join(dir, t), `content ${i}`)));
    const names = await Promise.all(temps.map((t) => storeWithoutOverwrite(dir, t, 'race.txt')));
    expect(new Set(names).size).toBe(8);
    const contents = await Promise.all(names.map((n) => readFile(path.join(dir, n), 'utf8')));
    expect(new Set(contents).size).toBe(8);
  });
});
