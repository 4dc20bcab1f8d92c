import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Channel } from '../../src/reliability/types.ts';
import { MESSAGE_HEADER_BYTES } from '../../src/sim/constants.ts';
import { createRng } from '../../src/sim/rng.ts';
import {
  checkWorkload,
  decodeMessage,
  DeliveryVerifier,
  encodeMessage,
  messageCounts,
  WorkloadSource,
  type WorkloadSpec,
} from '../../src/sim/workload.ts';

const spec = (over: Partial<WorkloadSpec> = {}): WorkloadSpec => ({
  messages: 10,
  messageBytes: 50,
  messageRate: 100,
  fileBytes: 0,
  chunkBytes: 1000,
  ...over,
});

describe('message header', () => {
  it('round-trips index, send time and payload', () => {
    fc.assert(
      fc.property(fc.nat({ max: 2 ** 32 - 1 }), fc.double({ min: 0, max: 1e9, noNaN: true }), fc.uint8Array({ maxLength: 300 }), fc.constantFrom(Channel.chat, Channel.bulk), (index, t, payload, channel) => {
        const m = encodeMessage(index, channel, t, payload);
        expect(m.length).toBe(MESSAGE_HEADER_BYTES + payload.length);
        expect(decodeMessage(m, channel)).toEqual({ ok: true, index, sendTime: t, payloadBytes: payload.length });
      }),
    );
  });

  it('any flipped bit, truncation or wrong channel is detected', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 200 }), fc.nat(), fc.nat(), (payload, at, bit) => {
        const m = encodeMessage(3, Channel.chat, 12.5, payload);
        const bad = m.slice();
        const pos = at % bad.length;
        bad[pos] = (bad[pos] as number) ^ (1 << (bit % 8));
        expect(decodeMessage(bad, Channel.chat).ok).toBe(false);
        expect(decodeMessage(m.subarray(0, m.length - 1), Channel.chat).ok).toBe(false);
        expect(decodeMessage(m, Channel.bulk)).toEqual({ ok: false, reason: 'channel' });
      }),
    );
    expect(decodeMessage(new Uint8Array(5), Channel.chat)).toEqual({ ok: false, reason: 'short' });
  });
});

describe('WorkloadSource', () => {
  it('sends chat lines at the rate and the whole file at the start, in chunks', () => {
    const w = spec({ messages: 5, messageRate: 50, fileBytes: 2500, chunkBytes: 1000 });
    expect(messageCounts(w)).toEqual({ chat: 5, bulk: 3 });
    const src = new WorkloadSource(w, createRng(1), 0);
    const seen: Array<{ t: number; channel: number; size: number }> = [];
    for (let t = src.nextAt(), guard = 0; t !== undefined && guard < 100; t = src.nextAt(), guard++) {
      for (let m = src.take(t); m !== undefined; m = src.take(t)) {
        const d = decodeMessage(m.data, m.channel);
        if (!d.ok) throw new Error('bad message');
        expect(d.sendTime).toBe(t);
        seen.push({ t, channel: m.channel, size: d.payloadBytes });
      }
    }
    expect(seen.filter((s) => s.channel === Channel.chat).map((s) => s.t)).toEqual([0, 20, 40, 60, 80]);
    expect(seen.filter((s) => s.channel === Channel.bulk).map((s) => [s.t, s.size])).toEqual([
      [0, 1000],
      [0, 1000],
      [0, 500],
    ]);
    expect(src.take(1e9)).toBeUndefined();
  });

  it('rate 0 sends every chat line at once', () => {
    const src = new WorkloadSource(spec({ messages: 4, messageRate: 0 }), createRng(1), 0);
    let n = 0;
    while (src.take(0) !== undefined) n++;
    expect(n).toBe(4);
    expect(src.nextAt()).toBeUndefined();
  });

  it('payloads are fixed by the seed', () => {
    const a = new WorkloadSource(spec(), createRng(5, 'w'), 0).take(0)?.data;
    const b = new WorkloadSource(spec(), createRng(5, 'w'), 0).take(0)?.data;
    const c = new WorkloadSource(spec(), createRng(6, 'w'), 0).take(0)?.data;
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
  });
});

describe('DeliveryVerifier', () => {
  const msg = (i: number, t = 0, channel: 0 | 1 = Channel.chat): Uint8Array => encodeMessage(i, channel, t, new Uint8Array([i, 1, 2]));

  it('in-order delivery of everything is clean, with latencies', () => {
    const v = new DeliveryVerifier(spec({ messages: 3 }));
    for (let i = 0; i < 3; i++) v.sent(Channel.chat, i * 10, true);
    for (let i = 0; i < 3; i++) v.received(Channel.chat, msg(i, i * 10), i * 10 + 7);
    expect(v.allDelivered()).toBe(true);
    const t = v.tallies().chat;
    expect(t).toMatchObject({ sent: 3, delivered: 3, duplicated: 0, outOfOrder: 0, corrupted: 0, payloadBytesDelivered: 9, lastDeliveryAt: 27, firstSendAt: 0 });
    expect(t.latencies).toEqual([7, 7, 7]);
    expect(t.sendTimes).toEqual([0, 10, 20]);
  });

  it('counts duplicates, out-of-order, corrupted, impossible indices and refusals', () => {
    const v = new DeliveryVerifier(spec({ messages: 4 }));
    v.sent(Channel.chat, 0, false);
    v.received(Channel.chat, msg(1), 1); // skipped 0: out of order
    v.received(Channel.chat, msg(0), 2); // fills the gap: in order
    v.received(Channel.chat, msg(1), 3); // duplicate
    const broken = msg(2);
    broken[MESSAGE_HEADER_BYTES] = (broken[MESSAGE_HEADER_BYTES] as number) ^ 0x10;
    v.received(Channel.chat, broken, 4); // corrupted
    v.received(Channel.chat, msg(9), 5); // index beyond what was sent
    v.received(Channel.chat, msg(2, 0, Channel.bulk), 6); // wrong channel
    expect(v.tallies().chat).toMatchObject({ refused: 1, delivered: 2, outOfOrder: 1, duplicated: 1, corrupted: 3 });
    expect(v.allDelivered()).toBe(false);
  });
});

describe('checkWorkload', () => {
  it('names each bad field and refuses an empty workload', () => {
    expect(checkWorkload(spec())).toEqual([]);
    expect(checkWorkload(spec({ messages: -1 }))[0]).toMatch(/^messages/);
    expect(checkWorkload(spec({ messageBytes: 1.5 }))[0]).toMatch(/^size/);
    expect(checkWorkload(spec({ messageRate: -3 }))[0]).toMatch(/^rate/);
    expect(checkWorkload(spec({ fileBytes: -3 }))[0]).toMatch(/^file/);
    expect(checkWorkload(spec({ chunkBytes: 0 }))[0]).toMatch(/^chunk/);
    expect(checkWorkload(spec({ messages: 0 }))[0]).toMatch(/workload is empty/);
  });
});
