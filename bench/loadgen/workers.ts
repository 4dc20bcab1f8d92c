// The suite's side of a load-generator worker: fork it (Node with tsx, its own process and
// descriptor table), send one command at a time and await its answer with a deadline.
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { WorkerAnswer, WorkerCommand } from './protocol.ts';

const WORKER = fileURLToPath(new URL('./worker.ts', import.meta.url));
/** A worker that has not said `ready` within this long failed to start. */
const START_TIMEOUT_MS = 20_000;

export class LoadWorker {
  private pending: { resolve: (a: WorkerAnswer) => void; reject: (e: Error) => void } | undefined;
  private exitedWith: string | undefined;

  private constructor(readonly child: ChildProcess) {
    child.on('message', (answer: WorkerAnswer) => {
      const p = this.pending;
      this.pending = undefined;
      p?.resolve(answer);
    });
    child.on('exit', (code, signal) => {
      this.exitedWith = `worker exited (${code ?? signal})`;
      const p = this.pending;
      this.pending = undefined;
      p?.reject(new Error(this.exitedWith));
    });
  }

  static start(): Promise<LoadWorker> {
    const child = fork(WORKER, [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`load worker not ready within ${START_TIMEOUT_MS} ms`));
      }, START_TIMEOUT_MS);
      child.once('message', (answer: WorkerAnswer) => {
        clearTimeout(timer);
        if (answer.type !== 'ready') reject(new Error(`load worker said ${answer.type} first`));
        else resolve(new LoadWorker(child));
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`load worker exited (${code}) before it was ready`));
      });
    });
  }

  /** Send one command; resolves with the answer of the type expected, rejects on `failed`, exit or deadline. */
  request<T extends WorkerAnswer['type']>(command: WorkerCommand, expect: T, timeoutMs: number): Promise<Extract<WorkerAnswer, { type: T }>> {
    if (this.exitedWith !== undefined) return Promise.reject(new Error(this.exitedWith));
    if (this.pending !== undefined) return Promise.reject(new Error('one command at a time'));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending = undefined;
        reject(new Error(`load worker: no answer to ${command.type} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending = {
        resolve: (answer) => {
          clearTimeout(timer);
          if (answer.type === expect) resolve(answer as Extract<WorkerAnswer, { type: T }>);
          else if (answer.type === 'failed') reject(new Error(`load worker: ${answer.command} failed: ${answer.message}`));
          else reject(new Error(`load worker answered ${answer.type} to ${command.type}`));
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      };
      this.child.send(command);
    });
  }

  /** Ask it to exit; kill it if it does not within `timeoutMs`. */
  async stop(timeoutMs = 5_000): Promise<void> {
    if (this.exitedWith !== undefined) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.send({ type: 'exit' } satisfies WorkerCommand);
    const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
    await exited;
    clearTimeout(timer);
  }
}
