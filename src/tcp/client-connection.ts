// The client side of the TCP control plane: connect (bounded by a timeout), send Commands as lines,
// split the incoming byte stream into lines, parse each as a Reply and hand typed events to one
// listener. Nothing here throws across the boundary: connection failures are returned as values, a line
// that is not a reply becomes an `unparsed` event, socket errors become a single `closed` event.
import net from 'node:net';
import { StringDecoder } from 'node:string_decoder';
import { formatCommand, parseReply } from '../commands/grammar.ts';
import type { Command, ParseError, Reply } from '../commands/types.ts';
import { keyExporterOf, securityOf } from './tls.ts';

/**
 * Longest reply line the client buffers. The server refuses command lines over 64 KiB, a chat line's
 * text is at most 16 KiB and a list reply at most 64 KiB (pages: src/commands/list-pages.ts) — 1 MiB
 * is far above any honest reply, and bounds the memory a misbehaving peer can make us hold. Longer lines are dropped (reported as an `oversize` event).
 */
export const MAX_REPLY_LINE_BYTES = 1024 * 1024;

/**
 * After close() sent our FIN, how long to wait for the server to close its side before dropping the
 * socket: a live server closes at once; a mute peer must not hold the client's exit.
 */
export const CLOSE_FLUSH_MS = 500;

export type ConnectionEvent =
  /** One server line, parsed. `line` is the raw text (without its terminator). */
  | { type: 'reply'; reply: Reply; line: string }
  /** A server line that is not a reply in our grammar. Shown raw; never fatal. */
  | { type: 'unparsed'; line: string; error: ParseError }
  /** A server line longer than MAX_REPLY_LINE_BYTES was dropped. */
  | { type: 'oversize'; bytes: number }
  /**
   * The connection is gone (emitted exactly once). `by`: 'local' after close(), 'remote' when the
   * server closed it, 'error' when the socket failed (`message` says how).
   */
  | { type: 'closed'; by: 'local' | 'remote' | 'error'; message?: string };

/** How connectTcp opens its socket, and which event says it carries the protocol. */
export interface TcpConnectFactory {
  /** Opens the socket. May throw on malformed options: connectTcp returns that as a failure. */
  connect: (target: { host: string; port: number }) => net.Socket;
  /**
   * Plain TCP: `connect`. A socket that runs a handshake first (tls.connect): `secureConnect`; the connect
   * timeout covers the handshake too, and its failure arrives as the socket's `error`.
   */
  readyEvent: 'connect' | 'secureConnect';
  /** Words for a failure of this factory's own (a TLS certificate not trusted, …); undefined: the usual ones. */
  describeError?: (error: NodeJS.ErrnoException, where: string) => string | undefined;
}

/** The plain TCP connection: net.createConnection. */
export const plainTcpConnect: TcpConnectFactory = { connect: (target) => net.createConnection(target), readyEvent: 'connect' };

export interface ConnectOptions {
  host: string;
  port: number;
  timeoutMs: number;
  /** Opens the socket; plainTcpConnect when absent. */
  connectFactory?: TcpConnectFactory;
  /** Receives every event, in order. Called synchronously from socket callbacks; must not throw. */
  onEvent: (event: ConnectionEvent) => void;
}

export type ConnectFailureCode = 'refused' | 'timeout' | 'unknown-host' | 'unreachable' | 'tls' | 'error';

export type ConnectResult =
  | { ok: true; connection: ClientConnection }
  | { ok: false; code: ConnectFailureCode; message: string };

/** Splits a byte stream into text lines (`\n` or `\r\n`), decoding UTF-8 across chunk boundaries. */
export class LineSplitter {
  private readonly decoder = new StringDecoder('utf8');
  private partial = '';
  private partialBytes = 0;
  private discarding = false;
  private discardedBytes = 0;

  constructor(private readonly maxLineBytes: number = MAX_REPLY_LINE_BYTES) {}

  /** Feeds a chunk; returns the complete lines and any oversize drops, in stream order. */
  push(chunk: Uint8Array): Array<{ type: 'line'; text: string } | { type: 'oversize'; bytes: number }> {
    return this.consume(this.decoder.write(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength)));
  }

  /** End of stream: the last line, even without a terminator. */
  end(): Array<{ type: 'line'; text: string } | { type: 'oversize'; bytes: number }> {
    const out = this.consume(this.decoder.end());
    if (this.discarding) {
      out.push({ type: 'oversize', bytes: this.discardedBytes });
    } else if (this.partial.length > 0) {
      out.push({ type: 'line', text: stripCr(this.partial) });
    }
    this.partial = '';
    this.partialBytes = 0;
    this.discarding = false;
    this.discardedBytes = 0;
    return out;
  }

  private consume(text: string): Array<{ type: 'line'; text: string } | { type: 'oversize'; bytes: number }> {
    const out: Array<{ type: 'line'; text: string } | { type: 'oversize'; bytes: number }> = [];
    let from = 0;
    for (;;) {
      const nl = text.indexOf('\n', from);
      const piece = nl === -1 ? text.slice(from) : text.slice(from, nl);
      const pieceBytes = Buffer.byteLength(piece, 'utf8');
      if (this.discarding) {
        this.discardedBytes += pieceBytes;
      } else if (this.partialBytes + pieceBytes > this.maxLineBytes) {
        this.discarding = true;
        this.discardedBytes = this.partialBytes + pieceBytes;
        this.partial = '';
        this.partialBytes = 0;
      } else {
        this.partial += piece;
        this.partialBytes += pieceBytes;
      }
      if (nl === -1) return out;
      if (this.discarding) {
        out.push({ type: 'oversize', bytes: this.discardedBytes });
      } else {
        out.push({ type: 'line', text: stripCr(this.partial) });
      }
      this.partial = '';
      this.partialBytes = 0;
      this.discarding = false;
      this.discardedBytes = 0;
      from = nl + 1;
    }
  }
}

function stripCr(line: string): string {
  return line.endsWith('\r') ? line.slice(0, -1) : line;
}

/** An open connection to a dualchat server. */
export class ClientConnection {
  private readonly splitter = new LineSplitter();
  private closedEmitted = false;
  private closingLocally = false;

  /** @internal use connectTcp() */
  constructor(
    private readonly socket: net.Socket,
    private readonly onEvent: (event: ConnectionEvent) => void,
  ) {
    socket.on('data', (chunk: Buffer) => {
      for (const piece of this.splitter.push(chunk)) this.deliverPiece(piece);
    });
    socket.on('end', () => {
      for (const piece of this.splitter.end()) this.deliverPiece(piece);
      // The server half-closed: we have nothing more to say on a dead session either.
      socket.end();
    });
    socket.on('error', (error: NodeJS.ErrnoException) => {
      this.emitClosed(this.closingLocally ? 'local' : 'error', describeSocketError(error));
    });
    socket.on('close', () => {
      this.emitClosed(this.closingLocally ? 'local' : 'remote');
    });
  }

  /** True until the connection closed (either side). */
  get isOpen(): boolean {
    return !this.closedEmitted && !this.socket.destroyed;
  }

  /** Writes one command line. Returns false (and writes nothing) once the connection is closed. */
  send(command: Command): boolean {
    return this.sendLine(formatCommand(command));
  }

  /** Writes one already formatted line (its terminator is added). False once the connection is closed. */
  sendLine(line: string): boolean {
    if (!this.isOpen || this.closingLocally) return false;
    this.socket.write(`${line}\n`);
    return true;
  }

  /** Bytes written and not yet taken by the kernel (a file sender on the TCP fallback waits while this is high). */
  get pendingWriteBytes(): number {
    return this.socket.writableLength;
  }

  /** Whether this connection is TLS, and whether the server's certificate was verified (false with --insecure). */
  get security(): { encrypted: boolean; verified: boolean | null } {
    return securityOf(this.socket);
  }

  /** The TLS exporter of this connection (the sealed datagrams' keys), or undefined when it is plain. */
  get keyExporter(): ((length: number, label: string, context: Buffer) => Buffer) | undefined {
    return keyExporterOf(this.socket);
  }

  /** The server's IP address as connected (where its UDP port is too, unless a relay is used). */
  get remoteAddress(): string | undefined {
    return this.socket.remoteAddress;
  }

  /** Closes the connection (flushing what was written); resolves when the socket is closed. */
  close(): Promise<void> {
    this.closingLocally = true;
    if (this.socket.destroyed || this.closedEmitted) return Promise.resolve();
    return new Promise((resolve) => {
      this.socket.once('close', () => resolve());
      this.socket.end();
      this.socket.setTimeout(CLOSE_FLUSH_MS, () => this.socket.destroy());
    });
  }

  private deliverPiece(piece: { type: 'line'; text: string } | { type: 'oversize'; bytes: number }): void {
    if (piece.type === 'oversize') {
      this.onEvent({ type: 'oversize', bytes: piece.bytes });
      return;
    }
    if (piece.text.length === 0) return;
    const parsed = parseReply(piece.text);
    if (parsed.ok) this.onEvent({ type: 'reply', reply: parsed.value, line: piece.text });
    else this.onEvent({ type: 'unparsed', line: piece.text, error: parsed.error });
  }

  private emitClosed(by: 'local' | 'remote' | 'error', message?: string): void {
    if (this.closedEmitted) return;
    this.closedEmitted = true;
    this.onEvent(message === undefined ? { type: 'closed', by } : { type: 'closed', by, message });
  }
}

function describeSocketError(error: NodeJS.ErrnoException): string {
  switch (error.code) {
    case 'ECONNRESET':
      return 'connection reset by the server';
    case 'EPIPE':
      return 'the server stopped reading (broken pipe)';
    case 'ETIMEDOUT':
      return 'connection timed out';
    default:
      return error.code === undefined ? error.message : `${error.code}: ${error.message}`;
  }
}

function classifyConnectError(
  error: NodeJS.ErrnoException,
  where: string,
): { code: ConnectFailureCode; message: string } {
  switch (error.code) {
    case 'ECONNREFUSED':
      return { code: 'refused', message: `connection refused by ${where} (is the server running?)` };
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return { code: 'unknown-host', message: `cannot resolve host of ${where}` };
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
    case 'EADDRNOTAVAIL':
      return { code: 'unreachable', message: `${where} is unreachable (${error.code})` };
    case 'ETIMEDOUT':
      return { code: 'timeout', message: `timed out connecting to ${where}` };
    default:
      return { code: 'error', message: `cannot connect to ${where}: ${error.message}` };
  }
}

/**
 * Opens a TCP connection to a dualchat server (through `connectFactory`). Never rejects: failure
 * (refused, timeout, bad host) is returned with a one-line message naming host and port. Events start flowing to `onEvent` only after
 * the promise resolved with ok.
 */
export function connectTcp(options: ConnectOptions): Promise<ConnectResult> {
  const where = `${options.host}:${options.port}`;
  const factory = options.connectFactory ?? plainTcpConnect;
  return new Promise((resolve) => {
    let settled = false;
    let socket: net.Socket;
    const settle = (result: ConnectResult): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(result);
    };
    const timer = setTimeout(() => {
      socket.destroy();
      settle({
        ok: false,
        code: 'timeout',
        message: `timed out after ${options.timeoutMs / 1000} s connecting to ${where}`,
      });
    }, options.timeoutMs);
    try {
      socket = factory.connect({ host: options.host, port: options.port });
    } catch (error) {
      // net.createConnection throws synchronously on a malformed port or host option.
      clearTimeout(timer);
      settled = true;
      const message = error instanceof Error ? error.message : String(error);
      resolve({ ok: false, code: 'error', message: `cannot connect to ${where}: ${message}` });
      return;
    }
    const onError = (error: NodeJS.ErrnoException): void => {
      socket.destroy();
      const own = factory.describeError?.(error, where);
      settle(own === undefined ? { ok: false, ...classifyConnectError(error, where) } : { ok: false, code: 'tls', message: own });
    };
    socket.once('error', onError);
    socket.once(factory.readyEvent, () => {
      socket.off('error', onError);
      socket.setNoDelay(true);
      if (settled) {
        socket.destroy();
        return;
      }
      settle({ ok: true, connection: new ClientConnection(socket, options.onEvent) });
    });
  });
}
