// Strict resolution of a requested name inside the shared directory, and opening it for reading.
//
// A name is one plain directory entry (names.ts checkPlainName): no `/`, no `..`, not absolute, not
// hidden. The entry must be a regular file, or a symbolic link whose real target is a regular file
// inside the shared directory. Directories, devices, FIFOs, sockets, dangling links and links
// leading out are refused, each with its own message. The file is opened without following a
// link at the last step and checked again on the open handle (same inode, still a regular file), so
// swapping the entry between the check and the open is noticed instead of served.
import { constants, type Stats } from 'node:fs';
import { lstat, open, realpath, stat, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import type { ErrorCode } from '../commands/types.ts';
import { checkPlainName, quoteName } from './names.ts';
import { describeError as describe } from './errors.ts';
import type { FileSnapshot } from './outgoing.ts';
import { isInside } from './shared-dir.ts';

export type ResolveErrorCode = Extract<ErrorCode, 'bad-argument' | 'unknown-file' | 'refused' | 'internal'>;

export interface ResolveError {
  code: ResolveErrorCode;
  message: string;
}

export interface ResolvedFile {
  /** The name as asked for (and listed). */
  name: string;
  /** Absolute, symlink-free path of the file. */
  path: string;
  snapshot: FileSnapshot;
}

export type ResolveResult = { ok: true; file: ResolvedFile } | { ok: false; error: ResolveError };

export interface OpenedFile extends ResolvedFile {
  /** Open for reading; the caller closes it. */
  handle: FileHandle;
}

export type OpenResult = { ok: true; file: OpenedFile } | { ok: false; error: ResolveError };

/** O_NOFOLLOW where the platform has it: the last component must not be a link. */
const NO_FOLLOW = constants.O_NOFOLLOW ?? 0;
/** O_NONBLOCK: opening a FIFO swapped in at the last moment must not hang the server. */
const NON_BLOCK = constants.O_NONBLOCK ?? 0;

export function snapshotOf(info: Stats): FileSnapshot {
  return { size: info.size, mtimeMs: info.mtimeMs, ino: info.ino, dev: info.dev };
}

/**
 * Where `name` leads inside `root` (an absolute, symlink-free directory as ensureSharedDir returns),
 * checked but not opened. Never rejects.
 */
export async function resolveSharedFile(root: string, name: string): Promise<ResolveResult> {
  const checked = checkPlainName(name);
  if (!checked.ok) return failure('bad-argument', checked.message);
  const entry = path.join(root, name);
  let info: Stats;
  try {
    info = await lstat(entry);
  } catch (error) {
    return fromFsError(error, name);
  }
  let target = entry;
  if (info.isSymbolicLink()) {
    try {
      target = await realpath(entry);
    } catch {
      return failure('unknown-file', `${quoteName(name)} is a broken link`);
    }
    if (!isInside(root, target)) return failure('refused', `${quoteName(name)} links outside the shared directory`);
    try {
      info = await stat(target);
    } catch (error) {
      return fromFsError(error, name);
    }
  }
  const kind = refusedKind(info, name);
  if (kind !== undefined) return { ok: false, error: kind };
  return { ok: true, file: { name, path: target, snapshot: snapshotOf(info) } };
}

/** Resolve, then open for reading and check the open handle is the file that was resolved. Never rejects. */
export async function openSharedFile(root: string, name: string): Promise<OpenResult> {
  const resolved = await resolveSharedFile(root, name);
  if (!resolved.ok) return resolved;
  const { file } = resolved;
  let handle: FileHandle;
  try {
    handle = await open(file.path, constants.O_RDONLY | NO_FOLLOW | NON_BLOCK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ELOOP') return failure('refused', `${quoteName(name)} was replaced by a link; try again`);
    return fromFsError(error, name);
  }
  try {
    const info = await handle.stat();
    const kind = refusedKind(info, name);
    if (kind !== undefined) {
      await handle.close();
      return { ok: false, error: kind };
    }
    if (info.ino !== file.snapshot.ino) {
      await handle.close();
      return failure('refused', `${quoteName(name)} was replaced while being opened; try again`);
    }
    return { ok: true, file: { ...file, snapshot: snapshotOf(info), handle } };
  } catch (error) {
    await handle.close().catch(() => undefined);
    return failure('internal', `${quoteName(name)} cannot be read: ${describe(error)}`);
  }
}

/** Why this kind of entry is not served, or undefined for a regular file. */
function refusedKind(info: Stats, name: string): ResolveError | undefined {
  if (info.isFile()) return undefined;
  if (info.isDirectory()) return { code: 'refused', message: `${quoteName(name)} is a directory, not a file` };
  if (info.isCharacterDevice() || info.isBlockDevice()) {
    return { code: 'refused', message: `${quoteName(name)} is a device, not a file` };
  }
  if (info.isFIFO()) return { code: 'refused', message: `${quoteName(name)} is a pipe (FIFO), not a file` };
  if (info.isSocket()) return { code: 'refused', message: `${quoteName(name)} is a socket, not a file` };
  return { code: 'refused', message: `${quoteName(name)} is not a regular file` };
}

function fromFsError(error: unknown, name: string): { ok: false; error: ResolveError } {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT' || code === 'ENOTDIR') return failure('unknown-file', `no shared file named ${quoteName(name)}`);
  if (code === 'EACCES' || code === 'EPERM') return failure('refused', `${quoteName(name)} is not readable by the server`);
  if (code === 'ENAMETOOLONG') return failure('bad-argument', 'the file name is too long');
  return failure('internal', `${quoteName(name)} cannot be read: ${describe(error)}`);
}

function failure(code: ResolveErrorCode, message: string): { ok: false; error: ResolveError } {
  return { ok: false, error: { code, message } };
}
