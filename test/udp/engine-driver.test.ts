import { describe, expect, it } from 'vitest';
import { lossTolerantParams } from '../../src/reliability/congestion/index.ts';
import { LossTolerant } from '../../src/reliability/congestion/loss-tolerant.ts';
import { DEFAULT_ENGINE_CONFIG, resolveEngineConfig, type ResolvedEngineConfig } from '../../src/reliability/config.ts';
import { createConnection } from '../../src/reliability/index.ts';
import { Channel, type EngineEvent } from '../../src/reliability/types.ts';
import {
  CLIENT_ENGINE_CONFIG,
  CLIENT_KEEPALIVE_INTERVAL_MS,
  EngineDriver,
  SERVER_KEEPALIVE_INTERVAL_MS,
  SERVER_PEER_SILENCE_MS,
  SOCKET_ENGINE_CONFIG,
  SOCKET_MAX_MESSAGES_IN_FLIGHT,
  SOCKET_QUEUE_DELAY_MIN_MS,
  SOCKET_RTO_MIN_MS,
  type DrivenEngine,
} from '../../src/udp/engine-driver.ts';
import { FakeConnection } from './fake-connection.ts';

function socketConfig(): ResolvedEngineConfig {
  const r = resolveEngineConfig(SOCKET_ENGINE_CONFIG);
  if (!r.ok) throw new Error(r.errors.join('; '));
  return r.config;
}

/** A loss-tolerant controller with `config`'s parameters, reading an RTT view the test sets. */
function controller(config: ResolvedEngineConfig, recent: number, base: number): LossTolerant {
  const rtt = { smoothed: recent, min: base, latest: recent, recentMin: recent, baseRtt: base };
  return new LossTolerant(lossTolerantParams(config), rtt);
}

describe('SOCKET_ENGINE_CONFIG', () => {
  it('is a valid engine config that raises the queue-delay and PTO floors, pings on open, sends no idle keepalive and times out a silent client', () => {
    const config = socketConfig();
    expect(config.queueDelayMinMs).toBe(SOCKET_QUEUE_DELAY_MIN_MS);
    expect(config.queueDelayMinMs).toBeGreaterThan(DEFAULT_ENGINE_CONFIG.queueDelayMinMs);
    expect(config.openPings).toBe(1);
    expect(config.keepaliveIntervalMs).toBe(SERVER_KEEPALIVE_INTERVAL_MS);
    expect(config.peerSilenceTimeoutMs).toBe(SERVER_PEER_SILENCE_MS);
    expect(SERVER_PEER_SILENCE_MS).toBeGreaterThan(2 * CLIENT_KEEPALIVE_INTERVAL_MS);
    expect(config.rtoMinMs).toBe(SOCKET_RTO_MIN_MS);
    expect(config.rtoMinMs).toBeGreaterThan(DEFAULT_ENGINE_CONFIG.rtoMinMs);
    // Both ends use it: it is the sender's limit and the receiver's cap on messages held out of order.
    expect(config.maxMessagesInFlight).toBe(SOCKET_MAX_MESSAGES_IN_FLIGHT);
    expect(config.maxMessagesInFlight).toBeLessThan(DEFAULT_ENGINE_CONFIG.maxMessagesInFlight);
    expect(Object.keys(SOCKET_ENGINE_CONFIG).sort()).toEqual(['keepaliveIntervalMs', 'maxMessagesInFlight', 'openPings', 'peerSilenceTimeoutMs', 'queueDelayMinMs', 'rtoMinMs']);
  });

  it('CLIENT_ENGINE_CONFIG is the same plus the client keepalive (under a 30 s NAT timeout), without the silence limit', () => {
    const r = resolveEngineConfig(CLIENT_ENGINE_CONFIG);
    expect(r.ok).toBe(true);
    expect(CLIENT_ENGINE_CONFIG).toEqual({ ...SOCKET_ENGINE_CONFIG, keepaliveIntervalMs: CLIENT_KEEPALIVE_INTERVAL_MS, peerSilenceTimeoutMs: 0 });
    expect(CLIENT_KEEPALIVE_INTERVAL_MS).toBeGreaterThanOrEqual(15_000);
    expect(CLIENT_KEEPALIVE_INTERVAL_MS).toBeLessThan(30_000);
  });

  it('keeps growing the window through event-loop-scale RTT (4 ms over a 0.1 ms loopback base), where the default drains it', () => {
    // Loopback base RTT 0.1 ms; every sample of the last half-RTT ≥ 4 ms because the receiver handles a
    // burst of datagrams in one turn before its ACKs leave — no network queue at all.
    const run = (config: ResolvedEngineConfig): LossTolerant => {
      const cc = controller(config, 4, 0.1);
      let t = 0;
      // Bounded: 2000 acknowledgements, each of a packet sent 4 ms earlier with the window in use.
      for (let i = 0; i < 2000; i++) {
        t += 0.05;
        cc.onAck(t, t - 4, config.maxPacketBytes, true, cc.window);
      }
      return cc;
    };
    const socket = run(socketConfig());
    const defaults = run(DEFAULT_ENGINE_CONFIG);
    expect(socket.queueDrains).toBe(0);
    expect(socket.window).toBeGreaterThan(100 * 1200);
    expect(defaults.queueDrains + defaults.slowStartExits).toBeGreaterThan(0);
    expect(defaults.window).toBeLessThan(socket.window / 4);
  });
});

describe('EngineDriver', () => {
  it('moves a 2 MiB bulk transfer between two driven engines, refilling the window on every ACK', async () => {
    const driverA = new EngineDriver();
    const driverB = new EngineDriver();
    let a: DrivenEngine | undefined;
    let b: DrivenEngine | undefined;
    let received = 0;
    const total = 2 * 1024 * 1024;
    const done = new Promise<void>((resolve, reject) => {
      const deadline = setTimeout(() => reject(new Error(`only ${received} of ${total} bytes within 10 s`)), 10_000);
      const onEvent = (event: EngineEvent): void => {
        if (event.type !== 'message') return;
        received += event.data.length;
        if (received >= total) {
          clearTimeout(deadline);
          resolve();
        }
      };
      // Packets cross in a later turn, like datagrams from a socket.
      a = driverA.attach(createConnection(SOCKET_ENGINE_CONFIG, driverA.now()), {
        transmit: (packet) => setImmediate(() => b?.input(packet.slice())),
        event: () => {},
      });
      b = driverB.attach(createConnection(SOCKET_ENGINE_CONFIG, driverB.now()), {
        transmit: (packet) => setImmediate(() => a?.input(packet.slice())),
        event: onEvent,
      });
    });
    const chunk = new Uint8Array(32 * 1024).fill(7);
    for (let sent = 0; sent < total; sent += chunk.length) expect(a!.send(Channel.bulk, chunk)).toBe(true);
    try {
      await done;
      expect(received).toBe(total);
      const stats = a!.connection.stats();
      expect(stats.packetsLost).toBe(0);
      expect(stats.messagesSent).toBe(total / chunk.length);
    } finally {
      a!.detach();
      b!.detach();
      driverA.stop();
      driverB.stop();
    }
  });
});


describe('EngineDriver timer heap', () => {
  it('files each engine once however often its deadline moves, fires each when due, never a detached one', async () => {
    const driver = new EngineDriver();
    const fakes = Array.from({ length: 200 }, () => new FakeConnection());
    const driven = fakes.map((f) => driver.attach(f, { transmit: () => {}, event: () => {} }));
    const t0 = driver.now();
    // Deadlines move 20 times per engine, later and earlier, each time serviced (a turn apart). They lie
    // 1 s ahead, far beyond what 20 turns take even on a loaded machine, so none is due during the moves.
    for (let round = 0; round < 20; round++) {
      fakes.forEach((f, i) => {
        f.deadline = t0 + 1_000 + ((i * 7 + round * 13) % 40);
      });
      for (const d of driven) d.wake();
      await new Promise((resolve) => setImmediate(resolve));
      expect(driver.scheduled).toBeLessThanOrEqual(fakes.length);
    }
    // A tenth go idle for good (no deadline), a tenth are detached: neither is ever timed out.
    for (let i = 0; i < 20; i++) {
      fakes[i]!.deadline = undefined;
      driven[i]!.wake();
      driven[20 + i]!.detach();
    }
    await new Promise((resolve) => setImmediate(resolve));
    expect(driver.scheduled).toBe(fakes.length - 40);
    const deadline = t0 + 10_000;
    // Bounded wait on the outcome (every filed engine timed out once), not a fixed sleep.
    while (fakes.slice(40).some((f) => f.timeouts === 0) && driver.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
    expect(fakes.slice(40).every((f) => f.timeouts === 1)).toBe(true);
    expect(fakes.slice(0, 40).every((f) => f.timeouts === 0)).toBe(true);
    expect(driver.scheduled).toBe(0);
    driver.stop();
  });
});

describe('EngineDriver driving anything with the poll shape', () => {
  it('flush() services at once; wake() at the end of the turn; a deadline is honoured; detach() ends it', async () => {
    const driver = new EngineDriver();
    const target = new FakeConnection();
    const sent: number[] = [];
    const seen: EngineEvent[] = [];
    // drive(), not attach(): the driver only polls it (a data-plane machine is driven this way).
    const driven = driver.drive(target, { transmit: (p) => sent.push(p.length), event: (e) => seen.push(e) });
    target.outgoing.push(new Uint8Array(1), new Uint8Array(2));
    target.handlePacket();
    driven.flush();
    expect(sent).toEqual([1, 2]);
    expect(seen).toHaveLength(1);

    target.outgoing.push(new Uint8Array(3));
    driven.wake();
    expect(sent).toEqual([1, 2]);
    await new Promise((resolve) => setImmediate(resolve));
    expect(sent).toEqual([1, 2, 3]);

    target.deadline = driver.now() + 20;
    driven.wake();
    const until = driver.now() + 5_000;
    // Bounded wait on the outcome, not a fixed sleep.
    while (target.timeouts === 0 && driver.now() < until) await new Promise((resolve) => setTimeout(resolve, 5));
    expect(target.timeouts).toBe(1);

    driven.detach();
    target.outgoing.push(new Uint8Array(4));
    driven.flush();
    driven.wake();
    await new Promise((resolve) => setImmediate(resolve));
    expect(sent).toEqual([1, 2, 3]);
    expect(driver.scheduled).toBe(0);
    driver.stop();
  });
});
