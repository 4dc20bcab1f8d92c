import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MIN_UPLOAD_CHARGE_BYTES } from '../../src/files/limits.ts';
import { uploadCharge, UploadQuota } from '../../src/files/upload-quota.ts';

const MIB = 1024 * 1024;
const HOUR = 3_600_000;

describe('UploadQuota', () => {
  it('lets a user store their hourly bytes, then refuses naming the quota in MiB and when to try again', () => {
    const q = new UploadQuota(8 * MIB);
    for (let i = 0; i < 4; i++) {
      expect(q.check('alice', 2 * MIB, 0, 0)).toEqual({ ok: true });
      q.charge('alice', 2 * MIB, 0);
    }
    const refused = q.check('alice', 2 * MIB, 0, 0);
    expect(refused).toEqual({
      ok: false,
      message: 'upload quota reached: 8.0 MiB per hour, 8.0 MiB used or in progress; this file needs 2.0 MiB, try again in 15 min',
    });
    // Others are not affected; the bucket refills evenly over the hour.
    expect(q.check('bob', 2 * MIB, 0, 0)).toEqual({ ok: true });
    expect(q.check('alice', 2 * MIB, 0, HOUR / 4)).toEqual({ ok: true });
  });

  it('counts uploads in progress, a minimum per upload, and refuses a file larger than the quota outright', () => {
    const q = new UploadQuota(8 * MIB);
    expect(q.check('alice', 3 * MIB, 6 * MIB, 0).ok).toBe(false);
    expect(q.check('alice', 9 * MIB, 0, 0)).toEqual({ ok: false, message: 'the file (9.0 MiB) is larger than your upload quota of 8.0 MiB per hour' });
    expect(uploadCharge(0)).toBe(MIN_UPLOAD_CHARGE_BYTES);
    for (let i = 0; i < (8 * MIB) / MIN_UPLOAD_CHARGE_BYTES; i++) q.charge('alice', 0, 0);
    expect(q.check('alice', 0, 0, 0).ok).toBe(false);
  });

  it('forgets users whose bucket filled up again; 0 is no quota', () => {
    const q = new UploadQuota(MIB);
    q.charge('alice', MIB, 0);
    q.sweep(HOUR / 2);
    expect(q.tracked).toBe(1);
    q.sweep(HOUR);
    expect(q.tracked).toBe(0);
    const none = new UploadQuota(0);
    none.charge('x', 10 * MIB, 0);
    expect(none.check('x', 1e12, 1e12, 0)).toEqual({ ok: true });
  });

  it('property: what a user stores in any hour never exceeds the quota plus one hour of refill', () => {
    fc.assert(
      fc.property(fc.array(fc.record({ gap: fc.integer({ min: 0, max: HOUR / 10 }), size: fc.integer({ min: 0, max: 3 * MIB }) }), { maxLength: 200 }), (steps) => {
        const perHour = 8 * MIB;
        const q = new UploadQuota(perHour);
        const stored: Array<{ at: number; charge: number }> = [];
        let now = 0;
        for (const { gap, size } of steps) {
          now += gap;
          if (q.check('u', size, 0, now).ok) {
            q.charge('u', size, now);
            stored.push({ at: now, charge: uploadCharge(size) });
          }
        }
        // A bucket of `perHour` refilled at `perHour`/hour: any window of one hour sees at most 2 × perHour.
        for (const { at } of stored) {
          const inWindow = stored.filter((s) => s.at >= at && s.at < at + HOUR).reduce((sum, s) => sum + s.charge, 0);
          expect(inWindow).toBeLessThanOrEqual(2 * perHour);
        }
      }),
    );
  });
});
