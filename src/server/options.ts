// What startServer accepts, its defaults, and the check that turns a bad value into a clear message.
import type { Logger } from 'pino';
import type { OperatorRules } from '../chat/operators.ts';
import { resolveHubOptions } from '../chat/options.ts';
import { NAME_HOLD_MS } from '../chat/limits.ts';
import {
  CONNECT_TIMEOUT_MS,
  DEFAULT_FILES_DIR,
  DEFAULT_HOST,
  DEFAULT_LOG_LEVEL,
  DEFAULT_MAX_CONNECTIONS_PER_ADDRESS,
  DEFAULT_TCP_PORT,
  DEFAULT_UDP_PORT,
  MAX_PENDING_WRITE_BYTES,
} from './constants.ts';
import { isLogLevel, type LogLevel } from './log-levels.ts';
import { PORT_MAX, portMessage } from '../commands/numbers.ts';
import { resolveFileOptions, type FileOptions } from '../files/options.ts';
import { resolveEngineConfig, type EngineConfig } from '../reliability/config.ts';
import { SOCKET_ENGINE_CONFIG } from '../udp/engine-driver.ts';
import { defaultMaxConnections, type ConnectionCapDefault } from './file-limit.ts';
import { sessionMessageLimits } from './engine-limits.ts';
import { resolveStoreOptions, type ResolvedStoreOptions, type StoreServerOptions } from './store-options.ts';
import { parseRedisUrl, type RedisTarget } from '../cluster/redis-url.ts';

export interface ServerOptions extends StoreServerOptions {
  /** Address to listen on (default 0.0.0.0: every IPv4 interface). */
  host?: string;
  /** TCP control-plane port (default 5000; 0 picks a free one). */
  tcpPort?: number;
  /** UDP data-plane port (default 5001; 0 picks a free one). */
  udpPort?: number;
  /** The IRC door's port (absent: no IRC door; 0 picks a free one). */
  ircPort?: number;
  /** The IRC door over TLS on this port, with the certificate of `tls` (0 picks a free one). Needs `tls`. */
  ircTlsPort?: number;
  /** Shared directory (default ./files, created if missing). */
  filesDir?: string;
  /** Log level of the logger created when `logger` is not given (default info). */
  logLevel?: LogLevel;
  /** Log through this pino logger instead of creating one. */
  logger?: Logger;
  /** Members a room other than the lobby may hold (default 15). */
  roomCapacity?: number;
  /** Chat messages per second per session (default 20; 0 = no limit). */
  rateLimit?: number;
  /** Messages a session may send at once before the rate applies (default 40). */
  rateBurst?: number;
  /** The longest `<users>`, `<rooms>` and `<files>` line in bytes; longer lists go in pages (default 8 KiB). */
  listReplyBytes?: number;
  /** Close connections that have not connected by name within this long (default 10 s). */
  connectTimeoutMs?: number;
  /** How long a lost session's name is held for its owner (`<hold>`; default NAME_HOLD_MS, 30 s; 0 = never held). */
  nameHoldMs?: number;
  /** Drop a client once this many bytes wait to be written to it (default 1 MiB). */
  maxPendingWriteBytes?: number;
  /** Open TCP connections one source address may hold (default 16); more get an error line and are closed. */
  maxConnectionsPerAddress?: number;
  /**
   * Open TCP connections of the whole server, every listener together (default: the open-file limit less
   * RESERVED_FILE_DESCRIPTORS, src/server/file-limit.ts); more get an error line and are closed.
   */
  maxConnections?: number;
  /** File transfer limits (`--max-upload`, `--upload-types`, `--upload-slots`; defaults in src/files/limits.ts). */
  files?: Partial<FileOptions>;
  /**
   * This node's id in a chat of several nodes (session addresses are node id + local session id; log
   * line `listening` shows it). Default: 8 random hex digits at each start.
   */
  nodeId?: string;
  /** `redis://HOST:PORT[/DB]`: join the chat of every node on this Redis (docs/cluster.md). Absent: a chat of one node. */
  redis?: string;
  /**
   * Engine options for the sessions' UDP engines, over SOCKET_ENGINE_CONFIG (src/udp/engine-driver.ts).
   * Not a command-line flag: for tests and embedding (e.g. a short idle timeout).
   */
  engine?: Partial<EngineConfig>;
  /** TLS certificate chain and key (PEM contents): TLS on the control port, or on `tlsPort` beside it. */
  tls?: { cert: string | Buffer; key: string | Buffer };
  /** Offer TLS on this port and keep the control port plain (for clients that speak plain TCP only). */
  tlsPort?: number;
  /** Refuse plain connections (with `tlsPort`: the plain port tells each one where TLS is). Needs `tls`. */
  requireTls?: boolean;
  /** `<oper>PASSWORD` (IRC: OPER) with this password makes a session an operator: its `<stats>` is the whole server's. */
  operatorPassword?: string;
  /** Connections from a loopback address are operators. */
  operatorLocal?: boolean;
}

export interface ResolvedServerOptions {
  host: string;
  tcpPort: number;
  udpPort: number;
  ircPort: number | undefined;
  ircTlsPort: number | undefined;
  filesDir: string;
  logLevel: LogLevel;
  logger: Logger | undefined;
  roomCapacity: number;
  rateLimit: number;
  rateBurst: number;
  listReplyBytes: number;
  connectTimeoutMs: number;
  nameHoldMs: number;
  maxPendingWriteBytes: number;
  maxConnectionsPerAddress: number;
  maxConnections: number;
  /** Where maxConnections came from (logged at start): the option, or the open-file limit read (or assumed). */
  maxConnectionsFrom: 'option' | ConnectionCapDefault['source'];
  files: FileOptions;
  nodeId: string | undefined;
  /** The cluster's Redis, read from `redis`; undefined: a chat of one node. */
  redis: RedisTarget | undefined;
  /** SOCKET_ENGINE_CONFIG and the message limits of src/server/engine-limits.ts, with ServerOptions.engine over them, checked. */
  engine: Partial<EngineConfig>;
  tls: { cert: string | Buffer; key: string | Buffer } | undefined;
  tlsPort: number | undefined;
  requireTls: boolean;
  /** Who is an operator. */
  operators: OperatorRules;
  /** Accounts and history: src/server/store-options.ts. */
  store: ResolvedStoreOptions;
}

export type ServerOptionsResult = { ok: true; options: ResolvedServerOptions } | { ok: false; message: string };

/** An operator password: one word of `<oper>PASSWORD`, as long as an account's may be. */
export const OPERATOR_PASSWORD_MAX_LENGTH = 128;
const OPERATOR_PASSWORD = new RegExp(`^\\S{1,${OPERATOR_PASSWORD_MAX_LENGTH}}$`, 'u');

/** A listening port may be 0: any free port. */
export const PORT_MIN = 0;

/** A node id goes into every session address and log line of a cluster: short and plain. */
export const NODE_ID_MAX_LENGTH = 64;
export const NODE_ID = new RegExp(`^[A-Za-z0-9._-]{1,${NODE_ID_MAX_LENGTH}}$`);
export { PORT_MAX };

/** Fill in defaults and check every value. Never throws. */
export function resolveServerOptions(options: ServerOptions): ServerOptionsResult {
  const host = options.host ?? DEFAULT_HOST;
  const tcpPort = options.tcpPort ?? DEFAULT_TCP_PORT;
  const udpPort = options.udpPort ?? DEFAULT_UDP_PORT;
  const filesDir = options.filesDir ?? DEFAULT_FILES_DIR;
  const logLevel = options.logLevel ?? DEFAULT_LOG_LEVEL;
  const connectTimeoutMs = options.connectTimeoutMs ?? CONNECT_TIMEOUT_MS;
  const nameHoldMs = options.nameHoldMs ?? NAME_HOLD_MS;
  const maxPendingWriteBytes = options.maxPendingWriteBytes ?? MAX_PENDING_WRITE_BYTES;
  const maxConnectionsPerAddress = options.maxConnectionsPerAddress ?? DEFAULT_MAX_CONNECTIONS_PER_ADDRESS;

  if (typeof host !== 'string' || host.trim() === '') return fail('host must be a non-empty address or host name');
  const ircPort = options.ircPort;
  const portError = checkPort('tcpPort', tcpPort) ?? checkPort('udpPort', udpPort) ?? (ircPort === undefined ? undefined : checkPort('ircPort', ircPort));
  if (portError !== undefined) return fail(portError);
  if (typeof filesDir !== 'string' || filesDir === '') return fail('filesDir must be a non-empty path');
  if (typeof logLevel !== 'string' || !isLogLevel(logLevel)) {
    return fail(`logLevel must be one of fatal, error, warn, info, debug, trace, silent; got ${String(logLevel)}`);
  }
  const hub = resolveHubOptions({
    ...(options.roomCapacity !== undefined ? { roomCapacity: options.roomCapacity } : {}),
    ...(options.rateLimit !== undefined ? { rateLimit: options.rateLimit } : {}),
    ...(options.rateBurst !== undefined ? { rateBurst: options.rateBurst } : {}),
    ...(options.listReplyBytes !== undefined ? { listReplyBytes: options.listReplyBytes } : {}),
  });
  if (!hub.ok) return fail(hub.message);
  if (!isPositiveInteger(connectTimeoutMs)) return fail(`connectTimeoutMs must be a positive whole number, got ${String(connectTimeoutMs)}`);
  if (!Number.isSafeInteger(nameHoldMs) || nameHoldMs < 0) return fail(`nameHoldMs must be a whole number of milliseconds, 0 or more, got ${String(nameHoldMs)}`);
  if (!isPositiveInteger(maxPendingWriteBytes)) {
    return fail(`maxPendingWriteBytes must be a positive whole number, got ${String(maxPendingWriteBytes)}`);
  }
  if (!isPositiveInteger(maxConnectionsPerAddress)) {
    return fail(`maxConnectionsPerAddress must be a positive whole number, got ${String(maxConnectionsPerAddress)}`);
  }
  const capDefault = options.maxConnections === undefined ? defaultMaxConnections() : undefined;
  const maxConnections = options.maxConnections ?? capDefault!.maxConnections;
  if (!isPositiveInteger(maxConnections)) return fail(`maxConnections must be a positive whole number, got ${String(maxConnections)}`);
  const nodeId = options.nodeId;
  if (nodeId !== undefined && (typeof nodeId !== 'string' || !NODE_ID.test(nodeId))) {
    return fail(`nodeId must be 1–${NODE_ID_MAX_LENGTH} letters, digits, '.', '_' or '-', got ${JSON.stringify(String(nodeId)).slice(0, 80)}`);
  }
  const redis = options.redis === undefined ? undefined : parseRedisUrl(String(options.redis));
  if (redis !== undefined && !redis.ok) return fail(`redis: ${redis.message}`);
  const tlsPortError = tlsPortProblem('tlsPort', options.tlsPort, options.tls !== undefined);
  if (tlsPortError !== undefined) return fail(tlsPortError);
  if (options.requireTls === true && options.tls === undefined) return fail('requireTls needs a certificate and key (--tls-cert, --tls-key)');
  const ircTlsPortError = tlsPortProblem('ircTlsPort', options.ircTlsPort, options.tls !== undefined);
  if (ircTlsPortError !== undefined) return fail(ircTlsPortError);
  if (options.requireTls === true && ircPort !== undefined) return fail('requireTls refuses plain connections: offer the IRC door with TLS (--irc-tls), not plain (--irc)');
  const files = resolveFileOptions(options.files ?? {});
  if (!files.ok) return fail(files.message);
  const engine = { ...SOCKET_ENGINE_CONFIG, ...sessionMessageLimits(hub.options.maxTextLength), ...options.engine };
  const engineCheck = resolveEngineConfig(engine);
  if (!engineCheck.ok) return fail(`engine: ${engineCheck.errors.join('; ')}`);
  const store = resolveStoreOptions(options);
  if (!store.ok) return fail(store.message);
  const operatorPassword = options.operatorPassword;
  if (operatorPassword !== undefined && (typeof operatorPassword !== 'string' || !OPERATOR_PASSWORD.test(operatorPassword))) {
    return fail(`operatorPassword must be 1–${OPERATOR_PASSWORD_MAX_LENGTH} characters without white space (it is one word of <oper>PASSWORD)`);
  }
  return {
    ok: true,
    options: {
      host: host.trim(),
      tcpPort,
      udpPort,
      ircPort,
      ircTlsPort: options.ircTlsPort,
      filesDir,
      logLevel,
      logger: options.logger,
      roomCapacity: hub.options.roomCapacity,
      rateLimit: hub.options.rateLimit,
      rateBurst: hub.options.rateBurst,
      listReplyBytes: hub.options.listReplyBytes,
      connectTimeoutMs,
      nameHoldMs,
      maxPendingWriteBytes,
      maxConnectionsPerAddress,
      maxConnections,
      maxConnectionsFrom: capDefault === undefined ? 'option' : capDefault.source,
      files: files.options,
      nodeId,
      redis: redis?.target,
      engine,
      tls: options.tls,
      tlsPort: options.tlsPort,
      requireTls: options.requireTls === true,
      operators: { password: operatorPassword, local: options.operatorLocal === true },
      store: store.store,
    },
  };
}

/** A port that speaks TLS (absent, or a valid port with a certificate to serve): undefined when fine, else why not. */
function tlsPortProblem(option: 'tlsPort' | 'ircTlsPort', port: unknown, hasIdentity: boolean): string | undefined {
  if (port === undefined) return undefined;
  return checkPort(option, port) ?? (hasIdentity ? undefined : `${option} needs a certificate and key (--tls-cert, --tls-key)`);
}

/** undefined if `port` is a whole number from 0 to 65535, else why not. */
export function checkPort(option: string, port: unknown): string | undefined {
  if (typeof port === 'number' && Number.isInteger(port) && port >= PORT_MIN && port <= PORT_MAX) return undefined;
  return `${option}: ${portMessage(PORT_MIN, String(port))}`;
}

function isPositiveInteger(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value > 0;
}

function fail(message: string): { ok: false; message: string } {
  return { ok: false, message };
}
