// The server: binds the TCP control plane and the UDP data-plane socket, and wires each control
// connection through framer → grammar → hub, carrying the hub's outputs to sockets, the shared
// directory and the log.
//
// Per connection: lines are handled in arrival order (a SerialQueue; reading pauses while a file
// listing is in progress). Replies are written as formatReply(reply) + "\n", batched per tick. The hub
// is told when a connection goes: 'disconnect' for an orderly end (FIN), 'lost' for errors, resets,
// a client that stopped reading, or an oversize line.
//
// UDP (udp-plane.ts): after welcome each session is offered a binding (`<udp>PORT CONNID TOKEN`); once
// its client binds, chat replies travel over that session's reliable engine (Session.routeChatVia) and
// chat lines the client sends over it join the same per-connection queue as its TCP lines. `<transport>`
// lines (the fallback exchange) are handled here, never by the hub.
import type net from 'node:net';
import type { Logger } from 'pino';
import { Hub, type FileCommand, type HubOutput, type SessionId } from '../chat/hub.ts';
import { formatReply, parseCommand } from '../commands/grammar.ts';
import { parseTransportCommand } from '../commands/transport-syntax.ts';
import type { ParseResult, Reply, TransportCommand } from '../commands/types.ts';
import { ensureSharedDir } from '../files/shared-dir.ts';
import { ControlConnection, type CloseReason } from '../tcp/connection.ts';
import type { FramingErrorCode } from '../tcp/framing.ts';
import { listenTcp, type TcpListener } from '../tcp/listener.ts';
import { MAX_LINE_BYTES } from '../tcp/constants.ts';
import { SHUTDOWN_GRACE_MS, SHUTDOWN_NOTICE, UDP_CHAT_ONLY } from './constants.ts';
import { answerFileCommand } from './file-commands.ts';
import { createLogger } from './logger.ts';
import { resolveServerOptions, type ResolvedServerOptions, type ServerOptions } from './options.ts';
import { SerialQueue } from './serial-queue.ts';
import { Session, type ReplyFormatter } from './session.ts';
import { bindError, messageOf, ServerStartError } from './start-error.ts';
import { UdpDataPlane, type DataPlaneStats } from './udp-plane.ts';

export type { ServerOptions } from './options.ts';
export { ServerStartError } from './start-error.ts';
export type { DataPlaneStats } from './udp-plane.ts';

/** A snapshot of the server's counters (what `<stats>` summarises). */
export interface ServerStats {
  /** Open TCP sessions, named or not. */
  sessions: number;
  users: number;
  rooms: number;
  uptimeMs: number;
  udp: DataPlaneStats;
}

export interface RunningServer {
  readonly host: string;
  /** Bound TCP port (the real one when 0 was asked). */
  readonly tcpPort: number;
  /** Bound UDP port (the real one when 0 was asked). */
  readonly udpPort: number;
  /** Absolute path of the shared directory. */
  readonly filesDir: string;
  /** Counters of sessions and of the UDP data plane (bindings, refusals, rejected datagrams, fallbacks). */
  stats(): ServerStats;
  /** Stop accepting, tell every client `<system>server shutting down`, close everything. Idempotent. */
  close(): Promise<void>;
}

/**
 * Start a server. Rejects with a ServerStartError whose message is one line for a person (bad option,
 * port in use, unusable shared directory).
 */
export async function startServer(options: ServerOptions = {}): Promise<RunningServer> {
  const resolved = resolveServerOptions(options);
  if (!resolved.ok) throw new ServerStartError(resolved.message);
  const config = resolved.options;
  let logger: Logger;
  try {
    logger = config.logger ?? createLogger({ level: config.logLevel });
  } catch (error) {
    throw new ServerStartError(`cannot open the log: ${messageOf(error)}`);
  }

  let filesDir: string;
  try {
    filesDir = await ensureSharedDir(config.filesDir);
  } catch (error) {
    throw new ServerStartError(`cannot use the shared directory ${config.filesDir}: ${messageOf(error)}`);
  }

  // The data plane first, so every accepted connection can be offered a binding.
  let server: ChatServer | undefined;
  let udp: UdpDataPlane;
  try {
    udp = await UdpDataPlane.open({
      host: config.host,
      port: config.udpPort,
      logger,
      hooks: {
        chatLine: (session, line, bytes) => server?.udpChatLine(session, line, bytes),
        overflow: (session) => server?.dropStuck(session),
      },
    });
  } catch (error) {
    throw bindError('UDP', config.host, config.udpPort, error);
  }
  const chat = new ChatServer(config, logger, filesDir, udp);
  server = chat;
  let tcp: TcpListener;
  try {
    tcp = await listenTcp({
      host: config.host,
      port: config.tcpPort,
      onSocket: (socket) => chat.accept(socket),
      onError: (error) => logger.warn({ err: error }, 'tcp accept error'),
    });
  } catch (error) {
    await udp.close();
    throw bindError('TCP', config.host, config.tcpPort, error);
  }
  chat.attach(tcp);
  logger.info({ host: config.host, tcp: tcp.port, udp: udp.port, files: filesDir }, 'listening');
  return {
    host: config.host,
    tcpPort: tcp.port,
    udpPort: udp.port,
    filesDir,
    stats: () => chat.stats(),
    close: () => chat.close(),
  };
}

/** One accepted control connection and the state the server keeps for it. */
interface Client {
  readonly session: Session;
  readonly connection: ControlConnection;
  readonly queue: SerialQueue;
  connectTimer: NodeJS.Timeout | undefined;
}

class ChatServer {
  private readonly hub: Hub;
  private readonly clients = new Map<SessionId, Client>();
  private readonly format = memoizedFormatter();
  private readonly startedAt = Date.now();
  private nextSessionId = 1;
  private tcp: TcpListener | undefined;
  private closing: Promise<void> | undefined;
  private allClosed: (() => void) | undefined;

  constructor(
    private readonly config: ResolvedServerOptions,
    private readonly logger: Logger,
    private readonly filesDir: string,
    private readonly udp: UdpDataPlane,
  ) {
    this.hub = new Hub({ roomCapacity: config.roomCapacity, rateLimit: config.rateLimit, rateBurst: config.rateBurst });
  }

  attach(tcp: TcpListener): void {
    this.tcp = tcp;
  }

  accept(socket: net.Socket): void {
    const id = this.nextSessionId++;
    const connection = new ControlConnection(socket, { maxPendingWriteBytes: this.config.maxPendingWriteBytes });
    const session = new Session(id, connection, this.format);
    const queue = new SerialQueue(
      (busy) => (busy ? connection.pause() : connection.resume()),
      (error) => this.internalError(id, error),
    );
    const client: Client = { session, connection, queue, connectTimer: undefined };
    this.clients.set(id, client);
    this.logger.debug({ session: id, remote: connection.remote }, 'tcp open');
    // Open the hub session before any socket event can close it (start() may report a socket that
    // died already).
    if (this.closing === undefined) {
      this.dispatch(this.hub.open(id, Date.now()));
      client.connectTimer = setTimeout(() => this.connectTimedOut(client), this.config.connectTimeoutMs);
    }
    connection.start({
      line: (text) => queue.push(() => this.handleLine(client, text)),
      framingError: (code, fatal) => queue.push(() => this.handleFramingError(client, code, fatal)),
      peerEnded: () => queue.push(() => this.handlePeerEnd(client)),
      closed: (reason, detail) => this.handleClosed(client, reason, detail),
    });
    if (this.closing !== undefined) this.sayGoodbye(client);
  }

  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  // ---- per-connection events ---------------------------------------------------------------------

  private handleLine(client: Client, text: string): Promise<void> | undefined {
    const id = client.session.id;
    const transport = parseTransportCommand(text);
    if (transport !== undefined) {
      this.handleTransport(client, transport);
      return undefined;
    }
    const parsed = parseCommand(text);
    if (!parsed.ok) {
      client.session.deliver({ kind: 'error', code: parsed.error.code, message: parsed.error.message });
      this.logger.debug({ session: id, code: parsed.error.code }, 'line not understood');
      return undefined;
    }
    const wasNamed = client.session.name !== undefined;
    const pending = this.dispatch(this.hub.handle(id, parsed.value, Date.now()));
    client.session.name = this.hub.nameOf(id);
    if (client.session.name !== undefined && !wasNamed) {
      this.clearConnectTimer(client);
      // Right after the welcome: where and how to bind the UDP data plane.
      const offer = this.udp.offer(client.session);
      if (offer !== undefined) client.session.sendControl(offer);
    }
    return pending;
  }

  /** `<transport>tcp N REASON` from the client: it moves chat to TCP, or answers our move. */
  private handleTransport(client: Client, parsed: ParseResult<TransportCommand>): void {
    if (!parsed.ok) {
      client.session.deliver({ kind: 'error', code: parsed.error.code, message: parsed.error.message });
      return;
    }
    if (client.session.name === undefined) {
      client.session.deliver({ kind: 'error', code: 'not-connected', message: 'send <connect>NAME first' });
      return;
    }
    this.udp.transportFromClient(client.session, parsed.value);
  }

  /** A chat line the client sent over its UDP binding: handled in order with its TCP lines. */
  udpChatLine(id: SessionId, line: string | undefined, bytes: number): void {
    const client = this.clients.get(id);
    if (client === undefined) return;
    client.queue.push(() => this.handleUdpLine(client, line, bytes));
  }

  private handleUdpLine(client: Client, line: string | undefined, bytes: number): void {
    const session = client.session;
    // Errors about a line that came over UDP go back over TCP (Session.deliver: errors are not chat).
    if (line === undefined) {
      session.deliver({ kind: 'error', code: 'bad-encoding', message: 'a chat line over UDP was not valid UTF-8 and was ignored' });
      return;
    }
    if (bytes > MAX_LINE_BYTES) {
      session.deliver({ kind: 'error', code: 'line-too-long', message: `a line is at most ${MAX_LINE_BYTES} bytes; ignored` });
      return;
    }
    const parsed = parseCommand(line);
    if (!parsed.ok) {
      session.deliver({ kind: 'error', code: parsed.error.code, message: parsed.error.message });
      return;
    }
    if (parsed.value.kind !== 'broadcast' && parsed.value.kind !== 'private') {
      session.deliver({ kind: 'error', code: 'refused', message: UDP_CHAT_ONLY });
      return;
    }
    this.dispatch(this.hub.handle(session.id, parsed.value, Date.now()));
  }

  /** The client let chat replies pile up while moving to TCP: treat it as a reader that stopped. */
  dropStuck(id: SessionId): void {
    const client = this.clients.get(id);
    if (client === undefined) return;
    client.queue.close();
    client.connection.end('lost', 'too many chat replies held while moving chat to tcp');
  }

  stats(): ServerStats {
    return {
      sessions: this.hub.sessionCount(),
      users: this.hub.userCount(),
      rooms: this.hub.rooms().length,
      uptimeMs: Date.now() - this.startedAt,
      udp: this.udp.stats(),
    };
  }

  private handleFramingError(client: Client, code: FramingErrorCode, fatal: boolean): void {
    const message =
      code === 'line-too-long'
        ? `a line is at most ${MAX_LINE_BYTES} bytes; closing the connection`
        : 'the line is not valid UTF-8 and was ignored';
    client.session.deliver({ kind: 'error', code, message });
    this.logger.debug({ session: client.session.id, code, fatal }, 'framing error');
    if (fatal) {
      client.queue.close();
      client.connection.end('lost', `framing error: ${code}`);
    }
  }

  /** The client sent FIN: its last commands have been handled; leave and close our side. */
  private handlePeerEnd(client: Client): void {
    client.queue.close();
    if (this.closing === undefined) this.dispatch(this.hub.close(client.session.id, Date.now(), 'disconnect'));
    client.connection.end('disconnect', 'peer closed the connection');
  }

  private handleClosed(client: Client, reason: CloseReason, detail: string): void {
    const id = client.session.id;
    this.clearConnectTimer(client);
    client.queue.close();
    this.clients.delete(id);
    this.udp.sessionClosed(id);
    const fields = { session: id, name: client.session.name, remote: client.connection.remote, reason, detail };
    if (reason === 'lost') this.logger.info(fields, 'connection lost');
    else this.logger.debug(fields, 'tcp closed');
    if (this.closing === undefined) {
      this.dispatch(this.hub.close(id, Date.now(), reason));
    } else if (this.clients.size === 0) {
      this.allClosed?.();
    }
  }

  private connectTimedOut(client: Client): void {
    client.connectTimer = undefined;
    if (this.hub.nameOf(client.session.id) !== undefined || !client.connection.isOpen) return;
    const seconds = Math.round(this.config.connectTimeoutMs / 1000);
    client.queue.close();
    client.session.deliver({
      kind: 'error',
      code: 'not-connected',
      message: `no <connect>NAME within ${seconds} s; closing the connection`,
    });
    client.connection.end('lost', 'no <connect> in time');
  }

  private clearConnectTimer(client: Client): void {
    if (client.connectTimer !== undefined) clearTimeout(client.connectTimer);
    client.connectTimer = undefined;
  }

  // ---- hub outputs -------------------------------------------------------------------------------

  /** Carry out the hub's outputs; a promise when a file command is still being answered. */
  private dispatch(outputs: HubOutput[]): Promise<void> | undefined {
    let pending: Promise<void> | undefined;
    for (const output of outputs) {
      switch (output.type) {
        case 'reply':
          this.clients.get(output.to)?.session.deliver(output.reply);
          break;
        case 'close': {
          const client = this.clients.get(output.session);
          if (client !== undefined) {
            client.queue.close();
            client.connection.end('disconnect', 'disconnected on request');
          }
          break;
        }
        case 'files': {
          const answer = this.answerFiles(output.session, output.command);
          pending = pending === undefined ? answer : Promise.all([pending, answer]).then(() => undefined);
          break;
        }
        case 'stats':
          this.clients.get(output.session)?.session.deliver({ kind: 'system', text: this.statsText() });
          break;
        case 'log':
          this.logger.info({ event: output.event }, output.event.type);
          break;
      }
    }
    return pending;
  }

  private async answerFiles(id: SessionId, command: FileCommand): Promise<void> {
    const answer = await answerFileCommand(command, this.filesDir);
    if (answer.failure !== undefined) {
      this.logger.error({ session: id, dir: this.filesDir, error: answer.failure }, 'cannot list the shared directory');
    }
    this.clients.get(id)?.session.deliver(answer.reply);
  }

  private statsText(): string {
    const s = this.stats();
    const u = s.udp;
    const rejected = Object.values(u.rejected).reduce((a, b) => a + b, 0);
    const b = u.binding;
    const refused = b.refusedUnknownConnection + b.refusedMalformed + b.refusedBadMac + b.refusedReplayed;
    const dropped = b.droppedUnknownConnection + b.droppedUnbound + b.droppedWrongAddress + u.unexpected;
    const fallbacks = Object.values(u.fallbacks).reduce((x, y) => x + y, 0);
    return (
      `stats: sessions=${s.sessions} users=${s.users} rooms=${s.rooms} uptime=${Math.floor(s.uptimeMs / 1000)}s ` +
      `udp: bound=${u.bound} datagrams-in=${u.datagramsReceived} datagrams-out=${u.datagramsSent} ` +
      `rejected=${rejected} hellos-refused=${refused} dropped=${dropped} rebinds=${b.rebound} fallbacks=${fallbacks}`
    );
  }

  /** A bug of ours surfaced while handling this client: log it, tell the client, keep serving. */
  private internalError(id: SessionId, error: unknown): void {
    this.logger.error({ session: id, err: error }, 'internal error while handling a command');
    this.clients.get(id)?.session.deliver({ kind: 'error', code: 'internal', message: 'internal server error' });
  }

  // ---- shutdown ----------------------------------------------------------------------------------

  private sayGoodbye(client: Client): void {
    this.clearConnectTimer(client);
    client.queue.close();
    client.session.deliver({ kind: 'system', text: SHUTDOWN_NOTICE });
    client.connection.end('disconnect', 'server shutting down');
  }

  private async shutdown(): Promise<void> {
    this.logger.info({ sessions: this.clients.size }, 'shutting down');
    this.tcp?.stopAccepting();
    const everyoneGone = new Promise<void>((resolve) => {
      this.allClosed = resolve;
    });
    this.udp.announceShutdown();
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
    await this.udp.close();
    this.logger.info('stopped');
  }
}

/**
 * formatReply with a one-entry memo: the hub hands one shared Reply object to every member of a
 * room, so a fan-out formats its line once instead of once per recipient.
 */
function memoizedFormatter(): ReplyFormatter {
  let last: Reply | undefined;
  let line = '';
  return (reply) => {
    if (reply !== last) {
      last = reply;
      line = `${formatReply(reply)}\n`;
    }
    return line;
  };
}
