// Helpers for the hardening tests: `dualchat server` as a child process with its log (stderr JSON
// lines) parsed as it comes, raw TCP clients from a chosen source address, and deadlines on every wait.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { rawClient, type LogRecord, type RawClient } from './helpers.ts';

export const BIN = fileURLToPath(new URL('../../bin/dualchat.js', import.meta.url));

export function withDeadline<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

/** Resolves when `check()` holds, re-checked after every event `subscribe` reports; rejects at the deadline. */
function waitUntil<T>(
  subscribe: (listener: () => void) => () => void,
  check: () => T | undefined | null | false,
  what: string,
  timeoutMs: number,
  describe: () => string,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let unsubscribe = (): void => {};
    const timer = setTimeout(() => {
      unsubscribe();
      reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; ${describe()}`));
    }, timeoutMs);
    const attempt = (): boolean => {
      const value = check();
      if (value === undefined || value === null || value === false) return false;
      clearTimeout(timer);
      unsubscribe();
      resolve(value);
      return true;
    };
    if (attempt()) return;
    unsubscribe = subscribe(() => void attempt());
  });
}

export interface ServerChild {
  child: ChildProcess;
  tcpPort: number;
  udpPort: number;
  /** Every log line (stderr), parsed. */
  logs: LogRecord[];
  /** stderr lines that were not JSON (operator messages such as "SIGINT again, stopping now"). */
  otherStderr: string[];
  stdout(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>;
  waitLog(match: (r: LogRecord) => boolean, what: string, timeoutMs?: number): Promise<LogRecord>;
  kill(): void;
}

/** `dualchat server --host 127.0.0.1 --tcp 0 --udp 0 ARGS`, resolved once it logged "listening". */
export async function spawnServer(args: string[], timeoutMs = 20_000): Promise<ServerChild> {
  // A store of its own in memory unless a test names one: the default ./dualchat.db would be the
  // repository's, and a user's next `npm start` would replay the tests' chat.
  const db = args.includes('--db') ? [] : ['--db', ':memory:'];
  const child = spawn(process.execPath, [BIN, 'server', '--host', '127.0.0.1', '--tcp', '0', '--udp', '0', ...db, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: LogRecord[] = [];
  const otherStderr: string[] = [];
  const listeners = new Set<() => void>();
  let stdout = '';
  let partial = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => {
    const parts = (partial + d).split('\n');
    partial = parts.pop() ?? '';
    for (const line of parts) {
      if (line.trim() === '') continue;
      try {
        logs.push(JSON.parse(line) as LogRecord);
      } catch {
        otherStderr.push(line);
      }
    }
    for (const l of [...listeners]) l();
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((resolve) =>
    child.on('exit', (code, signal) => {
      resolve({ code, signal, at: performance.now() });
      for (const l of [...listeners]) l();
    }),
  );
  const waitLog = (match: (r: LogRecord) => boolean, what: string, ms = 10_000): Promise<LogRecord> =>
    waitUntil(
      (l) => {
        listeners.add(l);
        return () => listeners.delete(l);
      },
      () => logs.find(match),
      what,
      ms,
      () => `log so far:\n  ${logs.map((r) => JSON.stringify(r)).join('\n  ')}\nother stderr: ${otherStderr.join('\n')}`,
    );
  const listening = await waitLog((r) => r.msg === 'listening', 'the "listening" log line', timeoutMs).catch((e: unknown) => {
    child.kill('SIGKILL');
    throw e;
  });
  return {
    child,
    tcpPort: Number(listening['tcp']),
    udpPort: Number(listening['udp']),
    logs,
    otherStderr,
    stdout: () => stdout,
    exited,
    waitLog,
    kill: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  };
}

/** A raw client from `localAddress` that completed `<connect>NAME`. */
export async function namedClient(port: number, name: string, localAddress = '127.0.0.1'): Promise<RawClient> {
  const c = await rawClient(port, localAddress);
  c.send(`<connect>${name}\n`);
  await c.waitReply((r) => r.kind === 'welcome', `welcome for ${name}`);
  return c;
}
