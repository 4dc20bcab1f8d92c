// The shared directory's disk budget (`--max-shared-bytes`): its files and the spool of files sent to
// users, measured (at most every SHARED_USAGE_REFRESH_MS, so files the operator adds or removes count),
// plus what the server stored or removed since, plus uploads in progress at their announced sizes.
// The files themselves are read by measureSharedBytes (shared-dir.ts); `now` comes in.
import { formatSize } from './format.ts';
import { SHARED_USAGE_REFRESH_MS } from './limits.ts';
import { measureSharedBytes } from './shared-dir.ts';

export type BudgetVerdict = { ok: true } | { ok: false; code: 'refused' | 'internal'; message: string };

export class SharedBudget {
  private measured: { bytes: number; at: number } | undefined;
  private measuring: Promise<number> | undefined;

  /** `max` bytes over `dirs` (0 = no budget). */
  constructor(
    private readonly dirs: readonly string[],
    private readonly max: number,
    private readonly now: () => number,
  ) {}

  /**
   * What the shared directories hold (measured again when stale), for `judge`; or why it cannot be told.
   * Never rejects.
   */
  async measure(): Promise<{ ok: true; stored: number } | { ok: false; code: 'internal'; message: string }> {
    if (this.max <= 0) return { ok: true, stored: 0 };
    try {
      return { ok: true, stored: await this.stored() };
    } catch {
      return { ok: false, code: 'internal', message: 'the shared directory cannot be measured right now; try again later' };
    }
  }

  /**
   * May an upload of `size` bytes start with `stored` bytes on disk (from `measure`) and uploads announcing
   * `inProgress` bytes under way? Synchronous, so that the caller judges and registers the upload in one
   * turn: requests that arrive together are judged one after another, each counting those before it. The
   * refusal names the budget and what is used, in MiB/GiB.
   */
  judge(stored: number, size: number, inProgress: number): BudgetVerdict {
    if (this.max <= 0) return { ok: true };
    const used = stored + inProgress;
    if (used + size <= this.max) return { ok: true };
    return {
      ok: false,
      code: 'refused',
      message: `the shared directory is full: ${formatSize(used)} of its ${formatSize(this.max)} budget used, this file needs ${formatSize(size)}`,
    };
  }

  /** The server itself stored (or, negative, removed) `delta` bytes there. */
  add(delta: number): void {
    if (this.measured !== undefined) this.measured.bytes = Math.max(0, this.measured.bytes + delta);
  }

  /** What the directories hold: measured again when older than SHARED_USAGE_REFRESH_MS (one reading at a time). */
  private stored(): Promise<number> {
    const now = this.now();
    if (this.measured !== undefined && now - this.measured.at < SHARED_USAGE_REFRESH_MS) return Promise.resolve(this.measured.bytes);
    this.measuring ??= measureSharedBytes(this.dirs)
      .then((bytes) => {
        this.measured = { bytes, at: now };
        return bytes;
      })
      .finally(() => {
        this.measuring = undefined;
      });
    return this.measuring;
  }
}
