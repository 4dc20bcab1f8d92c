// The IRC door as this server composes it: the door (src/doors/irc/) with this server's words and limits
// — where the files are, the lobby, the flood budget (off when the rate limit is, as for every door) —
// and its listeners: plain IRC (`--irc`), IRC over TLS with the control plane's certificate
// (`--irc-tls`, the TLS server factory of src/tcp/tls.ts), or both, one door behind them.
import type net from 'node:net';
import { DEFAULT_HUB_OPTIONS } from '../chat/limits.ts';
import type { ConnectionDoor } from '../doors/door.ts';
import { ircDoor } from '../doors/irc/door.ts';
import { PLAIN_ON_TLS_PORT } from '../doors/irc/prose.ts';
import { listenTcp, type AddressLimit, type TcpListener } from '../tcp/listener.ts';
import { tlsServerFactory, type TlsIdentity } from '../tcp/tls.ts';
import { refusalReason } from './admission.ts';
import { SERVER_VERSION } from './constants.ts';
import { bindError } from './start-error.ts';

export interface IrcListenOptions {
  host: string;
  /** Plain IRC on this port (`--irc`; 0 picks a free one), or none. */
  port: number | undefined;
  /** IRC over TLS on this port (`--irc-tls`), or none; needs `tls`. */
  tlsPort: number | undefined;
  /** The server's certificate and key (the control plane's). */
  tls: TlsIdentity | undefined;
  /** The control plane's bound port, named in the notice about files. */
  tcpPort: number;
  /** 0: no rate limit, and no flood budget for IRC connections either. */
  rateLimit: number;
  onSocket: (socket: net.Socket, door: ConnectionDoor) => void;
  onError: (error: Error) => void;
  addressLimit: AddressLimit;
}

export interface IrcListeners {
  /** The bound plain port, if any. */
  readonly port: number | undefined;
  /** The bound TLS port, if any. */
  readonly tlsPort: number | undefined;
  /** Every listener open (for the connection counts). */
  readonly listeners: readonly TcpListener[];
  stopAccepting(): void;
}

/** How an IRC connection refused before registration is told: an ERROR, as for any link closed. */
const closingLink = (reason: string): string => `ERROR :Closing Link: * (${reason})\r\n`;
/** What a plain IRC client on the TLS port reads before the close. */
const PLAIN_ON_IRC_TLS = closingLink(PLAIN_ON_TLS_PORT);

/** Opens the IRC door's listeners; rejects with a ServerStartError naming the port that could not be bound. */
export async function openIrcListeners(options: IrcListenOptions): Promise<IrcListeners> {
  const door = ircDoor({
    filesHint: `Fetch them with dualchat's client (dualchat client --tcp ${options.tcpPort}), or <listfiles> and <download>FILE on port ${options.tcpPort}.`,
    defaultRoom: DEFAULT_HUB_OPTIONS.defaultRoom,
    version: SERVER_VERSION,
    // Every server keeps accounts (its store, in memory at least): SASL PLAIN, PASS and NickServ are on.
    accounts: true,
    ...(options.rateLimit === 0 ? { penalty: undefined } : {}),
  });
  // The server's per-address limit and cap (the same cap object: one count), its refusal in IRC's words.
  const addressLimit: AddressLimit = { ...options.addressLimit, refusal: (who) => closingLink(refusalReason(who)) };
  const listeners: TcpListener[] = [];
  const open = async (port: number, identity: TlsIdentity | undefined): Promise<TcpListener> => {
    try {
      const listener = await listenTcp({
        host: options.host,
        port,
        onSocket: (socket) => options.onSocket(socket, door),
        onError: options.onError,
        addressLimit,
        ...(identity === undefined ? {} : { serverFactory: tlsServerFactory(identity, { plainRefusal: PLAIN_ON_IRC_TLS }) }),
      });
      listeners.push(listener);
      return listener;
    } catch (error) {
      for (const l of listeners) l.stopAccepting();
      throw bindError(identity === undefined ? 'IRC' : 'IRC TLS', options.host, port, error);
    }
  };
  const plain = options.port === undefined ? undefined : await open(options.port, undefined);
  const secure = options.tlsPort === undefined || options.tls === undefined ? undefined : await open(options.tlsPort, options.tls);
  return {
    port: plain?.port,
    tlsPort: secure?.port,
    listeners,
    stopAccepting: () => {
      for (const l of listeners) l.stopAccepting();
    },
  };
}
