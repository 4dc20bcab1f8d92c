import { describe, expect, it } from 'vitest';
import { RttEstimator } from '../../src/reliability/rtt.ts';

const config = { rtoInitialMs: 200, rtoMinMs: 25, rtoMaxMs: 2000, maxBackoffExponent: 6, granularityMs: 1, maxAckDelayMs: 5 };

describe('RttEstimator (RFC 6298 / RFC 9002 §5)', () => {
  it('uses the initial timeout before any sample', () => {
    const r = new RttEstimator(config);
    expect(r.smoothed).toBeUndefined();
    expect(r.baseTimeout()).toBe(200);
  });

  it('first sample sets srtt = R, rttvar = R/2', () => {
    const r = new RttEstimator(config);
    r.update(100, 3);
    expect(r.smoothed).toBe(100);
    expect(r.variance).toBe(50);
    expect(r.min).toBe(100);
    // PTO = srtt + max(4·rttvar, g) + max_ack_delay = 100 + 200 + 5
    expect(r.baseTimeout()).toBe(305);
  });

  it('smooths with alpha 1/8, beta 1/4 and subtracts the ack delay', () => {
    const r = new RttEstimator(config);
    r.update(100, 0);
    r.update(120, 4); // adjusted 116 (≥ min 100)
    expect(r.variance).toBeCloseTo(0.75 * 50 + 0.25 * Math.abs(100 - 116), 10);
    expect(r.smoothed).toBeCloseTo(0.875 * 100 + 0.125 * 116, 10);
    expect(r.latest).toBe(120);
  });

  it('caps the subtracted delay at max_ack_delay and never goes below min_rtt', () => {
    const r = new RttEstimator(config);
    r.update(100, 0);
    r.update(200, 50); // delay capped at 5 → 195
    expect(r.smoothed).toBeCloseTo(0.875 * 100 + 0.125 * 195, 10);
    const q = new RttEstimator(config);
    q.update(100, 0);
    q.update(102, 4); // 102 - 4 < min 100: not subtracted
    expect(q.smoothed).toBeCloseTo(0.875 * 100 + 0.125 * 102, 10);
  });

  it('ignores nonsense samples', () => {
    const r = new RttEstimator(config);
    r.update(-1, 0);
    r.update(Number.NaN, 0);
    r.update(Infinity, 0);
    expect(r.samples).toBe(0);
  });

  it('clamps the timeout to [floor, ceiling]', () => {
    const r = new RttEstimator(config);
    r.update(0.1, 0);
    for (let i = 0; i < 50; i++) r.update(0.1, 0);
    expect(r.baseTimeout()).toBe(25);
    const slow = new RttEstimator(config);
    slow.update(5000, 0);
    expect(slow.baseTimeout()).toBe(2000);
  });

  it('backs off exponentially, bounded by the exponent cap and the ceiling', () => {
    const r = new RttEstimator({ ...config, rtoMaxMs: 100_000 });
    r.update(1, 0);
    for (let i = 0; i < 50; i++) r.update(1, 0);
    const base = r.baseTimeout();
    expect(base).toBe(25);
    expect(r.backedOffTimeout(1)).toBe(50);
    expect(r.backedOffTimeout(3)).toBe(200);
    expect(r.backedOffTimeout(6)).toBe(25 * 64);
    expect(r.backedOffTimeout(20)).toBe(25 * 64);
    const capped = new RttEstimator(config);
    capped.update(100, 0); // base 305 ms
    expect(capped.backedOffTimeout(2)).toBe(1220);
    expect(capped.backedOffTimeout(3)).toBe(2000);
    expect(capped.backedOffTimeout(10)).toBe(2000);
  });

  it('loss delay is 9/8 of max(srtt, latest), at least the granularity', () => {
    const r = new RttEstimator(config);
    r.update(8, 0);
    expect(r.lossDelay(9 / 8)).toBe(9);
    r.update(16, 0);
    expect(r.lossDelay(9 / 8)).toBe(18);
    const tiny = new RttEstimator(config);
    tiny.update(0.05, 0);
    expect(tiny.lossDelay(9 / 8)).toBe(1);
  });
});
