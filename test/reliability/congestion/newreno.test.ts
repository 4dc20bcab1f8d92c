import { describe, expect, it } from 'vitest';
import { NewReno } from '../../../src/reliability/congestion/newreno.ts';

const MDS = 1200;
const params = { maxDatagramBytes: MDS, initialWindowBytes: 12_000, minWindowBytes: 2 * MDS, lossReductionFactor: 0.5 };

describe('NewReno (RFC 9002 §7.3)', () => {
  it('starts at the initial window and gates on bytes in flight', () => {
    const cc = new NewReno(params);
    expect(cc.window).toBe(12_000);
    expect(cc.canSend(11_999)).toBe(true);
    expect(cc.canSend(12_000)).toBe(false);
  });

  it('slow start grows by the bytes acknowledged; avoidance by one MDS per window', () => {
    const cc = new NewReno(params);
    cc.onAck(10, 1, 1200, true);
    expect(cc.window).toBe(13_200);
    cc.onLoss(20, 15, 1200, 1);
    expect(cc.window).toBe(6600);
    expect(cc.slowStartThreshold).toBe(6600);
    // Congestion avoidance: 6600 bytes acknowledged → +1 MDS.
    for (let i = 0; i < 5; i++) cc.onAck(30, 25, 1200, true);
    expect(cc.window).toBe(6600);
    cc.onAck(30, 25, 1200, true);
    expect(cc.window).toBe(7800);
  });

  it('does not grow a window the sender does not use (RFC 9002 §7.8)', () => {
    const cc = new NewReno(params);
    for (let i = 0; i < 100; i++) cc.onAck(i, i, 1200, false);
    expect(cc.window).toBe(12_000);
  });

  it('reduces once per loss episode, never below the minimum window', () => {
    const cc = new NewReno(params);
    cc.onLoss(100, 90, 1200, 1);
    expect(cc.window).toBe(6000);
    // More losses of packets sent before the episode started: same episode.
    cc.onLoss(101, 95, 1200, 1);
    cc.onLoss(102, 100, 1200, 1);
    expect(cc.window).toBe(6000);
    expect(cc.congestionEvents).toBe(1);
    // Acks of packets sent during recovery do not grow the window.
    cc.onAck(103, 99, 1200, true);
    expect(cc.window).toBe(6000);
    // A packet sent after the episode began and then lost: a new episode.
    cc.onLoss(110, 105, 1200, 1);
    expect(cc.window).toBe(3000);
    cc.onLoss(120, 115, 1200, 1);
    expect(cc.window).toBe(2400);
    cc.onLoss(130, 125, 1200, 1);
    expect(cc.window).toBe(2400);
    expect(cc.congestionEvents).toBe(4);
  });

  it('persistent congestion collapses to the minimum window and slow-starts again', () => {
    const cc = new NewReno(params);
    for (let i = 0; i < 20; i++) cc.onAck(1, 0, 1200, true);
    cc.onLoss(50, 40, 1200, 1);
    const ssthresh = cc.slowStartThreshold;
    cc.onPersistentCongestion(50);
    expect(cc.window).toBe(2400);
    expect(cc.slowStartThreshold).toBe(ssthresh);
    cc.onAck(60, 55, 1200, true);
    expect(cc.window).toBe(3600);
  });
});
