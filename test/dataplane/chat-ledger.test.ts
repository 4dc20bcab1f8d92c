// The fallback ledger: given the peer's received count, exactly the messages it missed, in order.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ChatLedger } from '../../src/dataplane/chat-ledger.ts';

describe('ChatLedger', () => {
  it('resends what the peer did not receive, in order', () => {
    const l = new ChatLedger<string>();
    for (const m of ['a', 'b', 'c', 'd']) l.recordSent(m);
    expect(l.sent).toBe(4);
    expect(l.unreceived(0)).toEqual(['a', 'b', 'c', 'd']);
    expect(l.unreceived(2)).toEqual(['c', 'd']);
    expect(l.unreceived(4)).toEqual([]);
  });

  it('forgets what the engine acknowledged without changing the indexes', () => {
    const l = new ChatLedger<string>();
    l.recordSent('a');
    l.recordSent('b');
    l.forgetDelivered();
    expect(l.keptCount).toBe(0);
    l.recordSent('c');
    expect(l.sent).toBe(3);
    expect(l.unreceived(2)).toEqual(['c']);
    // A count below what is known delivered cannot reach back further than what is kept.
    expect(l.unreceived(0)).toEqual(['c']);
  });

  it('forgets an acknowledged prefix, keeping the indexes and whatever came after it', () => {
    const l = new ChatLedger<string>();
    for (const m of ['a', 'b', 'c', 'd', 'e']) l.recordSent(m);
    l.forgetBefore(2);
    expect(l.keptCount).toBe(3);
    expect(l.sent).toBe(5);
    expect(l.unreceived(3)).toEqual(['d', 'e']);
    expect(l.unreceived(0)).toEqual(['c', 'd', 'e']);
    l.forgetBefore(1); // behind what was forgotten: nothing
    expect(l.keptCount).toBe(3);
    l.forgetBefore(99); // beyond what was sent: everything sent so far
    expect(l.keptCount).toBe(0);
    l.recordSent('f');
    expect(l.unreceived(5)).toEqual(['f']);
    // Many forgotten one at a time: compacted, still exact.
    for (let i = 0; i < 500; i++) l.recordSent(`m${i}`);
    for (let n = 6; n <= 400; n++) l.forgetBefore(n);
    expect(l.keptCount).toBe(106);
    expect(l.unreceived(500)).toEqual(['m494', 'm495', 'm496', 'm497', 'm498', 'm499']);
  });

  it('ignores impossible counts', () => {
    const l = new ChatLedger<string>();
    l.recordSent('a');
    expect(l.unreceived(5)).toEqual([]);
    expect(l.unreceived(-1)).toEqual([]);
    expect(l.unreceived(Number.NaN)).toEqual([]);
  });

  it('counts what it received', () => {
    const l = new ChatLedger<string>();
    l.recordReceived();
    l.recordReceived();
    expect(l.received).toBe(2);
  });

  it('delivers each message exactly once across a fallback, whatever was acknowledged when', () => {
    // n messages sent over UDP; the peer received a prefix of them (in order, as the engine delivers);
    // the ledger was pruned only at moments when everything sent by then had been received.
    fc.assert(
      fc.property(fc.nat({ max: 40 }), fc.nat({ max: 40 }), fc.array(fc.nat({ max: 40 })), (n, r, prunes) => {
        const received = Math.min(n, r);
        const l = new ChatLedger<number>();
        const pruneAt = new Set(prunes.filter((p) => p <= received));
        for (let i = 0; i < n; i++) {
          if (pruneAt.has(i)) l.forgetDelivered();
          l.recordSent(i);
        }
        if (pruneAt.has(n) && n <= received) l.forgetDelivered();
        const viaUdp = Array.from({ length: received }, (_, i) => i);
        expect([...viaUdp, ...l.unreceived(received)]).toEqual(Array.from({ length: n }, (_, i) => i));
      }),
    );
  });

  it('the same when it forgets acknowledged prefixes as they grow (the peer received at least those)', () => {
    fc.assert(
      fc.property(fc.nat({ max: 60 }), fc.nat({ max: 60 }), fc.array(fc.tuple(fc.nat({ max: 60 }), fc.nat({ max: 60 }))), (n, r, acks) => {
        const received = Math.min(n, r);
        const l = new ChatLedger<number>();
        // ack (at, upTo): after `at` messages were sent, the first upTo (≤ at and ≤ received) were acknowledged.
        const byTime = new Map<number, number>();
        for (const [at, upTo] of acks) byTime.set(at, Math.min(upTo, at, received));
        for (let i = 0; i <= n; i++) {
          const acked = byTime.get(i);
          if (acked !== undefined) l.forgetBefore(acked);
          if (i < n) l.recordSent(i);
        }
        const viaUdp = Array.from({ length: received }, (_, i) => i);
        expect([...viaUdp, ...l.unreceived(received)]).toEqual(Array.from({ length: n }, (_, i) => i));
      }),
    );
  });
});
