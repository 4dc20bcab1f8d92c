import { describe, expect, it } from 'vitest';
import { LossTolerant } from '../../src/reliability/congestion/loss-tolerant.ts';
import { DEFAULT_ENGINE_CONFIG, resolveEngineConfig, type ResolvedEngineConfig } from '../../src/reliability/config.ts';
import { createConnection } from '../../src/reliability/index.ts';
import { Channel, type EngineEvent } from '../../src/reliability/types.ts';
import { EngineDriver, SOCKET_ENGINE_CONFIG, SOCKET_QUEUE_DELAY_MIN_MS, type DrivenEngine } from '../../src/udp/engine-driver.ts';

function socketConfig(): ResolvedEngineConfig {
  const r = resolveEngineConfig(SOCKET_ENGINE_CONFIG);
  if (!r.ok) throw new Error(r.errors.join('; '));
  return r.config;
}

/** A loss-tolerant controller with `config`'s parameters, reading an RTT view the test sets. */
function controller(config: ResolvedEngineConfig, recent: number, base: number): LossTolerant {
  const rtt = { smoothed: recent, min: base, latest: recent, recentMin: recent, baseRtt: base };
  return new LossTolerant(
    {
      maxDatagramBytes: config.maxPacketBytes,
      initialWindowBytes: config.initialWindowBytes,
      minWindowBytes: config.minWindowBytes,
      lossReductionFactor: config.lossReductionFactor,
      lossTolerance: config.lossTolerance,
      queueDelayFactor: config.queueDelayFactor,
      queueDelayMinMs: config.queueDelayMinMs,
    },
    rtt,
  );
}

describe('SOCKET_ENGINE_CONFIG', () => {
  it('is a valid engine config that raises the queue-delay floor and pings on open', () => {
    const config = socketConfig();
    expect(config.queueDelayMinMs).toBe(SOCKET_QUEUE_DELAY_MIN_MS);
    expect(config.queueDelayMinMs).toBeGreaterThan(DEFAULT_ENGINE_CONFIG.queueDelayMinMs);
    expect(config.openPings).toBe(1);
    expect(Object.keys(SOCKET_ENGINE_CONFIG).sort()).toEqual(['openPings', 'queueDelayMinMs']);
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
