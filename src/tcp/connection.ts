// One TCP control connection, server side: bytes in through its door's framer (and the framer's
// quiet-period timer), bytes out batched per event-loop iteration (src/tcp/write-batch.ts: everything
// queued for a connection while the loop handled its I/O leaves in one write), a bound on what a client
// that never reads can make us buffer, and exactly one report of how the connection ended.
import type net from 'node:net';
import { performance } from 'node:perf_hooks';
import { CLOSE_LINGER_MS, GATHERED_WRITE_MAX_PARTS } from './constants.ts';
import type { FramerOutput, FramingErrorCode, LineFramer } from './line-framer.ts';
import { OutQueue } from './out-queue.ts';
import { WRITE_BATCH, type Batched, type SharedPieces } from './write-batch.ts';

/** 'disconnect': an orderly end (FIN, or we closed on purpose); 'lost': error, reset or overflow. */
export type CloseReason = 'disconnect' | 'lost';

export interface ControlConnectionHandler {
  /** One command line, framed and decoded. */
  line(text: string): void;
  /**
   * A framing error. When `fatal`, no more lines come (later bytes are dropped unread): the handler
   * reports the error to the peer and then calls end().
   */
  framingError(code: FramingErrorCode, fatal: boolean): void;
  /** The peer finished sending (FIN); every line it sent has been delivered. Call end() when done. */
  peerEnded(): void;
  /** The socket is closed. Called exactly once, last. `detail` says why in words (for the log). */
  closed(reason: CloseReason, detail: string): void;
}

export interface ControlConnectionOptions {
  /** Destroy the connection when more than this many bytes wait to be written to it. */
  maxPendingWriteBytes: number;
  /** After end(), destroy the socket if the peer has not closed within this long. */
  lingerMs?: number;
  /** Cuts what the peer sends into lines (the door's framer). */
  framer: LineFramer;
}

export class ControlConnection implements Batched {
  /** "address:port" of the peer, for logs. */
  readonly remote: string;
  private readonly framer: LineFramer;
  private readonly maxPendingWriteBytes: number;
  private readonly lingerMs: number;
  private handler: ControlConnectionHandler | undefined;
  private framerTimer: NodeJS.Timeout | undefined;
  private lingerTimer: NodeJS.Timeout | undefined;
  /** What is queued this iteration (see write-batch.ts); joining the batch when something is. */
  private readonly queue = new OutQueue(() => {
    if (!this.batched) WRITE_BATCH.add(this);
  });
  /** In the batch's list for this iteration. */
  batched = false;
  /**
   * False once end() or destroy() was called, or the socket failed or closed: nothing more is queued.
   * Read instead of the socket's getters on every queued reply (a room's fan-out queues one per member
   * and line); flush() still asks the socket.
   */
  private writable = true;
  private reason: CloseReason | undefined;
  private detail = '';
  private closedReported = false;
  /** After a fatal framing error: bytes still arriving are read and dropped, so the peer's FIN is seen. */
  private discarding = false;

  constructor(
    private readonly socket: net.Socket,
    options: ControlConnectionOptions,
  ) {
    this.remote = `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`;
    this.framer = options.framer;
    this.maxPendingWriteBytes = options.maxPendingWriteBytes;
    this.lingerMs = options.lingerMs ?? CLOSE_LINGER_MS;
  }

  /** Start reading; events go to `handler`. */
  start(handler: ControlConnectionHandler): void {
    this.handler = handler;
    const socket = this.socket;
    socket.on('data', (chunk: Buffer) => {
      if (this.discarding) return;
      this.deliver(this.framer.push(chunk, performance.now()));
      this.scheduleFramerTimer();
    });
    socket.on('end', () => {
      this.clearFramerTimer();
      if (!this.discarding) this.deliver(this.framer.end(performance.now()));
      if (this.reason === undefined) this.setReason('disconnect', 'peer closed the connection');
      this.handler?.peerEnded();
    });
    socket.on('error', (err: NodeJS.ErrnoException) => {
      this.writable = false;
      this.setReason('lost', err.code ?? err.message);
    });
    socket.on('close', (hadError: boolean) => this.reportClosed(hadError));
    if (socket.destroyed) this.reportClosed(true);
  }

  /** Queue text for the peer (see writeBytes). */
  write(text: string): boolean {
    return this.writeBytes(Buffer.from(text, 'utf8'));
  }

  /**
   * Queue bytes for the peer: written, with everything else queued for it, once the event loop has
   * handled this iteration's I/O. The bytes must stay unchanged until then (a room fan-out queues the
   * same bytes for every member). False if not writable. The queue of an iteration is handed to the
   * socket as soon as it holds maxPendingWriteBytes; a peer that leaves more than maxPendingWriteBytes
   * unread in the socket (what the kernel did not take) is dropped as one that stopped reading — judged
   * after each hand-over (flush), the only time what waits in the socket grows.
   */
  writeBytes(bytes: Uint8Array): boolean {
    if (!this.writable) return false;
    this.queue.push(bytes);
    return this.underBound();
  }

  /**
   * Queue part `index` of `pieces` (bytes shared with other connections this iteration): written like
   * writeBytes's, but as a range of the shared, joined pieces (src/tcp/out-queue.ts).
   */
  writeShared(pieces: SharedPieces, index: number): boolean {
    if (!this.writable) return false;
    this.queue.pushShared(pieces, index);
    return this.underBound();
  }

  /** Follow `pieces` from part `from` on: every part added to them is queued here too, until something else is (src/tcp/out-queue.ts). */
  follow(pieces: SharedPieces, from: number): void {
    this.queue.follow(pieces, from);
  }

  /** Part `index` of `pieces` is not for this connection (its own line); it follows them from the next part on. */
  skipShared(pieces: SharedPieces, index: number): void {
    this.queue.skipShared(pieces, index);
  }

  /** skipShared when this connection follows `pieces`; nothing otherwise. */
  skipIfFollowing(pieces: SharedPieces, index: number): void {
    this.queue.skipIfFollowing(pieces, index);
  }

  /** Stop following `pieces`, if it does. */
  unfollow(pieces: SharedPieces): void {
    this.queue.unfollow(pieces);
  }

  /** Handed over now when the queue holds the bound (false: dropped since). */
  private underBound(): boolean {
    if (this.queue.bytes < this.maxPendingWriteBytes) return true;
    this.flush();
    return this.writable;
  }

  /**
   * Hand what is queued to the socket in one write (the batch calls this once per iteration): a few
   * parts gathered (one writev, no copy: GATHERED_WRITE_MAX_PARTS), more joined into one copy.
   */
  flush(): void {
    const total = this.queue.pendingBytes;
    const parts = this.queue.take();
    const count = parts.length;
    if (count === 0) return;
    const socket = this.socket;
    if (socket.destroyed || socket.writableEnded) return;
    if (count === 1) socket.write(parts[0]!);
    else if (count <= GATHERED_WRITE_MAX_PARTS) {
      socket.cork();
      for (const part of parts) socket.write(part);
      socket.uncork();
    } else socket.write(Buffer.concat(parts, total));
    this.stuck();
  }

  /** Over the bound of unread bytes: dropped (true). */
  private stuck(): boolean {
    if (this.socket.writableLength <= this.maxPendingWriteBytes) return false;
    this.destroy(`client is not reading: over ${this.maxPendingWriteBytes} bytes waiting to be written`);
    return true;
  }

  /** The longest line the framer accepts, in bytes. */
  get maxLineBytes(): number {
    return this.framer.maxLineBytes;
  }

  /** Bytes written but not yet taken by the kernel. */
  get pendingWriteBytes(): number {
    return this.queue.pendingBytes + this.socket.writableLength;
  }

  get isOpen(): boolean {
    return !this.socket.destroyed && !this.socket.writableEnded;
  }

  /** Flush what was written, send FIN, and destroy the socket if the peer lingers. */
  end(reason: CloseReason = 'disconnect', detail = 'closed by the server'): void {
    this.setReason(reason, detail);
    const socket = this.socket;
    this.clearFramerTimer();
    if (socket.destroyed || socket.writableEnded) {
      this.writable = false;
      return;
    }
    this.flush();
    this.writable = false;
    this.queue.close();
    socket.end();
    this.lingerTimer = setTimeout(() => socket.destroy(), this.lingerMs);
    this.lingerTimer.unref();
  }

  /** Drop the connection now, unwritten data included. */
  destroy(detail: string): void {
    this.writable = false;
    this.setReason('lost', detail);
    this.clearFramerTimer();
    this.queue.close();
    this.socket.destroy();
  }

  /** Stop reading (while earlier lines are still being handled); resume() to go on. */
  pause(): void {
    this.socket.pause();
  }

  resume(): void {
    if (!this.socket.destroyed) this.socket.resume();
  }

  private deliver(outputs: FramerOutput[]): void {
    const handler = this.handler;
    if (handler === undefined) return;
    for (const output of outputs) {
      if (output.type === 'line') {
        handler.line(output.text);
        continue;
      }
      if (output.fatal) {
        // No more lines: what the peer sends from here on is dropped unread, but the socket keeps
        // reading so the peer's FIN closes it at once (a paused socket would sit out the linger).
        this.setReason('lost', `framing error: ${output.code}`);
        this.clearFramerTimer();
        this.discarding = true;
      }
      handler.framingError(output.code, output.fatal);
      if (output.fatal) return;
    }
  }

  private scheduleFramerTimer(): void {
    this.clearFramerTimer();
    const due = this.framer.pollTimeout();
    if (due === undefined || this.socket.destroyed) return;
    this.framerTimer = setTimeout(this.onFramerTimer, Math.max(0, Math.ceil(due - performance.now())));
  }

  private readonly onFramerTimer = (): void => {
    this.framerTimer = undefined;
    this.deliver(this.framer.handleTimeout(performance.now()));
    this.scheduleFramerTimer();
  };

  private clearFramerTimer(): void {
    if (this.framerTimer !== undefined) clearTimeout(this.framerTimer);
    this.framerTimer = undefined;
  }

  /** The first reason recorded wins: it is the cause; what follows is its consequence. */
  private setReason(reason: CloseReason, detail: string): void {
    if (this.reason !== undefined) return;
    this.reason = reason;
    this.detail = detail;
  }

  private reportClosed(hadError: boolean): void {
    this.writable = false;
    this.queue.close();
    if (this.closedReported) return;
    this.closedReported = true;
    this.clearFramerTimer();
    if (this.lingerTimer !== undefined) clearTimeout(this.lingerTimer);
    if (hadError) this.setReason('lost', 'socket error');
    this.setReason('lost', 'connection closed without FIN');
    this.handler?.closed(this.reason ?? 'lost', this.detail);
  }
}
