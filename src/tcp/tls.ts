// TLS on the control plane: the listener's and the client's factories for node:tls (TLS 1.3, also 1.2),
// the words for a handshake that fails on the client, and the TLS exporter of a socket (the sealed
// datagrams' keys, src/udp/sealing.ts). A plain socket has no exporter: its data plane stays plain.
import net from 'node:net';
import tls from 'node:tls';
import type { TcpConnectFactory } from './client-connection.ts';
import { formatReply } from '../commands/grammar.ts';
import { PLAIN_ON_TLS_LINGER_MS, TLS_HANDSHAKE_TIMEOUT_MS, TLS_MIN_VERSION } from './constants.ts';
import { turnAway, type TcpServerFactory } from './listener.ts';

/** The first byte of a TLS connection: a handshake record (RFC 8446 §5.1, ContentType handshake). */
const TLS_HANDSHAKE_RECORD = 0x16;
/** What a client that speaks plain lines to a TLS port hears, in plain text: it is not in a TLS stream. */
const PLAIN_ON_TLS = `${formatReply({ kind: 'error', code: 'refused', message: 'this port speaks TLS: connect with TLS (dualchat client --tls)' })}\n`;

/** The server's certificate chain and private key, PEM. */
export interface TlsIdentity {
  cert: string | Buffer;
  key: string | Buffer;
}

export interface TlsListenOptions {
  /** What a plain client hears, in its protocol's words (default: the bracket protocol's `<error>` line). */
  plainRefusal?: string;
  handshakeTimeoutMs?: number;
}

/**
 * A listener that runs a TLS handshake on each accepted socket before the protocol. The first bytes
 * decide: a TLS handshake record goes to node's TLS server as it came; anything else is a plain client
 * (a Python one, `nc`, an IRC client without TLS), which gets one plain refusal line naming the problem
 * instead of a silent close.
 */
export function tlsServerFactory(identity: TlsIdentity, options: TlsListenOptions = {}): TcpServerFactory {
  const plainRefusal = options.plainRefusal ?? PLAIN_ON_TLS;
  const handshakeTimeoutMs = options.handshakeTimeoutMs ?? TLS_HANDSHAKE_TIMEOUT_MS;
  return {
    readyEvent: 'secureConnection',
    handshakeTimeoutMs,
    create: (options) => {
      const server = tls.createServer({ ...options, cert: identity.cert, key: identity.key, minVersion: TLS_MIN_VERSION });
      // node's own listener wraps each socket in TLS at once; it runs after a look at the first bytes.
      const wrapInTls = server.listeners('connection');
      server.removeAllListeners('connection');
      server.on('connection', (raw: net.Socket) => {
        raw.once('data', (first: Buffer) => {
          raw.pause();
          // Given back: the TLS socket reads what its raw socket had buffered before it took over.
          raw.unshift(first);
          if (first[0] === TLS_HANDSHAKE_RECORD) for (const wrap of wrapInTls) wrap.call(server, raw);
          else turnAway(raw, plainRefusal, PLAIN_ON_TLS_LINGER_MS);
        });
      });
      return server;
    },
  };
}

export interface TlsClientOptions {
  /** Certificates (PEM) to trust instead of the system's: a private CA, or a self-signed server's own. */
  ca?: string | Buffer;
  /** Accept any certificate (a test server): the connection is encrypted but the server is not verified. */
  insecure?: boolean;
}

/** Connects with TLS, verifying the server's certificate and its name (the host asked for) like any TLS client. */
export function tlsConnectFactory(options: TlsClientOptions): TcpConnectFactory {
  return {
    readyEvent: 'secureConnect',
    connect: ({ host, port }) =>
      tls.connect({
        host,
        port,
        // SNI carries names only; an address is checked against the certificate's IP entries.
        ...(net.isIP(host) === 0 ? { servername: host } : {}),
        ...(options.ca !== undefined ? { ca: options.ca } : {}),
        rejectUnauthorized: options.insecure !== true,
        minVersion: TLS_MIN_VERSION,
      }),
    describeError: describeTlsError,
  };
}

/** What a TLS client's failed handshake means for a person, or undefined when it is not a TLS matter. */
export function describeTlsError(error: NodeJS.ErrnoException, where: string): string | undefined {
  switch (error.code) {
    case 'DEPTH_ZERO_SELF_SIGNED_CERT':
    case 'SELF_SIGNED_CERT_IN_CHAIN':
    case 'UNABLE_TO_VERIFY_LEAF_SIGNATURE':
    case 'UNABLE_TO_GET_ISSUER_CERT':
    case 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY':
      return `the TLS certificate of ${where} is not trusted (${error.code}): pass --ca FILE with the certificate that signed it (for a self-signed server, its own), or --insecure to skip the check`;
    case 'ERR_TLS_CERT_ALTNAME_INVALID':
      return `the TLS certificate of ${where} is not valid for this host name: ${error.message}`;
    case 'CERT_HAS_EXPIRED':
    case 'CERT_NOT_YET_VALID':
      return `the TLS certificate of ${where} is out of its validity period (${error.code})`;
    case 'ERR_SSL_WRONG_VERSION_NUMBER':
    case 'ERR_SSL_PACKET_LENGTH_TOO_LONG':
      return `${where} does not speak TLS on this port (a plain dualchat port? drop --tls, or use the server's --tls-port)`;
    default:
      return error.code?.startsWith('ERR_SSL_') === true || error.code?.startsWith('ERR_TLS_') === true ? `TLS handshake with ${where} failed: ${error.message}` : undefined;
  }
}

/** Whether `socket` is TLS, and (then) whether the peer's certificate was verified. */
export function securityOf(socket: net.Socket): { encrypted: boolean; verified: boolean | null } {
  return socket instanceof tls.TLSSocket ? { encrypted: true, verified: socket.authorized } : { encrypted: false, verified: null };
}

/** The TLS exporter of a socket (RFC 5705 / RFC 8446 §7.5), or undefined for a plain one. */
export function keyExporterOf(socket: net.Socket): ((length: number, label: string, context: Buffer) => Buffer) | undefined {
  if (!(socket instanceof tls.TLSSocket)) return undefined;
  return (length, label, context) => socket.exportKeyingMaterial(length, label, context);
}
