// Regressions for the engine follow-up's findings, judged on whole simulated runs (src/sim) with
// the default engine settings: exactly the runs `dualchat simulate` makes for these flags.
//   1. a live peer declared dead at high loss (the dead-peer counter, ACKs lost in bursts);
//   2. datagrams per message far above the ideal at 20–30 % loss;
//   3. chat waiting behind bulk's standing queue and its loss recovery.

import { describe, expect, it } from 'vitest';
import { readScenario } from '../../src/cli/scenario-file.ts';
import { defaultEngineFactory } from '../../src/sim/engine.ts';
import { DEFAULT_LINK_SETTINGS, mergeLinkSettings, type LinkSettings } from '../../src/sim/link.ts';
import { defaultSpec, type SimulationSpec } from '../../src/sim/scenario.ts';
import { planSimulation, type SimulateFlags } from '../../src/sim/options.ts';
import { buildReport, type RunReport } from '../../src/sim/report.ts';
import { runSimulation } from '../../src/sim/runner.ts';

/** What `dualchat simulate` would run and report for these flags (and shipped scenario). */
function simulate(flags: SimulateFlags, scenario?: string): RunReport {
  let read: { value: unknown; label: string } | undefined;
  if (scenario !== undefined) {
    const r = readScenario(scenario);
    if (!r.ok) throw new Error(r.error);
    read = r;
  }
  const planned = planSimulation(flags, read);
  if (!planned.ok) throw new Error(planned.errors.join('; '));
  const spec = planned.plan.base;
  return buildReport(spec, runSimulation(spec, defaultEngineFactory));
}

/** A run like test/sim/runner.test.ts's property makes: one link setting both ways, default engine. */
function simulateCase(link: Partial<LinkSettings>, workload: Partial<SimulationSpec['workload']>, seed: number): RunReport {
  const base = defaultSpec();
  const l = mergeLinkSettings(DEFAULT_LINK_SETTINGS, link);
  const spec: SimulationSpec = {
    ...base,
    seed,
    forward: l,
    reverse: { ...l },
    workload: { ...base.workload, ...workload, chunkBytes: 8192 },
    limits: { ...base.limits, durationMs: 10 * 60_000 },
  };
  return buildReport(spec, runSimulation(spec, defaultEngineFactory));
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return (s[(s.length - 1) >> 1]! + s[s.length >> 1]!) / 2;
}

describe('finding 1: a live peer is not declared dead at high loss', () => {
  it('the reported command line, and 15-second chats losing 40% and 50% each way (20 seeds each)', () => {
    const repro = simulate({ loss: '0.31429376080632215', rate: '1mbit', messages: '112', size: '567', msgRate: '0', file: '40000', chunk: '8192', seed: '0' });
    expect(repro.problems).toEqual([]);
    for (const loss of ['0.4', '0.5']) {
      for (let seed = 0; seed < 20; seed++) {
        const r = simulate({ loss, messages: '150', msgRate: '10', delay: '20ms', seed: String(seed) });
        expect(r.problems, `loss ${loss} seed ${seed}`).toEqual([]);
        expect(r.lost).toEqual([]);
      }
    }
  });

  // Runs of the simulator's property (test/sim/runner.test.ts) that declared a live peer dead
  // before: bursty loss (mean bursts of 4–6 datagrams) swallowed every single ACK sent per probe.
  const cases: Array<[Partial<LinkSettings>, Partial<SimulationSpec['workload']>, number]> = [
    [{ loss: 0.2709, burst: 4.956, delayMs: 15.28, jitterMs: 16.01, dup: 0.068, reorder: 0.1, corrupt: 0.04 }, { messages: 110, messageBytes: 537, messageRate: 50, fileBytes: 0 }, 1777569880],
    [{ loss: 0.1517, burst: 5.468, delayMs: 9.42, jitterMs: 15.35, dup: 0.15, reorder: 0.0567, corrupt: 0.0496 }, { messages: 22, messageBytes: 896, messageRate: 50, fileBytes: 40000 }, 655487853],
    [{ loss: 0.4874, burst: 4.279, delayMs: 2.04, jitterMs: 2.11, dup: 0.0016, reorder: 0.174, corrupt: 0.08, rateBps: 52411359 }, { messages: 40, messageBytes: 1279, messageRate: 50, fileBytes: 0 }, 410690707],
    [{ loss: 0.3126, burst: 5.909, delayMs: 72.73, jitterMs: 8.84, dup: 0.0149, reorder: 0.103, corrupt: 0.0797, rateBps: 67120544 }, { messages: 69, messageBytes: 739, messageRate: 0, fileBytes: 0 }, 2100322101],
    [{ loss: 0.3193, burst: 5.979, delayMs: 73.94, jitterMs: 6.6, dup: 0.125, reorder: 0.112, corrupt: 0.0272, rateBps: 67341755 }, { messages: 101, messageBytes: 200, messageRate: 500, fileBytes: 40000 }, 869883642],
    [{ loss: 0.4206, burst: 5.435, delayMs: 47.87, jitterMs: 11.99, dup: 0.197, reorder: 0.131, corrupt: 0.0185, rateBps: 11922050 }, { messages: 63, messageBytes: 704, messageRate: 500, fileBytes: 0 }, 836875002],
    [{ loss: 0.336, burst: 4.952, delayMs: 48.72, jitterMs: 10.11, dup: 0.14, reorder: 0.0444, corrupt: 0.0535, rateBps: 83104779 }, { messages: 101, messageBytes: 896, messageRate: 50, fileBytes: 0 }, 154960872],
  ];
  it('bursty loss that swallowed every single ACK per probe (cases the property test found)', () => {
    for (const [link, workload, seed] of cases) {
      const r = simulateCase(link, workload, seed);
      expect(r.problems, JSON.stringify({ link, workload, seed })).toEqual([]);
    }
  });

  it('wifi, seed 3 (a burst of lost ACKs when each probe got one ACK)', () => {
    const r = simulate({ seed: '3' }, 'wifi');
    expect(r.problems).toEqual([]);
  });
});

describe('finding 2: transmissions per fresh byte stay within 1.1× the ideal 1/(1 − p) at high loss', () => {
  for (const loss of ['0.2', '0.3']) {
    it(`bulk at ${Number(loss) * 100}% loss each way`, () => {
      const r = simulate({ delay: '20ms', jitter: '2ms', file: '1mb', rate: '20mbit', queue: '256kib', loss, seed: '1' });
      expect(r.problems).toEqual([]);
      expect((r.dataBytes.perFreshByte ?? NaN) / (r.dataBytes.idealPerFreshByte ?? NaN)).toBeLessThanOrEqual(1.1);
    });
  }

  it('sparse chat (each line alone) at 30% loss', () => {
    const r = simulate({ delay: '20ms', jitter: '2ms', messages: '300', msgRate: '2', loss: '0.3', seed: '1' });
    expect(r.problems).toEqual([]);
    expect((r.dataBytes.perFreshByte ?? NaN) / (r.dataBytes.idealPerFreshByte ?? NaN)).toBeLessThanOrEqual(1.1);
    // Each line alone in its datagram: the datagram count is the byte count's twin.
    expect(r.datagrams.messagesPerFreshDatagram).toBeCloseTo(1, 2);
  });
});

describe('finding 3: chat beside bulk', () => {
  it('a deep bottleneck buffer: bulk keeps a small standing queue, and chat waits behind no more', () => {
    // 10 Mbit/s, 10 ms each way, a 1 MB buffer (800 ms): the queue target is 0.25 · 20 ms = 5 ms.
    const r = simulate({ file: '5mb', messages: '200', msgRate: '10', rate: '10mbit', delay: '10ms', queue: '1mb', seed: '1' });
    expect(r.problems).toEqual([]);
    const chat = r.channels.chat.latency;
    expect(chat.p99).toBeLessThanOrEqual(10 + 5 + 5);
    expect(chat.max).toBeLessThanOrEqual(10 + 40); // slow start's overshoot, drained within a round trip or two
    // …and bulk still runs at the link's rate: 5 MB + framing in ~4.2 s.
    expect(r.channels.bulk.latency.max).toBeLessThan(4600);
  });

  it('10% loss in bursts: chat p99 within a few round trips (median over 10 seeds)', () => {
    const p99s: number[] = [];
    for (let seed = 1; seed <= 10; seed++) {
      const r = simulate({ file: '5mb', messages: '200', msgRate: '10', rate: '10mbit', loss: '0.1', burst: '3', delay: '10ms', seed: String(seed) });
      expect(r.problems).toEqual([]);
      p99s.push(r.channels.chat.latency.p99 ?? Infinity);
    }
    // Base RTT 20 ms; a lost line is found within a round trip and resent; a repeat loss costs more.
    expect(median(p99s)).toBeLessThanOrEqual(200);
  });

  it('the squeeze scenario: chat p99 within one-way delay + the small queue, while bulk is squeezed', () => {
    const r = simulate({}, 'squeeze');
    expect(r.problems).toEqual([]);
    expect(r.channels.chat.latency.p99).toBeLessThanOrEqual(15 + 1 + 15);
  });
});
