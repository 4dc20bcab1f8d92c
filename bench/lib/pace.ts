// Paced sending: fire each item of a schedule when its time comes (lines at 100/s, or 2/s per pair),
// on the real clock. Times are absolute (offsets from the start), so a late wake-up is caught up at
// once instead of shifting every later line: the offered rate is the scheduled one. What a line's
// latency counts from is the moment it was actually handed over, which `fire` receives.

export interface Scheduled<T> {
  /** ms after the start. */
  at: number;
  item: T;
}

/** Evenly spaced times: `count` items at `ratePerSec`, the first at `offsetMs`. */
export function evenly<T>(count: number, ratePerSec: number, offsetMs: number, item: (i: number) => T): Scheduled<T>[] {
  if (!Number.isSafeInteger(count) || count < 0) throw new RangeError(`count must be a whole number ≥ 0 (got ${count})`);
  if (!(ratePerSec > 0) || !Number.isFinite(ratePerSec)) throw new RangeError(`rate must be a positive number (got ${ratePerSec})`);
  const gap = 1000 / ratePerSec;
  return Array.from({ length: count }, (_, i) => ({ at: offsetMs + i * gap, item: item(i) }));
}

/** Several schedules as one, in time order (stable: equal times keep their input order). */
export function mergeSchedules<T>(...schedules: ReadonlyArray<readonly Scheduled<T>[]>): Scheduled<T>[] {
  return schedules.flat().sort((a, b) => a.at - b.at);
}

export interface PaceOptions {
  /** The clock, in ms (performance.now in the suites). */
  now: () => number;
  /** Waits about `ms` (setTimeout in the suites). */
  sleep: (ms: number) => Promise<void>;
  /** Stop early (the run failed): resolves with what was fired. */
  stopped?: () => boolean;
}

/**
 * Fires every item at its time (`schedule` sorted by `at`, ms after the call); resolves with the number
 * fired once the last has been, or earlier if `stopped()` turns true. Every turn of the loop either
 * fires an item or sleeps until the next is due, and the turns are capped, so it always ends.
 */
export async function pace<T>(schedule: readonly Scheduled<T>[], fire: (item: T, now: number) => void, opts: PaceOptions): Promise<number> {
  const start = opts.now();
  let next = 0;
  // A sleep can end a little early against `now` (timers and clocks round differently); allow for it.
  const maxTurns = schedule.length * 4 + 1_000;
  for (let turn = 0; turn < maxTurns && next < schedule.length; turn++) {
    if (opts.stopped?.() === true) return next;
    const now = opts.now();
    const elapsed = now - start;
    while (next < schedule.length && (schedule[next] as Scheduled<T>).at <= elapsed) {
      fire((schedule[next] as Scheduled<T>).item, opts.now());
      next++;
    }
    if (next < schedule.length) await opts.sleep(Math.max(0, (schedule[next] as Scheduled<T>).at - elapsed));
  }
  // Only reachable if sleeps keep ending early: fire what is left rather than loop on.
  for (; next < schedule.length; next++) fire((schedule[next] as Scheduled<T>).item, opts.now());
  return next;
}
