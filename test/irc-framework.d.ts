// The slice of irc-framework's API (a CommonJS package without type declarations) the IRC door's tests use.
declare module 'irc-framework' {
  import { EventEmitter } from 'node:events';

  interface ConnectOptions {
    host: string;
    port: number;
    nick: string;
    username?: string;
    gecos?: string;
    auto_reconnect?: boolean;
    ping_interval?: number;
    enable_echomessage?: boolean;
    version?: string | null;
    /** SASL PLAIN credentials (an object without `account`: no SASL). */
    account?: { account?: string; password?: string };
    /** Sent as PASS (and used for SASL when `account` is not given). */
    password?: string;
    /** TLS instead of plain TCP (node's tls.connect; no CA option: rejectUnauthorized false for a test certificate). */
    tls?: boolean;
    rejectUnauthorized?: boolean;
  }

  export class Client extends EventEmitter {
    constructor(options?: Partial<ConnectOptions>);
    readonly user: { nick: string };
    connect(options?: ConnectOptions): void;
    raw(line: string): void;
    say(target: string, text: string): void;
    notice(target: string, text: string): void;
    /** A CTCP ACTION (`/me`) to a channel or nick. */
    action(target: string, text: string): void;
    join(channel: string): void;
    part(channel: string, message?: string): void;
    quit(message?: string): void;
    who(target: string, callback?: (event: { target: string; users: Array<{ nick: string; channel: string }> }) => void): void;
    whois(nick: string, callback?: (event: Record<string, unknown>) => void): void;
    list(...params: string[]): void;
    changeNick(nick: string): void;
  }
}
