// Helpers for the CLI client e2e tests: a real server on 127.0.0.1 (ports 0), and `dualchat client`
// child processes whose stdout JSON events can be awaited with a deadline (never a fixed sleep).
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ServerOptions } from '../../src/server/options.ts';
import { startServer, type RunningServer } from '../../src/server/server.ts';

const BIN = fileURLToPath(new URL('../../bin/dualchat.js', import.meta.url));

/** How long a test waits for one expected event before failing (child start-up included). */
export const EVENT_DEADLINE_MS = 10_000;

export interface TestServer {
  server: RunningServer;
  filesDir: string;
  stop(): Promise<void>;
}

export async function startTestServer(files: Record<string, string> = {}, options: Partial<ServerOptions> = {}): Promise<TestServer> {
  const filesDir = await mkdtemp(path.join(os.tmpdir(), 'dualchat-client-e2e-'));
  for (const [name, content] of Object.entries(files)) await writeFile(path.join(filesDir, name), content);
  const server = await startServer({ host: '127.0.0.1', tcpPort: 0, udpPort: 0, filesDir, logLevel: 'silent', ...options });
  return {
    server,
    filesDir,
    stop: async () => {
      await server.close();
      await rm(filesDir, { recursive: true, force: true });
    },
  };
}

export type JsonObject = { type: string } & Record<string, unknown>;

/** Matches an event of `type` whose listed fields equal `fields` (compared as JSON). */
export const is =
  (type: string, fields: Record<string, unknown> = {}) =>
  (e: JsonObject): boolean =>
    e.type === type && Object.entries(fields).every(([k, v]) => JSON.stringify(e[k]) === JSON.stringify(v));

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface ClientProcess {
  child: ChildProcessWithoutNullStreams;
  /** Every stdout line parsed as JSON, in order. */
  events: JsonObject[];
  /** Stdout lines that were not JSON (there must be none in --json mode). */
  junk: string[];
  stderr(): string;
  /** Writes lines to stdin (each gets a '\n'). */
  send(...lines: string[]): void;
  /** Closes stdin (EOF). */
  end(): void;
  /** The first event (from the start) matching `predicate`, waiting up to the deadline. */
  waitFor(predicate: (e: JsonObject) => boolean, what: string, timeoutMs?: number): Promise<JsonObject>;
  /** The first matching event after index `from` (for events that can repeat). */
  waitForAfter(from: number, predicate: (e: JsonObject) => boolean, what: string, timeoutMs?: number): Promise<JsonObject>;
  exited: Promise<Exit>;
  /** Waits for the exit, failing after the deadline. */
  waitExit(timeoutMs?: number): Promise<Exit>;
  kill(): void;
}

/**
 * Spawns `dualchat client ARGS`. The environment is this process's with colour variables removed
 * (so output is as a plain pipe gets it), plus `env` (a value of undefined removes a variable).
 * `prefix` runs it under another command (e.g. `ip netns exec NS`).
 */
export function spawnClient(args: string[], env: Record<string, string | undefined> = {}, prefix: string[] = []): ClientProcess {
  const childEnv: NodeJS.ProcessEnv = { ...process.env };
  delete childEnv.NO_COLOR;
  delete childEnv.FORCE_COLOR;
  for (const [key, value] of Object.entries(env)) {
    if (value === undefined) delete childEnv[key];
    else childEnv[key] = value;
  }
  const [command, ...commandArgs] = [...prefix, process.execPath, BIN, 'client', ...args] as [string, ...string[]];
  const child = spawn(command, commandArgs, { stdio: ['pipe', 'pipe', 'pipe'], env: childEnv });
  const events: JsonObject[] = [];
  const junk: string[] = [];
  let err = '';
  let partial = '';
  const listeners = new Set<() => void>();
  const notify = (): void => {
    for (const l of [...listeners]) l();
  };
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => {
    partial += chunk;
    const lines = partial.split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) {
      try {
        events.push(JSON.parse(line) as JsonObject);
      } catch {
        junk.push(line);
      }
    }
    notify();
  });
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => {
    err += chunk;
  });
  // A test may end stdin after the child exited: that EPIPE is expected, not a failure.
  child.stdin.on('error', () => {});
  let exit: Exit | undefined;
  const exited = new Promise<Exit>((resolve) => {
    child.on('exit', (code, signal) => {
      exit = { code, signal };
      notify();
      resolve(exit);
    });
  });

  const waitForAfter = (
    from: number,
    predicate: (e: JsonObject) => boolean,
    what: string,
    timeoutMs = EVENT_DEADLINE_MS,
  ): Promise<JsonObject> =>
    new Promise((resolve, reject) => {
      const check = (): boolean => {
        const found = events.slice(from).find(predicate);
        if (found !== undefined) {
          done();
          resolve(found);
          return true;
        }
        if (exit !== undefined) {
          done();
          reject(new Error(`client exited (${JSON.stringify(exit)}) before ${what}; events: ${JSON.stringify(events)}; stderr: ${err}`));
          return true;
        }
        return false;
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`no ${what} within ${timeoutMs} ms; events: ${JSON.stringify(events)}; stderr: ${err}`));
      }, timeoutMs);
      const listener = (): void => {
        check();
      };
      const done = (): void => {
        clearTimeout(timer);
        listeners.delete(listener);
      };
      if (!check()) listeners.add(listener);
    });

  return {
    child,
    events,
    junk,
    stderr: () => err,
    send: (...lines) => {
      for (const line of lines) child.stdin.write(`${line}\n`);
    },
    end: () => child.stdin.end(),
    waitFor: (predicate, what, timeoutMs) => waitForAfter(0, predicate, what, timeoutMs),
    waitForAfter,
    exited,
    waitExit: (timeoutMs = EVENT_DEADLINE_MS) =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`client did not exit within ${timeoutMs} ms; stderr: ${err}`)), timeoutMs);
        void exited.then((e) => {
          clearTimeout(timer);
          resolve(e);
        });
      }),
    kill: () => {
      if (exit === undefined) child.kill('SIGKILL');
    },
  };
}

/** A signed-in JSON client: spawned with --name and awaited until its welcome. */
export async function signedInClient(port: number, name: string): Promise<ClientProcess> {
  const client = spawnClient(['--tcp', String(port), '--name', name, '--json']);
  await client.waitFor((e) => e.type === 'welcome', `welcome for ${name}`);
  return client;
}

/** Kill every client process in `children` (emptying it) and wait until each has exited. */
export async function stopAll(children: ClientProcess[]): Promise<void> {
  const gone = children.splice(0);
  for (const c of gone) c.kill();
  await Promise.all(gone.map((c) => c.exited));
}
