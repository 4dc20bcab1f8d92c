// Real sockets on 127.0.0.1 with port 0: a server per test file, raw TCP clients that record every
// line, and waits that end on an event or fail at a deadline (never a fixed sleep).
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { parseReply } from '../../src/commands/grammar.ts';
import type { Reply } from '../../src/commands/types.ts';
import { startServer, type RunningServer, type ServerOptions } from '../../src/server/server.ts';

export const DEFAULT_WAIT_MS = 5_000;

/** One parsed pino line. */
export type LogRecord = Record<string, unknown> & { msg?: string; level?: number };

export interface TestServer {
  server: RunningServer;
  port: number;
  /** A fresh temporary shared directory, removed by close(). */
  filesDir: string;
  /** Every log line, parsed (only with `captureLogs`). */
  logs: LogRecord[];
  close(): Promise<void>;
}

export interface TestServerOptions extends ServerOptions {
  /** Capture the log at this level into `logs` instead of a silent log. */
  captureLogs?: 'info' | 'debug';
}

export async function startTestServer(options: TestServerOptions = {}): Promise<TestServer> {
  const { captureLogs, ...serverOptions } = options;
  const filesDir = serverOptions.filesDir ?? (await mkdtemp(path.join(os.tmpdir(), 'dualchat-files-')));
  const logs: LogRecord[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (line.trim() !== '') logs.push(JSON.parse(line) as LogRecord);
      }
      done();
    },
  });
  const logger = pino({ level: captureLogs ?? 'silent' }, sink);
  const server = await startServer({ host: '127.0.0.1', tcpPort: 0, udpPort: 0, logger, ...serverOptions, filesDir });
  return {
    server,
    port: server.tcpPort,
    filesDir,
    logs,
    close: async () => {
      await server.close();
      if (serverOptions.filesDir === undefined) await rm(filesDir, { recursive: true, force: true });
    },
  };
}

export interface RawClient {
  readonly socket: net.Socket;
  /** Every complete line received, in order, without its "\n". */
  readonly lines: string[];
  /** Every received line that parses as a Reply, in order. */
  readonly replies: Reply[];
  readonly closed: boolean;
  send(data: string | Uint8Array): void;
  /** Resolve with the first truthy value of `check` (re-evaluated on every line and on close). */
  waitFor<T>(check: () => T | undefined | null | false, what: string, timeoutMs?: number): Promise<T>;
  /** The next reply (after the last one `expectReply` returned) that satisfies `match`. */
  expectReply(match: (r: Reply) => boolean, what: string, timeoutMs?: number): Promise<Reply>;
  /** The first reply since the connection opened that satisfies `match` (no cursor). */
  waitReply(match: (r: Reply) => boolean, what: string, timeoutMs?: number): Promise<Reply>;
  waitClosed(timeoutMs?: number): Promise<void>;
  end(): void;
  destroy(): void;
}

/**
 * Resolve with the first truthy value of `check`, tried now and each time `waiters` are called (the
 * caller calls them on every event), or reject after `timeoutMs` naming `what()`.
 */
export function waitOn<T>(waiters: Set<() => void>, check: () => T | undefined | null | false, what: () => string, timeoutMs = DEFAULT_WAIT_MS): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const attempt = (): boolean => {
      const value = check();
      if (value === undefined || value === null || value === false) return false;
      resolve(value);
      return true;
    };
    if (attempt()) return;
    const waiter = (): void => {
      if (!attempt()) return;
      waiters.delete(waiter);
      clearTimeout(timer);
    };
    const timer = setTimeout(() => {
      waiters.delete(waiter);
      reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what()}`));
    }, timeoutMs);
    waiters.add(waiter);
  });
}

/** A raw TCP client to the server on 127.0.0.1, from `localAddress` (any 127.x.y.z: per-address limits). */
export async function rawClient(port: number, localAddress = '127.0.0.1'): Promise<RawClient> {
  const socket = net.connect({ host: '127.0.0.1', port, localAddress });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  socket.setNoDelay(true);
  const lines: string[] = [];
  const replies: Reply[] = [];
  const waiters = new Set<() => void>();
  let partial = '';
  let closed = false;
  let cursor = 0;
  const notify = (): void => {
    for (const w of [...waiters]) w();
  };
  socket.setEncoding('utf8');
  socket.on('data', (text: string) => {
    const parts = (partial + text).split('\n');
    partial = parts.pop() ?? '';
    for (const line of parts) {
      lines.push(line);
      const parsed = parseReply(line);
      if (parsed.ok) replies.push(parsed.value);
    }
    notify();
  });
  socket.on('error', () => {});
  socket.on('close', () => {
    closed = true;
    notify();
  });

  const waitFor = <T>(check: () => T | undefined | null | false, what: string, timeoutMs = DEFAULT_WAIT_MS): Promise<T> =>
    waitOn(waiters, check, () => `${what}; lines so far:\n  ${lines.join('\n  ')}`, timeoutMs);

  return {
    socket,
    lines,
    replies,
    get closed() {
      return closed;
    },
    send: (data) => {
      socket.write(data);
    },
    waitFor,
    expectReply: async (match, what, timeoutMs) => {
      const index = await waitFor(
        () => {
          for (let i = cursor; i < replies.length; i++) if (match(replies[i]!)) return i + 1;
          return undefined;
        },
        what,
        timeoutMs,
      );
      cursor = index;
      return replies[index - 1]!;
    },
    waitReply: (match, what, timeoutMs) => waitFor(() => replies.find(match), what, timeoutMs),
    waitClosed: (timeoutMs) => waitFor(() => closed, 'the connection to close', timeoutMs).then(() => undefined),
    end: () => socket.end(),
    destroy: () => socket.destroy(),
  };
}

/** Connect a raw client (from `localAddress`, any 127.x.y.z) and complete `<connect>NAME` (terminated with "\n"). */
export async function connectedClient(port: number, name: string, localAddress?: string): Promise<RawClient> {
  const client = await rawClient(port, localAddress);
  client.send(`<connect>${name}\n`);
  await client.expectReply((r) => r.kind === 'welcome', `welcome for ${name}`);
  return client;
}

/** Narrow a reply to a kind, for assertions. */
export function isKind<K extends Reply['kind']>(kind: K): (r: Reply) => r is Extract<Reply, { kind: K }> {
  return (r): r is Extract<Reply, { kind: K }> => r.kind === kind;
}
