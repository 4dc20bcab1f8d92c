// What the server checks before it accepts a single byte of an upload or of a file sent to a user:
// the name rules, the type allow-list, the size limit. Pure and total.
import type { ErrorCode } from '../commands/types.ts';
import { formatSize } from './format.ts';
import { IMAGE_TYPES } from './limits.ts';
import { checkPortableName, checkUploadName, describeTypes, isImageName, quoteName } from './names.ts';
import type { FileOptions } from './options.ts';

export interface UploadRequest {
  name: string;
  size: number;
  /** `/sendimage`: the file must also be an image. */
  image?: boolean;
}

export type UploadVerdict =
  | { ok: true }
  | { ok: false; code: Extract<ErrorCode, 'bad-argument' | 'too-large' | 'refused'>; message: string };

/** Accept or refuse an announced upload (or file sent to a user) under `options`. */
export function checkUploadRequest(request: UploadRequest, options: Pick<FileOptions, 'maxUploadBytes' | 'uploadTypes'>): UploadVerdict {
  const portable = checkPortableName(request.name);
  if (!portable.ok) return { ok: false, code: 'bad-argument', message: portable.message };
  const typed = checkUploadName(request.name, options.uploadTypes);
  if (!typed.ok) return { ok: false, code: 'refused', message: typed.message };
  if (request.image === true && !isImageName(request.name, IMAGE_TYPES)) {
    return { ok: false, code: 'refused', message: `${quoteName(request.name)} is not an image (${describeTypes(IMAGE_TYPES)})` };
  }
  if (!Number.isSafeInteger(request.size) || request.size < 0) {
    return { ok: false, code: 'bad-argument', message: `bad file size ${String(request.size)}` };
  }
  if (request.size > options.maxUploadBytes) {
    let size = formatSize(request.size);
    let limit = formatSize(options.maxUploadBytes);
    if (size === limit) {
      size = `${request.size} bytes`; // just over: rounded sizes would read the same
      limit = `${options.maxUploadBytes}-byte`;
    }
    return { ok: false, code: 'too-large', message: `${quoteName(request.name)} is ${size}, over the ${limit} limit` };
  }
  return { ok: true };
}
