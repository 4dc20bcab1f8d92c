// The server's sessions on this node: each accepted connection becomes a session of its door (a control
// connection reading through the door's framer, an ordered queue of its work, a deadline to sign in),
// until it ends — by FIN, by error, on request, for not reading, or at shutdown — exactly once, telling
// the UDP data plane and the file plane, and the hub (whose rooms hear who left) unless the whole server
// is shutting down: then every client gets the goodbye instead, and nobody a flood of `left` lines.
//
// Per connection, lines are handled in arrival order (a SerialQueue); a line whose answer is still on its
// way (a file listing, a port answering later) holds the ones behind it and reading pauses meanwhile.
// The hub hears 'disconnect' for an orderly end (FIN) and 'lost' for errors, resets, a client that
// stopped reading, or an oversize line. A door with a flood budget (IRC, bracket) judges each line as it arrives:
// it goes, waits its turn (held in the queue, so the lines behind it wait too), is refused, or ends the
// connection.
import type net from 'node:net';
import type { Logger } from 'pino';
import type { Hub } from '../chat/hub.ts';
import type { SessionId } from '../chat/ids.ts';
import { openConnection, type AnyDoor } from '../doors/door.ts';
import { ControlConnection, type CloseReason } from '../tcp/connection.ts';
import type { FramingErrorCode } from '../tcp/line-framer.ts';
import { chatView } from './chat-view.ts';
import { SHUTDOWN_NOTICE } from '../commands/reply-syntax.ts';
import { SHUTDOWN_GRACE_MS } from './constants.ts';
import { inputLogOf } from './throttle.ts';
import type { FileClient } from './file-plane.ts';
import type { HubOutputs } from './outputs.ts';
import type { LineRouter } from './router.ts';
import { SerialQueue } from './serial-queue.ts';
import { Session } from './session.ts';
import { keyExporterOf } from '../tcp/tls.ts';
import { addressGroup, hostOf } from '../tcp/address-group.ts';

/** One connection and the state the server keeps for it. */
interface Client {
  readonly session: Session;
  readonly connection: ControlConnection;
  readonly queue: SerialQueue;
  connectTimer: NodeJS.Timeout | undefined;
}

export interface SessionTableConfig {
  hub: Hub;
  outputs: HubOutputs;
  router: LineRouter;
  logger: Logger;
  connectTimeoutMs: number;
  maxPendingWriteBytes: number;
  /** The session ended: its data plane and transfers go (before the hub hears of it). Resolves once they are gone. */
  ended(session: SessionId): Promise<void>;
  now(): number;
}

export class SessionTable {
  private readonly clients = new Map<SessionId, Client>();
  private nextId = 1;
  private closing = false;
  /** The ends still being tidied (transfers' part files removed); shutdown waits for them. */
  private readonly endings = new Set<Promise<void>>();
  private allClosed: (() => void) | undefined;

  constructor(private readonly config: SessionTableConfig) {}

  get size(): number {
    return this.clients.size;
  }

  session(id: SessionId): Session | undefined {
    return this.clients.get(id)?.session;
  }

  /** Every session that has a name (a notice for everyone on this node). */
  *namedSessions(): IterableIterator<Session> {
    for (const client of this.clients.values()) if (client.session.name !== undefined) yield client.session;
  }

  remote(id: SessionId): string | undefined {
    return this.clients.get(id)?.connection.remote;
  }

  /** A connected client as the file plane sees it. */
  fileClient(id: SessionId): FileClient | undefined {
    const client = this.clients.get(id);
    if (client === undefined) return undefined;
    const { session, connection } = client;
    return {
      get name() {
        return session.name;
      },
      group: addressGroup(hostOf(connection.remote)),
      deliver: (reply) => session.deliver(reply),
      writeLine: (line) => connection.write(line),
      get pendingWriteBytes() {
        return connection.pendingWriteBytes;
      },
      get isOpen() {
        return connection.isOpen;
      },
    };
  }

  /** A new connection on `door`. */
  accept(socket: net.Socket, door: AnyDoor): void {
    const { hub } = this.config;
    const id = this.nextId++;
    const connection = new ControlConnection(socket, { maxPendingWriteBytes: this.config.maxPendingWriteBytes, framer: door.framer() });
    const session = new Session(id, connection, openConnection(door, () => chatView(hub, id)), keyExporterOf(socket));
    const queue = new SerialQueue(
      (busy) => (busy ? connection.pause() : connection.resume()),
      (error) => this.internalError(id, error),
    );
    const client: Client = { session, connection, queue, connectTimer: undefined };
    this.clients.set(id, client);
    this.config.logger.debug({ session: id, remote: connection.remote }, 'tcp open');
    // Open the hub session before any socket event can close it (start() may report a socket that
    // died already).
    if (!this.closing) {
      // The source address without its port: failed logins are counted per address.
      this.config.outputs.dispatch(hub.open(id, this.config.now(), hostOf(connection.remote)));
      client.connectTimer = setTimeout(() => this.connectTimedOut(client), this.config.connectTimeoutMs);
    }
    connection.start({
      line: (text) => this.line(client, text),
      framingError: (code, fatal) => queue.push(() => this.framingError(client, code, fatal)),
      peerEnded: () => queue.push(() => this.peerEnded(client)),
      closed: (reason, detail) => this.closed(client, reason, detail),
    });
    if (this.closing) this.sayGoodbye(client);
  }

  /** The session got its name: its sign-in deadline is over. */
  named(session: Session): void {
    const client = this.clients.get(session.id);
    if (client !== undefined) this.clearConnectTimer(client);
  }

  /** A line the session's client sent over UDP: handled in order with its TCP lines. */
  datagramLine(id: SessionId, text: string | undefined, bytes: number): void {
    const client = this.clients.get(id);
    if (client === undefined) return;
    client.queue.push(() => this.config.router.datagramLine(client.session, client.connection.remote, text, bytes));
  }

  /** `<disconnect>` answered (or a door ended the connection, `detail` saying why): close after what was sent. */
  closeOnRequest(id: SessionId, detail = 'disconnected on request'): void {
    const client = this.clients.get(id);
    if (client === undefined) return;
    client.queue.close();
    client.connection.end('disconnect', detail);
  }

  /** Drop the session now, as one that stopped reading (`detail` says why, for the log). */
  drop(id: SessionId, detail: string): void {
    const client = this.clients.get(id);
    if (client === undefined) return;
    client.queue.close();
    client.connection.destroy(detail);
  }

  /** Tell every client the server is going, close every connection (cut after the grace), tidy up. */
  async shutdown(): Promise<void> {
    this.closing = true;
    const everyoneGone = new Promise<void>((resolve) => {
      this.allClosed = resolve;
    });
    for (const client of this.clients.values()) this.sayGoodbye(client);
    if (this.clients.size > 0) {
      let timer: NodeJS.Timeout | undefined;
      const grace = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, SHUTDOWN_GRACE_MS);
      });
      await Promise.race([everyoneGone, grace]);
      clearTimeout(timer);
      if (this.clients.size > 0) {
        for (const client of this.clients.values()) client.connection.destroy('server shutting down');
        await everyoneGone;
      }
    }
    await Promise.all(this.endings);
  }

  // ---- per-connection events ---------------------------------------------------------------------

  /** A framed line, judged by the door's flood budget (if it has one) as it arrives, then queued. */
  private line(client: Client, text: string): void {
    const { session, connection, queue } = client;
    if (!connection.isOpen) return; // ended (a drop, a QUIT): the rest of the chunk is not read
    const router = this.config.router;
    const now = this.config.now();
    const verdict = session.door.admit?.(text, now);
    if (verdict === undefined || verdict.type === 'go') {
      queue.push(() => router.controlLine(session, connection.remote, text));
      return;
    }
    switch (verdict.type) {
      case 'hold':
        queue.push(() => this.heldUntil(client, verdict.until).then(() => (this.clients.get(session.id) === client ? router.controlLine(session, connection.remote, text) : undefined)));
        return;
      case 'refuse':
        // At once, not behind the held lines: the sender learns now that it is over the budget.
        session.writeBytes(verdict.bytes);
        return;
      case 'drop':
        session.writeBytes(verdict.bytes);
        // One per connection an attacker opens: throttled like the lines an input causes.
        inputLogOf(this.config.logger).info({ session: session.id, name: session.name, remote: connection.remote }, 'flood: connection dropped');
        queue.close();
        connection.end('lost', 'flood budget exhausted');
        return;
    }
  }

  /** Resolves at `until` (the hub's clock), or at once when it has passed. */
  private heldUntil(client: Client, until: number): Promise<void> {
    const ms = until - this.config.now();
    if (ms <= 0 || !client.connection.isOpen) return Promise.resolve();
    return new Promise((resolve) => setTimeout(resolve, ms));
  }

  private framingError(client: Client, code: FramingErrorCode, fatal: boolean): void {
    const { session, connection } = client;
    const max = connection.maxLineBytes;
    const message = code === 'line-too-long' ? `a line is at most ${max} bytes; closing the connection` : 'the line is not valid UTF-8 and was ignored';
    session.deliver({ kind: 'error', code, message });
    inputLogOf(this.config.logger).info({ session: session.id, name: session.name, remote: connection.remote, via: 'tcp', code, fatal }, 'input rejected');
    if (fatal) {
      client.queue.close();
      connection.end('lost', `framing error: ${code}`);
    }
  }

  /** The client sent FIN: its last commands have been handled; leave and close our side. */
  private peerEnded(client: Client): void {
    client.queue.close();
    if (!this.closing) this.config.outputs.dispatch(this.config.hub.close(client.session.id, this.config.now(), 'disconnect'));
    client.connection.end('disconnect', 'peer closed the connection');
  }

  private closed(client: Client, reason: CloseReason, detail: string): void {
    const id = client.session.id;
    this.clearConnectTimer(client);
    client.queue.close();
    this.clients.delete(id);
    // Shutdown waits for these: an upload's part file is removed before the process exits.
    const ending = this.config.ended(id);
    this.endings.add(ending);
    void ending.finally(() => this.endings.delete(ending));
    const fields = { session: id, name: client.session.name, remote: client.connection.remote, reason, detail };
    if (reason === 'lost') this.config.logger.info(fields, 'connection lost');
    else this.config.logger.debug(fields, 'tcp closed');
    if (!this.closing) this.config.outputs.dispatch(this.config.hub.close(id, this.config.now(), reason));
    else if (this.clients.size === 0) this.allClosed?.();
  }

  private connectTimedOut(client: Client): void {
    client.connectTimer = undefined;
    if (this.config.hub.nameOf(client.session.id) !== undefined || !client.connection.isOpen) return;
    const seconds = Math.round(this.config.connectTimeoutMs / 1000);
    client.queue.close();
    client.session.deliver({ kind: 'error', code: 'not-connected', message: `no <connect>NAME within ${seconds} s; closing the connection` });
    client.connection.end('lost', 'no <connect> in time');
  }

  private clearConnectTimer(client: Client): void {
    if (client.connectTimer !== undefined) clearTimeout(client.connectTimer);
    client.connectTimer = undefined;
  }

  private sayGoodbye(client: Client): void {
    this.clearConnectTimer(client);
    client.queue.close();
    client.session.deliver({ kind: 'system', text: SHUTDOWN_NOTICE });
    client.connection.end('disconnect', 'server shutting down');
  }

  /** A bug of ours surfaced while handling this client: log it, tell the client, keep serving. */
  private internalError(id: SessionId, error: unknown): void {
    this.config.logger.error({ session: id, err: error }, 'internal error while handling a command');
    this.clients.get(id)?.session.deliver({ kind: 'error', code: 'internal', message: 'internal server error' });
  }
}
