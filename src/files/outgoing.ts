// The sending side of one transfer: turns a file into chunk messages, from any offset (resume), as
// fast as the link lets it queue them, and checks at the end that the file did not change while it
// was being sent. No file system here: bytes come from an injected reader, messages go to an
// injected sink, and the wiring calls pump() whenever the link may have room again.
import { CHUNK_BYTES } from './limits.ts';
import { encodeChunk } from './chunk-codec.ts';
import { CRC32_EMPTY, crc32Update, crcHex } from './crc.ts';
import { describeError as describe } from './errors.ts';

/** What identifies a file's contents cheaply: a change of any of these means it was modified. */
export interface FileSnapshot {
  size: number;
  mtimeMs: number;
  /** Inode number (0 where the platform has none). */
  ino: number;
  /** The device the inode is on (an inode number is unique only on its device: a mount in the shared directory). */
  dev: number;
}

/** Where the bytes come from (an open file handle in the shell, a buffer in tests). */
export interface ChunkSource {
  /** Up to `length` bytes at `offset`; fewer only at the end of the file. May reject (I/O error). */
  read(offset: number, length: number): Promise<Uint8Array>;
  /** The file's snapshot now (fstat of the open handle). May reject. */
  stat(): Promise<FileSnapshot>;
}

/** Where the chunk messages go (the engine's bulk channel, or `<chunk>` lines on TCP). */
export interface ChunkSink {
  /** May one more chunk be queued now? (The link's queue is below its bound.) */
  mayQueue(): boolean;
  /** Queue one chunk message; false means the link is gone. */
  queue(message: Uint8Array): boolean;
}

/**
 * A sink that takes the link once, when the first chunk is about to be queued, and keeps it for the
 * whole transfer: chunks of one transfer never travel two paths (a UDP binding completing mid-way
 * would let a later chunk overtake an earlier one on TCP). Once that link is gone (its engine
 * stopped, the session closed), mayQueue says yes so that queue() reports it and the transfer fails
 * with `link-lost` instead of waiting forever.
 */
export function pinnedSink(resolve: () => ChunkSink | undefined): ChunkSink {
  let link: ChunkSink | undefined;
  let pinned = false;
  const current = (): ChunkSink | undefined => {
    if (!pinned) {
      link = resolve();
      pinned = true;
    }
    return link;
  };
  return {
    mayQueue: () => current()?.mayQueue() ?? true,
    queue: (message) => current()?.queue(message) ?? false,
  };
}

export type SendFailureCode = 'changed' | 'read-failed' | 'link-lost' | 'cancelled';

export interface SendFailure {
  code: SendFailureCode;
  message: string;
}

export type OutgoingState =
  | { status: 'sending' }
  /** Every chunk, the final one included, is queued on the link. */
  | { status: 'finished' }
  | { status: 'failed'; failure: SendFailure };

export interface OutgoingOptions {
  /** Transfer id written in every chunk (1 … 2^32 − 1). */
  id: number;
  /** The file's name, for error messages. */
  name: string;
  /** Size and CRC-32 announced to the receiver. */
  size: number;
  crc: number;
  /** The file as it was when size and CRC were taken; compared with the file at the end. */
  snapshot: FileSnapshot;
  /** First byte to send (resume); default 0. */
  offset?: number;
  /** Bytes per chunk; default CHUNK_BYTES. */
  chunkBytes?: number;
  source: ChunkSource;
  sink: ChunkSink;
}

export type OutgoingResult = { ok: true; transfer: OutgoingTransfer } | { ok: false; message: string };

const EMPTY = new Uint8Array(0);

/** Check the options (the offset may come from a peer's resume request) and make the transfer. */
export function createOutgoing(options: OutgoingOptions): OutgoingResult {
  const { id, size, crc } = options;
  const offset = options.offset ?? 0;
  const chunkBytes = options.chunkBytes ?? CHUNK_BYTES;
  if (!Number.isInteger(id) || id < 1 || id > 0xffff_ffff) return { ok: false, message: `bad transfer id ${String(id)}` };
  if (!Number.isSafeInteger(size) || size < 0) return { ok: false, message: `bad file size ${String(size)}` };
  if (!Number.isInteger(crc) || crc < 0 || crc > 0xffff_ffff) return { ok: false, message: `bad CRC-32 ${String(crc)}` };
  if (!Number.isSafeInteger(offset) || offset < 0 || offset > size) {
    return { ok: false, message: `cannot resume at byte ${String(offset)}: the file has ${size} bytes` };
  }
  if (!Number.isSafeInteger(chunkBytes) || chunkBytes < 1) return { ok: false, message: `bad chunk size ${String(chunkBytes)}` };
  return { ok: true, transfer: new OutgoingTransfer({ ...options, offset, chunkBytes }) };
}

export class OutgoingTransfer {
  readonly id: number;
  readonly name: string;
  readonly size: number;
  readonly crc: number;
  /** Where this transfer started (0, or the resume offset). */
  readonly startOffset: number;
  private readonly chunkBytes: number;
  private readonly snapshot: FileSnapshot;
  private readonly source: ChunkSource;
  private readonly sink: ChunkSink;
  private next: number;
  /** Running CRC of the bytes sent, meaningful only when starting at 0 (then checked at the end). */
  private runningCrc = CRC32_EMPTY;
  private current: OutgoingState = { status: 'sending' };
  private running: Promise<OutgoingState> | undefined;

  /** Use createOutgoing: it validates. */
  constructor(o: Required<Pick<OutgoingOptions, 'offset' | 'chunkBytes'>> & OutgoingOptions) {
    this.id = o.id;
    this.name = o.name;
    this.size = o.size;
    this.crc = o.crc >>> 0;
    this.startOffset = o.offset;
    this.chunkBytes = o.chunkBytes;
    this.snapshot = { ...o.snapshot };
    this.source = o.source;
    this.sink = o.sink;
    this.next = o.offset;
  }

  /** Bytes of the file queued on the link so far (counting from 0, so a resume starts at its offset). */
  get sent(): number {
    return this.next;
  }

  get state(): OutgoingState {
    return this.current;
  }

  /**
   * Queue chunks while the sink has room; resolves with the state when it stops (no room, finished
   * or failed). Call again when the link may have room. Calls while one runs share it. Never rejects.
   */
  pump(): Promise<OutgoingState> {
    if (this.running !== undefined) return this.running;
    if (this.current.status !== 'sending') return Promise.resolve(this.current);
    const run = this.run().finally(() => {
      this.running = undefined;
    });
    this.running = run;
    return run;
  }

  /** Stop sending. The receiver must be told on the control plane (the wiring's job). */
  cancel(message = 'the transfer was cancelled'): void {
    this.fail('cancelled', message);
  }

  private async run(): Promise<OutgoingState> {
    // Each pass queues one chunk (advancing by ≥ 1 byte, or the final one) or stops: bounded by the file size.
    while (this.current.status === 'sending' && this.sink.mayQueue()) {
      const length = Math.min(this.chunkBytes, this.size - this.next);
      let data: Uint8Array;
      try {
        data = length === 0 ? EMPTY : await this.source.read(this.next, length);
      } catch (error) {
        this.fail('read-failed', `reading ${this.name} failed: ${describe(error)}`);
        break;
      }
      if (this.current.status !== 'sending') break; // cancelled while reading
      if (data.length < length) {
        this.fail('changed', `${this.name} changed while being sent: it ended at byte ${this.next + data.length}, not ${this.size}`);
        break;
      }
      if (data.length > length) data = data.subarray(0, length);
      const end = this.next + length;
      const final = end === this.size;
      if (this.startOffset === 0) this.runningCrc = crc32Update(this.runningCrc, data);
      if (final && !(await this.unchanged())) break;
      if (this.current.status !== 'sending') break; // cancelled while checking
      if (!this.sink.queue(encodeChunk({ transferId: this.id, offset: this.next, final, data }))) {
        this.fail('link-lost', `the link closed while sending ${this.name}`);
        break;
      }
      this.next = end;
      if (final) this.current = { status: 'finished' };
    }
    return this.current;
  }

  /** Before the final chunk: is the file still the one announced? */
  private async unchanged(): Promise<boolean> {
    let now: FileSnapshot;
    try {
      now = await this.source.stat();
    } catch (error) {
      this.fail('read-failed', `checking ${this.name} failed: ${describe(error)}`);
      return false;
    }
    const before = this.snapshot;
    if (now.size !== before.size) {
      this.fail('changed', `${this.name} changed while being sent (its size went from ${before.size} to ${now.size} bytes)`);
      return false;
    }
    if (now.mtimeMs !== before.mtimeMs || now.ino !== before.ino) {
      this.fail('changed', `${this.name} changed while being sent (it was modified after the transfer began)`);
      return false;
    }
    if (this.startOffset === 0 && this.runningCrc !== this.crc) {
      this.fail('changed', `${this.name} changed while being sent (CRC-32 ${crcHex(this.crc)} announced, ${crcHex(this.runningCrc)} read)`);
      return false;
    }
    return true;
  }

  private fail(code: SendFailureCode, message: string): void {
    if (this.current.status !== 'sending') return;
    this.current = { status: 'failed', failure: { code, message } };
  }
}

/** What a client asks with `<resume>OFFSET SIZE CRC NAME`: it holds OFFSET bytes of the file with this SIZE and CRC. */
export interface ResumeRequest {
  offset: number;
  size: number;
  crc: number;
}

/**
 * Where the server starts a resumed download: at the requested offset when the file is still the
 * one the client has part of (same size and CRC-32) and the offset lies within it; otherwise at 0 —
 * the offer then announces the new size and CRC and the client starts over.
 */
export function resumeOffset(request: ResumeRequest, file: { size: number; crc: number }): number {
  const same = request.size === file.size && request.crc >>> 0 === file.crc >>> 0;
  const inside = Number.isSafeInteger(request.offset) && request.offset >= 0 && request.offset <= file.size;
  return same && inside ? request.offset : 0;
}
