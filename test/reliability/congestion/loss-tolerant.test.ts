import { describe, expect, it } from 'vitest';
import { LossTolerant } from '../../../src/reliability/congestion/loss-tolerant.ts';

const MDS = 1200;
const params = {
  maxDatagramBytes: MDS,
  initialWindowBytes: 12_000,
  minWindowBytes: 2 * MDS,
  lossReductionFactor: 0.5,
  lossTolerance: 0.2,
  queueDelayFactor: 1,
  queueDelayMinMs: 2,
};

/** A controller reading an RTT view the test sets: `recent` minimum vs `base` RTT. */
function setup(recent: number | undefined, base: number | undefined) {
  const rtt = { smoothed: recent, min: base, latest: recent, recentMin: recent, baseRtt: base };
  return { cc: new LossTolerant(params, rtt), rtt };
}

describe('LossTolerant congestion controller', () => {
  it('keeps the window on sparse random loss without queueing delay', () => {
    const { cc } = setup(0.5, 0.4);
    let t = 0;
    for (let i = 0; i < 1000; i++) {
      t += 0.01;
      if (i % 20 === 10) cc.onLoss(t, t - 0.5, 1200, 1);
      else cc.onAck(t, t - 0.5, 1200, true);
    }
    expect(cc.congestionEvents).toBe(0);
    expect(cc.randomLossEvents).toBeGreaterThan(0);
    expect(cc.window).toBeGreaterThan(12_000 * 10);
    expect(cc.lossRate).toBeLessThan(0.2);
  });

  it('treats loss as congestion when the RTT shows a standing queue', () => {
    const { cc } = setup(5, 1); // 4 ms of standing queue > max(1·1, 2)
    cc.onLoss(10, 9, 1200, 1);
    expect(cc.window).toBe(6000);
    expect(cc.congestionEvents).toBe(1);
  });

  it('stops growing and leaves slow start while a queue stands', () => {
    const { cc, rtt } = setup(1, 1);
    for (let i = 0; i < 10; i++) cc.onAck(1, 0, 1200, true);
    expect(cc.window).toBe(24_000);
    rtt.recentMin = 4;
    for (let i = 0; i < 50; i++) cc.onAck(2, 1, 1200, true);
    expect(cc.window).toBe(24_000);
    expect(cc.slowStartThreshold).toBe(24_000);
    expect(cc.slowStartExits).toBe(1);
    expect(cc.queueHeldAcks).toBe(49);
    // Queue gone: congestion avoidance (one MDS per window), not slow start.
    rtt.recentMin = 1.5;
    for (let i = 0; i < 20; i++) cc.onAck(3, 2, 1200, true);
    expect(cc.window).toBe(25_200);
  });

  it('ends slow start on a small queue (HyStart++ threshold) but keeps growing in avoidance', () => {
    const { cc, rtt } = setup(40, 40); // base 40 ms: slow-start threshold 5 ms, avoidance 10 ms
    for (let i = 0; i < 10; i++) cc.onAck(1, 0, 1200, true);
    rtt.recentMin = 46; // 6 ms of queue
    cc.onAck(2, 1, 1200, true);
    expect(cc.slowStartExits).toBe(1);
    expect(cc.slowStartThreshold).toBe(24_000);
    for (let i = 0; i < 20; i++) cc.onAck(3, 2, 1200, true);
    expect(cc.window).toBe(25_200); // +1 MDS per window in avoidance; not held at 6 ms < 10 ms
    expect(cc.queueHeldAcks).toBe(0);
  });

  it('reduces on a burst of losses even without delay evidence, once per episode', () => {
    const { cc } = setup(1, 1);
    for (let i = 0; i < 200; i++) cc.onAck(1, 0, 1200, true);
    const before = cc.window;
    cc.onLoss(10, 9, 30 * 1200, 30);
    expect(cc.lossRate).toBeGreaterThan(0.2);
    expect(cc.window).toBe(Math.floor(before / 2));
    cc.onLoss(11, 9.5, 30 * 1200, 30);
    expect(cc.congestionEvents).toBe(1);
  });

  it('behaves like NewReno before any RTT sample', () => {
    const { cc } = setup(undefined, undefined);
    cc.onLoss(10, 9, 1200, 1);
    expect(cc.window).toBe(6000);
  });
});
