import { describe, expect, it } from 'vitest';
import { REPLAY_WINDOW_RANGES, AckTracker, MAX_ACK_COPIES } from '../../src/reliability/ack-tracker.ts';

describe('AckTracker (RFC 9000 §13.2)', () => {
  it('delays the ACK of a single ack-eliciting packet up to maxAckDelay', () => {
    const t = new AckTracker(5, 2, 32);
    t.onPacket(0, true, 100);
    expect(t.due(100)).toBe(false);
    expect(t.timerDeadline()).toBe(105);
    expect(t.due(104.9)).toBe(false);
    expect(t.due(105)).toBe(true);
    t.onAckSent();
    expect(t.due(200)).toBe(false);
    expect(t.timerDeadline()).toBe(Infinity);
  });

  it('acks at once every 2nd ack-eliciting packet', () => {
    const t = new AckTracker(5, 2, 32);
    t.onPacket(0, true, 0);
    t.onPacket(1, true, 0.1);
    expect(t.due(0.1)).toBe(true);
  });

  it('acks at once on out-of-order arrival, never for non-ack-eliciting packets alone', () => {
    const t = new AckTracker(5, 2, 32);
    t.onPacket(0, false, 0);
    t.onPacket(5, false, 0);
    expect(t.due(100)).toBe(false);
    expect(t.dirty).toBe(true);
    t.onPacket(7, true, 1); // gap 6
    expect(t.due(1)).toBe(true);
    t.onAckSent();
    t.onPacket(6, true, 2); // fills the hole: reordered
    expect(t.due(2)).toBe(true);
  });

  it('decodes wrapped packet numbers relative to the largest received', () => {
    const t = new AckTracker(5, 2, 32);
    t.onPacket(t.decode(2 ** 32 - 2), true, 0);
    t.onPacket(t.decode(2 ** 32 - 1), true, 0);
    expect(t.decode(0)).toBe(2 ** 32);
    t.onPacket(t.decode(0), true, 0);
    expect(t.largest).toBe(2 ** 32);
    expect(t.isDuplicate(t.decode(2 ** 32 - 1))).toBe(true);
  });

  it('repeats ranges until an ACK of the ACK, then forgets them', () => {
    const t = new AckTracker(5, 2, 32);
    for (const pn of [1, 2, 3, 5, 6, 9]) t.onPacket(pn, true, 0);
    expect(t.received.toArray()).toEqual([
      [1, 4],
      [5, 7],
      [9, 10],
    ]);
    t.onAckOfAck(6);
    expect(t.received.toArray()).toEqual([[9, 10]]);
  });

  it('remembers at most maxAckRanges ranges', () => {
    const t = new AckTracker(5, 2, 4);
    for (let pn = 0; pn < 40; pn += 2) t.onPacket(pn, true, 0);
    expect(t.received.count).toBe(4);
    expect(t.received.max()).toBe(38);
  });

  it('reports the ACK delay in microseconds', () => {
    const t = new AckTracker(5, 2, 32);
    t.onPacket(0, true, 10);
    expect(t.ackDelayUs(12.5)).toBe(2500);
  });

  it('answers a probe at once with several ACKs, one more per probe in a row, until an ACK of an ACK', () => {
    const t = new AckTracker(5, 2, 32);
    t.onPacket(0, true, 0);
    t.onAckSent(); // its ACK went out (and was lost, say)
    const ackFramesFor = (): number => {
      let n = 0;
      for (let i = 0; i < 100 && t.due(0); i++) {
        expect(t.timerDeadline()).toBe(-Infinity);
        t.onAckSent();
        n++;
      }
      return n;
    };
    t.onPacket(1, true, 1, true); // the peer's probe
    expect(ackFramesFor()).toBe(2);
    t.onPacket(2, true, 2, true);
    expect(ackFramesFor()).toBe(3);
    for (let pn = 3; pn < 8; pn++) {
      t.onPacket(pn, true, pn, true);
      expect(ackFramesFor()).toBe(MAX_ACK_COPIES);
    }
    // The peer acknowledged a packet of ours carrying our ranges: back to one copy per probe.
    t.onAckOfAck(5);
    t.onPacket(8, true, 8, true);
    expect(ackFramesFor()).toBe(2);
    // Ordinary packets: the usual rules (every second one).
    t.onPacket(9, true, 9);
    expect(t.due(9)).toBe(false);
    t.onPacket(10, true, 9);
    expect(ackFramesFor()).toBe(1);
  });

  it('owes no copies when nothing is left to acknowledge', () => {
    const t = new AckTracker(5, 2, 32);
    t.onPacket(0, true, 0, true);
    t.onAckOfAck(0);
    expect(t.due(0)).toBe(false);
    expect(t.timerDeadline()).toBeGreaterThan(0); // only the ordinary delayed-ACK deadline
  });
});

describe('AckTracker: the replay window', () => {
  it('still knows a number as received after an ACK of an ACK forgot its range, and takes a late gap', () => {
    const t = new AckTracker(5, 2, 32);
    for (const pn of [0, 1, 2, 4, 5]) t.onPacket(pn, true, 0);
    t.onAckOfAck(4);
    expect(t.received.toArray()).toEqual([[5, 6]]);
    for (const pn of [0, 1, 2, 4, 5]) expect(t.isDuplicate(pn)).toBe(true);
    expect(t.isDuplicate(3)).toBe(false); // never received: a late original is still taken
    expect(t.isDuplicate(6)).toBe(false);
  });

  it('counts every number below its oldest remembered range as received', () => {
    const t = new AckTracker(5, 2, 4);
    for (let pn = 0; pn < 2 * (REPLAY_WINDOW_RANGES + 10); pn += 2) t.onPacket(pn, true, 0);
    expect(t.floor).toBe(20);
    expect(t.isDuplicate(0)).toBe(true);
    expect(t.isDuplicate(19)).toBe(true);
    expect(t.isDuplicate(21)).toBe(false);
    expect(t.isDuplicate(20)).toBe(true);
  });
});

describe('AckTracker: the incoming direction’s loss', () => {
  it('counts the gaps in the peer’s packet numbers below the largest received', () => {
    const t = new AckTracker(25, 2, 32);
    expect(t.missing).toBe(0);
    for (const pn of [0, 1, 3, 4, 7]) t.onPacket(pn, true, 0);
    expect(t.missing).toBe(3); // 2, 5, 6
    t.onPacket(5, true, 1); // late, reordered
    expect(t.missing).toBe(2);
  });
});
