// Abuse limits over real sockets: a flooding client is refused with a clear error and survives;
// others are unaffected; `rateLimit: 0` turns the limit off.
import { afterEach, describe, expect, it } from 'vitest';
import { connectedClient, isKind, startTestServer, type TestServer } from './helpers.ts';

let ts: TestServer | undefined;
afterEach(async () => {
  await ts?.close();
  ts = undefined;
});

describe('message rate limit', () => {
  it('refuses a flood beyond the burst, keeps the session, and spares other clients', async () => {
    ts = await startTestServer({ rateLimit: 5, rateBurst: 10 });
    const flooder = await connectedClient(ts.port, 'flood');
    const other = await connectedClient(ts.port, 'calm');
    flooder.send(Array.from({ length: 30 }, (_, i) => `<set_msg_all>line ${i}\n`).join(''));
    const refused = await flooder.waitFor(
      () => flooder.replies.filter(isKind('error')).filter((e) => e.code === 'rate-limited').length >= 15 && flooder.replies,
      '15+ rate-limited errors',
    );
    const error = refused.filter(isKind('error'))[0]!;
    expect(error.message).toMatch(/at most 5 messages per second \(burst 10\)/);
    // The first ten went through, to the other member too.
    await other.waitFor(() => other.replies.filter(isKind('message')).filter((m) => m.from === 'flood').length >= 10, 'ten messages');
    const delivered = other.replies.filter(isKind('message')).filter((m) => m.from === 'flood');
    expect(delivered.length).toBeLessThanOrEqual(12);
    // The session survives and other clients are not limited by it.
    other.send('<set_msg_all>still here\n');
    await flooder.expectReply((r) => r.kind === 'message' && r.text === 'still here', 'message from calm');
    expect(flooder.closed).toBe(false);
  });

  it('is off with rateLimit 0', async () => {
    ts = await startTestServer({ rateLimit: 0 });
    const a = await connectedClient(ts.port, 'a');
    a.send(Array.from({ length: 200 }, (_, i) => `<set_msg_all>n${i}\n`).join(''));
    await a.waitFor(() => a.replies.filter(isKind('message')).length === 200, '200 echoes');
    expect(a.replies.filter(isKind('error'))).toEqual([]);
  });
});
