// Through the impairment proxy at 20% loss with duplication and reordering, both ways: 1000 chat lines
// arrive exactly once and in order, at a UDP client and at a raw TCP client in the same room.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningProxy } from '../../src/udp/proxy.ts';
import { spawnClient, type ClientProcess } from './client-helpers.ts';
import { connectedClient, startTestServer, type TestServer } from './helpers.ts';
import { is, proxyTo, textsFrom } from './udp-helpers.ts';

const LINES = 1000;
const DEADLINE_MS = 25_000;

let ts: TestServer;
let proxy: RunningProxy;
const children: ClientProcess[] = [];

beforeAll(async () => {
  ts = await startTestServer({ rateLimit: 0 });
  proxy = await proxyTo(ts.server.udpPort, { loss: 0.2, dup: 0.05, reorder: 0.1, delayMs: 1, jitterMs: 1 }, 'udp-loss');
});
afterAll(async () => {
  for (const c of children) c.kill();
  await Promise.all(children.map((c) => c.exited));
  await proxy.close();
  await ts.close();
});

function viaProxy(name: string): ClientProcess {
  const c = spawnClient(['--tcp', String(ts.port), '--name', name, '--json', '--udp-via', `127.0.0.1:${proxy.port}`]);
  children.push(c);
  return c;
}

describe('chat over a lossy path', () => {
  it(`${LINES} lines through 20% loss, duplicates and reordering arrive exactly once, in order`, { timeout: 40_000 }, async () => {
    const tcpWatcher = await connectedClient(ts.port, 'tcpwatch');
    const [sender, receiver] = [viaProxy('sender'), viaProxy('receiver')];
    await Promise.all([
      sender.waitFor(is('transport', { transport: 'udp' }), 'sender bound'),
      receiver.waitFor(is('transport', { transport: 'udp' }), 'receiver bound'),
    ]);
    const expected = Array.from({ length: LINES }, (_, i) => `line ${String(i).padStart(4, '0')} of the lossy test`);
    sender.send(...expected);

    await receiver.waitFor(is('message', { from: 'sender', text: expected.at(-1) }), 'the last line at the receiver', DEADLINE_MS);
    await tcpWatcher.waitFor(
      () => tcpWatcher.replies.filter((r) => r.kind === 'message' && r.from === 'sender').length >= LINES,
      'every line at the TCP watcher',
      DEADLINE_MS,
    );
    await sender.waitFor(is('message', { from: 'sender', self: true, text: expected.at(-1) }), 'the last echo', DEADLINE_MS);

    expect(textsFrom(receiver, 'sender')).toEqual(expected);
    expect(textsFrom(sender, 'sender')).toEqual(expected);
    const seenOverTcp = tcpWatcher.replies.flatMap((r) => (r.kind === 'message' && r.from === 'sender' ? [r.text] : []));
    expect(seenOverTcp).toEqual(expected);
    // Every line reached both UDP clients over UDP: the engine repaired the path, no fallback happened.
    for (const c of [sender, receiver]) {
      expect(c.events.filter((e) => e.type === 'message').every((e) => e.transport === 'udp')).toBe(true);
      expect(c.events.filter((e) => e.type === 'transport')).toHaveLength(1);
    }
    // The proxy really was hostile.
    const counters = proxy.counters();
    const dropped = counters.forward.dropped.loss + counters.reverse.dropped.loss;
    const sent = counters.forward.sent + counters.reverse.sent;
    expect(dropped).toBeGreaterThan(20);
    expect(dropped / sent).toBeGreaterThan(0.1);
    expect(counters.forward.duplicated + counters.reverse.duplicated).toBeGreaterThan(0);
    expect(counters.forward.reordered + counters.reverse.reordered).toBeGreaterThan(0);

    sender.send('/status');
    const status = await sender.waitFor(is('status'), '/status');
    expect((status.udp as { retransmissions: number }).retransmissions).toBeGreaterThan(0);
    tcpWatcher.destroy();
  });
});
