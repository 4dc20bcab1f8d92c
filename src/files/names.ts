// File names as data: which names may be stored, which may be asked for, the type allow-list, the
// non-colliding variants (`notes (1).txt`) and the hidden temporary names. Pure and total: every
// check returns a verdict with a message in words, never throws.
import { describeInvisible, firstInvisible, showInvisible } from '../commands/invisible.ts';
import { MAX_FILE_NAME_BYTES, TYPE_ALIASES } from './limits.ts';

export type NameCheck = { ok: true; name: string } | { ok: false; message: string };

/** Characters Windows refuses in names. Refused everywhere so a stored file can be fetched anywhere. */
const WINDOWS_RESERVED_CHARS = /[<>:"|?*\\]/u;
/** C0 controls, DEL and C1 controls: invisible, and they corrupt terminals and logs. */
const CONTROL_CHARS = /[\u0000-\u001f\u007f-\u009f]/u;
/** CON, PRN, AUX, NUL, COM1–9, LPT1–9, with or without an extension: device names on Windows. */
const WINDOWS_DEVICE_NAMES = /^(?:con|prn|aux|nul|com[1-9]|lpt[1-9])(?:\..*)?$/iu;
/** A lone surrogate cannot be written as UTF-8: the name would change on the way to the disk. */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/u;

const encoder = new TextEncoder();

/** UTF-8 length of a string. */
export function utf8Length(s: string): number {
  return encoder.encode(s).length;
}

/** At most 40 characters of a name for an error message, cut visibly, bidi controls and zero-width characters shown as `<U+202E>`. */
export function quoteName(name: string): string {
  const chars = Array.from(name);
  const shown = chars.length > 40 ? `${chars.slice(0, 40).join('')}…` : name;
  return JSON.stringify(showInvisible(shown));
}

/**
 * The minimum for a name that is asked for or written locally: one plain entry of a directory.
 * Refused: empty, `.` and `..`, path separators (`/`, and `\` which is one on Windows), NUL and other
 * control characters, bidi controls and zero-width characters (`x\u202Egnp.txt` displays as `xtxt.png`:
 * a name must look like what it is; src/commands/invisible.ts), dotfiles (hidden: the listing does not
 * show them, and our temporary files are dotfiles), lone surrogates, and names longer than MAX_FILE_NAME_BYTES.
 */
export function checkPlainName(name: string): NameCheck {
  if (typeof name !== 'string' || name === '') return { ok: false, message: 'the file name is empty' };
  if (name === '.' || name === '..') return { ok: false, message: `${quoteName(name)} is not a file name` };
  if (name.includes('/') || name.includes('\\')) {
    return { ok: false, message: `${quoteName(name)} is a path; give a file name only (no / or \\)` };
  }
  if (CONTROL_CHARS.test(name)) return { ok: false, message: `${quoteName(name)} contains control characters` };
  const invisible = firstInvisible(name);
  if (invisible !== undefined) return { ok: false, message: `${quoteName(name)} contains ${describeInvisible(invisible)}` };
  if (LONE_SURROGATE.test(name)) return { ok: false, message: `${quoteName(name)} is not valid Unicode` };
  if (name.startsWith('.')) return { ok: false, message: `${quoteName(name)} is a hidden file name (starts with a dot)` };
  const bytes = utf8Length(name);
  if (bytes > MAX_FILE_NAME_BYTES) {
    return { ok: false, message: `the file name is too long: ${bytes} bytes, at most ${MAX_FILE_NAME_BYTES}` };
  }
  return { ok: true, name };
}

/**
 * The rules for a name we store for someone else (upload, file sent to a user): a plain name that
 * any system can hold. On top of checkPlainName: no white space at either end, no trailing dot, none
 * of `< > : " | ? * \`, no Windows device name (`CON`, `nul.txt`, `COM1`…).
 */
export function checkPortableName(name: string): NameCheck {
  const plain = checkPlainName(name);
  if (!plain.ok) return plain;
  if (name.trim() !== name) return { ok: false, message: `${quoteName(name)} starts or ends with white space` };
  if (name.endsWith('.')) return { ok: false, message: `${quoteName(name)} ends with a dot` };
  const bad = WINDOWS_RESERVED_CHARS.exec(name);
  if (bad !== null) {
    return { ok: false, message: `${quoteName(name)} contains ${JSON.stringify(bad[0])}; not allowed: < > : " | ? * \\` };
  }
  if (WINDOWS_DEVICE_NAMES.test(name)) return { ok: false, message: `${quoteName(name)} is a reserved device name` };
  return { ok: true, name };
}

/** The lower-case extension with its dot (`.txt`), or '' when there is none (`Makefile`, `.bashrc`). */
export function extensionOf(name: string): string {
  const dot = name.lastIndexOf('.');
  return dot <= 0 || dot === name.length - 1 ? '' : name.slice(dot).toLowerCase();
}

/** The one spelling of a type (`.jpeg` → `.jpg`, see TYPE_ALIASES). */
function canonicalType(ext: string): string {
  return TYPE_ALIASES[ext] ?? ext;
}

/** True when `name`'s extension is one of `types`, either spelling of an aliased type counting. */
export function hasTypeIn(name: string, types: readonly string[]): boolean {
  const ext = canonicalType(extensionOf(name));
  return types.some((t) => canonicalType(t) === ext);
}

/** Human list of types: `.txt, .pdf, .jpg or .png`. */
export function describeTypes(types: readonly string[]): string {
  if (types.length === 0) return 'none';
  if (types.length === 1) return types[0] ?? '';
  return `${types.slice(0, -1).join(', ')} or ${types[types.length - 1] ?? ''}`;
}

/**
 * An upload (or a file sent to a user): a portable name whose extension is in `allowedTypes`
 * (lower-case, with the dot; compared case-insensitively, so `PHOTO.JPG` is a `.jpg`).
 */
export function checkUploadName(name: string, allowedTypes: readonly string[]): NameCheck {
  const portable = checkPortableName(name);
  if (!portable.ok) return portable;
  if (!hasTypeIn(name, allowedTypes)) {
    const ext = extensionOf(name);
    const what = ext === '' ? 'has no extension' : `is a ${ext} file`;
    return { ok: false, message: `${quoteName(name)} ${what}; allowed types: ${describeTypes(allowedTypes)}` };
  }
  return { ok: true, name };
}

/** Multi-part extensions kept whole by collisionName: `backup (1).tar.gz`, not `backup.tar (1).gz`. */
const COMPOUND_EXTENSIONS = /\.tar\.[a-z0-9]{1,4}$/iu;

/** Splits a name into stem and extension (with its dot) for numbering. Dotfiles have no extension. */
function splitForNumbering(name: string): [string, string] {
  const compound = COMPOUND_EXTENSIONS.exec(name);
  if (compound !== null && compound.index > 0) return [name.slice(0, compound.index), compound[0]];
  const dot = name.lastIndexOf('.');
  if (dot <= 0 || dot === name.length - 1) return [name, ''];
  return [name.slice(0, dot), name.slice(dot)];
}

/**
 * The n-th candidate for storing `name` without overwriting: n = 0 is the name itself, then
 * `notes (1).txt`, `notes (2).txt`…; `Makefile (1)`; `backup (1).tar.gz`.
 */
export function collisionName(name: string, n: number): string {
  if (n === 0) return name;
  const [stem, ext] = splitForNumbering(name);
  return `${stem} (${n})${ext}`;
}

/** Tag of a resumable download's temporary file: one per name and directory, found again after a restart. */
export const DOWNLOAD_TAG = 'download';

/**
 * The hidden temporary name of `name` while it is being received: `.notes.txt.part-17` (tag = the
 * transfer id) or `.notes.txt.part-download` (a resumable download). The leading dot keeps it out of
 * `<listfiles>` and out of reach of `<download>`.
 */
export function partName(name: string, tag: string): string {
  return `.${name}.part-${tag}`;
}

/** The resume record next to a resumable part file. */
export function sidecarName(part: string): string {
  return `${part}.json`;
}

/** Temporary name of a resume record while it is rewritten (then renamed over the record). */
export function sidecarTempName(part: string): string {
  return `${part}.json.tmp`;
}

/** A leftover of an interrupted upload or relay (numeric tag): removable at start-up. */
const STALE_PART = /^\..+\.part-[0-9]+(?:\.json(?:\.tmp)?)?$/su;

/** True for a temporary file of a non-resumable transfer (`.x.part-17`, never `.x.part-download`). */
export function isStalePartName(entry: string): boolean {
  return STALE_PART.test(entry);
}

/** True when `name` has an image extension (`/sendimage` checks it). */
export function isImageName(name: string, imageTypes: readonly string[]): boolean {
  return hasTypeIn(name, imageTypes);
}
