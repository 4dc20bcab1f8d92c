// Garbage at the server's UDP port during a chat: random bytes, bad CRCs, bad versions and types, unknown
// connection ids, a bound id from a stranger's address, replayed and forged hellos. Every one is
// rejected and counted (RunningServer.stats()), answered only where the protocol says so, and the chat
// goes on over UDP untouched.
import { randomBytes } from 'node:crypto';
import CRC32 from 'crc-32';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeHello, newToken } from '../../src/udp/binding.ts';
import { encodeDatagram } from '../../src/wire/codec.ts';
import { spawnClient, type ClientProcess } from './client-helpers.ts';
import { connectedClient, startTestServer, type TestServer } from './helpers.ts';
import { is, offerOf, rawPeer, textsFrom } from './udp-helpers.ts';

let ts: TestServer;
const children: ClientProcess[] = [];

beforeAll(async () => {
  ts = await startTestServer({ rateLimit: 0, operatorLocal: true });
});
afterAll(async () => {
  for (const c of children) c.kill();
  await Promise.all(children.map((c) => c.exited));
  await ts.close();
});

/** Header + body + a CRC that is right for the bytes, whatever version and type they claim. */
function framed(version: number, type: number, connectionId: number, body: Uint8Array): Uint8Array {
  const out = new Uint8Array(10 + body.length);
  const view = new DataView(out.buffer);
  out[0] = version;
  out[1] = type;
  view.setUint32(2, connectionId);
  out.set(body, 6);
  view.setUint32(6 + body.length, CRC32.buf(out.subarray(0, 6 + body.length)) >>> 0);
  return out;
}

describe('garbage datagrams during a chat', () => {
  it('are all rejected and counted, and the chat is unaffected', { timeout: 30_000 }, async () => {
    const [alice, bob] = ['alice', 'bob'].map((name) => {
      const c = spawnClient(['--tcp', String(ts.port), '--name', name, '--json']);
      children.push(c);
      return c;
    }) as [ClientProcess, ClientProcess];
    await Promise.all([alice, bob].map((c) => c.waitFor(is('transport', { transport: 'udp' }), 'bound')));

    // A session of our own, bound from `victim`, whose id the attacker knows.
    const owner = await connectedClient(ts.port, 'owner');
    const offer = await offerOf(owner);
    const token = Buffer.from(offer.token, 'hex');
    const victim = await rawPeer(ts.server.udpPort);
    const attacker = await rawPeer(ts.server.udpPort);
    const hello = { type: 'hello', connectionId: offer.connectionId, body: encodeHello(token, offer.connectionId, 1n) } as const;
    victim.send(hello);
    await victim.waitFor((d) => d.type === 'helloOk', 'helloOk');

    const before = ts.server.stats().udp;
    const said = Array.from({ length: 200 }, (_, i) => `steady line ${i}`);
    alice.send(...said.slice(0, 100));

    const RANDOM = 300;
    for (let i = 0; i < RANDOM; i++) attacker.sendBytes(randomBytes(10 + (i % 200)));
    for (let i = 0; i < 20; i++) attacker.sendBytes(randomBytes(i % 10)); // shorter than any datagram
    const good = encodeDatagram({ type: 'data', connectionId: offer.connectionId, body: Uint8Array.of(1, 2, 3) });
    for (let i = 0; i < 25; i++) {
      const bad = good.slice();
      bad[bad.length - 1]! ^= 1 + (i % 255); // CRC no longer matches
      attacker.sendBytes(bad);
    }
    for (let i = 0; i < 15; i++) attacker.sendBytes(framed(2, 1, offer.connectionId, Uint8Array.of(i)));
    for (let i = 0; i < 12; i++) attacker.sendBytes(framed(1, 9 + i, offer.connectionId, Uint8Array.of(i)));
    for (let i = 0; i < 30; i++) attacker.send({ type: 'data', connectionId: 1 + i, body: randomBytes(40) }); // unknown ids
    for (let i = 0; i < 40; i++) attacker.send({ type: 'data', connectionId: offer.connectionId, body: randomBytes(40) }); // spoofed source
    for (let i = 0; i < 3; i++) attacker.send({ type: 'close', connectionId: offer.connectionId, body: new Uint8Array(0) }); // spoofed close
    for (let i = 0; i < 5; i++) attacker.send(hello); // a captured hello, replayed from elsewhere
    for (let i = 0; i < 6; i++) attacker.send({ type: 'hello', connectionId: offer.connectionId, body: encodeHello(newToken(), offer.connectionId, 99n) });
    for (let i = 0; i < 4; i++) attacker.send({ type: 'hello', connectionId: 7 + i, body: encodeHello(newToken(), 7 + i, 1n) });
    for (let i = 0; i < 2; i++) attacker.send({ type: 'helloOk', connectionId: offer.connectionId, body: new Uint8Array(0) });
    victim.send(hello); // the genuine retransmission: answered again

    alice.send(...said.slice(100));
    bob.send('bob says hi');
    await bob.waitFor(is('message', { from: 'alice', text: said.at(-1) }), 'the last line at bob', 15_000);
    await alice.waitFor(is('message', { from: 'bob', text: 'bob says hi' }), 'bob at alice', 15_000);
    await attacker.waitFor((d) => d.type === 'refuse' && d.connectionId === 7 + 3, 'the last refusal');
    await victim.waitFor(() => victim.received.filter((x) => x.type === 'helloOk').length >= 2, 'a second helloOk');

    const after = ts.server.stats().udp;
    const delta = <K extends keyof typeof after.binding>(k: K): number => after.binding[k] - before.binding[k];
    const rejected = (k: keyof typeof after.rejected): number => after.rejected[k] - before.rejected[k];
    expect(rejected('truncated')).toBe(20);
    expect(rejected('bad-crc')).toBeGreaterThanOrEqual(RANDOM + 25 - 2); // a random CRC may match: 2^-32 each
    expect(rejected('bad-version')).toBe(15);
    expect(rejected('bad-type')).toBe(12);
    expect(delta('droppedUnknownConnection')).toBe(30);
    expect(delta('droppedWrongAddress')).toBe(43);
    expect(delta('refusedReplayed')).toBe(5);
    expect(delta('refusedBadMac')).toBe(6);
    expect(delta('refusedUnknownConnection')).toBe(4);
    expect(delta('repeated')).toBeGreaterThanOrEqual(1);
    expect(after.unexpected - before.unexpected).toBe(2);
    expect(after.fallbacks).toEqual(before.fallbacks);
    // Refusals answer hellos only, with their reason; nothing else was answered.
    const refusals = attacker.received.map((d) => `${d.type}:${d.body[0]}`);
    expect(refusals).toEqual([...Array(5).fill('refuse:3'), ...Array(6).fill('refuse:2'), ...Array(4).fill('refuse:1')]);

    // The chat did not notice: every line once, in order, over UDP, no fallback.
    expect(textsFrom(bob, 'alice')).toEqual(said);
    for (const c of [alice, bob]) {
      expect(c.events.filter((e) => e.type === 'transport')).toHaveLength(1);
      expect(c.events.filter((e) => e.type === 'message').every((e) => e.transport === 'udp')).toBe(true);
    }
    owner.send('<stats>\n');
    const stats = await owner.expectReply((r) => r.kind === 'system' && r.text.startsWith('stats:'), 'stats');
    expect(stats.kind === 'system' && stats.text).toMatch(/udp: bound=\d+ .*rejected=\d+ hellos-refused=\d+ dropped=\d+/);
    owner.destroy();
    await Promise.all([victim.close(), attacker.close()]);
  });
});
