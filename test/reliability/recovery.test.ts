// Loss recovery under hard conditions, on the deterministic pair: liveness that counts any packet
// from the peer, probes that carry a PING and are answered with several ACKs, RTO probes that
// favour chat and move on, an early probe once the path carries packets again, chat beyond a full
// window, and retransmission statistics in packets.

import type { DecodedPacket } from '../../src/reliability/packet.ts';
import { describe, expect, it } from 'vitest';
import { Channel } from '../../src/reliability/types.ts';
import { decoded, makePayload, settle, TestPair } from './pair.ts';

describe('liveness counts any packet from the peer; the backoff follows ACK progress', () => {
  it('a side that hears its peer stays open through many timeouts, and gives up once it hears nothing', () => {
    const config = { deadPeerProbes: 3, idleTimeoutMs: 0, keepaliveIntervalMs: 0 };
    // A → B loses everything: A's data is never acknowledged, yet B's lines reach A.
    const pair = new TestPair({ seed: 40, config, linkAB: { down: true }, linkBA: { delayMs: 2 } });
    pair.send(0, Channel.chat, makePayload(40, 0, 100));
    for (let i = 0; i < 40; i++) {
      pair.send(1, Channel.chat, makePayload(41, i, 50));
      pair.runFor(100);
    }
    const a = pair.a.stats();
    expect(a.ptoExpirations).toBeGreaterThan(config.deadPeerProbes);
    expect(a.ptoCount).toBeGreaterThan(config.deadPeerProbes); // backed off: nothing of A's was acknowledged
    expect(pair.a.state).toBe('open');
    expect(pair.delivered[0]).toHaveLength(40);
    // B falls silent: now A hears nothing, and 3 timeouts later B is dead to it.
    pair.run(() => pair.a.state !== 'open', { until: pair.now + 30_000 });
    expect(pair.a.state).toBe('lost');
    expect(pair.lostEvents[0]).toBe(1);
    expect(pair.a.stats().ptoExpirations - a.ptoExpirations).toBeLessThanOrEqual(config.deadPeerProbes + 1);
  });
});

describe('probes and their answers', () => {
  it('every probe carries a PING, and the peer answers a probe with more than one ACK', () => {
    const pair = new TestPair({ seed: 41, config: { keepaliveIntervalMs: 0 }, link: { delayMs: 1 } });
    pair.send(0, Channel.chat, makePayload(42, 0, 100));
    settle(pair);
    // Lose B's ACKs for a while: A's tail-loss probes and RTOs go out.
    let dropAcks = true;
    const bAckOnly: number[] = [];
    const aProbes: DecodedPacket[] = [];
    pair.dropIf = (from, bytes) => {
      const p = decoded(bytes);
      if (from === 1 && p.streams.length === 0 && p.ack !== undefined) {
        bAckOnly.push(pair.now);
        return dropAcks;
      }
      return false;
    };
    pair.onTransmit = (from, bytes) => {
      const p = decoded(bytes);
      if (from === 0 && p.pings > 0) aProbes.push(p);
    };
    pair.send(0, Channel.chat, makePayload(42, 1, 100));
    pair.run(() => pair.a.stats().ptoExpirations >= 2, { until: pair.now + 2000 });
    expect(aProbes.length).toBeGreaterThanOrEqual(4);
    // RTO probes carry the line again and a PING.
    expect(aProbes.some((p) => p.pings === 1 && p.streams.some((s) => s.seq === 1))).toBe(true);
    // B answered each probe with a burst of ACKs, growing: 2, then 3 …
    const bursts = new Map<number, number>();
    for (const t of bAckOnly) bursts.set(t, (bursts.get(t) ?? 0) + 1);
    expect(Math.max(...bursts.values())).toBeGreaterThanOrEqual(3);
    expect(bAckOnly.length).toBeGreaterThanOrEqual(2 * aProbes.length);
    dropAcks = false;
    settle(pair);
    expect(pair.a.stats().queuedMessages).toBe(0);
  });

  it('a backed-off sender probes as soon as a packet from the peer shows the path works again', () => {
    const config = { keepaliveIntervalMs: 0, tailLossProbes: 0 };
    const pair = new TestPair({ seed: 42, config, link: { delayMs: 1 } });
    pair.send(0, Channel.chat, makePayload(43, 0, 100));
    settle(pair);
    pair.setLink({ down: true });
    pair.send(0, Channel.chat, makePayload(43, 1, 100));
    pair.run(() => pair.a.stats().ptoExpirations >= 6, { until: pair.now + 10_000 });
    // Just after a timeout: the next one is the whole backed-off interval away (25 ms · 16).
    expect(pair.a.stats().rto).toBe(400);
    pair.setLink({ delayMs: 1 });
    const healed = pair.now;
    pair.runFor(50);
    pair.send(1, Channel.chat, makePayload(44, 0, 100)); // B has something to say
    expect(pair.run(() => pair.delivered[1].length === 2 && pair.a.stats().queuedMessages === 0, { until: healed + 5000 })).toBe(true);
    // B's line reached A, and A probed at once: a round trip later, not at its own timer.
    expect(pair.now - healed).toBeLessThan(50 + 5);
    expect(pair.a.stats().ptoCount).toBe(0);
  });

  it('an RTO probe resends outstanding chat before older bulk, and moves on at the next timeout', () => {
    const pair = new TestPair({ seed: 43, config: { keepaliveIntervalMs: 0, tailLossProbes: 0 }, link: { delayMs: 1 } });
    pair.send(0, Channel.bulk, makePayload(44, 0, 20_000));
    pair.runFor(0.001); // bulk packets leave first…
    pair.setLink({ down: true });
    pair.runFor(0.5);
    pair.send(0, Channel.chat, makePayload(45, 0, 80)); // …then a chat line, into the outage
    const firstProbes: DecodedPacket[] = [];
    pair.onTransmit = (from, bytes) => {
      const p = decoded(bytes);
      if (from === 0 && p.pings > 0) firstProbes.push(p);
    };
    pair.run(() => pair.a.stats().ptoExpirations >= 2, { until: pair.now + 2000 });
    pair.runFor(0.01);
    const rto1 = firstProbes.slice(0, 2);
    const rto2 = firstProbes.slice(2, 4);
    // First RTO: the chat line again (not the oldest bulk packet).
    expect(rto1[0]?.streams.map((s) => s.channel)).toContain(Channel.chat);
    // Second RTO: other outstanding data, not the same bytes once more.
    const key = (p: DecodedPacket | undefined): string => JSON.stringify(p?.streams.map((s) => [s.channel, s.seq, s.offset]));
    expect(key(rto2[0])).not.toBe(key(rto1[0]));
    pair.setLink({ delayMs: 1 });
    expect(pair.run(() => pair.delivered[1].length === 2, { until: pair.now + 5000 })).toBe(true);
  });
});

describe('chat beside bulk', () => {
  it('a chat line goes out at once even when lost bulk fills the congestion window', () => {
    const pair = new TestPair({ seed: 44, config: { keepaliveIntervalMs: 0 }, link: { delayMs: 5 } });
    pair.send(0, Channel.bulk, makePayload(46, 0, 2_000_000));
    pair.runFor(50);
    pair.setLink({ down: true }); // a burst: everything in flight is lost, nothing is acknowledged
    pair.runFor(3);
    const s = pair.a.stats();
    expect(s.bytesInFlight).toBeGreaterThanOrEqual(s.cwnd);
    let chatAt = -1;
    pair.onTransmit = (from, bytes) => {
      if (from === 0 && chatAt < 0 && decoded(bytes).streams.some((x) => x.channel === Channel.chat)) chatAt = pair.now;
    };
    const t0 = pair.now;
    pair.send(0, Channel.chat, makePayload(47, 0, 80));
    pair.runFor(1);
    expect(chatAt).toBe(t0);
    // At most CHAT_ALLOWANCE_PACKETS (2) beyond the window: the next lines wait for a probe.
    pair.send(0, Channel.chat, makePayload(47, 1, 80));
    pair.runFor(0.001);
    pair.send(0, Channel.chat, makePayload(47, 2, 80));
    const before = pair.linkStats[0].sent;
    pair.runFor(0.001);
    expect(pair.linkStats[0].sent).toBe(before);
    pair.setLink({ delayMs: 5 });
    expect(pair.run(() => pair.delivered[1].filter((d) => d.channel === Channel.chat).length === 3, { until: pair.now + 5000 })).toBe(true);
  });
});

describe('retransmission statistics', () => {
  it('count packets: data packets = first transmissions + retransmissions, and no byte is resent twice at once', () => {
    const pair = new TestPair({ seed: 45, link: { delayMs: 2, lossRate: 0.3 } });
    const seen = new Map<string, number>();
    let firstTx = 0;
    let pureRetx = 0;
    let dupInPacket = 0;
    pair.onTransmit = (from, bytes) => {
      if (from !== 0) return;
      const p = decoded(bytes);
      if (p.streams.length === 0) return;
      let anyNew = false;
      const inThis = new Set<string>();
      for (const s of p.streams) {
        const k = `${s.channel}:${s.seq}:${s.offset}:${s.data.length}`;
        if (inThis.has(k)) dupInPacket++;
        inThis.add(k);
        const reached = seen.get(`${s.channel}:${s.seq}`) ?? 0;
        if (s.offset + s.data.length > reached) {
          anyNew = true;
          seen.set(`${s.channel}:${s.seq}`, s.offset + s.data.length);
        }
      }
      if (anyNew) firstTx++;
      else pureRetx++;
    };
    pair.send(0, Channel.bulk, makePayload(48, 0, 600_000));
    for (let i = 0; i < 100; i++) pair.send(0, Channel.chat, makePayload(49, i, 100));
    expect(pair.run(() => pair.delivered[1].length === 101, { until: 60_000 })).toBe(true);
    const s = pair.a.stats();
    expect(s.retransmitsFast + s.retransmitsTimeout).toBe(pureRetx);
    expect(s.dataPacketsSent).toBe(firstTx + pureRetx);
    expect(dupInPacket).toBe(0);
    // And the efficiency that follows: at 30 % loss, close to 1/(1 − 0.3) sends per packet needed.
    expect(s.dataPacketsSent / firstTx).toBeLessThan(1.1 / 0.7);
  });
});
