// The server's composition root: it opens the UDP data plane and the TCP listener and wires the parts.
// A client line takes one pass: its door reads it (src/doors/), the router sends it into the hub
// (src/server/router.ts, src/chat/hub.ts), the hub's outputs go to the delivery (src/server/outputs.ts,
// delivery.ts), which writes to the sessions (sessions.ts, session.ts). docs/architecture.md draws it.
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import { Hub } from '../chat/hub.ts';
import { MemoryPresence } from '../chat/memory-presence.ts';
import { SqliteStore } from '../store/sqlite-store.ts';
import { LOCAL_BUS } from '../chat/ports.ts';
import { bracketDoor } from '../doors/bracket/connection.ts';
import { BRACKET_PENALTY_RULES } from '../doors/bracket/costs.ts';
import { prepareServerDirs } from '../files/server-files.ts';
import { WRITE_BATCH } from '../tcp/write-batch.ts';
import { ConnectionCap } from '../tcp/listener.ts';
import { addressGroup } from '../tcp/address-group.ts';
import { addressLimit } from './admission.ts';
import { HOLD_TOKEN_BYTES, UDP_CHAT_QUEUE_ALLOWANCE_BYTES } from './constants.ts';
import { HoldTimer } from './hold-timer.ts';
import { openControlListeners, type ControlListeners } from './control-listeners.ts';
import { Delivery } from './delivery.ts';
import { ServerFilePlane } from './file-plane.ts';
import { createLogger } from './logger.ts';
import { resolveServerOptions, type ServerOptions } from './options.ts';
import { openIrcListeners, type IrcListeners } from './irc-door.ts';
import { HubOutputs } from './outputs.ts';
import { LineRouter } from './router.ts';
import { SessionTable } from './sessions.ts';
import { bindError, messageOf, ServerStartError } from './start-error.ts';
import { collectStats, ownLinkLines, statsLines, storeLines, worstLinks, type ServerStats, type UdpSessionStats } from './stats.ts';
import { sealingBackend, UdpDataPlane } from './udp-plane.ts';
import { inputLogOf } from './throttle.ts';

export type { ServerOptions } from './options.ts';
export { ServerStartError } from './start-error.ts';
export type { DataPlaneStats } from './udp-plane.ts';
export type { ServerStats, UdpSessionStats } from './stats.ts';

export interface RunningServer {
  readonly host: string;
  /** Bound TCP port (the real one when 0 was asked). */
  readonly tcpPort: number;
  /** The bound port that speaks TLS (the TCP port itself, or --tls-port), undefined without TLS. */
  readonly tlsPort: number | undefined;
  /** Bound UDP port (the real one when 0 was asked). */
  readonly udpPort: number;
  /** Bound port of the IRC door (the real one when 0 was asked); undefined without one. */
  readonly ircPort: number | undefined;
  /** Bound port of the IRC door over TLS (`ircTlsPort`); undefined without one. */
  readonly ircTlsPort: number | undefined;
  /** Absolute path of the shared directory. */
  readonly filesDir: string;
  /** This node's id (session addresses across nodes are node id + local session id). */
  readonly nodeId: string;
  /** Counters of sessions and of the UDP data plane (bindings, refusals, rejected datagrams, fallbacks). */
  stats(): ServerStats;
  /** UDP-bound sessions, worst loss first (then most retransmits), at most `limit` (default all). */
  udpSessions(limit?: number): UdpSessionStats[];
  /** Stop accepting, tell every client `<system>server shutting down`, close everything. Idempotent. */
  close(): Promise<void>;
}

type ConnectionCounts = ReturnType<ControlListeners['counts']>;

/** The control listeners' connection counts with the IRC door's added. */
function addConnectionCounts(c: ConnectionCounts, irc: IrcListeners | undefined): ConnectionCounts {
  return (irc?.listeners ?? []).reduce(
    (sum, l) => ({ open: sum.open + l.openConnections, sourceAddresses: sum.sourceAddresses + l.sourceAddresses, refusedPerAddress: sum.refusedPerAddress + l.refusedConnections }),
    c,
  );
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

  let store: SqliteStore;
  try {
    const s = config.store;
    store = new SqliteStore({ path: s.path, logger, retention: s.retention, ...(s.passwordCost !== undefined ? { scrypt: s.passwordCost } : {}) });
  } catch (error) {
    throw new ServerStartError(messageOf(error));
  }
  const node = config.nodeId ?? randomBytes(4).toString('hex');
  const startedAt = Date.now();
  const hub = new Hub(
    { roomCapacity: config.roomCapacity, rateLimit: config.rateLimit, rateBurst: config.rateBurst, listReplyBytes: config.listReplyBytes },
    {
      presence: new MemoryPresence(),
      node,
      // --no-history: no room message is written, /history says the server keeps none.
      ...(config.store.keepHistory ? { store, history: store } : {}),
      accounts: store,
      historyOnJoin: config.store.historyOnJoin,
      operators: config.operators,
      originGroup: addressGroup,
      ...(config.nameHoldMs > 0 ? { hold: { holdMs: config.nameHoldMs, token: () => randomBytes(HOLD_TOKEN_BYTES).toString('hex'), perGroup: config.maxConnectionsPerAddress } } : {}),
    },
  );
  // The parts refer to each other; `sessions` and `udp` exist before any socket event can reach them.
  let sessions!: SessionTable;
  let udp!: UdpDataPlane;
  let tcp: ControlListeners | undefined;
  let irc: IrcListeners | undefined;
  // One count of open connections for every listener (control, TLS, IRC): each is a file descriptor.
  const cap = new ConnectionCap(config.maxConnections);
  const delivery = new Delivery({
    session: (id) => sessions.session(id),
    members: (room) => hub.localMembers(room),
    bus: LOCAL_BUS,
    node,
    batch: WRITE_BATCH,
    membership: () => hub.membershipVersion,
  });
  const files = new ServerFilePlane({
    root: dirs.root,
    spoolDir: dirs.spoolDir,
    options: config.files,
    listReplyBytes: config.listReplyBytes,
    logger,
    client: (id) => sessions.fileClient(id),
    sessionOf: (name) => hub.sessionOf(name),
    bulkLink: (id) => udp.bulkLink(id),
    wakeBulk: (id) => udp.wakeBulk(id),
  });
  const stats = (): ServerStats =>
    collectStats({
      sessions: hub.sessionCount(),
      users: hub.userCount(),
      rooms: hub.rooms().length,
      uptimeMs: Date.now() - startedAt,
      udp: udp.stats(),
      fileTransfers: files.transfers,
      connections: addConnectionCounts(tcp?.counts() ?? { open: sessions.size, sourceAddresses: 0, refusedPerAddress: 0 }, irc),
    });
  const udpSessions = (limit?: number): UdpSessionStats[] => worstLinks(udp.engineStats(), limit);
  const holds = new HoldTimer({ hub, dispatch: (out) => outputs.dispatch(out), now: Date.now });
  const outputs = new HubOutputs({
    delivery,
    held: (until) => holds.at(until),
    close: (id) => sessions.closeOnRequest(id),
    files: (id, command) => files.command(id, command),
    statsLines: () => [...statsLines(stats(), udpSessions()), ...storeLines(store.status())],
    linkLines: (id) => ownLinkLines(id, sessions.session(id)?.name, udp.engineStatsOf(id)),
    remote: (id) => sessions.remote(id),
    logger,
  });
  try {
    udp = await UdpDataPlane.open({
      host: config.host,
      port: config.udpPort,
      logger,
      maxQueuedChatBytes: config.maxPendingWriteBytes + UDP_CHAT_QUEUE_ALLOWANCE_BYTES,
      engineConfig: config.engine,
      hooks: {
        chatLine: (id, line, bytes) => sessions.datagramLine(id, line, bytes),
        drop: (id, detail) => sessions.drop(id, detail),
        bulk: (id, data) => files.bulk(id, data),
        room: (id) => files.room(id),
        bulkLost: (id) => files.room(id),
        holdBulk: (id) => files.holdBulk(id),
      },
    });
  } catch (error) {
    await files.close();
    await store.close();
    throw bindError('UDP', config.host, config.udpPort, error);
  }
  /** What a start that fails after the UDP plane is open gives back. */
  const closeParts = (): Promise<unknown> => Promise.all([udp.close(), files.close(), store.close()]);
  const router = new LineRouter({ hub, outputs, transfer: (session, command) => files.transfer(session.id, command), udp, logger, now: Date.now, named: (session) => sessions.named(session), end: (session, detail) => sessions.closeOnRequest(session.id, detail) });
  sessions = new SessionTable({
    hub,
    outputs,
    router,
    logger,
    connectTimeoutMs: config.connectTimeoutMs,
    maxPendingWriteBytes: config.maxPendingWriteBytes,
    ended: (id) => {
      udp.sessionClosed(id);
      return files.disconnect(id);
    },
    now: Date.now,
  });
  // The bracket door's penalty budget: off with the rate limit, as the IRC door's.
  const door = bracketDoor(config.rateLimit === 0 ? undefined : BRACKET_PENALTY_RULES);
  try {
    tcp = await openControlListeners({
      host: config.host,
      tcpPort: config.tcpPort,
      tls: config.tls,
      tlsPort: config.tlsPort,
      requireTls: config.requireTls,
      maxConnectionsPerAddress: config.maxConnectionsPerAddress,
      cap,
      logger,
      onSocket: (socket) => sessions.accept(socket, door),
    });
  } catch (error) {
    await closeParts();
    throw error;
  }
  const listener = tcp;
  if (config.ircPort !== undefined || config.ircTlsPort !== undefined) {
    try {
      irc = await openIrcListeners({
        host: config.host,
        port: config.ircPort,
        tlsPort: config.ircTlsPort,
        tls: config.tls,
        tcpPort: listener.tcpPort,
        rateLimit: config.rateLimit,
        onSocket: (socket, door) => sessions.accept(socket, door),
        onError: (error) => logger.warn({ err: error }, 'irc accept error'),
        addressLimit: addressLimit(config.maxConnectionsPerAddress, cap, logger),
      });
    } catch (error) {
      listener.stopAccepting();
      await closeParts();
      throw error;
    }
  }
  const ircListener = irc;
  const tlsFields = listener.tlsPort === undefined ? {} : { tls: listener.tlsPort, requireTls: config.requireTls || listener.tlsPort === listener.tcpPort, sealing: sealingBackend(logger) };
  logger.info({ host: config.host, tcp: listener.tcpPort, udp: udp.port, ...tlsFields, ...(ircListener?.port === undefined ? {} : { irc: ircListener.port }), ...(ircListener?.tlsPort === undefined ? {} : { ircTls: ircListener.tlsPort }), files: dirs.root, node, db: config.store.path, maxConnections: config.maxConnections, maxConnectionsFrom: config.maxConnectionsFrom }, 'listening');

  let closing: Promise<void> | undefined;
  const shutdown = async (): Promise<void> => {
    logger.info({ sessions: sessions.size }, 'shutting down');
    holds.stop();
    listener.stopAccepting();
    ircListener?.stopAccepting();
    // Every client is told first (the notice and the end of its connection leave in this turn's write
    // batch), and only then is its data plane closed: a client that reads the notice before the close
    // datagram takes the close for part of the shutdown, not for a path to fall back from.
    const goodbyes = sessions.shutdown();
    await new Promise<void>((resolve) => setImmediate(resolve));
    udp.announceShutdown();
    await goodbyes;
    await files.close();
    await udp.close();
    await store.close();
    inputLogOf(logger).close();
    logger.info('stopped');
  };
  return {
    host: config.host,
    tcpPort: listener.tcpPort,
    tlsPort: listener.tlsPort,
    udpPort: udp.port,
    ircPort: ircListener?.port,
    ircTlsPort: ircListener?.tlsPort,
    filesDir: dirs.root,
    nodeId: node,
    stats,
    udpSessions,
    close: () => (closing ??= shutdown()),
  };
}
