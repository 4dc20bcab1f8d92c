// Receiving a file on disk: a hidden temporary file (`.notes.txt.part-17`) written in order, an
// optional resume record next to it, and the final step that gives the finished file a name that
// collides with nothing (`notes (1).txt`) without ever overwriting: a hard link fails if the name
// exists (atomic, no race with another writer), and where hard links are not supported an exclusive
// create reserves the name before the rename. Nothing partial is ever visible under a listed name.
import { constants } from 'node:fs';
import { link, open, readFile, readdir, rename, unlink, writeFile, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { CRC32_EMPTY, crc32Update, crcHex } from './crc.ts';
import { describeError } from './errors.ts';
import type { PartWriter } from './incoming.ts';
import { MAX_COLLISION_SUFFIX } from './limits.ts';
import { checkPlainName, collisionName, isStalePartName, partName, sidecarName, sidecarTempName } from './names.ts';

const NO_FOLLOW = constants.O_NOFOLLOW ?? 0;
/** Create, fail if it exists, never through a link. */
const CREATE_EXCLUSIVE = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | NO_FOLLOW;
/** Reopen an existing part for a resume, never through a link. */
const REOPEN = constants.O_RDWR | NO_FOLLOW;
/** Errors that mean "this file system has no hard links": fall back to reserve-and-rename. */
const NO_HARD_LINKS = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS', 'EXDEV', 'EMLINK']);
const RECORD_VERSION = 1;
const READ_BLOCK_BYTES = 1024 * 1024;

/** What a resumable part file's record says. */
export interface ResumeRecord {
  name: string;
  size: number;
  crc: number;
  /** Bytes at the start of the part file that are on disk and accounted for. */
  verified: number;
  /** CRC-32 of those bytes. */
  prefixCrc: number;
}

export interface PartFileOptions {
  /** Target directory (exists; absolute). */
  dir: string;
  /** The name the finished file should get. */
  name: string;
  /** Transfer id, or DOWNLOAD_TAG for a resumable download. */
  tag: string;
  /** Keep a resume record and keep the part on suspend. */
  resumable: boolean;
  /** Announced size and CRC-32, written in the resume record. */
  size: number;
  crc: number;
}

export type PartFileResult = { ok: true; part: PartFile; prefixCrc: number } | { ok: false; message: string };

/** A part file being written. Implements the writer an IncomingTransfer drives. */
export class PartFile implements PartWriter {
  private position: number;
  private open_ = true;

  constructor(
    private readonly options: PartFileOptions,
    private readonly handle: FileHandle,
    start: number,
  ) {
    this.position = start;
  }

  /** The hidden temporary file's path. */
  get path(): string {
    return path.join(this.options.dir, partName(this.options.name, this.options.tag));
  }

  get recordPath(): string {
    return path.join(this.options.dir, sidecarName(partName(this.options.name, this.options.tag)));
  }

  async append(bytes: Uint8Array): Promise<void> {
    let done = 0;
    // Each pass writes ≥ 1 byte or throws: bounded by the chunk length.
    while (done < bytes.length) {
      const { bytesWritten } = await this.handle.write(bytes, done, bytes.length - done, this.position);
      if (bytesWritten <= 0) throw new Error('the disk accepted no bytes');
      done += bytesWritten;
      this.position += bytesWritten;
    }
  }

  async checkpoint(verified: number, prefixCrc: number): Promise<void> {
    if (!this.options.resumable) return;
    await this.handle.datasync();
    await writeRecord(this.options.dir, partName(this.options.name, this.options.tag), {
      name: this.options.name,
      size: this.options.size,
      crc: this.options.crc,
      verified,
      prefixCrc,
    });
  }

  async commit(): Promise<string> {
    await this.handle.datasync();
    await this.close();
    const stored = await storeWithoutOverwrite(this.options.dir, partName(this.options.name, this.options.tag), this.options.name);
    await removeQuietly(this.recordPath);
    return stored;
  }

  async discard(): Promise<void> {
    await this.close().catch(() => undefined);
    await removeQuietly(this.path);
    await removeQuietly(this.recordPath);
    await removeQuietly(path.join(this.options.dir, sidecarTempName(partName(this.options.name, this.options.tag))));
  }

  async suspend(verified: number, prefixCrc: number): Promise<void> {
    if (!this.options.resumable) {
      await this.discard();
      return;
    }
    try {
      await this.checkpoint(verified, prefixCrc);
    } finally {
      await this.close();
    }
  }

  private async close(): Promise<void> {
    if (!this.open_) return;
    this.open_ = false;
    await this.handle.close();
  }
}

/**
 * A fresh part file for `name` in `dir`. A leftover temporary of the same name (a crash, or an
 * abandoned download of the same name being restarted) is replaced. Never rejects.
 */
export async function createPartFile(options: PartFileOptions): Promise<PartFileResult> {
  const checked = checkPlainName(options.name);
  if (!checked.ok) return { ok: false, message: checked.message };
  const part = path.join(options.dir, partName(options.name, options.tag));
  await removeQuietly(path.join(options.dir, sidecarName(partName(options.name, options.tag))));
  try {
    let handle: FileHandle;
    try {
      handle = await open(part, CREATE_EXCLUSIVE, 0o644);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      await unlink(part);
      handle = await open(part, CREATE_EXCLUSIVE, 0o644);
    }
    const file = new PartFile(options, handle, 0);
    if (options.resumable) {
      try {
        await file.checkpoint(0, CRC32_EMPTY);
      } catch (error) {
        await file.discard();
        throw error;
      }
    }
    return { ok: true, part: file, prefixCrc: CRC32_EMPTY };
  } catch (error) {
    return { ok: false, message: `cannot create a temporary file for ${options.name} in ${options.dir}: ${describeError(error)}` };
  }
}

/**
 * Reopen a resumable part file to continue at `offset`: the record must describe the same file (name,
 * size, CRC-32) and have at least `offset` verified bytes, and the part file's first `offset` bytes
 * are re-read and their CRC-32 computed (checked against the record when offset is the recorded
 * count). What lies beyond `offset` is cut off. Never rejects.
 */
export async function reopenPartFile(options: PartFileOptions, offset: number): Promise<PartFileResult> {
  const partFile = partName(options.name, options.tag);
  const record = await readRecord(options.dir, partFile);
  if (record === undefined) return { ok: false, message: `no resumable download of ${options.name}` };
  if (record.name !== options.name || record.size !== options.size || record.crc !== options.crc) {
    return { ok: false, message: `the partial ${options.name} belongs to a different version of the file` };
  }
  if (!Number.isSafeInteger(offset) || offset < 0 || offset > record.verified) {
    return { ok: false, message: `cannot resume ${options.name} at byte ${String(offset)}: ${record.verified} bytes were verified` };
  }
  let handle: FileHandle;
  try {
    handle = await open(path.join(options.dir, partFile), REOPEN);
  } catch (error) {
    return { ok: false, message: `cannot reopen the partial ${options.name}: ${describeError(error)}` };
  }
  try {
    const info = await handle.stat();
    if (!info.isFile() || info.size < offset) {
      await handle.close();
      return { ok: false, message: `the partial ${options.name} is shorter than its record says` };
    }
    const crcs = await prefixCrcs(handle, offset, record.verified);
    if (crcs === undefined || crcs.atVerified !== record.prefixCrc) {
      await handle.close();
      return { ok: false, message: `the partial ${options.name} does not match its record (damaged on disk)` };
    }
    await handle.truncate(offset);
    const part = new PartFile(options, handle, offset);
    await part.checkpoint(offset, crcs.atOffset);
    return { ok: true, part, prefixCrc: crcs.atOffset };
  } catch (error) {
    await handle.close().catch(() => undefined);
    return { ok: false, message: `cannot resume ${options.name}: ${describeError(error)}` };
  }
}

/** CRC-32 of the first `offset` and first `verified` bytes (offset ≤ verified), in one pass. */
async function prefixCrcs(handle: FileHandle, offset: number, verified: number): Promise<{ atOffset: number; atVerified: number } | undefined> {
  const buffer = new Uint8Array(Math.min(READ_BLOCK_BYTES, Math.max(verified, 1)));
  let crc = CRC32_EMPTY;
  let atOffset = offset === 0 ? CRC32_EMPTY : undefined;
  for (let position = 0; position < verified; ) {
    // Stop at `offset` once so its CRC can be taken there.
    const limit = position < offset ? offset : verified;
    const want = Math.min(buffer.length, limit - position);
    const { bytesRead } = await handle.read(buffer, 0, want, position);
    if (bytesRead === 0) return undefined;
    crc = crc32Update(crc, buffer.subarray(0, bytesRead));
    position += bytesRead;
    if (position === offset) atOffset = crc;
  }
  return atOffset === undefined ? undefined : { atOffset, atVerified: crc };
}

/** The resume record of `name`'s resumable part file in `dir`, if there is a valid one. Never rejects. */
export async function readResumeRecord(dir: string, name: string, tag: string): Promise<ResumeRecord | undefined> {
  return readRecord(dir, partName(name, tag));
}

/** Remove a part file and its record (e.g. a download the user will not resume). Never rejects. */
export async function removePartFile(dir: string, name: string, tag: string): Promise<void> {
  const part = partName(name, tag);
  await removeQuietly(path.join(dir, part));
  await removeQuietly(path.join(dir, sidecarName(part)));
  await removeQuietly(path.join(dir, sidecarTempName(part)));
}

/**
 * Give the finished temporary file `tempName` in `dir` the first free name among `name`,
 * `name (1)`, … `name (MAX_COLLISION_SUFFIX)`; returns the name used. Never overwrites anything.
 */
export async function storeWithoutOverwrite(dir: string, tempName: string, name: string): Promise<string> {
  const temp = path.join(dir, tempName);
  for (let n = 0; n <= MAX_COLLISION_SUFFIX; n++) {
    const candidate = collisionName(name, n);
    const target = path.join(dir, candidate);
    try {
      await link(temp, target);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? '';
      if (code === 'EEXIST') continue;
      if (!NO_HARD_LINKS.has(code)) throw error;
      if (await reserveAndRename(temp, target)) return candidate;
      continue;
    }
    await removeQuietly(temp); // the file now has its name; the hidden one is just a second link
    return candidate;
  }
  throw new Error(`${name} and ${collisionName(name, MAX_COLLISION_SUFFIX)} and every number between exist already`);
}

/** Without hard links: create the target exclusively (reserving it), then rename over it. */
async function reserveAndRename(temp: string, target: string): Promise<boolean> {
  try {
    const reserved = await open(target, CREATE_EXCLUSIVE, 0o644);
    await reserved.close();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
  await rename(temp, target);
  return true;
}

/**
 * Remove leftovers of interrupted uploads and relays (`.x.part-17`, with records) from `dir`: they
 * cannot be resumed. Resumable downloads (`.x.part-download`) are kept. Returns how many were removed.
 */
export async function removeStaleParts(dir: string): Promise<number> {
  const entries = await readdir(dir, { withFileTypes: true });
  let removed = 0;
  for (const entry of entries) {
    if (!entry.isFile() || !isStalePartName(entry.name)) continue;
    if (await removeQuietly(path.join(dir, entry.name))) removed++;
  }
  return removed;
}

/** Write a record to a temporary name, then rename it over the old one: a crash leaves one or the other whole. */
async function writeRecord(dir: string, part: string, record: ResumeRecord): Promise<void> {
  const text = JSON.stringify({
    version: RECORD_VERSION,
    name: record.name,
    size: record.size,
    crc: crcHex(record.crc),
    verified: record.verified,
    prefixCrc: crcHex(record.prefixCrc),
  });
  const temp = path.join(dir, sidecarTempName(part));
  await writeFile(temp, `${text}\n`, { flag: 'w', mode: 0o644 });
  await rename(temp, path.join(dir, sidecarName(part)));
}

async function readRecord(dir: string, part: string): Promise<ResumeRecord | undefined> {
  let text: string;
  try {
    text = await readFile(path.join(dir, sidecarName(part)), 'utf8');
  } catch {
    return undefined;
  }
  return parseRecord(text);
}

const HEX8 = /^[0-9a-f]{8}$/;

/** A resume record from its JSON text, or undefined if it is not one (never throws). */
export function parseRecord(text: string): ResumeRecord | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const r = value as Record<string, unknown>;
  const { name, size, crc, verified, prefixCrc } = r;
  if (r['version'] !== RECORD_VERSION || typeof name !== 'string') return undefined;
  if (!isCount(size) || !isCount(verified) || verified > size) return undefined;
  if (typeof crc !== 'string' || !HEX8.test(crc) || typeof prefixCrc !== 'string' || !HEX8.test(prefixCrc)) return undefined;
  return { name, size, crc: Number.parseInt(crc, 16), verified, prefixCrc: Number.parseInt(prefixCrc, 16) };
}

function isCount(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

/** unlink, ignoring "already gone"; other errors too (best effort), reported as false. */
async function removeQuietly(file: string): Promise<boolean> {
  try {
    await unlink(file);
    return true;
  } catch {
    return false;
  }
}
