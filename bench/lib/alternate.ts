// Alternating runs: every round runs each contender once, in the same order (A B C, A B C, …), so a
// burst of load from another process on the shared machine hits all contenders alike instead of
// spoiling one contender's consecutive samples. Stops after `rounds`, or earlier — but only between
// rounds, and never before `minRounds` — once the wall-clock deadline has passed.
import { performance } from 'node:perf_hooks';

export interface Contender<T> {
  name: string;
  /** One sample; `round` counts from 0 (deterministic suites use it as the seed index). */
  run(round: number): T | Promise<T>;
}

export interface AlternateOptions<T> {
  /** Rounds wanted. */
  rounds: number;
  /** Stop starting new rounds once the clock passes this (in `now()` ms). */
  deadline?: number;
  /** Rounds run whatever the deadline (default 1: every contender gets at least one sample). */
  minRounds?: number;
  /** Untimed runs of each contender before round 0 (JIT warm-up); their results are discarded. */
  warmup?: number;
  /** Called after each sample, e.g. for progress output. */
  onSample?: (contender: string, round: number, sample: T) => void;
  /** The clock the deadline is read on (default performance.now). */
  now?: () => number;
}

export interface Alternated<T> {
  /** Rounds completed. */
  rounds: number;
  /** Whether the deadline cut the rounds short. */
  cutShort: boolean;
  /** Samples per contender name, in round order. */
  samples: Record<string, T[]>;
  /** The order the samples were taken in, as contender names. */
  order: string[];
}

/** Runs the contenders in alternation; contender names must be distinct. */
export async function alternate<T>(contenders: readonly Contender<T>[], opts: AlternateOptions<T>): Promise<Alternated<T>> {
  const names = contenders.map((c) => c.name);
  if (new Set(names).size !== names.length) throw new RangeError(`contender names must be distinct (got ${names.join(', ')})`);
  if (!Number.isSafeInteger(opts.rounds) || opts.rounds < 1) throw new RangeError(`rounds must be a whole number ≥ 1 (got ${opts.rounds})`);
  const now = opts.now ?? (() => performance.now());
  const minRounds = Math.min(opts.rounds, Math.max(1, opts.minRounds ?? 1));
  const samples: Record<string, T[]> = {};
  for (const name of names) samples[name] = [];
  const order: string[] = [];

  for (let w = 0; w < (opts.warmup ?? 0); w++) for (const c of contenders) await c.run(-1 - w);

  let rounds = 0;
  let cutShort = false;
  for (; rounds < opts.rounds; rounds++) {
    if (rounds >= minRounds && opts.deadline !== undefined && now() > opts.deadline) {
      cutShort = true;
      break;
    }
    for (const c of contenders) {
      const sample = await c.run(rounds);
      (samples[c.name] as T[]).push(sample);
      order.push(c.name);
      opts.onSample?.(c.name, rounds, sample);
    }
  }
  return { rounds, cutShort, samples, order };
}

/** One named metric out of every sample of a contender. */
export function metric<T>(samples: readonly T[], pick: (sample: T) => number | undefined): number[] {
  const out: number[] = [];
  for (const s of samples) {
    const v = pick(s);
    if (v !== undefined && Number.isFinite(v)) out.push(v);
  }
  return out;
}
