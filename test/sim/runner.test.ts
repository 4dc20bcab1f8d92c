import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { defaultEngineFactory } from '../../src/sim/engine.ts';
import { DEFAULT_LINK_SETTINGS, mergeLinkSettings, type LinkSettings } from '../../src/sim/link.ts';
import { buildReport } from '../../src/sim/report.ts';
import type { EngineEvent, ReliableConnection } from '../../src/reliability/types.ts';
import { runSimulation, type EngineFactory, type RunOutcome } from '../../src/sim/runner.ts';
import { defaultSpec, type SimulationSpec } from '../../src/sim/scenario.ts';

function specWith(over: {
  link?: Partial<LinkSettings>;
  workload?: Partial<SimulationSpec['workload']>;
  phases?: SimulationSpec['phases'];
  seed?: number | string;
  engine?: SimulationSpec['engine'];
  limits?: Partial<SimulationSpec['limits']>;
}): SimulationSpec {
  const base = defaultSpec();
  const link = mergeLinkSettings(DEFAULT_LINK_SETTINGS, over.link ?? {});
  return {
    ...base,
    seed: over.seed ?? 1,
    forward: link,
    reverse: { ...link },
    phases: over.phases ?? [],
    workload: { ...base.workload, messages: 200, messageRate: 100, ...over.workload },
    engine: over.engine ?? {},
    limits: { ...base.limits, ...over.limits },
  };
}

function run(spec: SimulationSpec): RunOutcome {
  return runSimulation(spec, defaultEngineFactory);
}

/** Everything a passing run must satisfy, with what failed in the message. */
function expectPerfect(spec: SimulationSpec, outcome: RunOutcome): void {
  const report = buildReport(spec, outcome);
  expect(report.problems, JSON.stringify({ forward: spec.forward, workload: spec.workload, seed: spec.seed })).toEqual([]);
  expect(report.ok).toBe(true);
  expect(outcome.status).toBe('completed');
  for (const channel of ['chat', 'bulk'] as const) {
    const c = report.channels[channel];
    expect(c.delivered).toBe(c.expected);
    expect(c.duplicated + c.outOfOrder + c.corrupted + c.refused).toBe(0);
  }
}

describe('runSimulation with the real engine', () => {
  it('a clean link delivers every message once, in order, with latency = the one-way delay', () => {
    const spec = specWith({ link: { delayMs: 10 } });
    const outcome = run(spec);
    expectPerfect(spec, outcome);
    const report = buildReport(spec, outcome);
    expect(report.latency.p50).toBe(10);
    expect(report.latency.max).toBe(10);
    expect(report.retransmissions.total).toBe(0);
    expect(report.datagrams.perMessage).toBeCloseTo(1, 5);
    expect(report.completionMs).toBeCloseTo(199 * 10 + 10, 6);
    expect(outcome.links.forward.dropped).toEqual({ loss: 0, burst: 0, queue: 0, partition: 0 });
  });

  it('chat and a file at once, both complete', () => {
    const spec = specWith({ link: { delayMs: 5, rateBps: 10e6 }, workload: { messages: 100, fileBytes: 300_000, chunkBytes: 16_384 } });
    const outcome = run(spec);
    expectPerfect(spec, outcome);
    expect(outcome.channels.bulk.delivered).toBe(Math.ceil(300_000 / 16_384));
    expect(outcome.channels.bulk.payloadBytesDelivered).toBe(300_000);
  });

  it('is deterministic: the same spec gives the same outcome', () => {
    const spec = specWith({ link: { loss: 0.2, burst: 3, delayMs: 20, jitterMs: 10, dup: 0.05, reorder: 0.1, corrupt: 0.02 } });
    expect(run(spec)).toEqual(run(spec));
    const other = run({ ...spec, seed: 2 });
    expect(other.links.forward.dropped).not.toEqual(run(spec).links.forward.dropped);
  });

  it('property: up to 50% loss with bursts, duplication, reordering and corruption — exactly once, in order, intact', () => {
    const settings = fc.record({
      loss: fc.double({ min: 0, max: 0.5, noNaN: true }),
      burst: fc.oneof(fc.constant(1), fc.double({ min: 1, max: 6, noNaN: true })),
      delayMs: fc.double({ min: 0, max: 80, noNaN: true }),
      jitterMs: fc.double({ min: 0, max: 20, noNaN: true }),
      dup: fc.double({ min: 0, max: 0.2, noNaN: true }),
      reorder: fc.double({ min: 0, max: 0.2, noNaN: true }),
      corrupt: fc.double({ min: 0, max: 0.1, noNaN: true }),
      rateBps: fc.option(fc.double({ min: 1e6, max: 1e8, noNaN: true }), { nil: undefined }),
    });
    const workload = fc.record({
      messages: fc.integer({ min: 1, max: 120 }),
      messageBytes: fc.integer({ min: 0, max: 1500 }),
      messageRate: fc.constantFrom(0, 50, 500),
      fileBytes: fc.constantFrom(0, 0, 40_000),
    });
    // With the engine's default settings, dead-peer detection included: a live peer — however lossy
    // the link — is never declared dead (probes carry a PING, each is answered with several ACKs,
    // and silence gets many probe rounds before the idle timeout).
    fc.assert(
      fc.property(settings, workload, fc.nat(), (link, w, seed) => {
        const spec = specWith({ link, workload: { ...w, chunkBytes: 8192 }, seed, limits: { durationMs: 10 * 60_000 } });
        expectPerfect(spec, run(spec));
      }),
      { numRuns: 150 },
    );
  });

  it('with its default limits, the engine keeps a live peer over a link losing 30% each way', () => {
    for (let seed = 0; seed < 20; seed++) {
      const spec = specWith({ link: { loss: 0.3, delayMs: 20 }, workload: { messages: 200, messageRate: 20 }, seed });
      expectPerfect(spec, run(spec));
    }
  });

  it('every corrupted datagram is caught by the CRC before the engine', () => {
    const spec = specWith({ link: { corrupt: 0.2, delayMs: 5 }, workload: { messages: 300 } });
    const outcome = run(spec);
    expectPerfect(spec, outcome);
    expect(outcome.links.forward.corrupted).toBeGreaterThan(20);
    expect(outcome.framing.forward.corruptionCaught).toBe(outcome.links.forward.corrupted);
    expect(outcome.framing.reverse.corruptionCaught).toBe(outcome.links.reverse.corrupted);
    expect(Object.values(outcome.framing.forward.rejected).every((n) => n === 0)).toBe(true);
  });

  it('a partition shorter than the dead-peer limit: late, but all delivered in order', () => {
    const spec = specWith({
      link: { delayMs: 20 },
      workload: { messages: 500, messageRate: 50 },
      phases: [
        { atMs: 3000, forward: { partition: true }, reverse: { partition: true } },
        { atMs: 6000, forward: { partition: false }, reverse: { partition: false } },
      ],
    });
    const outcome = run(spec);
    expectPerfect(spec, outcome);
    expect(outcome.links.forward.dropped.partition).toBeGreaterThan(0);
    expect(Math.max(...outcome.channels.chat.latencies)).toBeGreaterThan(2500);
    expect(outcome.lost).toEqual([]);
  });

  it('a partition longer than the dead-peer limit: each end reports the peer lost exactly once', () => {
    const idleTimeoutMs = 4000;
    const spec = specWith({
      link: { delayMs: 10 },
      engine: { idleTimeoutMs, keepaliveIntervalMs: 1000 },
      workload: { messages: 300, messageRate: 20 },
      phases: [{ atMs: 2000, forward: { partition: true }, reverse: { partition: true } }],
    });
    const outcome = run(spec);
    expect(outcome.status).toBe('lost');
    expect(outcome.lost.map((l) => l.role).sort()).toEqual(['receiver', 'sender']);
    for (const l of outcome.lost) {
      expect(l.atMs).toBeGreaterThan(2000);
      expect(l.atMs).toBeLessThanOrEqual(2000 + idleTimeoutMs + 2000);
    }
    expect(outcome.channels.chat.refused).toBeGreaterThan(0);
    const report = buildReport(spec, outcome);
    expect(report.ok).toBe(false);
    expect(report.problems.join(' ')).toMatch(/declared its peer lost/);
  });

  it('a bandwidth squeeze phase causes tail drops only while it lasts, and still delivers everything', () => {
    const spec = specWith({
      link: { delayMs: 10, rateBps: 20e6, queueBytes: 128 * 1024 },
      workload: { messages: 100, messageRate: 20, fileBytes: 1_000_000, chunkBytes: 16_384 },
      phases: [
        { atMs: 200, forward: { rateBps: 1e6, queueBytes: 16 * 1024 }, reverse: {} },
        { atMs: 3000, forward: { rateBps: 20e6, queueBytes: 128 * 1024 }, reverse: {} },
      ],
    });
    const outcome = run(spec);
    expectPerfect(spec, outcome);
    expect(outcome.links.forward.dropped.queue).toBeGreaterThan(0);
  });

  it('stops at the event limit and at the duration limit', () => {
    const spec = specWith({ link: { delayMs: 10 }, limits: { events: 50 } });
    const byEvents = run(spec);
    expect(byEvents.status).toBe('event-limit');
    expect(byEvents.events).toBeLessThan(60);
    const byTime = run(specWith({ link: { delayMs: 10 }, limits: { durationMs: 500 } }));
    expect(byTime.status).toBe('time-limit');
    expect(byTime.virtualDurationMs).toBeLessThanOrEqual(500);
    expect(buildReport(spec, byEvents).ok).toBe(false);
  });

  it('a link that loses everything for good ends the run without completing', () => {
    const spec = specWith({ link: { loss: 1 }, workload: { messages: 5 }, engine: { idleTimeoutMs: 2000, keepaliveIntervalMs: 500 } });
    const outcome = run(spec);
    expect(outcome.status).toBe('lost');
    expect(outcome.channels.chat.delivered).toBe(0);
    expect(outcome.virtualDurationMs).toBeLessThan(60_000);
  });

  describe('catches an engine that breaks its promises', () => {
    /** The real engine for the receiver, with its delivered events passed through `tamper`. */
    function tampering(tamper: (event: EngineEvent, index: number) => EngineEvent[]): EngineFactory {
      return (role, now, config) => {
        const engine = defaultEngineFactory(role, now, config);
        if (role === 'sender') return engine;
        const pending: EngineEvent[] = [];
        let index = 0;
        const wrapped: ReliableConnection = Object.create(engine) as ReliableConnection;
        wrapped.pollEvent = (): EngineEvent | undefined => {
          if (pending.length === 0) {
            const ev = engine.pollEvent();
            if (ev === undefined) return undefined;
            pending.push(...(ev.type === 'message' ? tamper(ev, index++) : [ev]));
          }
          return pending.shift();
        };
        return wrapped;
      };
    }
    const spec = specWith({ link: { delayMs: 5 }, workload: { messages: 50 } });

    it('an engine that throws: reported as crashed, not thrown', () => {
      let calls = 0;
      const outcome = runSimulation(spec, (role, now, config) => {
        const engine = defaultEngineFactory(role, now, config);
        if (role === 'sender') return engine;
        const wrapped: ReliableConnection = Object.create(engine) as ReliableConnection;
        wrapped.handlePacket = (packet, t): void => {
          if (++calls === 20) throw new Error('boom');
          engine.handlePacket(packet, t);
        };
        return wrapped;
      });
      expect(outcome.status).toBe('crashed');
      expect(outcome.error).toMatch(/^boom \(at virtual [\d.]+ ms\)$/);
      expect(buildReport(spec, outcome).problems[0]).toMatch(/an engine threw: boom/);
    });

    it('a duplicate delivery', () => {
      const outcome = runSimulation(spec, tampering((ev, i) => (i === 10 ? [ev, ev] : [ev])));
      expect(outcome.channels.chat.duplicated).toBe(1);
      expect(buildReport(spec, outcome).ok).toBe(false);
    });

    it('an out-of-order delivery', () => {
      let held: EngineEvent | undefined;
      const outcome = runSimulation(
        spec,
        tampering((ev, i) => {
          if (i === 10) {
            held = ev;
            return [];
          }
          return i === 11 && held ? [ev, held] : [ev];
        }),
      );
      expect(outcome.channels.chat.outOfOrder).toBe(1);
      expect(outcome.channels.chat.delivered).toBe(50);
      expect(buildReport(spec, outcome).problems).toContain('1 out-of-order deliveries');
    });

    it('a corrupted delivery', () => {
      const outcome = runSimulation(
        spec,
        tampering((ev, i) => {
          if (i !== 7 || ev.type !== 'message') return [ev];
          const data = ev.data.slice();
          data[data.length - 1] = (data[data.length - 1] as number) ^ 1;
          return [{ ...ev, data }];
        }),
      );
      expect(outcome.channels.chat.corrupted).toBe(1);
      expect(outcome.channels.chat.delivered).toBe(49);
      // The engine has everything acknowledged: the run stops there rather than idling to the limit.
      expect(outcome.status).toBe('stalled');
      expect(outcome.virtualDurationMs).toBeLessThan(1000);
    });
  });
});
