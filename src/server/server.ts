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
import { Hub, type HubOutput, type SessionId } from '../chat/hub.ts';
import { formatReply, parseCommand } from '../commands/grammar.ts';
import { parseTransferCommand } from '../commands/transfer-syntax.ts';
import { parseTransportCommand, parseUdpRequest } from '../commands/transport-syntax.ts';
import type { ParseResult, Reply, TransportCommand, UdpRequestCommand } from '../commands/types.ts';
import type { EngineStats } from '../reliability/types.ts';
import { prepareServerDirs } from '../files/server-files.ts';
import { ControlConnection, type CloseReason } from '../tcp/connection.ts';
import type { FramingErrorCode } from '../tcp/framing.ts';
import { listenTcp, type TcpListener } from '../tcp/listener.ts';
import { MAX_LINE_BYTES } from '../tcp/constants.ts';
import {
  REFUSAL_LOGS_PER_SECOND,
  REFUSED_CONNECTION_LINGER_MS,
  SHUTDOWN_GRACE_MS,
  SHUTDOWN_NOTICE,
  STATS_TOP_SESSIONS,
  UDP_CHAT_ONLY,
  UDP_CHAT_QUEUE_ALLOWANCE_BYTES,
} from './constants.ts';
import { ServerFilePlane, type FileClient } from './file-plane.ts';
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
  /** File transfers in progress (downloads, uploads waiting or running, files sent to users). */
  fileTransfers: number;
  /** Named sessions by the way their chat travels now. */
  transports: {
    /** Chat over the session's UDP engine. */
    udp: number;
    /** Chat over TCP: never offered, not bound (yet: `udp.offered` of them), or fallen back. */
    tcp: number;
    /** Between a fallback's `<transport>` and the client's count. */
    movingToTcp: number;
  };
  /** Open TCP connections, per-address refusals. */
  connections: { open: number; sourceAddresses: number; refusedPerAddress: number };
  /** This process (process.memoryUsage(), process.cpuUsage()). */
  process: { rssBytes: number; heapUsedBytes: number; heapTotalBytes: number; externalBytes: number; cpuUserMs: number; cpuSystemMs: number };
}

/** One UDP-bound session's link, as its server-side engine sees it. */
export interface UdpSessionStats {
  session: SessionId;
  name: string | undefined;
  /** Smoothed RTT, undefined before the first sample. */
  srttMs: number | undefined;
  packetsSent: number;
  /** Packets the engine declared lost (RFC 9002 §6.1). */
  packetsLost: number;
  /** packetsLost / packetsSent (0 when nothing was sent). */
  lossRate: number;
  /** Retransmissions by timeout and fast retransmit. */
  retransmits: number;
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
  /** UDP-bound sessions, worst loss first (then most retransmits), at most `limit` (default all). */
  udpSessions(limit?: number): UdpSessionStats[];
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

  let dirs: { root: string; spoolDir: string };
  try {
    dirs = await prepareServerDirs(config.filesDir);
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
      maxQueuedChatBytes: config.maxPendingWriteBytes + UDP_CHAT_QUEUE_ALLOWANCE_BYTES,
      engineConfig: config.engine,
      hooks: {
        chatLine: (session, line, bytes) => server?.udpChatLine(session, line, bytes),
        drop: (session, detail) => server?.dropStuck(session, detail),
        bulk: (session, data) => server?.files.bulk(session, data),
        room: (session) => server?.files.room(session),
        bulkLost: (session) => server?.files.room(session),
        holdBulk: (session) => server?.files.holdBulk(session) ?? false,
      },
    });
  } catch (error) {
    throw bindError('UDP', config.host, config.udpPort, error);
  }
  const filesDir = dirs.root;
  const chat = new ChatServer(config, logger, dirs, udp);
  server = chat;
  let tcp: TcpListener;
  try {
    tcp = await listenTcp({
      host: config.host,
      port: config.tcpPort,
      onSocket: (socket) => chat.accept(socket),
      onError: (error) => logger.warn({ err: error }, 'tcp accept error'),
      addressLimit: {
        maxPerAddress: config.maxConnectionsPerAddress,
        lingerMs: REFUSED_CONNECTION_LINGER_MS,
        refusal: ({ address, limit }) =>
          `${formatReply({ kind: 'error', code: 'refused', message: `too many connections from ${address} (at most ${limit}); closing` })}\n`,
        onRefused: throttled(REFUSAL_LOGS_PER_SECOND, ({ address, port, limit }, suppressed) =>
          logger.info(
            { remote: `${address}:${port ?? '?'}`, limit, ...(suppressed > 0 ? { suppressed } : {}) },
            'connection refused: too many from this address',
          ),
        ),
      },
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
    udpSessions: (limit) => chat.udpSessions(limit),
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
  /** Transfers of closed sessions still being ended (part files removed). */
  private readonly fileDisconnects = new Set<Promise<void>>();
  private allClosed: (() => void) | undefined;
  /** Listing, downloads, uploads, files sent to users (src/server/file-plane.ts). */
  readonly files: ServerFilePlane;

  constructor(
    private readonly config: ResolvedServerOptions,
    private readonly logger: Logger,
    dirs: { root: string; spoolDir: string },
    private readonly udp: UdpDataPlane,
  ) {
    this.hub = new Hub({ roomCapacity: config.roomCapacity, rateLimit: config.rateLimit, rateBurst: config.rateBurst });
    this.files = new ServerFilePlane({
      root: dirs.root,
      spoolDir: dirs.spoolDir,
      options: config.files,
      logger,
      client: (id) => this.fileClient(id),
      sessionOf: (name) => this.hub.sessionOf(name),
      bulkLink: (id) => udp.bulkLink(id),
      wakeBulk: (id) => udp.wakeBulk(id),
    });
  }

  /** A connected client as the file plane sees it. */
  private fileClient(id: SessionId): FileClient | undefined {
    const client = this.clients.get(id);
    if (client === undefined) return undefined;
    const { session, connection } = client;
    return {
      get name() {
        return session.name;
      },
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
    const transfer = parseTransferCommand(text);
    if (transfer !== undefined) return this.files.transfer(id, transfer);
    const transport = parseTransportCommand(text);
    if (transport !== undefined) {
      this.handleTransport(client, transport);
      return undefined;
    }
    const udpRequest = parseUdpRequest(text);
    if (udpRequest !== undefined) {
      this.handleUdpRequest(client, udpRequest);
      return undefined;
    }
    const parsed = parseCommand(text);
    if (!parsed.ok) {
      client.session.deliver({ kind: 'error', code: parsed.error.code, message: parsed.error.message });
      this.logRejected(client, 'tcp', parsed.error.code);
      return undefined;
    }
    const wasNamed = client.session.name !== undefined;
    const pending = this.dispatch(this.hub.handle(id, parsed.value, Date.now()));
    client.session.name = this.hub.nameOf(id);
    if (client.session.name !== undefined && !wasNamed) this.clearConnectTimer(client);
    return pending;
  }

  /** `<udp>` from a dualchat client after its welcome: where and how to bind the UDP data plane. */
  private handleUdpRequest(client: Client, parsed: ParseResult<UdpRequestCommand>): void {
    const session = client.session;
    if (!parsed.ok) {
      session.deliver({ kind: 'error', code: parsed.error.code, message: parsed.error.message });
      this.logRejected(client, 'tcp', parsed.error.code);
      return;
    }
    if (session.name === undefined) {
      session.deliver({ kind: 'error', code: 'not-connected', message: 'send <connect>NAME first' });
      this.logRejected(client, 'tcp', 'not-connected');
      return;
    }
    const offer = this.udp.offer(session);
    if (offer.ok) {
      session.sendControl(offer.reply);
      return;
    }
    session.deliver({ kind: 'error', code: 'refused', message: offer.why });
    this.logRejected(client, 'tcp', 'refused');
  }

  /** `<transport>tcp N REASON` from the client: it moves chat to TCP, or answers our move. */
  private handleTransport(client: Client, parsed: ParseResult<TransportCommand>): void {
    if (!parsed.ok) {
      client.session.deliver({ kind: 'error', code: parsed.error.code, message: parsed.error.message });
      this.logRejected(client, 'tcp', parsed.error.code);
      return;
    }
    if (client.session.name === undefined) {
      client.session.deliver({ kind: 'error', code: 'not-connected', message: 'send <connect>NAME first' });
      this.logRejected(client, 'tcp', 'not-connected');
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
      this.logRejected(client, 'udp', 'bad-encoding', bytes);
      return;
    }
    if (bytes > MAX_LINE_BYTES) {
      session.deliver({ kind: 'error', code: 'line-too-long', message: `a line is at most ${MAX_LINE_BYTES} bytes; ignored` });
      this.logRejected(client, 'udp', 'line-too-long', bytes);
      return;
    }
    const parsed = parseCommand(line);
    if (!parsed.ok) {
      session.deliver({ kind: 'error', code: parsed.error.code, message: parsed.error.message });
      this.logRejected(client, 'udp', parsed.error.code, bytes);
      return;
    }
    if (parsed.value.kind !== 'broadcast' && parsed.value.kind !== 'private') {
      session.deliver({ kind: 'error', code: 'refused', message: UDP_CHAT_ONLY });
      this.logRejected(client, 'udp', 'refused', bytes);
      return;
    }
    this.dispatch(this.hub.handle(session.id, parsed.value, Date.now()));
  }

  /** The client let chat replies pile up on its UDP path: treat it as a reader that stopped. */
  dropStuck(id: SessionId, detail: string): void {
    const client = this.clients.get(id);
    if (client === undefined) return;
    client.queue.close();
    client.connection.destroy(detail);
  }

  stats(): ServerStats {
    const udp = this.udp.stats();
    const users = this.hub.userCount();
    const memory = process.memoryUsage();
    const cpu = process.cpuUsage();
    return {
      sessions: this.hub.sessionCount(),
      users,
      rooms: this.hub.rooms().length,
      uptimeMs: Date.now() - this.startedAt,
      udp,
      fileTransfers: this.files.transfers,
      transports: { udp: udp.bound, tcp: Math.max(0, users - udp.bound - udp.syncing), movingToTcp: udp.syncing },
      connections: {
        open: this.tcp?.openConnections ?? this.clients.size,
        sourceAddresses: this.tcp?.sourceAddresses ?? 0,
        refusedPerAddress: this.tcp?.refusedConnections ?? 0,
      },
      process: {
        rssBytes: memory.rss,
        heapUsedBytes: memory.heapUsed,
        heapTotalBytes: memory.heapTotal,
        externalBytes: memory.external,
        cpuUserMs: Math.round(cpu.user / 1000),
        cpuSystemMs: Math.round(cpu.system / 1000),
      },
    };
  }

  udpSessions(limit = Infinity): UdpSessionStats[] {
    const all = this.udp.engineStats().map(({ session, name, stats }) => linkStats(session, name, stats));
    all.sort((a, b) => b.lossRate - a.lossRate || b.retransmits - a.retransmits || a.session - b.session);
    return all.length > limit ? all.slice(0, Math.max(0, limit)) : all;
  }

  /** One refused input (a line that is not a command, bad UTF-8, a command UDP does not carry). */
  private logRejected(client: Client, via: 'tcp' | 'udp', code: string, bytes?: number): void {
    this.logger.info(
      { session: client.session.id, name: client.session.name, remote: client.connection.remote, via, code, bytes },
      'input rejected',
    );
  }

  private handleFramingError(client: Client, code: FramingErrorCode, fatal: boolean): void {
    const message =
      code === 'line-too-long'
        ? `a line is at most ${MAX_LINE_BYTES} bytes; closing the connection`
        : 'the line is not valid UTF-8 and was ignored';
    client.session.deliver({ kind: 'error', code, message });
    this.logger.info(
      { session: client.session.id, name: client.session.name, remote: client.connection.remote, via: 'tcp', code, fatal },
      'input rejected',
    );
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
    // Shutdown waits for these: an upload's part file is removed before the process exits.
    const filesGone = this.files.disconnect(id);
    this.fileDisconnects.add(filesGone);
    void filesGone.finally(() => this.fileDisconnects.delete(filesGone));
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
          const answer = this.files.command(output.session, output.command);
          pending = pending === undefined ? answer : Promise.all([pending, answer]).then(() => undefined);
          break;
        }
        case 'stats': {
          const session = this.clients.get(output.session)?.session;
          if (session !== undefined) for (const text of this.statsLines()) session.deliver({ kind: 'system', text });
          break;
        }
        case 'log': {
          // The remote address too, where the event names a session (connect, refusals, requests).
          const event = output.event;
          const remote = 'session' in event ? this.clients.get(event.session)?.connection.remote : undefined;
          this.logger.info(remote === undefined ? { event } : { event, remote }, event.type);
          break;
        }
      }
    }
    return pending;
  }

  /** The `<stats>` answer: a summary line, transports, the process, then the worst UDP links. */
  private statsLines(): string[] {
    const s = this.stats();
    const u = s.udp;
    const rejected = Object.values(u.rejected).reduce((a, b) => a + b, 0);
    const b = u.binding;
    const refused = b.refusedUnknownConnection + b.refusedMalformed + b.refusedBadMac + b.refusedReplayed;
    const dropped = b.droppedUnknownConnection + b.droppedUnbound + b.droppedWrongAddress + u.unexpected;
    const fallbacks = Object.values(u.fallbacks).reduce((x, y) => x + y, 0);
    const t = s.transports;
    const c = s.connections;
    const p = s.process;
    const lines = [
      `stats: sessions=${s.sessions} users=${s.users} rooms=${s.rooms} uptime=${Math.floor(s.uptimeMs / 1000)}s ` +
        `udp: bound=${u.bound} datagrams-in=${u.datagramsReceived} datagrams-out=${u.datagramsSent} ` +
        `rejected=${rejected} hellos-refused=${refused} dropped=${dropped} rebinds=${b.rebound} fallbacks=${fallbacks}`,
      `transports: chat-over-udp=${t.udp} chat-over-tcp=${t.tcp} (udp-offered-not-bound=${u.offered}) moving-to-tcp=${t.movingToTcp} ` +
        `unnamed=${s.sessions - s.users} tcp-connections=${c.open} addresses=${c.sourceAddresses} refused-per-address=${c.refusedPerAddress}`,
      `process: rss=${mebibytes(p.rssBytes)} heap-used=${mebibytes(p.heapUsedBytes)} heap-total=${mebibytes(p.heapTotalBytes)} ` +
        `external=${mebibytes(p.externalBytes)} cpu-user=${(p.cpuUserMs / 1000).toFixed(1)}s cpu-system=${(p.cpuSystemMs / 1000).toFixed(1)}s`,
    ];
    const worst = this.udpSessions(STATS_TOP_SESSIONS);
    if (worst.length > 0) {
      lines.push(`udp links, worst loss first (${worst.length} of ${u.bound}):`);
      for (const w of worst) {
        const rtt = w.srttMs === undefined ? 'rtt=-' : `rtt=${w.srttMs.toFixed(2)}ms`;
        lines.push(
          `  ${w.name ?? `#${w.session}`}: ${rtt} loss=${(w.lossRate * 100).toFixed(1)}% (${w.packetsLost} of ${w.packetsSent} packets) retransmits=${w.retransmits}`,
        );
      }
    }
    return lines;
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
    await Promise.all(this.fileDisconnects);
    await this.files.close();
    await this.udp.close();
    this.logger.info('stopped');
  }
}

/**
 * `log` at most `perSecond` times per wall-clock second; calls in between are counted and handed to
 * the next one that goes through as `suppressed`.
 */
function throttled<T>(perSecond: number, log: (value: T, suppressed: number) => void): (value: T) => void {
  let second = -1;
  let count = 0;
  let suppressed = 0;
  return (value) => {
    const now = Math.floor(Date.now() / 1000);
    if (now !== second) {
      second = now;
      count = 0;
    }
    if (count >= perSecond) {
      suppressed++;
      return;
    }
    count++;
    log(value, suppressed);
    suppressed = 0;
  };
}

function linkStats(session: SessionId, name: string | undefined, e: EngineStats): UdpSessionStats {
  return {
    session,
    name,
    srttMs: e.srtt,
    packetsSent: e.packetsSent,
    packetsLost: e.packetsLost,
    lossRate: e.packetsSent > 0 ? e.packetsLost / e.packetsSent : 0,
    retransmits: e.retransmitsTimeout + e.retransmitsFast,
  };
}

/** Bytes as "12.3MiB". */
function mebibytes(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)}MiB`;
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
