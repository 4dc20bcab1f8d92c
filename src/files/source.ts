// Reading a file to send: a ChunkSource over an open handle, the whole-file CRC-32 announced before
// a transfer, and opening a local file the user wants to upload (client side).
import { constants } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { CRC_READ_BYTES } from './limits.ts';
import { CRC32_EMPTY, crc32Update } from './crc.ts';
import type { CrcCache } from './crc-cache.ts';
import { describeError } from './errors.ts';
import type { ChunkSource, FileSnapshot } from './outgoing.ts';
import { openSharedFile, snapshotOf, type OpenedFile, type ResolveError } from './resolve.ts';

/** Reads at explicit offsets (several transfers may share nothing, but a handle is never seeked). */
export function handleSource(handle: FileHandle): ChunkSource {
  return {
    async read(offset: number, length: number): Promise<Uint8Array> {
      const buffer = new Uint8Array(length);
      let filled = 0;
      // Each pass reads ≥ 1 byte or stops at the end of the file: bounded by `length`.
      while (filled < length) {
        const { bytesRead } = await handle.read(buffer, filled, length - filled, offset + filled);
        if (bytesRead === 0) break;
        filled += bytesRead;
      }
      return filled === length ? buffer : buffer.subarray(0, filled);
    },
    async stat(): Promise<FileSnapshot> {
      return snapshotOf(await handle.stat());
    },
  };
}

/**
 * CRC-32 of the first `size` bytes of an open file, read in CRC_READ_BYTES blocks. Rejects with a
 * clear error if the file holds fewer bytes (it shrank since its size was taken).
 */
export async function crc32OfHandle(handle: FileHandle, size: number, blockBytes = CRC_READ_BYTES): Promise<number> {
  const source = handleSource(handle);
  let crc = CRC32_EMPTY;
  for (let offset = 0; offset < size; ) {
    const length = Math.min(blockBytes, size - offset);
    const block = await source.read(offset, length);
    if (block.length < length) throw new Error(`the file ended at byte ${offset + block.length}, expected ${size}`);
    crc = crc32Update(crc, block);
    offset += length;
  }
  return crc;
}

/** A local file opened for an upload or `/sendfile`: what the announcement needs, and its bytes. */
export interface LocalFile {
  /** The base name announced to the server. */
  name: string;
  path: string;
  size: number;
  crc: number;
  snapshot: FileSnapshot;
  handle: FileHandle;
  source: ChunkSource;
}

export type LocalFileResult = { ok: true; file: LocalFile } | { ok: false; message: string };

/**
 * Open a file the user named for sending (following links: it is their own file), refuse what is not
 * a regular file, and take its size and CRC-32. Never rejects; the caller closes `handle`.
 */
export async function openLocalFile(filePath: string): Promise<LocalFileResult> {
  const absolute = path.resolve(filePath);
  let handle: FileHandle;
  try {
    // O_NONBLOCK: a FIFO given by mistake must not hang the client at open.
    handle = await open(absolute, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { ok: false, message: `no such file: ${filePath}` };
    if (code === 'EACCES' || code === 'EPERM') return { ok: false, message: `cannot read ${filePath}: permission denied` };
    if (code === 'EISDIR') return { ok: false, message: `${filePath} is a directory, not a file` };
    return { ok: false, message: `cannot open ${filePath}: ${describeError(error)}` };
  }
  try {
    const info = await handle.stat();
    if (info.isDirectory()) return await closed(handle, `${filePath} is a directory, not a file`);
    if (!info.isFile()) return await closed(handle, `${filePath} is not a regular file (device, pipe or socket)`);
    const crc = await crc32OfHandle(handle, info.size);
    const after = snapshotOf(await handle.stat());
    if (after.size !== info.size || after.mtimeMs !== info.mtimeMs) {
      return await closed(handle, `${filePath} changed while being read; try again`);
    }
    return {
      ok: true,
      file: { name: path.basename(absolute), path: absolute, size: info.size, crc, snapshot: after, handle, source: handleSource(handle) },
    };
  } catch (error) {
    return closed(handle, `cannot read ${filePath}: ${describeError(error)}`);
  }
}

async function closed(handle: FileHandle, message: string): Promise<{ ok: false; message: string }> {
  await handle.close().catch(() => undefined);
  return { ok: false, message };
}

/** A shared file ready to be offered: resolved, open, with the CRC-32 the offer announces. */
export interface SendableFile extends OpenedFile {
  crc: number;
  source: ChunkSource;
}

export type SendableResult = { ok: true; file: SendableFile } | { ok: false; error: ResolveError };

/**
 * `<download>NAME` on the server: resolve and open NAME strictly inside `root`, then take its CRC-32:
 * from `crcs` when this version (size, mtime, inode) was read before, else by reading it once. Never
 * rejects; the caller closes `handle`.
 */
export async function openSharedForSending(root: string, name: string, crcs?: CrcCache): Promise<SendableResult> {
  const opened = await openSharedFile(root, name);
  if (!opened.ok) return opened;
  const { file } = opened;
  const compute = async (): Promise<number> => {
    const crc = await crc32OfHandle(file.handle, file.snapshot.size);
    const after = snapshotOf(await file.handle.stat());
    if (after.size !== file.snapshot.size || after.mtimeMs !== file.snapshot.mtimeMs) throw new FileModifiedError();
    return crc;
  };
  try {
    const crc = await (crcs === undefined ? compute() : crcs.crcOf(file.snapshot, compute));
    return { ok: true, file: { ...file, crc, source: handleSource(file.handle) } };
  } catch (error) {
    await file.handle.close().catch(() => undefined);
    if (error instanceof FileModifiedError) {
      return { ok: false, error: { code: 'refused', message: `${name} is being modified; try again when it is finished` } };
    }
    return { ok: false, error: { code: 'internal', message: `${name} cannot be read: ${describeError(error)}` } };
  }
}

/** The file's size or mtime moved while its CRC-32 was read. */
class FileModifiedError extends Error {}
