import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { crc32Of } from '../../src/files/crc.ts';
import { openSharedFile, resolveSharedFile } from '../../src/files/resolve.ts';
import { ensureSharedDir, listSharedFiles } from '../../src/files/shared-dir.ts';
import { openSharedForSending } from '../../src/files/source.ts';

let base: string;
let root: string;

beforeEach(async () => {
  base = await mkdtemp(path.join(os.tmpdir(), 'dualchat-resolve-'));
  root = await ensureSharedDir(path.join(base, 'files'));
  await writeFile(path.join(root, 'notes.txt'), 'hello notes');
  await writeFile(path.join(root, 'émoji 😀.txt'), 'smile');
  await writeFile(path.join(root, '.hidden'), 'secret');
  await mkdir(path.join(root, 'sub'));
  await writeFile(path.join(root, 'sub', 'deep.txt'), 'deep');
  await writeFile(path.join(base, 'outside.txt'), 'outside secret');
  await symlink(path.join(base, 'outside.txt'), path.join(root, 'link-out'));
  await symlink('../outside.txt', path.join(root, 'relative-out'));
  await symlink('/dev/null', path.join(root, 'devnull'));
  await symlink('/etc/passwd', path.join(root, 'passwd'));
  await symlink(path.join(root, 'notes.txt'), path.join(root, 'link-in'));
  await symlink('sub', path.join(root, 'link-dir'));
  await symlink('sub/deep.txt', path.join(root, 'link-deep'));
  await symlink('missing.txt', path.join(root, 'dangling'));
  await symlink('loop', path.join(root, 'loop'));
  execFileSync('mkfifo', [path.join(root, 'pipe')]);
});

afterEach(async () => {
  await rm(base, { recursive: true, force: true });
});

async function refusal(name: string): Promise<{ code: string; message: string }> {
  const r = await resolveSharedFile(root, name);
  if (r.ok) throw new Error(`${name} was resolved to ${r.file.path}`);
  const opened = await openSharedFile(root, name);
  expect(opened).toEqual(r); // opening refuses the same way
  return r.error;
}

describe('resolveSharedFile: attacks', () => {
  it.each([
    ['../outside.txt', 'bad-argument', /is a path/],
    ['../../../../etc/passwd', 'bad-argument', /is a path/],
    ['/etc/passwd', 'bad-argument', /is a path/],
    ['/tmp/files/notes.txt', 'bad-argument', /is a path/],
    ['sub/deep.txt', 'bad-argument', /is a path/],
    ['..', 'bad-argument', /not a file name/],
    ['.', 'bad-argument', /not a file name/],
    ['', 'bad-argument', /empty/],
    ['.hidden', 'bad-argument', /hidden/],
    ['notes.txt\u0000.png', 'bad-argument', /control/],
    ['link-out', 'refused', /links outside the shared directory/],
    ['relative-out', 'refused', /links outside the shared directory/],
    ['devnull', 'refused', /links outside the shared directory/],
    ['passwd', 'refused', /links outside the shared directory/],
    ['sub', 'refused', /is a directory/],
    ['link-dir', 'refused', /is a directory/],
    ['pipe', 'refused', /pipe \(FIFO\)/],
    ['dangling', 'unknown-file', /broken link/],
    ['loop', 'unknown-file', /broken link/],
    ['nothing.txt', 'unknown-file', /no shared file named "nothing.txt"/],
  ])('%j → %s', async (name, code, message) => {
    const error = await refusal(name);
    expect(error.code).toBe(code);
    expect(error.message).toMatch(message);
  });
});

describe('resolveSharedFile: accepted names', () => {
  it('resolves a regular file with its snapshot', async () => {
    const r = await resolveSharedFile(root, 'notes.txt');
    expect(r).toMatchObject({ ok: true, file: { name: 'notes.txt', path: path.join(root, 'notes.txt'), snapshot: { size: 11 } } });
  });

  it('follows links that stay inside, to the real file', async () => {
    expect(await resolveSharedFile(root, 'link-in')).toMatchObject({ ok: true, file: { path: path.join(root, 'notes.txt') } });
    expect(await resolveSharedFile(root, 'link-deep')).toMatchObject({ ok: true, file: { path: path.join(root, 'sub', 'deep.txt') } });
  });

  it('opens Unicode names and reads the right bytes', async () => {
    const r = await openSharedFile(root, 'émoji 😀.txt');
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    try {
      const { buffer, bytesRead } = await r.file.handle.read(Buffer.alloc(16), 0, 16, 0);
      expect(buffer.subarray(0, bytesRead).toString()).toBe('smile');
    } finally {
      await r.file.handle.close();
    }
  });

  it('serves exactly what the listing shows', async () => {
    const listed = await listSharedFiles(root);
    for (const entry of listed) {
      const r = await resolveSharedFile(root, entry.name);
      expect(r.ok, entry.name).toBe(true);
    }
    expect(listed.map((e) => e.name)).toEqual(['link-deep', 'link-in', 'notes.txt', 'émoji 😀.txt']);
  });

  it('openSharedForSending announces the right size and CRC-32', async () => {
    const r = await openSharedForSending(root, 'notes.txt');
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    try {
      expect(r.file.snapshot.size).toBe(11);
      expect(r.file.crc).toBe(crc32Of(Buffer.from('hello notes')));
      expect(Buffer.from(await r.file.source.read(6, 100)).toString()).toBe('notes');
    } finally {
      await r.file.handle.close();
    }
    expect(await openSharedForSending(root, '../outside.txt')).toMatchObject({ ok: false, error: { code: 'bad-argument' } });
  });
});
