// A stand-in for the engine in driver tests: a deadline the test moves, packets and events the test
// queues, and a count of timeouts handled.
import type { EngineEvent, EngineStats, ReliableConnection } from '../../src/reliability/types.ts';

/** A connection with a deadline the test moves, packets and events the test queues, and counters. */
export class FakeConnection implements ReliableConnection {
  readonly state = 'open' as const;
  deadline: number | undefined;
  timeouts = 0;
  readonly outgoing: Uint8Array[] = [];
  readonly events: EngineEvent[] = [];
  constructor(deadline?: number) {
    this.deadline = deadline;
  }
  send(): boolean {
    this.outgoing.push(new Uint8Array([1]));
    return true;
  }
  handlePacket(): void {
    this.events.push({ type: 'message', channel: 0, data: new Uint8Array([2]) });
  }
  pollTransmit(): Uint8Array | undefined {
    return this.outgoing.shift();
  }
  pollTimeout(): number | undefined {
    return this.deadline;
  }
  handleTimeout(): void {
    this.timeouts++;
    this.deadline = undefined;
  }
  pollEvent(): EngineEvent | undefined {
    return this.events.shift();
  }
  stats(): EngineStats {
    throw new Error('not used');
  }
  acknowledgedMessages(): number {
    throw new Error('not used');
  }
  close(): void {}
}
