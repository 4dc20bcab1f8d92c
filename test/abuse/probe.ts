// The bystander of every abuse test: two ordinary users in their own room, one sending chat lines to the
// other, one at a time, timing each from send to delivery. An attack passes its test only if the
// bystanders' chat stays usable while it runs — measured before and during, the same way for every row
// of the abuse issue (docs/operations.md, "Limits").
import { connectedClient, type RawClient } from '../e2e/helpers.ts';

/** Lines per measurement: enough for a p99-ish maximum, few enough to stay under the chat rate (20/s). */
export const PROBE_LINES = 20;
/** Gap between probe lines: keeps a measurement under the chat rate limit (at most 1 line / 60 ms). */
const PROBE_GAP_MS = 60;
/** The longest one probe line may take before the measurement gives up (a stalled server). */
const PROBE_LINE_DEADLINE_MS = 5_000;

export interface ProbeFigures {
  /** Delivery times in milliseconds, sorted. */
  readonly samples: readonly number[];
  readonly p50: number;
  /** With 20 samples, the 99th percentile is the largest: stated as such. */
  readonly max: number;
}

export interface ChatProbe {
  /** Send PROBE_LINES lines from one bystander to the other, one after the other, and time each. */
  measure(lines?: number): Promise<ProbeFigures>;
  close(): void;
}

/**
 * Two bystanders, `${tag}a` and `${tag}b`, in room `${tag}` (away from the lobby, so an attacker's notices
 * there do not count against them unless they should).
 */
export async function chatProbe(port: number, tag = 'probe'): Promise<ChatProbe> {
  const sender: RawClient = await connectedClient(port, `${tag}a`);
  const receiver: RawClient = await connectedClient(port, `${tag}b`);
  // The receiver enters first, so that it sees the sender enter (the other order raced).
  receiver.send(`<join>${tag}\n`);
  await receiver.expectReply((r) => r.kind === 'joined' && r.name === `${tag}b` && r.room === tag, 'the probe receiver joining');
  sender.send(`<join>${tag}\n`);
  await receiver.expectReply((r) => r.kind === 'joined' && r.name === `${tag}a` && r.room === tag, 'the probe sender joining');
  let serial = 0;
  return {
    async measure(lines = PROBE_LINES) {
      const samples: number[] = [];
      for (let i = 0; i < lines; i++) {
        const text = `probe ${serial++}`;
        const start = performance.now();
        sender.send(`<set_msg_all>${text}\n`);
        await receiver.expectReply((r) => r.kind === 'message' && r.text === text, `probe line "${text}"`, PROBE_LINE_DEADLINE_MS);
        samples.push(performance.now() - start);
        await new Promise((resolve) => setTimeout(resolve, PROBE_GAP_MS));
      }
      samples.sort((a, b) => a - b);
      return { samples, p50: samples[Math.floor(samples.length / 2)]!, max: samples[samples.length - 1]! };
    },
    close() {
      sender.destroy();
      receiver.destroy();
    },
  };
}

/**
 * Bystanders are unaffected when their worst line during the attack is within a margin of before: three
 * times the calm maximum, or 250 ms on this shared 2-core machine, whichever is larger (a human notices
 * ~100–300 ms; the attacks of the abuse issue caused 700 ms to seconds).
 */
export function unaffectedBound(before: ProbeFigures): number {
  return Math.max(before.max * 3, 250);
}
