// Abuse row 12: one hello with a forged source address used to move the binding there, and the
// session's traffic followed it (52 datagrams, 55 KiB to the forged address). Now a fresh hello from a new
// address earns that address one challenge and nothing more until it answers — at most 3× the hello's
// bytes — the binding stays with the client, whose chat goes on over UDP, and the bystanders chat on.
//
// A forged source cannot be made from user space; the forged address here is a socket of the test's own
// (the reflection's target), and the hello sent from it carries a fresh nonce and a valid MAC — what an
// attacker who captured a hello not yet seen by the server would have.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AMPLIFICATION_FACTOR } from '../../src/dataplane/constants.ts';
import { encodeHello } from '../../src/udp/binding.ts';
import { DATAGRAM_OVERHEAD } from '../../src/wire/codec.ts';
import { connectedClient, startTestServer, type TestServer } from '../e2e/helpers.ts';
import { offerOf, planeFor, rawPeer } from '../e2e/udp-helpers.ts';
import { chatProbe, unaffectedBound, type ChatProbe } from './probe.ts';

/** Chat lines the bound client sends (each echoed to it over UDP) while the forged address listens. */
const LINES = 30;

let server: TestServer;
let probe: ChatProbe;

beforeAll(async () => {
  server = await startTestServer({ rateLimit: 0, captureLogs: 'info' });
  probe = await chatProbe(server.port, 'row12');
});

afterAll(async () => {
  probe.close();
  await server.close();
});

describe('row 12: a forged-source hello', () => {
  it('gets the forged address one challenge, at most 3× the hello; the binding and its chat stay with the client', { timeout: 20_000 }, async () => {
    const before = await probe.measure();
    const owner = await connectedClient(server.port, 'row12owner');
    const offer = await offerOf(owner);
    const { plane, events, waitEvent } = await planeFor(offer);
    const target = await rawPeer(server.server.udpPort);
    try {
      await waitEvent((e) => e.type === 'bound', 'the client bound');
      // The hello as the attacker sends it (the client's next nonce), with the target's address as its source.
      const hello = { type: 'hello' as const, connectionId: offer.connectionId, body: encodeHello(Buffer.from(offer.token, 'hex'), offer.connectionId, 2n) };
      const helloBytes = hello.body.length + DATAGRAM_OVERHEAD;
      target.send(hello);
      await target.waitFor((d) => d.type === 'challenge', 'the challenge to the forged address');

      // The session chats on meanwhile: every reply comes to the client, over UDP.
      const duringProbe = probe.measure();
      for (let i = 0; i < LINES; i++) expect(plane.send(`<set_msg_all>row12 line ${i}`)).toBe(true);
      await waitEvent((e) => e.type === 'line' && e.line?.includes(`row12 line ${LINES - 1}`) === true, 'the last echo over udp');
      const during = await duringProbe;
      expect(events.filter((e) => e.type === 'line' && e.line?.includes('row12 line') === true)).toHaveLength(LINES);

      const toTarget = target.received.reduce((n, d) => n + d.body.length + DATAGRAM_OVERHEAD, 0);
      expect(target.received.map((d) => d.type)).toEqual(['challenge']);
      expect(toTarget).toBeLessThanOrEqual(AMPLIFICATION_FACTOR * helloBytes);
      const binding = server.server.stats().udp.binding;
      expect(binding).toMatchObject({ challenged: 1, rebound: 0 });
      expect(server.logs.some((l) => l.msg === 'udp rebound to a new address' && l.connId === offer.connectionId)).toBe(false);
      expect(during.max).toBeLessThanOrEqual(unaffectedBound(before));
    } finally {
      await plane.close();
      await target.close();
      owner.destroy();
    }
  });
});
