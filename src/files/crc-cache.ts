// The CRC-32 of each shared file version, computed once: a `<download>` announces the file's CRC-32,
// and reading a 200 MiB file whole for every request (twenty requests and cancels) cost seconds of
// the server's CPU. Kept by inode (and device), for the version with that size and mtime; a file whose size or
// mtime moved (or that the sender found changed while sending: forget()) is read again. Concurrent
// requests for one version share one computation. Bounded: at most `capacity` inodes, the least
// recently used forgotten first. Pure (the computation is handed in).
import { CRC_CACHE_ENTRIES } from './limits.ts';
import type { FileSnapshot } from './outgoing.ts';

interface Cached {
  size: number;
  mtimeMs: number;
  crc: Promise<number>;
}

export class CrcCache {
  private readonly byInode = new Map<string, Cached>();
  private computed = 0;

  constructor(private readonly capacity = CRC_CACHE_ENTRIES) {}

  /** How many times a CRC-32 was computed (not found): for statistics and tests. */
  get computations(): number {
    return this.computed;
  }

  /** The CRC-32 of this version of the file: the cached one, or `compute()`'s (kept if it succeeds). */
  crcOf(snapshot: FileSnapshot, compute: () => Promise<number>): Promise<number> {
    const key = inodeKey(snapshot);
    const cached = this.byInode.get(key);
    if (cached !== undefined && cached.size === snapshot.size && cached.mtimeMs === snapshot.mtimeMs) {
      // Most recently used goes last (Map order is the eviction order).
      this.byInode.delete(key);
      this.byInode.set(key, cached);
      return cached.crc;
    }
    this.computed++;
    const crc = compute();
    // No inode (a platform without them): nothing identifies the version, so nothing is kept.
    if (snapshot.ino === 0) return crc;
    const entry: Cached = { size: snapshot.size, mtimeMs: snapshot.mtimeMs, crc };
    this.byInode.delete(key);
    this.byInode.set(key, entry);
    while (this.byInode.size > this.capacity) {
      const oldest = this.byInode.keys().next();
      if (oldest.done === true) break;
      this.byInode.delete(oldest.value);
    }
    crc.catch(() => this.forgetEntry(key, entry));
    return crc;
  }

  /** The file turned out to differ from what its size and mtime said (rewritten within one mtime tick). */
  forget(snapshot: FileSnapshot): void {
    this.byInode.delete(inodeKey(snapshot));
  }

  private forgetEntry(key: string, entry: Cached): void {
    if (this.byInode.get(key) === entry) this.byInode.delete(key);
  }
}

/** An inode is one file only on its own device. */
function inodeKey(snapshot: FileSnapshot): string {
  return `${snapshot.dev}:${snapshot.ino}`;
}
