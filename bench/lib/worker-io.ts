// The worker's half of bench/lib/worker.ts: messages out as JSON lines on stdout, commands in as JSON
// lines on stdin. When stdin closes (the suite stopped us, or died) the worker runs its cleanup and
// exits, as on SIGTERM; a failure is reported as `{type:'error', message}` before exiting with 1.
import { createInterface } from 'node:readline';

export type Command = { type: string } & Record<string, unknown>;

/** Longest a worker's cleanup may take before it exits anyway. */
export const CLEANUP_MAX_MS = 3_000;

export interface WorkerIo {
  emit(message: { type: string } & Record<string, unknown>): void;
  /** Resolves with the next command whose type is `type` (commands of other types are kept for later). */
  command(type: string): Promise<Command>;
  /** Reports the error and exits with status 1 (after cleanup); the caller returns. */
  fail(error: unknown): void;
}

/**
 * Sets up the worker's I/O. `cleanup` runs once, on SIGTERM/SIGINT, on stdin's end, or on fail(),
 * bounded by CLEANUP_MAX_MS.
 */
export function workerIo(cleanup: () => Promise<void> | void = () => undefined): WorkerIo {
  const pending: Command[] = [];
  const waiters: Array<{ type: string; resolve: (c: Command) => void }> = [];
  let exiting = false;

  const exit = (code: number): void => {
    if (exiting) return;
    exiting = true;
    const hard = setTimeout(() => process.exit(code), CLEANUP_MAX_MS);
    hard.unref();
    void Promise.resolve()
      .then(cleanup)
      .catch(() => undefined)
      .finally(() => process.exit(code));
  };

  const emit = (message: { type: string } & Record<string, unknown>): void => {
    process.stdout.write(`${JSON.stringify(message)}\n`);
  };

  const lines = createInterface({ input: process.stdin });
  lines.on('line', (line) => {
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      emit({ type: 'error', message: `not a JSON command: ${line.slice(0, 200)}` });
      return;
    }
    if (typeof parsed !== 'object' || parsed === null || typeof (parsed as { type?: unknown }).type !== 'string') return;
    const command = parsed as Command;
    const at = waiters.findIndex((w) => w.type === command.type);
    if (at >= 0) waiters.splice(at, 1)[0]?.resolve(command);
    else pending.push(command);
  });
  lines.on('close', () => exit(0));
  process.once('SIGTERM', () => exit(0));
  process.once('SIGINT', () => exit(0));

  return {
    emit,
    command(type) {
      const at = pending.findIndex((c) => c.type === type);
      if (at >= 0) return Promise.resolve(pending.splice(at, 1)[0] as Command);
      return new Promise((resolve) => waiters.push({ type, resolve }));
    },
    fail(error) {
      emit({ type: 'error', message: error instanceof Error ? (error.stack ?? error.message) : String(error) });
      exit(1);
    },
  };
}

/** The worker's parameters, argv[2] as a JSON object, or why they are not one. */
export function workerArgs(): Params | string {
  const raw = process.argv[2];
  if (raw === undefined) return 'missing the JSON parameters argument';
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    return `the parameters are not JSON: ${raw.slice(0, 200)}`;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return 'the parameters must be a JSON object';
  return new Params(parsed as Record<string, unknown>);
}

/** Typed reads of a worker's JSON parameters; each throws a RangeError naming the field when it is wrong. */
export class Params {
  constructor(private readonly raw: Record<string, unknown>) {}

  /** A whole number from min to max. */
  int(key: string, min: number, max: number): number {
    const v = this.raw[key];
    if (!Number.isSafeInteger(v) || (v as number) < min || (v as number) > max) throw new RangeError(`${key} must be a whole number from ${min} to ${max} (got ${JSON.stringify(v)})`);
    return v as number;
  }

  /** A whole number from min to max, or undefined when the key is absent. */
  optInt(key: string, min: number, max: number): number | undefined {
    return this.raw[key] === undefined ? undefined : this.int(key, min, max);
  }

  /** A finite number from min to max. */
  num(key: string, min: number, max: number): number {
    const v = this.raw[key];
    if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) throw new RangeError(`${key} must be a number from ${min} to ${max} (got ${JSON.stringify(v)})`);
    return v;
  }

  /** One of the allowed strings. */
  oneOf<T extends string>(key: string, allowed: readonly T[]): T {
    const v = this.raw[key];
    if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v)) throw new RangeError(`${key} must be one of ${allowed.join(', ')} (got ${JSON.stringify(v)})`);
    return v as T;
  }

  /** A non-empty string. */
  str(key: string): string {
    const v = this.raw[key];
    if (typeof v !== 'string' || v === '') throw new RangeError(`${key} must be a non-empty string (got ${JSON.stringify(v)})`);
    return v;
  }
}
