// The control plane's listening sockets: plain TCP on the control port (as always), or TLS there
// (`--tls-cert`, `--tls-key`), or both — plain on the control port and TLS on `--tls-port` — and, with
// `--require-tls`, a plain port that only tells each connection where TLS is and closes. Each listener
// counts and limits connections per address on its own (their counts are summed for `<stats>`); all of
// them, and the IRC door's, count against the one process-wide cap (`--max-connections`).
import type net from 'node:net';
import tls from 'node:tls';
import type { Logger } from 'pino';
import { formatReply } from '../commands/grammar.ts';
import { listenTcp, turnAway, type ConnectionCap, type TcpListener } from '../tcp/listener.ts';
import { tlsServerFactory, type TlsIdentity } from '../tcp/tls.ts';
import { addressLimit } from './admission.ts';
import { REFUSED_CONNECTION_LINGER_MS } from './constants.ts';
import { bindError, messageOf, ServerStartError } from './start-error.ts';

export interface ControlListenOptions {
  host: string;
  /** The control port: plain, or TLS when `tls` is given without `tlsPort`. */
  tcpPort: number;
  tls: TlsIdentity | undefined;
  /** TLS on this port beside the plain control port. */
  tlsPort: number | undefined;
  /** The plain port refuses every connection (only with `tlsPort`; without it the control port is TLS already). */
  requireTls: boolean;
  maxConnectionsPerAddress: number;
  /** The process-wide cap, shared with the IRC door's listeners. */
  cap: ConnectionCap;
  logger: Logger;
  onSocket: (socket: net.Socket) => void;
}

export interface ControlListeners {
  /** The bound control port (plain, or TLS when it is the only one). */
  readonly tcpPort: number;
  /** The bound port that speaks TLS (the control port itself, or --tls-port), if any. */
  readonly tlsPort: number | undefined;
  counts(): { open: number; sourceAddresses: number; refusedPerAddress: number };
  stopAccepting(): void;
}

/** Opens the listeners; rejects with a ServerStartError (a port in use, a certificate that does not load). */
export async function openControlListeners(options: ControlListenOptions): Promise<ControlListeners> {
  const { host, logger } = options;
  const identity = options.tls;
  if (identity !== undefined) {
    try {
      tls.createSecureContext({ cert: identity.cert, key: identity.key });
    } catch (error) {
      throw new ServerStartError(`the TLS certificate and key cannot be used together: ${messageOf(error)}`);
    }
  }
  const limit = addressLimit(options.maxConnectionsPerAddress, options.cap, logger);
  const open = async (port: number, secure: boolean, onSocket: (socket: net.Socket) => void): Promise<TcpListener> => {
    try {
      return await listenTcp({
        host,
        port,
        onSocket,
        onError: (error) => logger.warn({ err: error, port }, 'tcp accept error'),
        addressLimit: limit,
        ...(secure && identity !== undefined ? { serverFactory: tlsServerFactory(identity) } : {}),
      });
    } catch (error) {
      throw bindError('TCP', host, port, error);
    }
  };
  const tlsOnControlPort = identity !== undefined && options.tlsPort === undefined;
  const listeners: TcpListener[] = [];
  try {
    let tlsPort: number | undefined;
    let plainOnSocket = options.onSocket;
    if (identity !== undefined && options.tlsPort !== undefined) {
      const secure = await open(options.tlsPort, true, options.onSocket);
      listeners.push(secure);
      tlsPort = secure.port;
      if (options.requireTls) plainOnSocket = (socket) => refusePlain(socket, secure.port);
    }
    const control = await open(options.tcpPort, tlsOnControlPort, plainOnSocket);
    listeners.push(control);
    if (tlsOnControlPort) tlsPort = control.port;
    return {
      tcpPort: control.port,
      tlsPort,
      counts: () => ({
        open: listeners.reduce((n, l) => n + l.openConnections, 0),
        sourceAddresses: listeners.reduce((n, l) => n + l.sourceAddresses, 0),
        refusedPerAddress: listeners.reduce((n, l) => n + l.refusedConnections, 0),
      }),
      stopAccepting: () => {
        for (const l of listeners) l.stopAccepting();
      },
    };
  } catch (error) {
    for (const l of listeners) l.stopAccepting();
    throw error;
  }
}

/** `--require-tls`: a plain connection hears where TLS is, in one line, and is closed. */
function refusePlain(socket: net.Socket, tlsPort: number): void {
  const message = `this server requires TLS: connect to port ${tlsPort} with TLS (dualchat client --tls --tcp ${tlsPort})`;
  turnAway(socket, `${formatReply({ kind: 'error', code: 'refused', message })}\n`, REFUSED_CONNECTION_LINGER_MS);
}
