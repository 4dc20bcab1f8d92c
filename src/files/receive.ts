// Starting a receive on disk: a download into the downloads directory (resumable), or an upload /
// a file sent to a user (not resumable). Glue between the pure IncomingTransfer and writer.ts.
import { IncomingTransfer, type IncomingOptions } from './incoming.ts';
import { DOWNLOAD_TAG } from './names.ts';
import { createPartFile, readResumeRecord, removePartFile, reopenPartFile, type PartFileOptions } from './writer.ts';

/** What the client asks for: the whole file, or the rest of an interrupted download. */
export type DownloadPlan =
  | { kind: 'fresh' }
  /** Ask `<resume>OFFSET SIZE CRC NAME`: OFFSET bytes of the file with this SIZE and CRC are on disk, intact. */
  | { kind: 'resume'; offset: number; size: number; crc: number };

/** The server's answer to a download request (`<sending>ID SIZE CRC OFFSET NAME`). */
export interface DownloadOffer {
  id: number;
  name: string;
  size: number;
  crc: number;
  /** Where the server starts: the resume offset asked for, or 0. */
  offset: number;
}

/** A file whose bytes arrive without a resume: an upload on the server, a file sent to a user. */
export interface ReceiveOffer {
  id: number;
  name: string;
  size: number;
  crc: number;
}

export interface ReceiveHooks {
  onProgress?: IncomingOptions['onProgress'];
  checkpointBytes?: number;
}

export type StartResult = { ok: true; transfer: IncomingTransfer } | { ok: false; message: string };

/**
 * Before `<download>NAME`: is an intact partial download of NAME in `dir`? Its record is read and its
 * verified bytes re-checked (CRC-32); a damaged one is removed and the plan is a fresh download.
 * Never rejects.
 */
export async function planDownload(dir: string, name: string): Promise<DownloadPlan> {
  const record = await readResumeRecord(dir, name, DOWNLOAD_TAG);
  if (record === undefined || record.verified === 0 || record.name !== name) return { kind: 'fresh' };
  const reopened = await reopenPartFile(downloadOptions(dir, record), record.verified);
  if (!reopened.ok) {
    await removePartFile(dir, name, DOWNLOAD_TAG);
    return { kind: 'fresh' };
  }
  await reopened.part.suspend(record.verified, reopened.prefixCrc).catch(() => undefined);
  return { kind: 'resume', offset: record.verified, size: record.size, crc: record.crc };
}

/**
 * After the server's offer: receive into `dir`. An offer at offset 0 starts over (any partial file
 * of that name is replaced); an offer at OFFSET continues the partial file, re-verified first.
 * Never rejects.
 */
export async function startDownload(dir: string, offer: DownloadOffer, hooks: ReceiveHooks = {}): Promise<StartResult> {
  const options = downloadOptions(dir, offer);
  const opened = offer.offset > 0 ? await reopenPartFile(options, offer.offset) : await createPartFile(options);
  if (!opened.ok) return opened;
  return {
    ok: true,
    transfer: new IncomingTransfer({
      ...offer,
      prefixCrc: opened.prefixCrc,
      writer: opened.part,
      ...hooks,
    }),
  };
}

/** Receive a whole file into `dir` under a hidden name tagged with its transfer id. Never rejects. */
export async function startReceive(dir: string, offer: ReceiveOffer, hooks: ReceiveHooks = {}): Promise<StartResult> {
  const opened = await createPartFile({ dir, name: offer.name, tag: String(offer.id), resumable: false, size: offer.size, crc: offer.crc });
  if (!opened.ok) return opened;
  return { ok: true, transfer: new IncomingTransfer({ ...offer, offset: 0, writer: opened.part, ...hooks }) };
}

/** `/cancel` of a download that is not running (kept for a resume): forget it. Never rejects. */
export async function forgetDownload(dir: string, name: string): Promise<void> {
  await removePartFile(dir, name, DOWNLOAD_TAG);
}

function downloadOptions(dir: string, file: { name: string; size: number; crc: number }): PartFileOptions {
  return { dir, name: file.name, tag: DOWNLOAD_TAG, resumable: true, size: file.size, crc: file.crc };
}
