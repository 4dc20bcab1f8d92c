// Abuse row 11: a hello copied off the wire and sent first from another address used to bind the
// session there (the hello's MAC covers the token, not the address). Now an address gets the binding's
// traffic beyond 3× what it sent only after it answers a challenge with the token's MAC; the genuine
// client, refused as a replay, sends a fresh hello, answers its challenge and takes the binding back; a
// copy replayed later moves nothing; and the bystanders chat on.
import dgram from 'node:dgram';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AMPLIFICATION_FACTOR } from '../../src/dataplane/constants.ts';
import { DATAGRAM_OVERHEAD, decodeDatagram } from '../../src/wire/codec.ts';
import { connectedClient, startTestServer, type TestServer } from '../e2e/helpers.ts';
import { offerOf, planeFor, rawPeer } from '../e2e/udp-helpers.ts';
import { chatProbe, unaffectedBound, type ChatProbe } from './probe.ts';

let server: TestServer;
let probe: ChatProbe;

beforeAll(async () => {
  server = await startTestServer({ captureLogs: 'info' });
  probe = await chatProbe(server.port, 'row11');
});

afterAll(async () => {
  probe.close();
  await server.close();
});

/**
 * The wire between the victim's plane and the server, where the attacker reads: the victim's first hello
 * is copied to the attacker, who sends it on at once; the original goes on only once the server answered
 * the copy (so the copy surely came first). Everything else passes both ways.
 */
async function tappedWire(serverPort: number, onFirstHello: (bytes: Buffer) => Promise<void>) {
  const inside = dgram.createSocket('udp4');
  const outside = dgram.createSocket('udp4');
  await Promise.all([inside, outside].map((s) => new Promise<void>((resolve) => s.bind(0, '127.0.0.1', resolve))));
  let client: { address: string; port: number } | undefined;
  let copied = false;
  outside.on('message', (msg) => {
    if (client !== undefined) inside.send(msg, client.port, client.address);
  });
  inside.on('message', (msg, rinfo) => {
    client = { address: rinfo.address, port: rinfo.port };
    const decoded = decodeDatagram(msg);
    if (!copied && decoded.ok && decoded.datagram.type === 'hello') {
      copied = true;
      void onFirstHello(Buffer.from(msg)).then(() => outside.send(msg, serverPort, '127.0.0.1'));
      return;
    }
    outside.send(msg, serverPort, '127.0.0.1');
  });
  return {
    port: inside.address().port,
    outsidePort: outside.address().port,
    close(): void {
      inside.close();
      outside.close();
    },
  };
}

describe('row 11: a copied hello sent first from another address', () => {
  it('gets that address at most 3× its bytes; the client takes its binding back; a later replay moves nothing', { timeout: 20_000 }, async () => {
    const before = await probe.measure();
    const victim = await connectedClient(server.port, 'row11victim');
    const offer = await offerOf(victim);
    const attacker = await rawPeer(server.server.udpPort);
    let copyBytes = 0;
    let copy: Buffer | undefined;
    const wire = await tappedWire(server.server.udpPort, async (bytes) => {
      copy = bytes;
      copyBytes = bytes.length;
      attacker.sendBytes(bytes);
      // The server answered the copy (helloOk, its challenge): only now does the original go on.
      await attacker.waitFor((d) => d.type === 'helloOk', 'the helloOk to the attacker');
    });
    // What reaches the attacker's socket.
    const counting = attacker.received;
    try {
      const { plane, waitEvent } = await planeFor(offer, wire.port);
      try {
        await waitEvent((e) => e.type === 'bound', 'the victim bound');
        const during = await probe.measure();

        const stats = server.server.stats().udp.binding;
        expect(stats.refusedReplayed).toBeGreaterThanOrEqual(1);
        expect(stats.rebound).toBe(1);
        const rebound = server.logs.find((l) => l.msg === 'udp rebound to a new address' && l.connId === offer.connectionId);
        expect(rebound).toMatchObject({ from: `127.0.0.1:${wire.outsidePort}`, previous: `127.0.0.1:${attacker.port}` });

        // The victim's chat goes over UDP, to the victim.
        expect(plane.send('<set_msg_all>row11 mine')).toBe(true);
        await waitEvent((e) => e.type === 'line' && e.line?.includes('row11 mine') === true, 'the echo over udp');

        // A later replay of the copy, from the attacker: refused, nothing moves.
        const seen = counting.length;
        attacker.sendBytes(copy!);
        await attacker.waitFor((d) => d.type === 'refuse' && d.body[0] === 3 && counting.indexOf(d) >= seen, 'the replay refused');
        expect(server.server.stats().udp.binding.rebound).toBe(1);
        expect(plane.send('<set_msg_all>row11 still mine')).toBe(true);
        await waitEvent((e) => e.type === 'line' && e.line?.includes('row11 still mine') === true, 'the second echo over udp');

        // Before the replay: everything the attacker's address got (bytes on the wire: plain datagrams),
        // against 3× its one hello — while the victim chatted on, over UDP, to itself.
        const toAttacker = counting.slice(0, seen).reduce((n, d) => n + d.body.length + DATAGRAM_OVERHEAD, 0);
        expect(toAttacker).toBeGreaterThan(0);
        expect(toAttacker).toBeLessThanOrEqual(AMPLIFICATION_FACTOR * copyBytes);

        expect(during.max).toBeLessThanOrEqual(unaffectedBound(before));
      } finally {
        await plane.close();
      }
    } finally {
      wire.close();
      await attacker.close();
      victim.destroy();
    }
  });
});
