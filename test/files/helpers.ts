// In-memory stand-ins for the file features' injected I/O: a file to read, a link to queue chunks
// on, a part file to write. They behave like the real ones (short reads at the end, a bounded queue,
// failures on demand) so the transfer logic is tested without a disk or a socket.
import { createHash } from 'node:crypto';
import type { ChunkSink, ChunkSource, FileSnapshot } from '../../src/files/outgoing.ts';
import type { PartWriter } from '../../src/files/incoming.ts';

/** Deterministic pseudo-random bytes (xorshift32) so large files need no RNG and no disk. */
export function patternBytes(size: number, seed = 1): Uint8Array {
  const out = new Uint8Array(size);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out[i] = x & 0xff;
  }
  return out;
}

export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** A file in memory. Its bytes and snapshot may be changed mid-transfer; reads may be made to fail. */
export class MemoryFile implements ChunkSource {
  snapshot: FileSnapshot;
  failReadsAt: number | undefined;
  reads = 0;

  constructor(public bytes: Uint8Array) {
    this.snapshot = { size: bytes.length, mtimeMs: 1_000, ino: 42, dev: 2049 };
  }

  async read(offset: number, length: number): Promise<Uint8Array> {
    this.reads++;
    if (this.failReadsAt !== undefined && offset >= this.failReadsAt) throw Object.assign(new Error('I/O error'), { code: 'EIO' });
    return this.bytes.slice(offset, Math.min(offset + length, this.bytes.length));
  }

  async stat(): Promise<FileSnapshot> {
    return { ...this.snapshot };
  }

  /** Modify in place as an editor would: new bytes, new mtime. */
  rewrite(bytes: Uint8Array, mtimeMs = this.snapshot.mtimeMs + 1): void {
    this.bytes = bytes;
    this.snapshot = { ...this.snapshot, size: bytes.length, mtimeMs };
  }
}

/** A link with a bounded queue; `drain()` plays the engine acknowledging and delivering. */
export class MemoryLink implements ChunkSink {
  queued: Uint8Array[] = [];
  open = true;

  constructor(public capacity = 4) {}

  get alive(): boolean {
    return this.open;
  }

  mayQueue(): boolean {
    return this.queued.length < this.capacity;
  }

  queue(message: Uint8Array): boolean {
    if (!this.open) return false;
    this.queued.push(message.slice()); // the engine copies what it sends
    return true;
  }

  /** Take up to `n` queued messages (all by default). */
  drain(n = Infinity): Uint8Array[] {
    const taken = this.queued.slice(0, n);
    this.queued = this.queued.slice(taken.length);
    return taken;
  }
}

/** A part file in memory, with a directory of stored files; writes may be made to fail. */
export class MemoryPart implements PartWriter {
  data: number[] = [];
  checkpoints: Array<{ verified: number; prefixCrc: number }> = [];
  state: 'open' | 'stored' | 'discarded' | 'suspended' = 'open';
  failAppendAfter: number | undefined;

  constructor(
    public readonly name: string,
    public readonly stored: Map<string, Uint8Array> = new Map(),
  ) {}

  async append(bytes: Uint8Array): Promise<void> {
    if (this.failAppendAfter !== undefined && this.data.length + bytes.length > this.failAppendAfter) {
      throw Object.assign(new Error('no space left on device'), { code: 'ENOSPC' });
    }
    for (const b of bytes) this.data.push(b);
  }

  async checkpoint(verified: number, prefixCrc: number): Promise<void> {
    this.checkpoints.push({ verified, prefixCrc });
  }

  async commit(): Promise<string> {
    let name = this.name;
    for (let n = 1; this.stored.has(name); n++) name = `${this.name} (${n})`;
    this.stored.set(name, Uint8Array.from(this.data));
    this.state = 'stored';
    return name;
  }

  async discard(): Promise<void> {
    this.data = [];
    this.state = 'discarded';
  }

  async suspend(verified: number, prefixCrc: number): Promise<void> {
    this.checkpoints.push({ verified, prefixCrc });
    this.state = 'suspended';
  }
}
