// The IRC door as this server composes it: the door (src/doors/irc/) with this server's words and limits
// — where the files are, the lobby, the flood budget (off when the rate limit is, as for every door) —
// and its own listener, which takes a server factory like the control plane's (plain TCP today; TLS
// plugs in there).
import type net from 'node:net';
import { DEFAULT_HUB_OPTIONS } from '../chat/limits.ts';
import type { ConnectionDoor } from '../doors/door.ts';
import { ircDoor } from '../doors/irc/door.ts';
import { listenTcp, type AddressLimit, type TcpListener, type TcpServerFactory } from '../tcp/listener.ts';
import { SERVER_VERSION } from './constants.ts';

export interface IrcListenOptions {
  host: string;
  port: number;
  /** The control plane's bound port, named in the notice about files. */
  tcpPort: number;
  /** 0: no rate limit, and no flood budget for IRC connections either. */
  rateLimit: number;
  onSocket: (socket: net.Socket, door: ConnectionDoor) => void;
  onError: (error: Error) => void;
  addressLimit: AddressLimit;
  serverFactory?: TcpServerFactory;
}

export function listenIrc(options: IrcListenOptions): Promise<TcpListener> {
  const door = ircDoor({
    filesHint: `Fetch them with dualchat's client (dualchat client --tcp ${options.tcpPort}), or <listfiles> and <download>FILE on port ${options.tcpPort}.`,
    defaultRoom: DEFAULT_HUB_OPTIONS.defaultRoom,
    version: SERVER_VERSION,
    // Every server keeps accounts (its store, in memory at least): SASL PLAIN, PASS and NickServ are on.
    accounts: true,
    ...(options.rateLimit === 0 ? { penalty: undefined } : {}),
  });
  return listenTcp({
    host: options.host,
    port: options.port,
    onSocket: (socket) => options.onSocket(socket, door),
    onError: options.onError,
    addressLimit: options.addressLimit,
    ...(options.serverFactory === undefined ? {} : { serverFactory: options.serverFactory }),
  });
}
