import type { DecodedPacket } from '../../src/reliability/packet.ts';
import { describe, expect, it } from 'vitest';
import { Connection, createConnection } from '../../src/reliability/connection.ts';
import { Channel } from '../../src/reliability/types.ts';
import { bytesEqual, decoded, makePayload, settle, TestPair } from './pair.ts';

describe('Connection: delivery', () => {
  it('delivers chat and bulk both ways, exactly once and in order, including 0-byte messages', () => {
    const pair = new TestPair({ seed: 1, link: { delayMs: 1 } });
    const sentAB: Uint8Array[] = [];
    const sentBA: Uint8Array[] = [];
    for (let i = 0; i < 50; i++) {
      const m = makePayload(1, i, i % 7 === 0 ? 0 : 20 + i * 13);
      sentAB.push(m);
      expect(pair.send(0, Channel.chat, m)).toBe(true);
      const n = makePayload(2, i, 5 + i);
      sentBA.push(n);
      pair.send(1, Channel.chat, n);
    }
    const bulk = makePayload(3, 0, 200_000);
    pair.send(0, Channel.bulk, bulk);
    expect(pair.run(() => pair.delivered[1].length === 51 && pair.delivered[0].length === 50, { until: 5000 })).toBe(true);
    const chatAtB = pair.delivered[1].filter((d) => d.channel === Channel.chat);
    expect(chatAtB.map((d) => d.data)).toEqual(sentAB);
    expect(pair.delivered[0].map((d) => d.data)).toEqual(sentBA);
    const bulkAtB = pair.delivered[1].filter((d) => d.channel === Channel.bulk);
    expect(bulkAtB).toHaveLength(1);
    expect(bytesEqual(bulkAtB[0]!.data, bulk)).toBe(true);
    const s = pair.b.stats();
    expect(s.messagesDelivered).toBe(51);
    expect(s.bytesDelivered).toBe(sentAB.reduce((n, m) => n + m.length, 0) + bulk.length);
    settle(pair);
    expect(pair.a.stats().queuedMessages).toBe(0);
  });

  it('fragments a 5 MB message into full packets and reassembles it intact', () => {
    const pair = new TestPair({ seed: 2, link: { delayMs: 0.2 } });
    const big = makePayload(4, 0, 5 * 1024 * 1024);
    pair.send(0, Channel.bulk, big);
    expect(pair.run(() => pair.delivered[1].length === 1, { until: 60_000 })).toBe(true);
    expect(bytesEqual(pair.delivered[1][0]!.data, big)).toBe(true);
    const s = pair.a.stats();
    const perPacket = 1200 - 9 - 12; // header, stream frame overhead
    expect(s.dataPacketsSent).toBeGreaterThanOrEqual(Math.ceil(big.length / 1200));
    // Few enough packets: full ones, plus retransmissions of overflow losses, if any.
    expect(s.dataPacketsSent - s.retransmitsFast - s.retransmitsTimeout).toBeLessThanOrEqual(Math.ceil(big.length / (perPacket - 40)));
  });

  it('fragments and reassembles a 5 MB message through 10% loss, duplication and reordering', () => {
    const pair = new TestPair({ seed: 3, link: { delayMs: 0.5, lossRate: 0.1, duplicateRate: 0.02, reorderRate: 0.02, reorderDelayMs: 2 } });
    const big = makePayload(5, 0, 5 * 1024 * 1024);
    pair.send(0, Channel.bulk, big);
    expect(pair.run(() => pair.delivered[1].length === 1, { until: 60_000 })).toBe(true);
    expect(bytesEqual(pair.delivered[1][0]!.data, big)).toBe(true);
    expect(pair.b.stats().messagesDelivered).toBe(1);
  });

  it('coalesces small messages into few packets and ACKs every second packet', () => {
    const pair = new TestPair({ seed: 4, link: { delayMs: 1 } });
    for (let i = 0; i < 100; i++) pair.send(0, Channel.chat, makePayload(6, i, 10));
    expect(pair.run(() => pair.delivered[1].length === 100, { until: 1000 })).toBe(true);
    expect(pair.a.stats().dataPacketsSent).toBeLessThanOrEqual(3);

    const bulk = new TestPair({ seed: 5, link: { delayMs: 1 } });
    bulk.send(0, Channel.bulk, makePayload(7, 0, 400 * 1100));
    expect(bulk.run(() => bulk.delivered[1].length === 1, { until: 5000 })).toBe(true);
    settle(bulk);
    const data = bulk.a.stats().dataPacketsSent;
    const acks = bulk.b.stats().ackPacketsSent;
    expect(acks).toBeGreaterThanOrEqual(Math.floor(data / 2) - 5);
    expect(acks).toBeLessThanOrEqual(Math.ceil(data / 2) + 20);
  });

  it('drops duplicate packets and duplicate data, counting them', () => {
    const pair = new TestPair({ seed: 6, link: { delayMs: 1, duplicateRate: 1 } });
    for (let i = 0; i < 20; i++) pair.send(0, Channel.chat, makePayload(8, i, 100));
    expect(pair.run(() => pair.delivered[1].length === 20, { until: 1000 })).toBe(true);
    settle(pair);
    expect(pair.delivered[1]).toHaveLength(20);
    expect(pair.b.stats().duplicatePackets).toBeGreaterThan(0);
  });
});

describe('Connection: sequence numbers across 2^32', () => {
  it('carries traffic across the packet-number and message-number wrap', () => {
    const config = { initialPacketNumber: 2 ** 32 - 40, initialMessageSeq: 2 ** 32 - 25 };
    const pair = new TestPair({ seed: 7, config, link: { delayMs: 1, lossRate: 0.1, reorderRate: 0.05, reorderDelayMs: 3 } });
    const pns = new Set<number>();
    const seqs = new Set<number>();
    pair.onTransmit = (from, bytes) => {
      if (from !== 0) return;
      const p = decoded(bytes);
      pns.add(p.packetNumber);
      for (const s of p.streams) seqs.add(s.seq);
    };
    const sent: Uint8Array[] = [];
    for (let round = 0; round < 20; round++) {
      for (let i = 0; i < 5; i++) {
        const m = makePayload(9, round * 5 + i, 300);
        sent.push(m);
        pair.send(0, Channel.chat, m);
      }
      pair.send(0, Channel.bulk, makePayload(10, round, 3000));
      pair.runFor(5);
    }
    expect(pair.run(() => pair.delivered[1].length === 120, { until: 20_000 })).toBe(true);
    expect(pair.delivered[1].filter((d) => d.channel === Channel.chat).map((d) => d.data)).toEqual(sent);
    const bulk = pair.delivered[1].filter((d) => d.channel === Channel.bulk);
    bulk.forEach((d, i) => expect(bytesEqual(d.data, makePayload(10, i, 3000))).toBe(true));
    expect(pns.has(2 ** 32 - 1)).toBe(true);
    expect(pns.has(0)).toBe(true);
    expect(seqs.has(2 ** 32 - 1)).toBe(true);
    expect(seqs.has(0)).toBe(true);
  });
});

describe('Connection: loss recovery', () => {
  /** A pair with RTT 10 ms whose PTO is far away, so only ACK-driven recovery can act. */
  function slowPtoPair(seed: number): TestPair {
    // maxAckDelayMs 0: ACKs go at once, so every RTT sample is exactly 10 ms.
    return new TestPair({ seed, config: { rtoMinMs: 1000, rtoInitialMs: 1000, rtoMaxMs: 5000, maxAckDelayMs: 0 }, link: { delayMs: 5 } });
  }

  it('fast retransmit: lost once 3 later packets are acknowledged, without waiting for a timeout', () => {
    const pair = slowPtoPair(8);
    let dropped = false;
    const retransmitTimes: number[] = [];
    pair.dropIf = (from, bytes) => {
      if (from !== 0) return false;
      const carriesFirst = decoded(bytes).streams.some((s) => s.seq === 0);
      if (carriesFirst && !dropped) {
        dropped = true;
        return true;
      }
      if (carriesFirst) retransmitTimes.push(pair.now);
      return false;
    };
    for (let i = 0; i < 10; i++) pair.send(0, Channel.chat, makePayload(11, i, 1000));
    expect(pair.run(() => pair.delivered[1].length === 10, { until: 5000 })).toBe(true);
    const s = pair.a.stats();
    expect(dropped).toBe(true);
    expect(retransmitTimes).toHaveLength(1);
    // Sent at t=0; the ACK of packets 2–4 arrives one RTT (10 ms) later.
    expect(retransmitTimes[0]).toBeGreaterThanOrEqual(10);
    expect(retransmitTimes[0]).toBeLessThan(12);
    expect(s.retransmitsFast).toBe(1);
    expect(s.retransmitsTimeout).toBe(0);
    expect(s.ptoExpirations).toBe(0);
    expect(pair.delivered[1].map((d) => d.data)).toEqual(Array.from({ length: 10 }, (_, i) => makePayload(11, i, 1000)));
  });

  it('time threshold: lost after 9/8 RTT when fewer than 3 later packets exist', () => {
    const pair = slowPtoPair(9);
    // One warm-up exchange gives an RTT sample of 10 ms.
    pair.send(0, Channel.chat, makePayload(12, 0, 100));
    settle(pair, 3000);
    const t0 = pair.now;
    let dropped = false;
    let retransmitAt = -1;
    pair.dropIf = (from, bytes) => {
      if (from !== 0) return false;
      const carries = decoded(bytes).streams.some((s) => s.seq === 1);
      if (carries && !dropped) {
        dropped = true;
        return true;
      }
      if (carries) retransmitAt = pair.now;
      return false;
    };
    pair.send(0, Channel.chat, makePayload(12, 1, 1000));
    pair.send(0, Channel.chat, makePayload(12, 2, 1000));
    expect(pair.run(() => pair.delivered[1].length === 3, { until: t0 + 5000 })).toBe(true);
    const rtt = 10;
    // The ACK of packet 2 arrives at t0+10 (out of order: sent at once); packet 1 is then
    // declared lost when 9/8·RTT has passed since it was sent.
    expect(retransmitAt - t0).toBeGreaterThanOrEqual(rtt);
    expect(retransmitAt - t0).toBeLessThanOrEqual((9 / 8) * rtt + 0.5);
    expect(pair.a.stats().retransmitsFast).toBe(1);
    expect(pair.a.stats().ptoExpirations).toBe(0);
  });

  /** Warm a pair up, then lose the first transmission of the next message; its latency. */
  function loneLoss(pair: TestPair): { latency: number; srtt: number } {
    pair.send(0, Channel.chat, makePayload(13, 0, 100));
    settle(pair);
    const srtt = pair.a.stats().srtt!;
    const t0 = pair.now;
    let dropped = false;
    pair.dropIf = (from, bytes) => {
      if (from !== 0 || dropped) return false;
      if (decoded(bytes).streams.some((s) => s.seq === 1)) {
        dropped = true;
        return true;
      }
      return false;
    };
    pair.send(0, Channel.chat, makePayload(13, 1, 100));
    expect(pair.run(() => pair.delivered[1].length === 2, { until: t0 + 1000 })).toBe(true);
    return { latency: pair.delivered[1][1]!.at - t0, srtt };
  }

  it('tail-loss probe: a lone lost message is recovered after 2·SRTT + max ACK delay, not the RTO', () => {
    const pair = new TestPair({ seed: 10, link: { delayMs: 0.5 } });
    const { latency, srtt } = loneLoss(pair);
    const tlp = 2 * srtt + pair.a.config.maxAckDelayMs + pair.a.config.granularityMs;
    // The probe (a PING) goes at `tlp`; its ACK reveals the loss one RTT (1 ms) later; the
    // resend takes half an RTT.
    expect(latency).toBeGreaterThanOrEqual(tlp);
    expect(latency).toBeLessThan(tlp + 2);
    expect(latency).toBeLessThan(pair.a.config.rtoMinMs);
    const s = pair.a.stats();
    expect(s.tailLossProbes).toBe(1);
    expect(s.ptoExpirations).toBe(0);
    expect(s.retransmitsTimeout).toBe(1);
    expect(s.retransmitsFast).toBe(0);
    expect(s.pingsSent).toBe(1);
  });

  it('retransmission timeout: without tail-loss probes a lone loss waits for the RTO floor', () => {
    const pair = new TestPair({ seed: 10, config: { tailLossProbes: 0 }, link: { delayMs: 0.5 } });
    const { latency } = loneLoss(pair);
    // RTO = max(floor 25, srtt + 4·rttvar + ack delay) → a PING, its ACK, the resend.
    expect(latency).toBeGreaterThanOrEqual(25);
    expect(latency).toBeLessThan(25 + 2);
    const s = pair.a.stats();
    expect(s.ptoExpirations).toBe(1);
    expect(s.tailLossProbes).toBe(0);
    expect(s.retransmitsTimeout).toBe(1);
  });

  it('detects spurious retransmissions when the "lost" original arrives late', () => {
    const pair = new TestPair({ seed: 11, link: { delayMs: 1 } });
    pair.send(0, Channel.chat, makePayload(14, 0, 100));
    settle(pair);
    let held = false;
    pair.dropIf = (from, bytes) => {
      if (from !== 0 || held) return false;
      if (decoded(bytes).streams.some((s) => s.seq === 1)) {
        held = true;
        pair.inject(1, bytes, pair.now + 8); // delayed, not lost
        return true;
      }
      return false;
    };
    for (let i = 1; i <= 6; i++) pair.send(0, Channel.chat, makePayload(14, i, 100));
    pair.runFor(1);
    for (let i = 7; i <= 12; i++) pair.send(0, Channel.chat, makePayload(14, i, 100));
    expect(pair.run(() => pair.delivered[1].length === 13, { until: pair.now + 1000 })).toBe(true);
    pair.runFor(50); // the late original arrives and is acknowledged
    const s = pair.a.stats();
    expect(s.retransmitsFast).toBeGreaterThanOrEqual(1);
    expect(s.retransmitsSpurious).toBeGreaterThanOrEqual(1);
    expect(pair.b.stats().duplicatesReceived).toBeGreaterThanOrEqual(1);
    expect(pair.delivered[1]).toHaveLength(13);
  });

  it('reduces the congestion window once per loss episode', () => {
    const pair = new TestPair({ seed: 12, config: { congestion: 'newreno' }, link: { delayMs: 2 } });
    // Big enough that the sender stays window-limited throughout (cwnd, not the data, limits).
    pair.send(0, Channel.bulk, makePayload(15, 0, 20_000_000));
    pair.runFor(30);
    expect(pair.a.stats().congestionEvents).toBe(0);
    let maxCwnd = 0;
    pair.onTransmit = (from) => {
      if (from === 0) maxCwnd = Math.max(maxCwnd, pair.a.stats().cwnd);
    };
    // Lose ten consecutive data packets of one window.
    let toDrop = 10;
    pair.dropIf = (from, bytes) => from === 0 && toDrop > 0 && decoded(bytes).streams.length > 0 && toDrop-- > 0;
    pair.runFor(3);
    pair.dropIf = undefined;
    pair.runFor(6); // about one RTT (4 ms) and a bit: the episode is detected and handled
    const after = pair.a.stats();
    expect(after.packetsLost).toBeGreaterThanOrEqual(10);
    expect(after.congestionEvents).toBe(1);
    // Halved once (slow start may add a few packets between the last send and the detection).
    expect(Math.abs(after.ssthresh - maxCwnd / 2)).toBeLessThan(20 * 1200);
    pair.onTransmit = undefined;
  });
});

describe('Connection: acknowledgements', () => {
  it('repeats an ACK that was lost on the next packet that goes out anyway', () => {
    const pair = new TestPair({ seed: 26, link: { delayMs: 1 } });
    pair.send(0, Channel.chat, makePayload(27, 0, 50));
    settle(pair);
    let lostAck: DecodedPacket | undefined;
    let reply: DecodedPacket | undefined;
    pair.dropIf = (from, bytes) => {
      const p = decoded(bytes);
      if (from !== 1) return false;
      if (lostAck === undefined && p.streams.length === 0 && p.ack !== undefined) {
        lostAck = p;
        return true;
      }
      if (p.streams.length > 0) reply = p;
      return false;
    };
    pair.send(0, Channel.chat, makePayload(27, 1, 50));
    pair.runFor(5); // delivered and acknowledged — but that ACK is lost
    expect(lostAck).toBeDefined();
    pair.send(1, Channel.chat, makePayload(28, 0, 50));
    pair.runFor(3);
    // B's chat packet carries the same ACK information again.
    expect(reply?.ack?.ranges[0]?.largest).toBe(lostAck?.ack?.ranges[0]?.largest);
    expect(pair.a.stats().queuedMessages).toBe(0);
    expect(pair.a.stats().retransmitsFast + pair.a.stats().retransmitsTimeout).toBe(0);
  });
});

describe('Connection: timers and dead peers', () => {
  it('a retransmission timeout resends the oldest unacknowledged data', () => {
    const pair = new TestPair({ seed: 27, config: { keepaliveIntervalMs: 0 }, link: { delayMs: 1 } });
    pair.send(0, Channel.chat, makePayload(29, 0, 50));
    settle(pair);
    pair.setLink({ down: true });
    const probes: DecodedPacket[] = [];
    pair.onTransmit = (from, bytes) => {
      if (from === 0) probes.push(decoded(bytes));
    };
    pair.send(0, Channel.chat, makePayload(29, 1, 50));
    pair.runFor(2);
    pair.send(0, Channel.chat, makePayload(29, 2, 50));
    const s0 = pair.a.stats();
    pair.run(() => pair.a.stats().ptoExpirations === 1, { until: pair.now + 1000 });
    pair.runFor(0.01);
    const s1 = pair.a.stats();
    expect(s1.tailLossProbes).toBe(2);
    expect(s1.ptoExpirations).toBe(1);
    // Two tail-loss probes were PINGs; the RTO's first probe carries message 1 again (and, as
    // every probe, a PING: the peer answers probes with several ACKs).
    const afterRto = probes.slice(-2);
    expect(afterRto[0]?.streams.map((x) => x.seq)).toEqual([1]);
    expect(afterRto[0]?.pings).toBe(1);
    expect(s1.retransmitsTimeout - s0.retransmitsTimeout).toBe(1);
    pair.setLink({ delayMs: 1 });
    expect(pair.run(() => pair.delivered[1].length === 3, { until: pair.now + 2000 })).toBe(true);
  });

  it('backs off exponentially and reports a dead peer exactly once, then goes quiet', () => {
    const config = { rtoMaxMs: 400, deadPeerProbes: 8, keepaliveIntervalMs: 0, idleTimeoutMs: 0 };
    const pair = new TestPair({ seed: 13, config, link: { delayMs: 0.5 } });
    pair.send(0, Channel.chat, makePayload(16, 0, 10));
    settle(pair);
    pair.setLink({ down: true });
    const probeTimes: number[] = [];
    pair.onTransmit = (from, bytes) => {
      // Probe rounds: every probe carries a PING; an RTO sends two at once.
      if (from === 0 && decoded(bytes).pings > 0 && probeTimes.at(-1) !== pair.now) probeTimes.push(pair.now);
    };
    const t0 = pair.now;
    const tlp = 2 * pair.a.stats().srtt! + pair.a.config.maxAckDelayMs + pair.a.config.granularityMs;
    pair.send(0, Channel.chat, makePayload(16, 1, 10));
    pair.run(() => pair.a.state !== 'open', { until: t0 + 60_000 });
    expect(pair.a.state).toBe('lost');
    // Two tail-loss probes, then 8 retransmission timeouts doubling from the 25 ms floor up to
    // the 400 ms ceiling; the 9th timeout declares the peer dead.
    expect(probeTimes).toHaveLength(10);
    const gaps = [probeTimes[0]! - t0, ...probeTimes.slice(1).map((t, i) => t - probeTimes[i]!)];
    expect(gaps.map((g) => Math.round(g * 100) / 100)).toEqual([tlp, tlp, 25, 50, 100, 200, 400, 400, 400, 400]);
    expect(pair.now - probeTimes[9]!).toBeCloseTo(400, 6);
    expect(pair.lostEvents[0]).toBe(1);
    expect(pair.a.pollTimeout()).toBeUndefined();
    expect(pair.a.pollTransmit(pair.now + 1e6)).toBeUndefined();
    const s = pair.a.stats();
    expect(s.queuedMessages).toBe(0);
    expect(s.bytesInFlight).toBe(0);
    // Nothing more happens, ever.
    const sentBefore = pair.linkStats[0].sent;
    pair.a.handleTimeout(pair.now + 1e7);
    pair.runFor(100_000);
    expect(pair.linkStats[0].sent).toBe(sentBefore);
    expect(pair.lostEvents[0]).toBe(1);
    expect(pair.a.pollEvent()).toBeUndefined();
    expect(pair.a.send(Channel.chat, new Uint8Array(1), pair.now)).toBe(false);
  });

  it('reports a silent peer after the idle limit even while only keepalives go out', () => {
    const config = { keepaliveIntervalMs: 100, idleTimeoutMs: 1000, deadPeerProbes: 50, rtoMaxMs: 5000 };
    const pair = new TestPair({ seed: 14, config, linkAB: {}, linkBA: { down: true } });
    pair.run(() => pair.a.state !== 'open', { until: 10_000 });
    expect(pair.a.state).toBe('lost');
    // The first keepalive (at 100 ms) went unanswered for the idle limit.
    expect(pair.now).toBeCloseTo(100 + 1000, 6);
    expect(pair.lostEvents[0]).toBe(1);
    expect(pair.a.stats().pingsSent).toBeGreaterThan(0);
  });

  it('keeps an idle connection alive with keepalives', () => {
    const config = { keepaliveIntervalMs: 100, idleTimeoutMs: 1000 };
    const pair = new TestPair({ seed: 15, config, link: { delayMs: 1 } });
    pair.runFor(10_000);
    expect(pair.a.state).toBe('open');
    expect(pair.b.state).toBe('open');
    const pings = pair.a.stats().pingsSent + pair.b.stats().pingsSent;
    expect(pings).toBeGreaterThanOrEqual(90);
    expect(pings).toBeLessThanOrEqual(200);
  });

  it('goes idle for good when keepalives are off and nothing is pending', () => {
    const pair = new TestPair({ seed: 16, config: { keepaliveIntervalMs: 0 }, link: { delayMs: 1 } });
    pair.send(0, Channel.chat, makePayload(17, 0, 10));
    settle(pair);
    pair.runFor(100);
    expect(pair.a.pollTimeout()).toBeUndefined();
    expect(pair.b.pollTimeout()).toBeUndefined();
  });
});

describe('Connection: flow control', () => {
  it('never lets the sender exceed the advertised window; resumes when the receiver drains', () => {
    const window = 64 * 1024;
    const config = { receiveWindowBytes: window, chatReserveBytes: 8 * 1024 };
    const pair = new TestPair({ seed: 17, config, link: { delayMs: 1 }, autoPollEvents: false });
    let lastAdvertised = window;
    let violations = 0;
    pair.onTransmit = (from, bytes) => {
      const p = decoded(bytes);
      if (from === 1) lastAdvertised = p.window;
      else {
        const s = pair.a.stats();
        if (s.dataBytesInFlight > s.peerWindow) violations++;
      }
    };
    const messages = Array.from({ length: 64 }, (_, i) => makePayload(18, i, 4096));
    for (const m of messages) pair.send(0, Channel.bulk, m);
    let maxBuffered = 0;
    for (let i = 0; i < 200; i++) {
      pair.runFor(5);
      maxBuffered = Math.max(maxBuffered, pair.b.stats().bytesBuffered);
    }
    expect(violations).toBe(0);
    expect(maxBuffered).toBeLessThanOrEqual(window);
    // Bulk stops short of the chat reserve.
    expect(maxBuffered).toBeGreaterThan(window - 8 * 1024 - 4096 * 2);
    expect(lastAdvertised).toBeLessThan(8 * 1024 + 4096);
    expect(pair.a.stats().queuedMessages).toBeGreaterThan(40);
    expect(pair.a.state).toBe('open');
    // Chat still gets through the reserve.
    pair.send(0, Channel.chat, makePayload(19, 0, 500));
    pair.runFor(20);
    const early = pair.pollEvents(1);
    expect(early.some((e) => e.type === 'message' && e.channel === Channel.chat)).toBe(true);
    // Drain as an application would; the transfer completes.
    expect(
      pair.run(
        () => {
          pair.pollEvents(1);
          return pair.delivered[1].filter((d) => d.channel === Channel.bulk).length === 64;
        },
        { until: pair.now + 10_000 },
      ),
    ).toBe(true);
    const bulk = pair.delivered[1].filter((d) => d.channel === Channel.bulk);
    bulk.forEach((d, i) => expect(bytesEqual(d.data, messages[i]!)).toBe(true));
    expect(violations).toBe(0);
  });
});

describe('Connection: window updates and persist probes', () => {
  /** A sender stalled on a receiver that does not poll; returns the pair at the stall. */
  function stalled(seed: number): TestPair {
    const config = { receiveWindowBytes: 32 * 1024, chatReserveBytes: 4 * 1024 };
    const pair = new TestPair({ seed, config, link: { delayMs: 1 }, autoPollEvents: false });
    for (let i = 0; i < 40; i++) pair.send(0, Channel.bulk, makePayload(25, i, 2000));
    pair.runFor(200);
    expect(pair.b.stats().receiveWindow).toBeLessThan(6 * 1024);
    expect(pair.a.stats().bytesInFlight).toBe(0);
    return pair;
  }

  it('the receiver announces a reopened window at once', () => {
    const pair = stalled(21);
    pair.pollEvents(1);
    const update = pair.b.pollTransmit(pair.now);
    expect(update).toBeDefined();
    expect(decoded(update!).window).toBe(32 * 1024);
  });

  it('a lost window update is recovered by the sender’s persist probe', () => {
    const pair = stalled(22);
    let dropped = 0;
    pair.dropIf = (from) => from === 1 && dropped++ === 0; // lose B's next packet: the update
    const pingsBefore = pair.a.stats().pingsSent;
    // Well before the 2 s keepalive: the persist probe (backed-off RTO) finds the window.
    expect(
      pair.run(
        () => {
          pair.pollEvents(1);
          return pair.delivered[1].length === 40;
        },
        { until: pair.now + 1000 },
      ),
    ).toBe(true);
    expect(dropped).toBeGreaterThan(0);
    expect(pair.a.stats().pingsSent).toBeGreaterThan(pingsBefore);
    pair.delivered[1].forEach((d, i) => expect(bytesEqual(d.data, makePayload(25, i, 2000))).toBe(true));
  });
});

describe('Connection: channels', () => {
  it('a lost bulk fragment never delays chat', () => {
    const pair = new TestPair({ seed: 18, link: { delayMs: 2 } });
    // Lose one bulk fragment (and its retransmissions) for a long while.
    const until = 300;
    pair.dropIf = (from, bytes) =>
      from === 0 && pair.now < until && decoded(bytes).streams.some((s) => s.channel === Channel.bulk && s.offset <= 50_000 && s.offset + s.data.length > 50_000);
    pair.send(0, Channel.bulk, makePayload(20, 0, 400_000));
    pair.runFor(20);
    const chatSentAt: number[] = [];
    for (let i = 0; i < 10; i++) {
      chatSentAt.push(pair.now);
      pair.send(0, Channel.chat, makePayload(21, i, 80));
      pair.runFor(10);
    }
    expect(pair.run(() => pair.delivered[1].length === 11, { until: 10_000 })).toBe(true);
    const chat = pair.delivered[1].filter((d) => d.channel === Channel.chat);
    const bulk = pair.delivered[1].find((d) => d.channel === Channel.bulk)!;
    expect(bulk.at).toBeGreaterThanOrEqual(until);
    chat.forEach((d, i) => {
      expect(bytesEqual(d.data, makePayload(21, i, 80))).toBe(true);
      expect(d.at - chatSentAt[i]!).toBeLessThan(6); // one-way 2 ms, plus queueing behind bulk
    });
  });

  it('chat goes out ahead of queued bulk', () => {
    const pair = new TestPair({ seed: 19, link: { delayMs: 1, bandwidthBytesPerMs: 20_000, queueBytes: 200_000 } });
    pair.send(0, Channel.bulk, makePayload(22, 0, 4_000_000));
    pair.runFor(50);
    let firstDataAfter: DecodedPacket | undefined;
    pair.onTransmit = (from, bytes) => {
      const p = decoded(bytes);
      if (from === 0 && firstDataAfter === undefined && p.streams.length > 0) firstDataAfter = p;
    };
    const t0 = pair.now;
    pair.send(0, Channel.chat, makePayload(23, 0, 200));
    expect(pair.run(() => pair.delivered[1].some((d) => d.channel === Channel.chat), { until: t0 + 1000 })).toBe(true);
    expect(firstDataAfter?.streams[0]?.channel).toBe(Channel.chat);
    const chat = pair.delivered[1].find((d) => d.channel === Channel.chat)!;
    // Behind at most the link queue the bulk already filled (≤ 200 KB at 20 KB/ms) plus delay.
    expect(chat.at - t0).toBeLessThan(15);
    expect(pair.delivered[1].some((d) => d.channel === Channel.bulk)).toBe(false);
  });
});

describe('Connection: bad input', () => {
  it('never throws on garbage packets, counts them and stays usable', () => {
    const c = createConnection({}, 0);
    let x = 12345;
    for (let i = 0; i < 2000; i++) {
      const len = i % 60;
      const bytes = new Uint8Array(len);
      for (let j = 0; j < len; j++) {
        x = (Math.imul(x, 1103515245) + 12345) >>> 0;
        bytes[j] = x >>> 24;
      }
      if (len > 0 && i % 2 === 0) bytes[0] = 1; // right version, garbage after
      c.handlePacket(bytes, i);
    }
    expect(() => c.handlePacket(undefined as unknown as Uint8Array, 1)).not.toThrow();
    expect(c.state).toBe('open');
    expect(c.stats().malformedPackets).toBeGreaterThan(1500);
  });

  it('refuses invalid sends and stops after close', () => {
    const c = new Connection({ maxMessageBytes: 1000 }, 0);
    expect(c.send(7 as never, new Uint8Array(1), 0)).toBe(false);
    expect(c.send(Channel.chat, 'text' as never, 0)).toBe(false);
    expect(c.send(Channel.chat, new Uint8Array(1001), 0)).toBe(false);
    expect(c.send(Channel.chat, new Uint8Array(1000), 0)).toBe(true);
    expect(c.pollTransmit(0)).toBeDefined();
    c.close();
    expect(c.state).toBe('closed');
    expect(c.send(Channel.chat, new Uint8Array(1), 1)).toBe(false);
    expect(c.pollTransmit(1)).toBeUndefined();
    expect(c.pollTimeout()).toBeUndefined();
    expect(c.pollEvent()).toBeUndefined();
  });

  it('rejects an invalid config with every reason', () => {
    expect(() => new Connection({ maxPacketBytes: 10, rtoMinMs: -1 })).toThrow(/maxPacketBytes.*rtoMinMs/);
  });

  it('tolerates a clock that runs backwards', () => {
    const pair = new TestPair({ seed: 20, link: { delayMs: 1 } });
    pair.send(0, Channel.chat, makePayload(24, 0, 10));
    pair.runFor(5);
    expect(() => pair.a.handleTimeout(-1000)).not.toThrow();
    expect(pair.a.pollTransmit(Number.NaN)).toBeUndefined();
    pair.send(0, Channel.chat, makePayload(24, 1, 10));
    expect(pair.run(() => pair.delivered[1].length === 2, { until: 1000 })).toBe(true);
  });
});

describe('Connection: packet size', () => {
  it('never emits a packet above maxPacketBytes, even with many ACK ranges and a probe', () => {
    const config = { maxPacketBytes: 256, maxAckRanges: 64 };
    const pair = new TestPair({ seed: 30, config, link: { delayMs: 1, lossRate: 0.3, reorderRate: 0.2, reorderDelayMs: 5 } });
    let largest = 0;
    pair.onTransmit = (_from, bytes) => {
      largest = Math.max(largest, bytes.length);
      decoded(bytes);
    };
    for (let i = 0; i < 300; i++) {
      pair.send(0, Channel.chat, makePayload(31, i, (i * 37) % 400));
      pair.send(1, Channel.bulk, makePayload(32, i, 500));
      pair.runFor(0.5);
    }
    expect(pair.run(() => pair.delivered[0].length === 300 && pair.delivered[1].length === 300, { until: pair.now + 60_000 })).toBe(true);
    expect(largest).toBeLessThanOrEqual(256);
    expect(largest).toBeGreaterThan(200);
  });
});
