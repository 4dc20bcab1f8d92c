// The simulator's figures must be trustworthy: every count a report shows in two places is the same
// count, and the efficiency figure compares like with like (transmissions per fresh byte against
// 1/(1 − p)), so no run can look "better than ideal" because lines share datagrams or a resent piece
// rode with new bytes.
import { describe, expect, it } from 'vitest';
import { readScenario, shippedScenarioNames } from '../../src/cli/scenario-file.ts';
import { defaultEngineFactory } from '../../src/sim/engine.ts';
import { mergeLinkSettings } from '../../src/sim/link.ts';
import { planSimulation } from '../../src/sim/options.ts';
import { buildReport, formatReport, type LinkReport, type RunReport } from '../../src/sim/report.ts';
import { runSimulation } from '../../src/sim/runner.ts';
import { defaultSpec, type SimulationSpec } from '../../src/sim/scenario.ts';

function scenarioReport(name: string, seed: number): RunReport {
  const read = readScenario(name);
  if (!read.ok) throw new Error(read.error);
  const planned = planSimulation({ seed: String(seed) }, read);
  if (!planned.ok) throw new Error(planned.errors.join('; '));
  const spec = planned.plan.base;
  return buildReport(spec, runSimulation(spec, defaultEngineFactory));
}

function dropped(l: LinkReport): number {
  return l.dropped.loss + l.dropped.burst + l.dropped.queue + l.dropped.partition;
}

/** Every figure that a report shows twice, or that follows from others, agrees. */
function expectConsistent(r: RunReport, where: string): void {
  const d = r.datagrams;
  const b = r.dataBytes;
  const fwd = r.links.forward;
  const rev = r.links.reverse;
  expect(d.sent + d.senderOther, `${where}: data + other = forward`).toBe(d.forward);
  expect(d.forward, `${where}: datagrams table vs link table (→)`).toBe(fwd.sent);
  expect(d.reverse, `${where}: datagrams table vs link table (←)`).toBe(rev.sent);
  expect(d.total, where).toBe(d.forward + d.reverse);
  expect(d.acks, where).toBeLessThanOrEqual(d.reverse);
  for (const l of [fwd, rev]) {
    // What leaves a link: what went in, less the drops, plus the copies, less what is still on it.
    expect(l.delivered, `${where}: link balance`).toBe(l.sent - dropped(l) + l.duplicated - l.inFlight);
    expect(l.framing.corruptionCaught, where).toBeLessThanOrEqual(l.corrupted);
    expect(Number.isInteger(l.queuePeakBytes), `${where}: queue peak is whole bytes`).toBe(true);
  }
  const lost = dropped(fwd) + fwd.framing.corruptionCaught;
  expect(d.lossMeasured, where).toBeCloseTo(fwd.sent > 0 ? lost / fwd.sent : 0, 5);
  // Messages: the total row is the sum of the channel rows.
  for (const key of ['expected', 'sent', 'delivered', 'duplicated', 'outOfOrder', 'corrupted', 'refused', 'bytesDelivered'] as const) {
    expect(r.messages[key], `${where}: total ${key}`).toBe(r.channels.chat[key] + r.channels.bulk[key]);
  }
  // Retransmissions: the packets of resent data only are among those that carried some.
  expect(r.retransmissions.total, where).toBe(r.retransmissions.timeout + r.retransmissions.fast);
  expect(r.retransmissions.total, where).toBeLessThanOrEqual(b.datagramsWithResent);
  expect(b.datagramsWithResent, where).toBeLessThanOrEqual(d.sent);
  expect(b.resent > 0, `${where}: resent bytes iff a datagram carried some`).toBe(b.datagramsWithResent > 0);
  // Every delivered payload byte was sent fresh once (the engine adds a few bytes of framing per message).
  expect(b.fresh, where).toBeGreaterThanOrEqual(r.messages.bytesDelivered);
  if (r.ok) expect(b.resent, `${where}: a run that lost datagrams resent bytes`).toBeGreaterThanOrEqual(lost > 0 && d.sent > 0 ? 1 : 0);
}

describe('report figures agree across tables', () => {
  for (const name of shippedScenarioNames()) {
    it(`${name}, seeds 1–4`, () => {
      for (let seed = 1; seed <= 4; seed++) expectConsistent(scenarioReport(name, seed), `${name} seed ${seed}`);
    });
  }

  it('the outage scenario counts the probes that resent data through the outage', () => {
    const r = scenarioReport('outage', 7);
    expect(r.ok).toBe(false);
    expect(r.dataBytes.datagramsWithResent).toBeGreaterThan(0);
    const text = formatReport(r, { color: false });
    expect(text).toMatch(/retransmits\s+\d+ datagrams of resent data only .*, [1-9]\d* with some/);
    // A partition is no random loss: no 1/(1 − p) ideal to show.
    expect(r.dataBytes.idealPerFreshByte).toBeNull();
    expect(text).toMatch(/per byte .*no 1\/\(1−p\) ideal: a partition/);
  });

  it('says when lines share datagrams instead of showing fewer datagrams than the ideal', () => {
    const r = scenarioReport('outage', 7); // 25 lines/s of 100 B: several per datagram while cwnd-limited
    expect(r.datagrams.messagesPerFreshDatagram).toBeGreaterThan(1);
    expect(formatReport(r, { color: false })).toMatch(/per message\s+[\d.]+ data datagrams \([\d.]+ messages share a fresh datagram\)/);
  });
});

describe('transmissions per fresh byte cannot beat 1/(1 − p) under independent loss', () => {
  const workloads: Record<string, Partial<SimulationSpec['workload']>> = {
    chat: { messages: 300, messageRate: 50, fileBytes: 0 },
    bulk: { messages: 0, fileBytes: 300_000 },
    both: { messages: 200, messageRate: 50, fileBytes: 200_000 },
  };
  for (const loss of [0.05, 0.2, 0.3]) {
    for (const [name, workload] of Object.entries(workloads)) {
      it(`${name} at ${loss * 100} % loss, seeds 1–12`, () => {
        let sentBytes = 0;
        let freshBytes = 0;
        let lost = 0;
        let forward = 0;
        for (let seed = 1; seed <= 12; seed++) {
          const s = defaultSpec();
          const link = mergeLinkSettings(s.forward, { delayMs: 20, jitterMs: 2, loss });
          const spec: SimulationSpec = { ...s, seed, forward: link, reverse: link, workload: { ...s.workload, ...workload } };
          const r = buildReport(spec, runSimulation(spec, defaultEngineFactory));
          expect(r.problems, `seed ${seed}`).toEqual([]);
          expectConsistent(r, `seed ${seed}`);
          const ratio = (r.dataBytes.perFreshByte ?? NaN) / (r.dataBytes.idealPerFreshByte ?? NaN);
          // One run: chance alone (which datagrams, small or large, were lost) moves it a few per cent.
          expect(ratio, `seed ${seed}`).toBeGreaterThan(0.94);
          sentBytes += r.dataBytes.fresh + r.dataBytes.resent;
          freshBytes += r.dataBytes.fresh;
          lost += r.links.forward.dropped.loss;
          forward += r.links.forward.sent;
        }
        // Over the seeds chance averages out: at or above the ideal, within a per cent.
        expect((sentBytes / freshBytes) * (1 - lost / forward)).toBeGreaterThan(0.99);
      });
    }
  }
});

describe('the receiving engine sees the loss of its incoming direction', () => {
  it('the gaps in the sender’s packet numbers match what the link dropped, within the last few in flight', () => {
    for (const seed of [1, 2, 3]) {
      const s = defaultSpec();
      const link = mergeLinkSettings(s.forward, { delayMs: 20, loss: 0.1 });
      const spec: SimulationSpec = { ...s, seed, forward: link, reverse: mergeLinkSettings(s.reverse, { delayMs: 20 }), workload: { ...s.workload, messages: 0, fileBytes: 500_000 } };
      const outcome = runSimulation(spec, defaultEngineFactory);
      const receiver = outcome.engines.receiver;
      const dropped = outcome.links.forward.dropped.loss;
      expect(dropped, `seed ${seed}`).toBeGreaterThan(20);
      // The sender's ACK-based count of its own losses sees them too; the receiver's own count is of
      // packets it never got, whatever the sender learned.
      expect(Math.abs(receiver.peerPacketsMissing - dropped), `seed ${seed}`).toBeLessThanOrEqual(3);
      expect(receiver.peerPacketsSpanned, `seed ${seed}`).toBeGreaterThanOrEqual(outcome.links.forward.sent - 3);
    }
  });
});
