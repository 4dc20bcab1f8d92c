// `<stats>` for a user who is not an operator: their own link, over UDP with its figures, over TCP saying so.
import { describe, expect, it } from 'vitest';
import type { EngineStats } from '../../src/reliability/types.ts';
import { ownLinkLines } from '../../src/server/stats.ts';

describe('ownLinkLines', () => {
  it("shows a UDP session's own RTT, loss and retransmissions, and nothing of the server", () => {
    const engine = { srtt: 12.345, packetsSent: 200, packetsLost: 3, retransmitsTimeout: 1, retransmitsFast: 2 } as unknown as EngineStats;
    expect(ownLinkLines(7, 'alice', engine)).toEqual([
      'your link: transport=udp rtt=12.35ms loss=1.5% (3 of 200 packets) retransmits=3',
      "the server's figures are for operators (<oper>PASSWORD)",
    ]);
  });

  it('says a TCP session has no measured link', () => {
    expect(ownLinkLines(7, 'alice', undefined)[0]).toBe('your link: transport=tcp (round trips and losses are measured on UDP links only)');
  });
});
