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

  it('leaves slow start on a queue with the window cut to fit, then drains once per round trip', () => {
    const { cc, rtt } = setup(1, 1);
    for (let i = 0; i < 10; i++) cc.onAck(1, 0, 1200, true);
    expect(cc.window).toBe(24_000);
    rtt.recentMin = 4; // 3 ms standing queue; target max(1·1, 2) = 2 ms
    // No rate samples here: the fit is cwnd·(base + target)/recent = 24 000·3/4.
    cc.onAck(2, 1, 1200, true);
    expect(cc.slowStartExits).toBe(1);
    expect(cc.window).toBe(18_000);
    expect(cc.slowStartThreshold).toBe(18_000);
    for (let i = 0; i < 48; i++) cc.onAck(2.5, 1.5, 1200, true); // sent before the cut: held
    expect(cc.window).toBe(18_000);
    expect(cc.queueHeldAcks).toBe(48);
    // Still queueing a round trip later (packets sent after the cut): drains again.
    cc.onAck(5, 3, 1200, true);
    expect(cc.window).toBe(13_500);
    expect(cc.queueDrains).toBe(1);
    // Queue gone: congestion avoidance (one MDS per window), not slow start.
    rtt.recentMin = 1.5;
    for (let i = 0; i < 12; i++) cc.onAck(7, 6, 1200, true);
    expect(cc.window).toBe(14_700);
    expect(cc.congestionEvents).toBe(0);
  });

  it('sizes the window from the delivery rate: rate · (base RTT + target queue)', () => {
    const { cc, rtt } = setup(10, 10); // queueDelayFactor 1: target 10 ms
    // A path delivering 1000 bytes/ms: what was in flight over its RTT.
    for (let i = 0; i < 200; i++) cc.onAck(10 + i * 0.01, i * 0.01, 1200, true, 10_000);
    expect(cc.deliveryRate).toBeCloseTo(1000, 6);
    expect(cc.window).toBe(12_000 + 200 * 1200);
    // Slow start overshot: 190 ms of queue. Exit straight to 1000 · (10 + 10).
    rtt.recentMin = 200;
    cc.onAck(300, 100, 1200, true, 200_000);
    expect(cc.slowStartExits).toBe(1);
    expect(cc.window).toBe(20_000);
    // A deeper queue later (the rate unchanged): drained to the same fit, never below 2 MDS.
    rtt.recentMin = 400;
    cc.onAck(800, 400, 1200, true, 400_000);
    expect(cc.window).toBe(20_000);
    const slow = setup(10, 10);
    for (let i = 0; i < 5; i++) slow.cc.onAck(10, 0, 1200, true, 100); // 10 bytes/ms
    slow.rtt.recentMin = 200;
    slow.cc.onAck(300, 100, 1200, true, 2000);
    expect(slow.cc.window).toBe(2 * MDS);
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
