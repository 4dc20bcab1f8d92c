// The file features' options (what `--max-upload`, `--upload-types`, … map onto), their defaults,
// and the checks that turn a bad value into a clear message. Pure and total.
import {
  DEFAULT_MAX_DOWNLOADS_PER_CLIENT,
  DEFAULT_MAX_OFFERS_PER_RECIPIENT,
  DEFAULT_MAX_OFFERS_PER_SENDER,
  DEFAULT_MAX_SHARED_BYTES,
  DEFAULT_MAX_UPLOAD_BYTES,
  DEFAULT_MAX_UPLOADS_PER_USER,
  DEFAULT_MAX_WAITING_UPLOADS,
  DEFAULT_UPLOAD_BYTES_PER_HOUR,
  DEFAULT_UPLOAD_SLOTS,
  DEFAULT_UPLOAD_SLOTS_PER_USER,
  DEFAULT_UPLOAD_TYPES,
  MIN_UPLOAD_BYTES_PER_SECOND,
  UPLOAD_RATE_GRACE_MS,
  UPLOAD_START_TIMEOUT_MS,
} from './limits.ts';

export interface FileOptions {
  /** Largest upload or file sent to a user, in bytes. */
  maxUploadBytes: number;
  /** Accepted extensions, lower-case with their dot. */
  uploadTypes: readonly string[];
  /** Uploads stored at once, server-wide. */
  uploadSlots: number;
  /** Uploads that may wait for a slot. */
  maxWaitingUploads: number;
  /** Downloads one client may run at once. */
  maxDownloadsPerClient: number;
  /** Upload slots one user may hold at once. */
  uploadSlotsPerUser: number;
  /** Uploads one user may have in the queue (storing or waiting). */
  maxUploadsPerUser: number;
  /** Bytes one user may upload per hour (0 = no quota). */
  uploadBytesPerHour: number;
  /** Budget of the shared directory in bytes (0 = none). */
  maxSharedBytes: number;
  /** Offers one sender may have pending to one recipient. */
  maxOffersPerSender: number;
  /** Offers pending to one recipient from everyone. */
  maxOffersPerRecipient: number;
  /** A granted slot whose session sends no upload chunk this long is released (ms). */
  uploadStartTimeoutMs: number;
  /** The slowest average rate an upload holding a slot must keep, bytes per second. */
  minUploadBytesPerSecond: number;
  /** Added to an upload's time limit (its bytes at the minimum rate), ms. */
  uploadRateGraceMs: number;
}

export const DEFAULT_FILE_OPTIONS: Readonly<FileOptions> = Object.freeze({
  maxUploadBytes: DEFAULT_MAX_UPLOAD_BYTES,
  uploadTypes: DEFAULT_UPLOAD_TYPES,
  uploadSlots: DEFAULT_UPLOAD_SLOTS,
  maxWaitingUploads: DEFAULT_MAX_WAITING_UPLOADS,
  maxDownloadsPerClient: DEFAULT_MAX_DOWNLOADS_PER_CLIENT,
  uploadSlotsPerUser: DEFAULT_UPLOAD_SLOTS_PER_USER,
  maxUploadsPerUser: DEFAULT_MAX_UPLOADS_PER_USER,
  uploadBytesPerHour: DEFAULT_UPLOAD_BYTES_PER_HOUR,
  maxSharedBytes: DEFAULT_MAX_SHARED_BYTES,
  maxOffersPerSender: DEFAULT_MAX_OFFERS_PER_SENDER,
  maxOffersPerRecipient: DEFAULT_MAX_OFFERS_PER_RECIPIENT,
  uploadStartTimeoutMs: UPLOAD_START_TIMEOUT_MS,
  minUploadBytesPerSecond: MIN_UPLOAD_BYTES_PER_SECOND,
  uploadRateGraceMs: UPLOAD_RATE_GRACE_MS,
});

export type FileOptionsResult = { ok: true; options: FileOptions } | { ok: false; message: string };
export type TypesResult = { ok: true; types: string[] } | { ok: false; message: string };

/** An extension as written in `--upload-types`: letters and digits (and `+ - _`), 1–16 of them. */
const EXTENSION = /^\.?([\p{L}\p{N}+_-]{1,16})$/u;

/**
 * `--upload-types ".txt,.pdf"`, `"txt pdf jpg"`, `".TXT, .Md"` → ['.txt', '.pdf', …]: separated by
 * commas and/or white space, the dot optional, case ignored, duplicates dropped, order kept.
 */
export function parseUploadTypes(text: string): TypesResult {
  if (typeof text !== 'string') return { ok: false, message: 'upload types must be text such as ".txt,.pdf"' };
  const tokens = text.split(/[\s,]+/u).filter((t) => t !== '');
  if (tokens.length === 0) return { ok: false, message: 'give at least one upload type, e.g. ".txt,.pdf"' };
  const types: string[] = [];
  for (const token of tokens) {
    const match = EXTENSION.exec(token);
    if (match === null || match[1] === undefined) {
      return { ok: false, message: `"${token}" is not a file type; write extensions such as .txt or pdf` };
    }
    const ext = `.${match[1].toLowerCase()}`;
    if (!types.includes(ext)) types.push(ext);
  }
  return { ok: true, types };
}

/** Fill in defaults and check every value. Never throws. */
export function resolveFileOptions(partial: Partial<FileOptions> = {}): FileOptionsResult {
  const o: FileOptions = { ...DEFAULT_FILE_OPTIONS };
  for (const [key, value] of Object.entries(partial)) {
    if (value !== undefined) (o as unknown as Record<string, unknown>)[key] = value;
  }
  if (!Number.isSafeInteger(o.maxUploadBytes) || o.maxUploadBytes < 0) {
    return { ok: false, message: `the upload limit must be a whole number of bytes ≥ 0, got ${String(o.maxUploadBytes)}` };
  }
  if (!Array.isArray(o.uploadTypes) || o.uploadTypes.length === 0) {
    return { ok: false, message: 'give at least one upload type' };
  }
  const types = parseUploadTypes(o.uploadTypes.join(','));
  if (!types.ok) return types;
  for (const [key, min] of [
    ['uploadSlots', 1],
    ['maxWaitingUploads', 0],
    ['maxDownloadsPerClient', 1],
    ['uploadSlotsPerUser', 1],
    ['maxUploadsPerUser', 1],
    ['uploadBytesPerHour', 0],
    ['maxSharedBytes', 0],
    ['maxOffersPerSender', 1],
    ['maxOffersPerRecipient', 1],
    ['uploadStartTimeoutMs', 1],
    ['minUploadBytesPerSecond', 1],
    ['uploadRateGraceMs', 0],
  ] as const) {
    const v = o[key];
    if (!Number.isSafeInteger(v) || v < min) return { ok: false, message: `${key} must be a whole number ≥ ${min}, got ${String(v)}` };
  }
  return { ok: true, options: { ...o, uploadTypes: types.types } };
}
