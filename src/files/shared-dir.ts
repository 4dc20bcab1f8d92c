// The server's shared directory: making sure it exists, and listing what it offers.
//
// Listed: regular files directly in the directory, by name and size, sorted by name (code-unit
// order, so the listing is the same on every machine). Not listed: directories, dotfiles (hidden
// by convention: `.DS_Store`, editor swap files, `.partial` downloads), sockets/devices/FIFOs, and
// symbolic links whose target is not a regular file inside the shared directory itself (a link must
// never expose `/etc/passwd`), and names `<download>` would refuse (names.ts checkPlainName: control
// characters, backslashes, over-long names), so everything listed can be downloaded. Our temporary
// files (`.notes.txt.part-17`) are dotfiles, hence never listed. A file that vanishes or cannot be
// read while being listed is skipped.
import { lstat, mkdir, readdir, realpath, stat } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import path from 'node:path';
import type { FileEntry } from '../commands/types.ts';
import { STATS_IN_FLIGHT } from './limits.ts';
import { checkPlainName } from './names.ts';

/**
 * Create the directory (and parents) if missing; return its absolute, symlink-free path. Also used
 * for the client's downloads and received_files directories.
 */
export async function ensureSharedDir(dir: string): Promise<string> {
  const absolute = path.resolve(dir);
  await makeDirectories(absolute);
  const real = await realpath(absolute);
  const info = await stat(real);
  if (!info.isDirectory()) throw new Error(`${absolute} is not a directory`);
  return real;
}

/**
 * `mkdir -p`, one level at a time. (Node 20's `mkdir(…, { recursive: true })` never returns for a
 * path under /proc; this loop is bounded by the depth of the path.)
 */
async function makeDirectories(absolute: string): Promise<void> {
  const missing: string[] = [];
  for (let current = absolute; ; ) {
    try {
      await stat(current);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    missing.push(current);
    const parent = path.dirname(current);
    if (parent === current) break;
    current = parent;
  }
  for (const dir of missing.reverse()) {
    try {
      await mkdir(dir);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  }
}

/** The files the directory offers (see the module comment for what is left out). */
export async function listSharedFiles(dir: string): Promise<FileEntry[]> {
  const root = await realpath(dir);
  const entries = await readdir(root, { withFileTypes: true });
  const listed = await mapInFlight(entries, async (entry): Promise<FileEntry | undefined> => {
    if (!checkPlainName(entry.name).ok) return undefined;
    if (entry.isFile()) return sizedEntry(path.join(root, entry.name), entry.name, lstat);
    if (entry.isSymbolicLink()) return linkedEntry(root, entry.name);
    return undefined;
  });
  return listed.filter((e): e is FileEntry => e !== undefined).sort((a, b) => compare(a.name, b.name));
}

/**
 * `fn` over `items`, at most STATS_IN_FLIGHT at a time, results in order: a directory of thousands of files
 * is read a few dozen stats at a time, between which the event loop serves everyone else, not thousands
 * started in one turn (5,600 at once held the loop 150–380 ms).
 */
async function mapInFlight<T, R>(items: readonly T[], fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    // Bounded: each turn takes the next item; the items run out.
    while (next < items.length) {
      const at = next++;
      results[at] = await fn(items[at]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(STATS_IN_FLIGHT, items.length) }, worker));
  return results;
}

/** Name and size of the file at `file` if it is (still) a regular file. */
async function sizedEntry(
  file: string,
  name: string,
  statOf: (p: string) => Promise<Stats>,
): Promise<FileEntry | undefined> {
  try {
    const info = await statOf(file);
    return info.isFile() ? { name, size: info.size } : undefined;
  } catch {
    return undefined; // removed or unreadable since readdir
  }
}

/** A symbolic link counts only if it resolves to a regular file inside `root`. */
async function linkedEntry(root: string, name: string): Promise<FileEntry | undefined> {
  let target: string;
  try {
    target = await realpath(path.join(root, name));
  } catch {
    return undefined; // dangling or looping link
  }
  if (!isInside(root, target)) return undefined;
  return sizedEntry(target, name, stat);
}

/** True if `target` lies strictly below `root` (both absolute and symlink-free). */
export function isInside(root: string, target: string): boolean {
  const relative = path.relative(root, target);
  return relative !== '' && relative !== '..' && !relative.startsWith(`..${path.sep}`) && !path.isAbsolute(relative);
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Bytes the shared directory holds for the disk budget (`--max-shared-bytes`): its regular files and
 * those of `spoolDir` (files sent to users, waiting), each directory read once, not below. Dotfiles
 * are left out: they are our uploads in progress, counted at their announced size instead. Links take
 * no space of their own. A file that vanishes meanwhile counts 0.
 */
export async function measureSharedBytes(dirs: readonly string[]): Promise<number> {
  let total = 0;
  for (const dir of dirs) {
    const entries = await readdir(dir, { withFileTypes: true });
    const sizes = await mapInFlight(entries, async (entry) => (entry.isFile() && !entry.name.startsWith('.') ? ((await sizedEntry(path.join(dir, entry.name), entry.name, lstat))?.size ?? 0) : 0));
    for (const size of sizes) total += size;
  }
  return total;
}
