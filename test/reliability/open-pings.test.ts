import { describe, expect, it } from 'vitest';
import { resolveEngineConfig } from '../../src/reliability/config.ts';
import { Connection } from '../../src/reliability/connection.ts';
import { Channel } from '../../src/reliability/types.ts';

/** Packets `from` wants to send now (bounded). */
function drain(from: Connection, now: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i < 64; i++) {
    const p = from.pollTransmit(now);
    if (!p) break;
    out.push(p.slice());
  }
  return out;
}

describe('openPings', () => {
  it('is validated like every option', () => {
    expect(resolveEngineConfig({ openPings: 3 }).ok).toBe(false);
    expect(resolveEngineConfig({ openPings: 0.5 }).ok).toBe(false);
    expect(resolveEngineConfig({ openPings: 1 }).ok).toBe(true);
  });

  it('sends nothing on open by default', () => {
    const a = new Connection({}, 0);
    expect(a.pollTimeout()).not.toBe(0);
    expect(drain(a, 0)).toHaveLength(0);
  });

  it('pings at once and has an RTT sample one round trip later', () => {
    const a = new Connection({ openPings: 1 }, 0);
    const b = new Connection({}, 0);
    expect(a.pollTimeout()).toBe(0);
    const pings = drain(a, 0);
    expect(pings).toHaveLength(1);
    expect(a.stats().pingsSent).toBe(1);
    for (const p of pings) b.handlePacket(p, 0.5);
    const acks = drain(b, 0.5);
    expect(acks.length).toBeGreaterThan(0);
    for (const p of acks) a.handlePacket(p, 1);
    expect(a.stats().srtt).toBeCloseTo(1, 5);
    expect(a.stats().bytesInFlight).toBe(0);
  });

  it('recovers a lost first message within the RTO floor instead of the 200 ms pre-sample timeout', () => {
    const run = (openPings: number): number => {
      const a = new Connection({ openPings, keepaliveIntervalMs: 0 }, 0);
      const b = new Connection({ keepaliveIntervalMs: 0 }, 0);
      let now = 0;
      // Opening exchange (nothing if openPings is 0).
      for (const p of drain(a, now)) b.handlePacket(p, now + 0.5);
      now = 0.5;
      for (const p of drain(b, now)) a.handlePacket(p, now + 0.5);
      now = 10;
      a.send(Channel.chat, new Uint8Array([1, 2, 3]), now);
      drain(a, now); // the first message is lost
      // Step through both ends' timers, every later packet delivered at once, until b has the message (bounded).
      for (let i = 0; i < 100; i++) {
        const ta = a.pollTimeout() ?? Infinity;
        const tb = b.pollTimeout() ?? Infinity;
        if (ta === Infinity && tb === Infinity) break;
        now = Math.max(now, Math.min(ta, tb));
        if (ta <= now) a.handleTimeout(now);
        if (tb <= now) b.handleTimeout(now);
        for (let k = 0; k < 8; k++) {
          const fromA = drain(a, now);
          const fromB = drain(b, now);
          if (fromA.length === 0 && fromB.length === 0) break;
          for (const p of fromA) b.handlePacket(p, now);
          for (const p of fromB) a.handlePacket(p, now);
        }
        const ev = b.pollEvent();
        if (ev?.type === 'message') return now - 10;
      }
      return Infinity;
    };
    expect(run(0)).toBeGreaterThanOrEqual(200);
    expect(run(1)).toBeLessThan(30);
  });
});
