// IRC clients for the IRC door's tests: irc-framework (a maintained IRC client library) over a real
// socket, with every line the server sent recorded and waits that end on a line or fail at a deadline.
import { Client } from 'irc-framework';
import { DEFAULT_WAIT_MS, rawClient, waitOn, type RawClient } from './helpers.ts';

export interface IrcTestClient {
  readonly client: Client;
  /** Every line the server sent, in order, without CR LF and without its IRCv3 tags. */
  readonly lines: string[];
  /** The same lines with their tags. */
  readonly tagged: string[];
  /** The first line (from index `from`, default 0) that `match` accepts; its index. */
  waitLine(match: RegExp | ((line: string) => boolean), what: string, from?: number, timeoutMs?: number): Promise<{ line: string; index: number }>;
  /** The first event `name` whose argument `match` accepts. */
  waitEvent<T = Record<string, unknown>>(name: string, match: (event: T) => boolean, what: string, timeoutMs?: number): Promise<T>;
  /** A raw line to the server. */
  send(line: string): void;
  close(): void;
}

export interface IrcClientOptions {
  /** Wait for 001 (default true). */
  registered?: boolean;
  echo?: boolean;
  /** Sign in with SASL PLAIN. */
  sasl?: { account: string; password: string };
  /** Connect with TLS, accepting the test server's self-signed certificate (irc-framework takes no CA). */
  tls?: boolean;
}

/** An irc-framework client connected to 127.0.0.1:`port` as `nick`, registered unless asked otherwise. */
export async function ircClient(port: number, nick: string, options: IrcClientOptions = {}): Promise<IrcTestClient> {
  const client = new Client();
  const lines: string[] = [];
  const tagged: string[] = [];
  const waiters = new Set<() => void>();
  client.on('raw', (event: { line: string; from_server: boolean }) => {
    if (!event.from_server) return;
    const line = event.line.replace(/\r?\n$/, '');
    tagged.push(line);
    lines.push(line.startsWith('@') ? line.slice(line.indexOf(' ') + 1) : line);
    for (const w of [...waiters]) w();
  });
  // irc-framework reports socket errors as events: a test asserts on lines, not on these.
  client.on('socket error', () => undefined);

  const waitLine: IrcTestClient['waitLine'] = (match, what, from = 0, timeoutMs = DEFAULT_WAIT_MS) => {
    const test = typeof match === 'function' ? match : (l: string) => match.test(l);
    let next = from;
    const found = (): { line: string; index: number } | undefined => {
      for (; next < lines.length; next++) if (test(lines[next]!)) return { line: lines[next]!, index: next };
      return undefined;
    };
    return waitOn(waiters, found, () => `${nick}: ${what}; lines:\n  ${lines.join('\n  ')}`, timeoutMs);
  };

  const waitEvent = <T>(name: string, match: (event: T) => boolean, what: string, timeoutMs = DEFAULT_WAIT_MS): Promise<T> =>
    new Promise((resolve, reject) => {
      const listener = (event: T): void => {
        if (!match(event)) return;
        clearTimeout(timer);
        client.removeListener(name, listener);
        resolve(event);
      };
      const timer = setTimeout(() => {
        client.removeListener(name, listener);
        reject(new Error(`${nick}: timed out after ${timeoutMs} ms waiting for ${what}; lines:\n  ${lines.join('\n  ')}`));
      }, timeoutMs);
      client.on(name, listener);
    });

  const registered = options.registered === false ? undefined : waitLine(/^:\S+ 001 /, 'the welcome (001)');
  client.connect({
    host: '127.0.0.1',
    port,
    nick,
    username: nick,
    gecos: nick,
    auto_reconnect: false,
    ping_interval: 0,
    enable_echomessage: options.echo ?? false,
    version: null,
    ...(options.tls === true ? { tls: true, rejectUnauthorized: false } : {}),
    ...(options.sasl === undefined ? {} : { account: options.sasl }),
  });
  await registered;
  return {
    client,
    lines,
    tagged,
    waitLine,
    waitEvent,
    send: (line) => client.raw(line),
    close: () => {
      client.quit();
      (client as unknown as { connection?: { end?: () => void } }).connection?.end?.();
    },
  };
}

/** Connections to one IRC port that a test file opens and closes together. */
export interface IrcConnections {
  /** An irc-framework client (see ircClient). */
  irc(nick: string, options?: IrcClientOptions): Promise<IrcTestClient>;
  /** A raw socket (the lines it gets, as RawClient records them). */
  raw(): Promise<RawClient>;
  /** Keep `c` to be closed with the rest. */
  keep<T extends IrcTestClient | RawClient>(c: T): T;
  closeAll(): void;
}

/** Connections to the IRC port `port()` names (read when each opens: the server starts in beforeAll). */
export function ircConnections(port: () => number): IrcConnections {
  const open: Array<IrcTestClient | RawClient> = [];
  const keep = <T extends IrcTestClient | RawClient>(c: T): T => {
    open.push(c);
    return c;
  };
  return {
    irc: async (nick, options = {}) => keep(await ircClient(port(), nick, options)),
    raw: async () => keep(await rawClient(port())),
    keep,
    closeAll: () => {
      for (const c of open.splice(0)) 'client' in c ? c.close() : c.destroy();
    },
  };
}
