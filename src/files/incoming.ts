// The receiving side of one transfer: takes chunks in order (synchronously, as the engine delivers
// them), writes them through an injected part-file writer one at a time, keeps a running CRC-32,
// records resume checkpoints, and at the final chunk checks size and CRC before the file gets its
// final name. Any failure removes the partial file; an interruption (link lost, client quitting)
// keeps a resumable one. No file system here: see writer.ts for the real writer.
import type { Chunk } from './chunk-codec.ts';
import { CHECKPOINT_BYTES } from './limits.ts';
import { crc32Update, crcHex } from './crc.ts';
import { describeError as describe } from './errors.ts';

/** The temporary file a transfer writes (writer.ts on disk; a memory one in tests). */
export interface PartWriter {
  /** Append bytes at the end of the temporary file. */
  append(bytes: Uint8Array): Promise<void>;
  /** Make the first `verified` bytes durable and record them with their CRC, for a resume (no-op if not resumable). */
  checkpoint(verified: number, prefixCrc: number): Promise<void>;
  /** Make the file durable and give it its final, non-colliding name; resolves with that name. */
  commit(): Promise<string>;
  /** Remove the temporary file and its record. Never leaves a visible partial file. */
  discard(): Promise<void>;
  /** Close, keeping the first `verified` bytes for a resume (a non-resumable writer discards instead). */
  suspend(verified: number, prefixCrc: number): Promise<void>;
}

export type ReceiveFailureCode =
  /** A chunk out of place: wrong transfer, a gap or a repeat. */
  | 'protocol'
  /** More or fewer bytes than announced. */
  | 'size'
  /** All bytes arrived but their CRC-32 is not the one announced. */
  | 'crc'
  /** The disk refused (full, permissions…). */
  | 'write-failed'
  | 'cancelled'
  /** The link went away; what was verified is kept for a resume (if the writer is resumable). */
  | 'interrupted';

export interface ReceiveFailure {
  code: ReceiveFailureCode;
  message: string;
}

export type IncomingResult =
  | { ok: true; name: string; size: number; crc: number }
  | { ok: false; failure: ReceiveFailure; /** Set when removing or keeping the partial file also failed. */ cleanupError?: string };

export type IncomingStatus = 'receiving' | 'completing' | 'stored' | 'failed';

export interface IncomingOptions {
  id: number;
  /** The name the file is meant to get (the writer may number it: `notes (1).txt`). */
  name: string;
  size: number;
  crc: number;
  /** Bytes already verified in the writer's file (resume); default 0. */
  offset?: number;
  /** CRC-32 of those bytes; required when offset > 0. */
  prefixCrc?: number;
  writer: PartWriter;
  /** Checkpoint every this many bytes; default CHECKPOINT_BYTES. */
  checkpointBytes?: number;
  /** Called after every write with the bytes on disk (for a progress bar or `--json` events). */
  onProgress?: (written: number, size: number) => void;
}

type Step = () => Promise<void>;

export class IncomingTransfer {
  readonly id: number;
  readonly name: string;
  readonly size: number;
  readonly crc: number;
  readonly startOffset: number;
  /** Resolves once the transfer is over and its file stored, removed or kept. Never rejects. */
  readonly done: Promise<IncomingResult>;

  private readonly writer: PartWriter;
  private readonly checkpointBytes: number;
  private readonly onProgress: ((written: number, size: number) => void) | undefined;
  private status_: IncomingStatus = 'receiving';
  /** Next offset expected from the link (bytes accepted, written or queued). */
  private received_: number;
  /** Bytes on disk. */
  private written_: number;
  private pending = 0;
  private crcSoFar: number;
  private lastCheckpoint: number;
  private tail: Promise<void> = Promise.resolve();
  /** Set by a discarding failure: queued writes are skipped, their bytes are going away anyway. */
  private dropWrites = false;
  private settled = false;
  private resolveDone!: (r: IncomingResult) => void;

  constructor(o: IncomingOptions) {
    this.id = o.id;
    this.name = o.name;
    this.size = o.size;
    this.crc = o.crc >>> 0;
    this.startOffset = o.offset ?? 0;
    this.writer = o.writer;
    this.checkpointBytes = o.checkpointBytes ?? CHECKPOINT_BYTES;
    this.onProgress = o.onProgress;
    this.received_ = this.startOffset;
    this.written_ = this.startOffset;
    this.lastCheckpoint = this.startOffset;
    this.crcSoFar = (o.prefixCrc ?? 0) >>> 0;
    this.done = new Promise((resolve) => {
      this.resolveDone = resolve;
    });
    const problem = checkOptions(o);
    if (problem !== undefined) this.fail({ code: 'protocol', message: problem }, 'discard');
  }

  get status(): IncomingStatus {
    return this.status_;
  }
  /** Bytes accepted from the link (a resume counts from 0: it starts at its offset). */
  get received(): number {
    return this.received_;
  }
  /** Bytes on disk. */
  get written(): number {
    return this.written_;
  }
  /** Bytes accepted but not yet written: the wiring stops polling the link above MAX_WRITE_BACKLOG_BYTES. */
  get pendingBytes(): number {
    return this.pending;
  }

  /**
   * The next chunk of this transfer, in order. Returns false when it is not taken: the transfer is
   * over, or the chunk is out of place (the transfer then fails with `protocol` or `size`).
   */
  accept(chunk: Chunk): boolean {
    if (this.status_ !== 'receiving') return false;
    const problem = this.misplaced(chunk);
    if (problem !== undefined) {
      this.fail(problem, 'discard');
      return false;
    }
    const data = chunk.data;
    this.received_ += data.length;
    this.pending += data.length;
    if (chunk.final) this.status_ = 'completing';
    this.enqueue(async () => {
      if (this.dropWrites) {
        this.pending -= data.length;
        return;
      }
      try {
        if (data.length > 0) await this.writer.append(data);
      } catch (error) {
        this.fail({ code: 'write-failed', message: `writing ${this.name} failed: ${describe(error)}` }, 'discard');
        return;
      } finally {
        this.pending -= data.length;
      }
      this.crcSoFar = crc32Update(this.crcSoFar, data);
      this.written_ += data.length;
      this.onProgress?.(this.written_, this.size);
      if (chunk.final) {
        await this.complete();
      } else if (this.written_ - this.lastCheckpoint >= this.checkpointBytes) {
        await this.checkpoint();
      }
    });
    return true;
  }

  /** Stop and remove the partial file (`/cancel`, or the sender aborted). */
  cancel(message = 'the transfer was cancelled'): Promise<IncomingResult> {
    if (this.status_ === 'receiving') this.fail({ code: 'cancelled', message }, 'discard');
    return this.done;
  }

  /**
   * The link went away: finish the writes already accepted, then keep the verified bytes for a
   * resume (a non-resumable writer removes them).
   */
  interrupt(message = 'the connection was lost'): Promise<IncomingResult> {
    if (this.status_ === 'receiving') this.fail({ code: 'interrupted', message }, 'suspend');
    return this.done;
  }

  /** Why a chunk cannot be the next one, or undefined. */
  private misplaced(chunk: Chunk): ReceiveFailure | undefined {
    if (chunk.transferId !== this.id) {
      return { code: 'protocol', message: `chunk of transfer ${chunk.transferId} given to transfer ${this.id}` };
    }
    if (chunk.offset !== this.received_) {
      return { code: 'protocol', message: `${this.name}: chunk at byte ${chunk.offset}, expected byte ${this.received_}` };
    }
    const end = chunk.offset + chunk.data.length;
    if (end > this.size) {
      return { code: 'size', message: `${this.name}: more than the ${this.size} bytes announced arrived` };
    }
    if (chunk.final && end !== this.size) {
      return { code: 'size', message: `${this.name}: the file ended at byte ${end}, ${this.size} were announced` };
    }
    return undefined;
  }

  private async checkpoint(): Promise<void> {
    try {
      await this.writer.checkpoint(this.written_, this.crcSoFar);
      this.lastCheckpoint = this.written_;
    } catch (error) {
      this.fail({ code: 'write-failed', message: `saving progress of ${this.name} failed: ${describe(error)}` }, 'discard');
    }
  }

  /** After the final chunk is on disk: verify, then store under the final name (or remove). */
  private async complete(): Promise<void> {
    if (this.written_ !== this.size) {
      this.fail({ code: 'size', message: `${this.name}: ${this.written_} bytes written, ${this.size} announced` }, 'discard');
      return;
    }
    if (this.crcSoFar !== this.crc) {
      const message = `${this.name} arrived damaged: CRC-32 ${crcHex(this.crcSoFar)}, ${crcHex(this.crc)} announced`;
      this.fail({ code: 'crc', message }, 'discard');
      return;
    }
    try {
      const stored = await this.writer.commit();
      this.status_ = 'stored';
      this.settle({ ok: true, name: stored, size: this.size, crc: this.crc });
    } catch (error) {
      this.fail({ code: 'write-failed', message: `storing ${this.name} failed: ${describe(error)}` }, 'discard');
    }
  }

  /**
   * End the transfer: queued writes are skipped (discard) or finished (suspend), then the partial
   * file is removed or kept and `done` resolves.
   */
  private fail(failure: ReceiveFailure, cleanup: 'discard' | 'suspend'): void {
    if (this.settled || this.status_ === 'failed' || this.status_ === 'stored') return;
    this.status_ = 'failed';
    if (cleanup === 'discard') this.dropWrites = true;
    this.enqueue(async () => {
      let cleanupError: string | undefined;
      try {
        if (cleanup === 'discard') await this.writer.discard();
        else await this.writer.suspend(this.written_, this.crcSoFar);
      } catch (error) {
        cleanupError = describe(error);
      }
      this.settle(cleanupError === undefined ? { ok: false, failure } : { ok: false, failure, cleanupError });
    });
  }

  private settle(result: IncomingResult): void {
    if (this.settled) return;
    this.settled = true;
    this.resolveDone(result);
  }

  /** Run steps one at a time, in order; a step never rejects the chain. */
  private enqueue(step: Step): void {
    this.tail = this.tail.then(step).catch((error: unknown) => {
      this.fail({ code: 'write-failed', message: `${this.name}: ${describe(error)}` }, 'discard');
    });
  }
}

function checkOptions(o: IncomingOptions): string | undefined {
  if (!Number.isInteger(o.id) || o.id < 1 || o.id > 0xffff_ffff) return `bad transfer id ${String(o.id)}`;
  if (!Number.isSafeInteger(o.size) || o.size < 0) return `bad file size ${String(o.size)}`;
  if (!Number.isInteger(o.crc) || o.crc < 0 || o.crc > 0xffff_ffff) return `bad CRC-32 ${String(o.crc)}`;
  const offset = o.offset ?? 0;
  if (!Number.isSafeInteger(offset) || offset < 0 || offset > o.size) return `bad resume offset ${String(offset)}`;
  if (offset > 0 && o.prefixCrc === undefined) return 'a resume needs the CRC-32 of the bytes already received';
  return undefined;
}
