// The TCP listening socket of the control plane: bind, count open connections per source address (an
// IPv6 /64 counts as one, address-group.ts) and against a cap shared by every listener of the process
// (refusing those over either limit with one line), hand each accepted socket over, stop.
//
// The server itself comes from a factory: a plain net.Server today (the default). A factory whose
// server hands sockets over after a handshake (TLS: tls.createServer emits `connection` with the raw
// socket, then `secureConnection` with the TLS socket) plugs in without changing the rest: counting and
// refusal stay at TCP accept, on the raw socket, whose close frees the slot; the owner gets the socket
// the handshake made; a handshake not done within the factory's bound has its raw socket destroyed. A
// connection refused on such a server gets its refusal line through the handshake's socket — never plain
// bytes into a TLS stream — and is not counted meanwhile. Refusals under way (a line lingering, a handshake
// carrying one) are at most MAX_REFUSALS_AT_ONCE; beyond, a refused connection is closed without its line.
import net from 'node:net';
import { addressGroup } from './address-group.ts';
import { KEEPALIVE_INITIAL_DELAY_MS, MAX_REFUSALS_AT_ONCE } from './constants.ts';

/** How a listener makes its server, and which event hands the owner a socket ready for the protocol. */
export type TcpServerFactory =
  /** The accepted socket is the owner's at once. */
  | { create: (options: net.ServerOpts) => net.Server; readyEvent: 'connection' }
  /**
   * The server runs a handshake on each accepted socket and emits `secureConnection` with the socket it
   * made (same remote address and port); one that has not within `handshakeTimeoutMs` is destroyed.
   */
  | { create: (options: net.ServerOpts) => net.Server; readyEvent: 'secureConnection'; handshakeTimeoutMs: number };

/** The plain TCP server: net.createServer. */
export const plainTcpServer: TcpServerFactory = { create: (options) => net.createServer(options), readyEvent: 'connection' };

export interface TcpListener {
  readonly host: string;
  /** The bound port (the real one when 0 was asked). */
  readonly port: number;
  /** Accepted connections still open, handshakes under way included (refused ones not counted). */
  readonly openConnections: number;
  /** Distinct source addresses among them. */
  readonly sourceAddresses: number;
  /** Connections refused so far because their address (group) already held the maximum (the cap counts its own). */
  readonly refusedConnections: number;
  /** Open connections counted with `address` (as Node reports remoteAddress; an IPv6 address counts with its /64). */
  connectionsFrom(address: string): number;
  /** Stop accepting (handshakes under way are dropped); established connections are left to their owner. */
  stopAccepting(): void;
}

/**
 * Open connections of the whole process, shared by every listener that is handed it (control, TLS, IRC):
 * each one is a file descriptor, and a process that runs out of them cannot accept anyone.
 */
export class ConnectionCap {
  /** Connections counted now (across the listeners that share this cap). */
  open = 0;
  /** Connections refused so far because the cap was reached. */
  refused = 0;
  constructor(readonly max: number) {}
}

/** A connection turned away: its address (group) held the maximum, or the server was full. */
export interface RefusedConnection {
  /** `address`: its source address (group) held `limit`; `full`: the server held `limit` connections in all. */
  reason: 'address' | 'full';
  address: string;
  /** What was counted: the address itself, or its /64 for IPv6 (address-group.ts). */
  group: string;
  port: number | undefined;
  /** The limit it hit (connections already open from that address group, or in all). */
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
  /** The process-wide cap this listener counts against (the same object for every listener). */
  cap?: ConnectionCap;
}

export interface TcpListenOptions {
  host: string;
  port: number;
  onSocket: (socket: net.Socket) => void;
  /** An error after listening (EMFILE on accept, ...): reported, never thrown. */
  onError?: (err: Error) => void;
  /** Without it, any number of connections per address is accepted. */
  addressLimit?: AddressLimit;
  /** Makes the server; plainTcpServer when absent. */
  serverFactory?: TcpServerFactory;
}

/** Listen on host:port. Rejects with the bind error (EADDRINUSE, EACCES, ...) as Node reports it. */
export function listenTcp(options: TcpListenOptions): Promise<TcpListener> {
  const factory = options.serverFactory ?? plainTcpServer;
  const server = factory.create({
    // A client's FIN must not close our side before its last commands are answered.
    allowHalfOpen: true,
    // Replies are batched per event-loop iteration already (write-batch.ts); Nagle would only add latency.
    noDelay: true,
    keepAlive: true,
    keepAliveInitialDelay: KEEPALIVE_INITIAL_DELAY_MS,
  });
  const perAddress = new Map<string, number>();
  let open = 0;
  let refused = 0;

  /** Counted raw sockets whose handshake is under way, by remote address and port (what the handshake's socket reports too). */
  const handshaking = new Map<string, { raw: net.Socket; timer: NodeJS.Timeout; refusal: string | undefined }>();
  /** Refused connections still open: their line lingering, or their handshake carrying it. */
  let refusing = 0;
  const peerKey = (address: string, port: number | undefined): string => `${address}|${port ?? ''}`;
  const awaitHandshake = (raw: net.Socket, address: string, timeoutMs: number, refusal?: string): void => {
    const key = peerKey(address, raw.remotePort);
    // The server's own handshake code reports its failures and destroys the socket; the close frees the slot.
    raw.on('error', () => {});
    const timer = setTimeout(() => raw.destroy(), timeoutMs);
    timer.unref();
    handshaking.set(key, { raw, timer, refusal });
    raw.once('close', () => {
      clearTimeout(timer);
      if (handshaking.get(key)?.raw === raw) handshaking.delete(key);
    });
  };

  const onConnection = (socket: net.Socket): void => {
    const address = socket.remoteAddress;
    if (address === undefined) {
      // Already gone (reset between accept and now): nothing to serve, nothing to count.
      socket.on('error', () => {});
      socket.destroy();
      return;
    }
    const limit = options.addressLimit;
    const group = addressGroup(address);
    const count = perAddress.get(group) ?? 0;
    const cap = limit?.cap;
    const full = cap !== undefined && cap.open >= cap.max;
    if (limit !== undefined && (full || count >= limit.maxPerAddress)) {
      if (full) cap.refused++;
      else refused++;
      const who: RefusedConnection = full
        ? { reason: 'full', address, group, port: socket.remotePort, limit: cap.max }
        : { reason: 'address', address, group, port: socket.remotePort, limit: limit.maxPerAddress };
      limit.onRefused?.(who);
      if (refusing >= MAX_REFUSALS_AT_ONCE) {
        socket.on('error', () => {});
        socket.destroy();
        return;
      }
      refusing++;
      socket.once('close', () => refusing--);
      if (factory.readyEvent === 'connection') turnAway(socket, limit.refusal(who), limit.lingerMs);
      else awaitHandshake(socket, address, factory.handshakeTimeoutMs, limit.refusal(who));
      return;
    }
    perAddress.set(group, count + 1);
    open++;
    if (cap !== undefined) cap.open++;
    socket.once('close', () => {
      open--;
      if (cap !== undefined) cap.open--;
      const left = (perAddress.get(group) ?? 1) - 1;
      if (left <= 0) perAddress.delete(group);
      else perAddress.set(group, left);
    });
    if (factory.readyEvent === 'connection') options.onSocket(socket);
    else awaitHandshake(socket, address, factory.handshakeTimeoutMs);
  };
  server.on('connection', onConnection);

  if (factory.readyEvent === 'secureConnection') {
    server.on('secureConnection', (socket: net.Socket) => {
      const key = socket.remoteAddress === undefined ? undefined : peerKey(socket.remoteAddress, socket.remotePort);
      const pending = key === undefined ? undefined : handshaking.get(key);
      if (key === undefined || pending === undefined || pending.raw.destroyed) {
        // Not a socket this listener counted (or its raw socket already gone): never served uncounted.
        socket.on('error', () => {});
        socket.destroy();
        return;
      }
      clearTimeout(pending.timer);
      handshaking.delete(key);
      if (pending.refusal !== undefined) turnAway(socket, pending.refusal, options.addressLimit?.lingerMs ?? 0);
      else options.onSocket(socket);
    });
  }

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
        connectionsFrom: (from) => perAddress.get(addressGroup(from)) ?? 0,
        stopAccepting: () => {
          if (!accepting) return;
          accepting = false;
          server.close();
          // A handshake under way is not an established connection yet: it would reach the owner after this.
          for (const { raw } of [...handshaking.values()]) raw.destroy();
        },
      });
    });
  });
}

/**
 * Send `text` and FIN; read and discard whatever the peer still sends (so the kernel does not answer
 * it with a reset that could destroy our line before the peer reads it); destroy after `lingerMs`.
 */
export function turnAway(socket: net.Socket, text: string, lingerMs: number): void {
  socket.on('error', () => {});
  socket.on('data', () => {});
  const timer = setTimeout(() => socket.destroy(), lingerMs);
  timer.unref();
  socket.once('close', () => clearTimeout(timer));
  socket.end(text);
}
