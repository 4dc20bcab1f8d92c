// The TCP listening socket of the control plane: bind, hand each accepted socket over, stop.
import net from 'node:net';
import { KEEPALIVE_INITIAL_DELAY_MS } from './constants.ts';

export interface TcpListener {
  readonly host: string;
  /** The bound port (the real one when 0 was asked). */
  readonly port: number;
  /** Stop accepting; established connections are left to their owner. */
  stopAccepting(): void;
}

export interface TcpListenOptions {
  host: string;
  port: number;
  onSocket: (socket: net.Socket) => void;
  /** An error after listening (EMFILE on accept, ...): reported, never thrown. */
  onError?: (err: Error) => void;
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
  server.on('connection', options.onSocket);
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
        stopAccepting: () => {
          if (!accepting) return;
          accepting = false;
          server.close();
        },
      });
    });
  });
}
