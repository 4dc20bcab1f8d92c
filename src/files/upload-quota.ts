// Upload bytes per user per hour: each key (a user name, or an address group) has `perHour` bytes that refill evenly over an hour
// (a byte bucket). A stored upload takes its size (at least MIN_UPLOAD_CHARGE_BYTES); an announced one
// is checked against what is left minus what that user's uploads in progress will take. Pure: `now`
// comes in. A quota of 0 is no quota.
import { formatSize } from './format.ts';
import { MIN_UPLOAD_CHARGE_BYTES } from './limits.ts';

const HOUR_MS = 3_600_000;

interface Bucket {
  bytes: number;
  at: number;
}

export type QuotaVerdict = { ok: true } | { ok: false; message: string };

/** What an upload of `size` bytes counts against the quota. */
export function uploadCharge(size: number): number {
  return Math.max(size, MIN_UPLOAD_CHARGE_BYTES);
}

export class UploadQuota {
  private readonly buckets = new Map<string, Bucket>();

  constructor(private readonly perHour: number) {}

  /** Users whose bucket is not full (the rest cost nothing and are not kept). */
  get tracked(): number {
    return this.buckets.size;
  }

  /**
   * May `user` announce an upload of `size` bytes while uploads of theirs taking `pending` bytes are in
   * progress? The refusal names the quota, what is used and when to try again, in MiB/GiB; `whose`
   * (e.g. ` for your address`) says whose quota it is when not the name's.
   */
  check(user: string, size: number, pending: number, now: number, whose = ''): QuotaVerdict {
    if (this.perHour <= 0) return { ok: true };
    const charge = uploadCharge(size);
    const limit = formatSize(this.perHour);
    if (charge > this.perHour) {
      return { ok: false, message: `the file (${formatSize(size)}) is larger than your upload quota of ${limit} per hour` };
    }
    const left = this.left(user, now) - pending;
    if (charge <= left) return { ok: true };
    const waitMs = ((charge - left) * HOUR_MS) / this.perHour;
    const used = this.perHour - Math.max(0, left);
    return {
      ok: false,
      message: `upload quota reached${whose}: ${limit} per hour, ${formatSize(used)} used or in progress; this file needs ${formatSize(charge)}, try again in ${describeWait(waitMs)}`,
    };
  }

  /** An upload of `size` bytes by `user` was stored. */
  charge(user: string, size: number, now: number): void {
    if (this.perHour <= 0) return;
    this.buckets.set(user, { bytes: Math.max(0, this.left(user, now) - uploadCharge(size)), at: now });
  }

  /** Forget users whose bucket filled up again: memory bounded by who uploaded within the hour. */
  sweep(now: number): void {
    for (const user of [...this.buckets.keys()]) if (this.left(user, now) >= this.perHour) this.buckets.delete(user);
  }

  /** Bytes `user` may still upload now. */
  private left(user: string, now: number): number {
    const bucket = this.buckets.get(user);
    if (bucket === undefined) return this.perHour;
    const refill = (Math.max(0, now - bucket.at) * this.perHour) / HOUR_MS;
    return Math.min(this.perHour, bucket.bytes + refill);
  }
}

/** `40 s`, `12 min` — rounded up, for a person. */
function describeWait(ms: number): string {
  const seconds = Math.ceil(ms / 1000);
  return seconds < 120 ? `${seconds} s` : `${Math.ceil(seconds / 60)} min`;
}
