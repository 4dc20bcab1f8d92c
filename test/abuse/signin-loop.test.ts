// An unnamed connection looping refused sign-ins (a reserved name, again and again) used to cost nothing
// for the whole sign-in timeout. Each refusal now costs a refused line on the bracket door's penalty
// clock: the free burst is answered at once, the sign-ins after it wait their turn.
import { afterEach, describe, expect, it } from 'vitest';
import { BRACKET_PENALTY_RULES, REFUSED_LINE_MS } from '../../src/doors/bracket/costs.ts';
import { rawClient, startTestServer, type TestServer } from '../e2e/helpers.ts';

let ts: TestServer | undefined;
afterEach(async () => {
  await ts?.close();
  ts = undefined;
});

describe('abuse: a loop of refused sign-ins', () => {
  it('is answered at once within the free burst, then held a refused line each', { timeout: 30_000 }, async () => {
    ts = await startTestServer();
    const client = await rawClient(ts.port);
    const free = BRACKET_PENALTY_RULES.freeMs / REFUSED_LINE_MS;
    const waits: number[] = [];
    for (let i = 0; i < free + 2; i++) {
      const sent = performance.now();
      client.send('<connect>root\n');
      const reply = await client.expectReply((r) => r.kind === 'error', `refusal ${i + 1}`, 10_000);
      expect(reply).toMatchObject({ kind: 'error', code: 'bad-name' });
      waits.push(performance.now() - sent);
    }
    // The burst: no wait worth the name. Past it: about a refused line's price each.
    expect(Math.max(...waits.slice(0, free))).toBeLessThan(REFUSED_LINE_MS / 2);
    expect(waits.at(-1)).toBeGreaterThanOrEqual(REFUSED_LINE_MS / 2);
    client.destroy();
  });
});
