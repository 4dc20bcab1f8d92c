// Falling back to TCP: when UDP is blocked from the start (the binding never completes), and when the
// path dies in the middle of a chat (the engines declare the peer lost). Both sides agree, nothing said
// during the outage is lost or repeated, and the chat goes on over TCP.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { BINDING_TIMEOUT_MS } from '../../src/dataplane/constants.ts';
import type { RunningProxy } from '../../src/udp/proxy.ts';
import { spawnClient, stopAll, type ClientProcess, type JsonObject } from './client-helpers.ts';
import { startTestServer, type TestServer } from './helpers.ts';
import { is, proxyTo, textsFrom } from './udp-helpers.ts';

let ts: TestServer;
const children: ClientProcess[] = [];
const proxies: RunningProxy[] = [];

beforeAll(async () => {
  ts = await startTestServer({ rateLimit: 0 });
});
afterAll(async () => {
  await ts.close();
});
afterEach(async () => {
  await stopAll(children);
  for (const p of proxies.splice(0)) await p.close();
});

function client(name: string, proxyPort: number, args: string[] = []): ClientProcess {
  const c = spawnClient(['--tcp', String(ts.port), '--name', name, '--json', '--udp-via', `127.0.0.1:${proxyPort}`, ...args]);
  children.push(c);
  return c;
}

describe('fallback to TCP', () => {
  it('UDP blocked: both clients fall back within a few seconds and keep chatting', { timeout: 20_000 }, async () => {
    const blocked = await proxyTo(ts.server.udpPort, { loss: 1 });
    proxies.push(blocked);
    const started = Date.now();
    const [ann, ben] = [client('ann', blocked.port), client('ben', blocked.port)];
    await Promise.all([ann, ben].map((c) => c.waitFor(is('welcome'), 'welcome')));
    // Typed before the binding gave up: goes over TCP at once, nothing waits for UDP.
    ann.send('early words');
    await ben.waitFor(is('message', { from: 'ann', text: 'early words', transport: 'tcp' }), 'early words at ben');
    const fellBack = await Promise.all(
      [ann, ben].map((c) => c.waitFor(is('transport', { transport: 'tcp', reason: 'binding-timeout' }), 'fallback', 10_000)),
    );
    expect(fellBack).toHaveLength(2);
    expect(Date.now() - started).toBeLessThan(BINDING_TIMEOUT_MS + 4_000);

    ann.send('still here?', '/msg ben over tcp now');
    ben.send('yes, still here');
    await ben.waitFor(is('message', { from: 'ann', text: 'still here?', transport: 'tcp' }), 'chat after fallback');
    await ben.waitFor(is('private', { from: 'ann', text: 'over tcp now', transport: 'tcp' }), 'private after fallback');
    await ann.waitFor(is('message', { from: 'ben', text: 'yes, still here', transport: 'tcp' }), 'reply after fallback');
    ann.send('/status');
    const status = await ann.waitFor(is('status'), '/status');
    expect(status).toMatchObject({ transport: 'tcp', udp: { state: 'fallen-back', reason: 'binding-timeout' } });
    // The server agrees: no binding is left for them, none is waiting either.
    const udp = ts.server.stats().udp;
    expect(udp.bound).toBe(0);
    expect(udp.fallbacks.timeout).toBeGreaterThanOrEqual(2);
    for (const c of [ann, ben]) expect(c.events.filter((e) => e.type === 'transport')).toHaveLength(1);
  });

  it('the path dies mid-chat: the engines give up, both sides move to TCP, nothing said meanwhile is lost or doubled', { timeout: 40_000 }, async () => {
    const path = await proxyTo(ts.server.udpPort, {});
    proxies.push(path);
    const [cat, dan] = [client('cat', path.port), client('dan', path.port)];
    await Promise.all([cat, dan].map((c) => c.waitFor(is('transport', { transport: 'udp' }), 'bound')));
    cat.send('before the outage');
    await dan.waitFor(is('message', { from: 'cat', text: 'before the outage', transport: 'udp' }), 'chat over udp');

    await path.close(); // every datagram from now on is lost, both ways
    const during = Array.from({ length: 20 }, (_, i) => `said during the outage ${i}`);
    cat.send(...during);
    dan.send('dan during the outage');

    // The engines notice the silence, one side gives up, the other follows over TCP.
    await Promise.all([cat, dan].map((c) => c.waitFor(is('transport', { transport: 'tcp' }), 'fallback', 25_000)));
    await dan.waitFor(is('message', { from: 'cat', text: during.at(-1) }), 'the last outage line at dan', 10_000);
    await cat.waitFor(is('message', { from: 'dan', text: 'dan during the outage' }), 'dan’s line at cat', 10_000);
    cat.send('after the outage');
    await dan.waitFor(is('message', { from: 'cat', text: 'after the outage', transport: 'tcp' }), 'chat over tcp');
    await cat.waitFor(is('message', { from: 'cat', text: 'after the outage', self: true, transport: 'tcp' }), 'own echo');

    const expected = ['before the outage', ...during, 'after the outage'];
    expect(textsFrom(dan, 'cat')).toEqual(expected);
    expect(textsFrom(cat, 'cat')).toEqual(expected);
    expect(textsFrom(cat, 'dan')).toEqual(['dan during the outage']);
    expect(textsFrom(dan, 'dan')).toEqual(['dan during the outage']);
    const reasons = [cat, dan].map((c) => c.events.filter((e) => e.type === 'transport').map((e) => e.reason));
    for (const r of reasons) {
      expect(r[0]).toBe('bound');
      expect(['peer-lost', 'server-lost']).toContain(r[1]);
      expect(r).toHaveLength(2);
    }
    expect(ts.server.stats().udp.bound).toBe(0);
  });

  it('the path opens later: after the fallback, both clients try UDP again (--udp-retry) and chat goes back to UDP, nothing lost or doubled', { timeout: 30_000 }, async () => {
    const blocked = await proxyTo(ts.server.udpPort, { loss: 1 });
    const [eve, fay] = [client('eve', blocked.port, ['--udp-retry', '1']), client('fay', blocked.port, ['--udp-retry', '1'])];
    await Promise.all([eve, fay].map((c) => c.waitFor(is('transport', { transport: 'tcp', reason: 'binding-timeout' }), 'fallback', 10_000)));
    eve.send('while udp is blocked');
    await fay.waitFor(is('message', { from: 'eve', text: 'while udp is blocked', transport: 'tcp' }), 'chat over tcp');

    // The path opens where it was: each client binds afresh within its retry (1 s, then 2 s …).
    await blocked.close();
    const open = await proxyTo(ts.server.udpPort, {}, 1, blocked.port);
    proxies.push(open);
    const openedAt = Date.now();
    const backOnUdp = (c: ClientProcess) => (e: JsonObject) => e.type === 'transport' && e.transport === 'udp' && c.events.some(is('transport', { reason: 'binding-timeout' }));
    await Promise.all([eve, fay].map((c) => c.waitFor(backOnUdp(c), 'back on udp', 15_000)));
    expect(Date.now() - openedAt).toBeLessThan(12_000);
    const after = Array.from({ length: 10 }, (_, i) => `over udp again ${i}`);
    eve.send(...after);
    await fay.waitFor(is('message', { from: 'eve', text: after.at(-1), transport: 'udp' }), 'chat over udp again', 10_000);
    await eve.waitFor(is('message', { from: 'eve', text: after.at(-1), self: true }), 'own echo');
    expect(textsFrom(fay, 'eve')).toEqual(['while udp is blocked', ...after]);
    expect(textsFrom(eve, 'eve')).toEqual(['while udp is blocked', ...after]);
    for (const c of [eve, fay]) expect(c.events.filter((e) => e.type === 'transport').at(-1)).toMatchObject({ transport: 'udp', reason: 'bound' });
    expect(ts.server.stats().udp.bound).toBe(2);
  });
});
