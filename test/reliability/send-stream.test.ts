import { describe, expect, it } from 'vitest';
import { SendStream } from '../../src/reliability/send-stream.ts';
import { Channel } from '../../src/reliability/types.ts';

/** Send everything due for retransmission, as the packet builder would (up to `room` bytes a piece). */
function drain(stream: SendStream, room = Infinity): Array<[number, number, number]> {
  const out: Array<[number, number, number]> = [];
  for (let i = 0; i < 1000; i++) {
    const item = stream.peekRetransmit();
    if (item === undefined) return out;
    const end = Math.min(stream.retransmitRunEnd(item), item.start + room);
    out.push([item.msg.seq, item.start, end]);
    stream.consumeRetransmit(item, end);
  }
  throw new Error('retransmission queue never ran dry');
}

describe('SendStream retransmission queue', () => {
  it('queues bytes lost through several copies once', () => {
    const s = new SendStream(Channel.chat, 0);
    const m = s.enqueue(new Uint8Array(100));
    s.advanceUnsent(100);
    // The original and two probe copies are declared lost together (after a timeout).
    s.onChunkLost(m, 0, 100, true);
    s.onChunkLost(m, 0, 100, true);
    s.onChunkLost(m, 0, 100, true);
    expect(drain(s)).toEqual([[0, 0, 100]]);
    // Lost again after the resend: queued again.
    s.onChunkLost(m, 0, 100, false);
    expect(drain(s)).toEqual([[0, 0, 100]]);
  });

  it('merges adjacent lost ranges of a message into one run, and skips what was acknowledged meanwhile', () => {
    const s = new SendStream(Channel.bulk, 0);
    const m = s.enqueue(new Uint8Array(10_000));
    s.advanceUnsent(10_000);
    for (let at = 0; at < 5000; at += 1000) s.onChunkLost(m, at, at + 1000, false);
    s.onChunkLost(m, 2500, 3500, false); // overlaps what is queued: nothing new
    s.onChunkAcked(m, 1000, 2000); // a late ACK of one of them
    expect(drain(s, 1200)).toEqual([
      [0, 0, 1000],
      [0, 2000, 3200],
      [0, 3200, 4400],
      [0, 4400, 5000],
    ]);
    expect(m.pending?.isEmpty).toBe(true);
  });

  it('overlapping items send each pending byte once', () => {
    const s = new SendStream(Channel.bulk, 0);
    const m = s.enqueue(new Uint8Array(3000));
    s.advanceUnsent(3000);
    s.onChunkLost(m, 0, 1000, false);
    s.onChunkLost(m, 1500, 2000, false);
    s.onChunkLost(m, 500, 2500, true); // partly queued already
    const sent = drain(s);
    const bytes = new Set<number>();
    for (const [, a, b] of sent) {
      for (let i = a; i < b; i++) {
        expect(bytes.has(i)).toBe(false);
        bytes.add(i);
      }
    }
    expect(bytes.size).toBe(2500);
  });

  it('retransmits a 0-byte message', () => {
    const s = new SendStream(Channel.chat, 0);
    const m = s.enqueue(new Uint8Array(0));
    s.advanceUnsent(0);
    s.onChunkLost(m, 0, 0, false);
    const item = s.peekRetransmit();
    expect(item?.msg).toBe(m);
    expect(item?.start).toBe(0);
    s.consumeRetransmit(item!, 0);
    expect(s.peekRetransmit()).toBeUndefined();
    expect(s.onChunkAcked(m, 0, 0)).toBe(false);
    expect(s.unacked).toBe(0);
  });
});
