// Worker processes of the real-socket suites, seen from the suite: a TypeScript script under
// bench/lib/workers/ started with Node (+ tsx), optionally inside a network namespace, that talks
// JSON lines — one message per line on its stdout, commands on its stdin. The suite waits for a
// message with a deadline (never a fixed sleep), and ends the process by its id (SIGTERM, then
// SIGKILL after a grace period). A worker whose stdin closes exits on its own (workerIo), so a suite
// that dies leaves no process behind.
//
//   const server = await Worker.start('chat-server', [JSON.stringify(opts)], { netns: ns });
//   const ready = await server.next((m) => m.type === 'ready', 'the server ready', 10_000);
//   server.send({ type: 'go' });
//   await server.stop();
import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Netns } from './netns.ts';

/** A message from a worker: one JSON object with a string `type`. */
export type WorkerMessage = { type: string } & Record<string, unknown>;

/** How long a stopped worker gets to exit after SIGTERM before SIGKILL. */
export const STOP_GRACE_MS = 3_000;
/** Stderr kept per worker, for the error message when it fails. */
const STDERR_TAIL_CHARS = 4_000;
/** Messages waiting for a `next()` that have not been asked for: a worker that floods us is a bug. */
const MAX_QUEUED_MESSAGES = 10_000;

const WORKERS_DIR = new URL('./workers/', import.meta.url);
/** tsx's loader, resolved once from here so a worker starts the same whatever the working directory. */
const TSX_LOADER = import.meta.resolve('tsx');

export interface WorkerStartOptions {
  /** Run inside this namespace (`ip netns exec`; the process id is still the worker's own). */
  netns?: Netns;
  /** Extra Node flags (e.g. --max-old-space-size). */
  nodeFlags?: string[];
  /** Start the script of another checkout of dualchat (its bench/lib/workers/), e.g. the commit before a change. */
  root?: string;
  /** Variables added to the worker's environment. */
  env?: Record<string, string>;
}

interface Waiting {
  match: (m: WorkerMessage) => boolean;
  resolve: (m: WorkerMessage) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
}

export class Worker {
  private readonly queue: WorkerMessage[] = [];
  private readonly waiting = new Set<Waiting>();
  private stderrTail = '';
  private stdoutPartial = '';
  private exitedWith: string | undefined;
  private readonly exited: Promise<void>;

  private constructor(
    readonly name: string,
    private readonly child: ChildProcess,
  ) {
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => this.onStdout(chunk));
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      this.stderrTail = (this.stderrTail + chunk).slice(-STDERR_TAIL_CHARS);
    });
    child.stdin?.on('error', () => undefined); // EPIPE once the worker is gone: its exit says the rest
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.exitedWith = signal !== null ? `signal ${signal}` : `exit code ${String(code)}`;
        this.failWaiting(`worker ${this.name} ended (${this.exitedWith}) ${this.stderrSummary()}`);
        resolve();
      });
      child.once('error', (e) => {
        this.exitedWith = `error ${e.message}`;
        this.failWaiting(`worker ${this.name} could not run: ${e.message}`);
        resolve();
      });
    });
  }

  /** Starts bench/lib/workers/<script>.ts (of this checkout, or of `opts.root`) with these arguments. */
  static start(script: string, args: readonly string[], opts: WorkerStartOptions = {}): Worker {
    if (!/^[a-z0-9-]+$/.test(script)) throw new RangeError(`worker script name "${script}" must be lower-case words and dashes`);
    const dir = opts.root === undefined ? WORKERS_DIR : pathToFileURL(`${resolve(opts.root, 'bench/lib/workers')}/`);
    const path = fileURLToPath(new URL(`${script}.ts`, dir));
    const nodeArgs = [...(opts.nodeFlags ?? []), '--import', TSX_LOADER, path, ...args];
    const stdio = ['pipe', 'pipe', 'pipe'] as const;
    const spawnOptions = { stdio: [...stdio], ...(opts.env === undefined ? {} : { env: { ...process.env, ...opts.env } }) };
    const child = opts.netns === undefined ? spawn(process.execPath, nodeArgs, spawnOptions) : opts.netns.spawn(process.execPath, nodeArgs, spawnOptions);
    return new Worker(script, child);
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Whether the process has ended. */
  get ended(): boolean {
    return this.exitedWith !== undefined;
  }

  /** Sends a command (one JSON line on the worker's stdin); false when the worker is gone. */
  send(command: { type: string } & Record<string, unknown>): boolean {
    if (this.ended || this.child.stdin === null || this.child.stdin.destroyed) return false;
    this.child.stdin.write(`${JSON.stringify(command)}\n`);
    return true;
  }

  /**
   * The first message (oldest first, including ones that arrived before the call) that `match`
   * accepts; rejects when `timeoutMs` passes, or the worker ends or reports `{type:'error'}` first.
   */
  next(match: (m: WorkerMessage) => boolean, what: string, timeoutMs: number): Promise<WorkerMessage> {
    const failure = this.queue.find((m) => m.type === 'error');
    if (failure !== undefined) return Promise.reject(new Error(`worker ${this.name}: ${String(failure['message'])}`));
    const at = this.queue.findIndex(match);
    if (at >= 0) return Promise.resolve(this.queue.splice(at, 1)[0] as WorkerMessage);
    if (this.ended) return Promise.reject(new Error(`worker ${this.name} ended (${this.exitedWith}) before ${what} ${this.stderrSummary()}`));
    return new Promise((resolve, reject) => {
      const w: Waiting = {
        match,
        resolve,
        reject,
        timer: setTimeout(() => {
          this.waiting.delete(w);
          reject(new Error(`worker ${this.name}: no ${what} within ${timeoutMs} ms ${this.stderrSummary()}`));
        }, timeoutMs),
      };
      this.waiting.add(w);
    });
  }

  /** Ends the process: SIGTERM, SIGKILL after `graceMs`; resolves once it is gone. */
  async stop(graceMs = STOP_GRACE_MS): Promise<void> {
    if (this.ended) return;
    this.child.stdin?.end();
    this.child.kill('SIGTERM');
    const killer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(killer);
  }

  /** Resolves when the process has ended (it is not asked to). */
  waitExit(): Promise<void> {
    return this.exited;
  }

  private stderrSummary(): string {
    const tail = this.stderrTail.trim();
    return tail === '' ? '' : `— stderr: ${tail.slice(-1_000)}`;
  }

  private onStdout(chunk: string): void {
    const lines = (this.stdoutPartial + chunk).split('\n');
    this.stdoutPartial = lines.pop() ?? '';
    for (const line of lines) {
      if (line.trim() === '') continue;
      let parsed: unknown;
      try {
        parsed = JSON.parse(line);
      } catch {
        this.stderrTail = `${this.stderrTail}\n(stdout, not JSON) ${line}`.slice(-STDERR_TAIL_CHARS);
        continue;
      }
      if (typeof parsed !== 'object' || parsed === null || typeof (parsed as { type?: unknown }).type !== 'string') continue;
      this.deliver(parsed as WorkerMessage);
    }
  }

  private deliver(message: WorkerMessage): void {
    if (message.type === 'error') {
      this.failWaiting(`worker ${this.name}: ${String(message['message'])}`);
      this.queue.push(message);
      return;
    }
    for (const w of this.waiting) {
      if (!w.match(message)) continue;
      clearTimeout(w.timer);
      this.waiting.delete(w);
      w.resolve(message);
      return;
    }
    if (this.queue.length < MAX_QUEUED_MESSAGES) this.queue.push(message);
  }

  private failWaiting(reason: string): void {
    for (const w of this.waiting) {
      clearTimeout(w.timer);
      w.reject(new Error(reason));
    }
    this.waiting.clear();
  }
}

/** Stops every worker given (in parallel), whatever state each is in. */
export async function stopAll(workers: ReadonlyArray<Worker | undefined>): Promise<void> {
  await Promise.all(workers.map((w) => w?.stop()));
}
