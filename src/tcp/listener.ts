// The TCP listening socket of the control plane: bind, count open connections per source address
// (refusing those over the limit with one line), hand each accepted socket over, stop.
import net from 'node:net';
import { KEEPALIVE_INITIAL_DELAY_MS } from './constants.ts';

export interface TcpListener {
  readonly host: string;
  /** The bound port (the real one when 0 was asked). */
  readonly port: number;
  /** Accepted connections still open (refused ones not counted). */
  readonly openConnections: number;
  /** Distinct source addresses among them. */
  readonly sourceAddresses: number;
  /** Connections refused so far because their address already held the maximum. */
  readonly refusedConnections: number;
  /** Open connections from `address` (as Node reports remoteAddress). */
  connectionsFrom(address: string): number;
  /** Stop accepting; established connections are left to their owner. */
  stopAccepting(): void;
}

/** A connection turned away for its source address. */
export interface RefusedConnection {
  address: string;
  port: number | undefined;
  /** The limit it hit (connections already open from that address). */
  limit: number;
}

export interface AddressLimit {
  /** Open connections one source address may hold; the next one is refused. */
  maxPerAddress: number;
  /** The text a refused connection is sent before it is closed (terminated by the caller). */
  refusal: (refused: RefusedConnection) => string;
  /** How long a refused connection may take to close its side before it is destroyed. */
  lingerMs: number;
  /** Told about each refusal (for the log). */
  onRefused?: (refused: RefusedConnection) => void;
}

export interface TcpListenOptions {
  host: string;
  port: number;
  onSocket: (socket: net.Socket) => void;
  /** An error after listening (EMFILE on accept, ...): reported, never thrown. */
  onError?: (err: Error) => void;
  /** Without it, any number of connections per address is accepted. */
  addressLimit?: AddressLimit;
}

/** Listen on host:port. Rejects with the bind error (EADDRINUSE, EACCES, ...) as Node reports it. */
export function listenTcp(options: TcpListenOptions): Promise<TcpListener> {
  const server = net.createServer({
    // A client's FIN must not close our side before its last commands are answered.
    allowHalfOpen: true,
    // Replies are batched per tick already; Nagle would only add latency to chat lines.
    noDelay: true,
    keepAlive: true,
    keepAliveInitialDelay: KEEPALIVE_INITIAL_DELAY_MS,
  });
  const perAddress = new Map<string, number>();
  let open = 0;
  let refused = 0;

  const onConnection = (socket: net.Socket): void => {
    const address = socket.remoteAddress;
    if (address === undefined) {
      // Already gone (reset between accept and now): nothing to serve, nothing to count.
      socket.on('error', () => {});
      socket.destroy();
      return;
    }
    const limit = options.addressLimit;
    const count = perAddress.get(address) ?? 0;
    if (limit !== undefined && count >= limit.maxPerAddress) {
      refused++;
      const who: RefusedConnection = { address, port: socket.remotePort, limit: limit.maxPerAddress };
      limit.onRefused?.(who);
      turnAway(socket, limit.refusal(who), limit.lingerMs);
      return;
    }
    perAddress.set(address, count + 1);
    open++;
    socket.once('close', () => {
      open--;
      const left = (perAddress.get(address) ?? 1) - 1;
      if (left <= 0) perAddress.delete(address);
      else perAddress.set(address, left);
    });
    options.onSocket(socket);
  };
  server.on('connection', onConnection);

  return new Promise((resolve, reject) => {
    const onError = (err: Error): void => {
      server.close();
      reject(err);
    };
    server.once('error', onError);
    server.listen({ host: options.host, port: options.port, exclusive: true }, () => {
      server.off('error', onError);
      // After listening, an accept error (EMFILE, ...) must not crash the process; the next
      // connection attempt simply tries again.
      server.on('error', (err: Error) => options.onError?.(err));
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : options.port;
      let accepting = true;
      resolve({
        host: options.host,
        port,
        get openConnections() {
          return open;
        },
        get sourceAddresses() {
          return perAddress.size;
        },
        get refusedConnections() {
          return refused;
        },
        connectionsFrom: (from) => perAddress.get(from) ?? 0,
        stopAccepting: () => {
          if (!accepting) return;
          accepting = false;
          server.close();
        },
      });
    });
  });
}

/**
 * Send `text` and FIN; read and discard whatever the peer still sends (so the kernel does not answer
 * it with a reset that could destroy our line before the peer reads it); destroy after `lingerMs`.
 */
function turnAway(socket: net.Socket, text: string, lingerMs: number): void {
  socket.on('error', () => {});
  socket.on('data', () => {});
  const timer = setTimeout(() => socket.destroy(), lingerMs);
  timer.unref();
  socket.once('close', () => clearTimeout(timer));
  socket.end(text);
}
