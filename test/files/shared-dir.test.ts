import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ensureSharedDir, isInside, listSharedFiles } from '../../src/files/shared-dir.ts';

let base: string;

beforeEach(async () => {
  base = await mkdtemp(path.join(os.tmpdir(), 'dualchat-shared-'));
});

afterEach(async () => {
  await rm(base, { recursive: true, force: true });
});

describe('ensureSharedDir', () => {
  it('creates missing directories and returns the absolute path', async () => {
    const dir = path.join(base, 'a', 'b', 'files');
    expect(await ensureSharedDir(dir)).toBe(dir);
    expect(await listSharedFiles(dir)).toEqual([]);
    expect(await ensureSharedDir(dir)).toBe(dir); // existing: fine
  });

  it('refuses a path that is a file', async () => {
    const file = path.join(base, 'plain');
    await writeFile(file, 'x');
    await expect(ensureSharedDir(file)).rejects.toThrow();
    await expect(ensureSharedDir(path.join(file, 'below'))).rejects.toThrow(/ENOTDIR/);
  });
});

describe('listSharedFiles', () => {
  it('lists regular files by name and size, sorted; no dirs, dotfiles or links leading out', async () => {
    const dir = path.join(base, 'files');
    await mkdir(dir);
    await writeFile(path.join(dir, 'zeta.txt'), 'zz');
    await writeFile(path.join(dir, 'Alpha.md'), 'alpha');
    await writeFile(path.join(dir, 'émoji 😀.txt'), '');
    await writeFile(path.join(dir, '..weird'), 'dotted');
    await writeFile(path.join(dir, '.hidden'), 'no');
    await mkdir(path.join(dir, 'sub'));
    await writeFile(path.join(dir, 'sub', 'deep.txt'), 'deep');
    await writeFile(path.join(base, 'outside.txt'), 'outside');
    await symlink(path.join(base, 'outside.txt'), path.join(dir, 'link-out'));
    await symlink(path.join(dir, 'zeta.txt'), path.join(dir, 'link-in'));
    await symlink(path.join(dir, 'sub'), path.join(dir, 'link-dir'));
    await symlink(path.join(dir, 'missing'), path.join(dir, 'dangling'));
    await symlink('link-loop', path.join(dir, 'link-loop'));
    expect(await listSharedFiles(dir)).toEqual([
      { name: 'Alpha.md', size: 5 },
      { name: 'link-in', size: 2 },
      { name: 'zeta.txt', size: 2 },
      { name: 'émoji 😀.txt', size: 0 },
    ]);
  });

  it('rejects when the directory is gone', async () => {
    await expect(listSharedFiles(path.join(base, 'nope'))).rejects.toThrow(/ENOENT/);
  });
});

describe('isInside', () => {
  it('is true only strictly below the root', () => {
    expect(isInside('/srv/files', '/srv/files/a.txt')).toBe(true);
    expect(isInside('/srv/files', '/srv/files/sub/a.txt')).toBe(true);
    expect(isInside('/srv/files', '/srv/files/..a')).toBe(true);
    expect(isInside('/srv/files', '/srv/files')).toBe(false);
    expect(isInside('/srv/files', '/srv/other/a.txt')).toBe(false);
    expect(isInside('/srv/files', '/srv/files-evil/a.txt')).toBe(false);
    expect(isInside('/srv/files', '/etc/passwd')).toBe(false);
  });
});
