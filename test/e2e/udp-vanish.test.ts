// A UDP-bound client whose machine vanishes: silent over UDP, then silent over TCP when the server
// moves its chat there. The server drops it with a leave notice after its engine's silence limit
// (nothing heard, even in an idle session) and FALLBACK_SYNC_TIMEOUT_MS, not after the minutes TCP
// keepalive would take. A short limit (the server's `engine` option) keeps the test quick.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { UdpClientPlane } from '../../src/udp/client-plane.ts';
import { FALLBACK_SYNC_TIMEOUT_MS } from '../../src/dataplane/constants.ts';
import type { RunningProxy } from '../../src/udp/proxy.ts';
import { connectedClient, isKind, startTestServer, type RawClient, type TestServer } from './helpers.ts';
import { offerOf, planeFor, proxyTo } from './udp-helpers.ts';

/** The server's silence limit, shortened from SERVER_PEER_SILENCE_MS (the client's keepalive stays 25 s). */
const SILENCE_MS = 1_500;
/** Silence limit + the wait for a `<transport>` answer + room for a busy machine. */
const DROP_DEADLINE_MS = SILENCE_MS + FALLBACK_SYNC_TIMEOUT_MS + 8_000;

let ts: TestServer;
beforeAll(async () => {
  ts = await startTestServer({ rateLimit: 0, captureLogs: 'info', engine: { peerSilenceTimeoutMs: SILENCE_MS } });
});
afterAll(async () => {
  await ts.close();
});

/** A raw TCP client bound over UDP through a proxy (so its path can be cut), the plane in-process. */
async function boundClient(name: string): Promise<{ tcp: RawClient; plane: UdpClientPlane; path: RunningProxy }> {
  const tcp = await connectedClient(ts.port, name);
  const offer = await offerOf(tcp);
  const path = await proxyTo(ts.server.udpPort, {});
  const { plane, waitEvent } = await planeFor(offer, path.port);
  await waitEvent((e) => e.type === 'bound', `${name} bound`);
  return { tcp, plane, path };
}

describe('a UDP-bound client that vanishes', () => {
  it('is dropped with a leave notice once it answers neither over UDP nor over TCP', { timeout: 40_000 }, async () => {
    const watcher = await connectedClient(ts.port, 'watcher');
    const gone = await boundClient('gone');
    await watcher.expectReply((r) => r.kind === 'joined' && r.name === 'gone', 'gone joins');

    await gone.path.close(); // every datagram is lost from now on; the TCP client never answers
    const left = await watcher.expectReply((r) => r.kind === 'left' && r.name === 'gone', 'gone leaves', DROP_DEADLINE_MS);
    expect(left).toMatchObject({ kind: 'left', name: 'gone', reason: 'lost' });
    // The server told it first (over TCP), then closed the connection.
    expect(gone.tcp.replies.some((r) => r.kind === 'transport' && r.transport === 'tcp' && r.reason === 'lost')).toBe(true);
    await gone.tcp.waitClosed();
    expect(ts.logs.some((l) => l.msg === 'no <transport> answer from a lost udp client; dropping it' && l.name === 'gone')).toBe(true);
    expect(ts.server.stats().udp.bound).toBe(0);

    // The server goes on serving the others.
    watcher.send('<set_msg_all>still here\n');
    await watcher.expectReply(isKind('message'), 'own message');
    await gone.plane.close();
    watcher.destroy();
  });

  it('is kept when it answers over TCP: chat goes on there', { timeout: 40_000 }, async () => {
    const watcher = await connectedClient(ts.port, 'watcher2');
    const alive = await boundClient('alive');
    await alive.path.close();
    // The server gives up on UDP and asks for the count; the client answers as a live one does.
    const asked = await alive.tcp.expectReply((r) => r.kind === 'transport' && r.transport === 'tcp', 'the fallback', DROP_DEADLINE_MS);
    expect(asked).toMatchObject({ reason: 'lost' });
    alive.tcp.send('<transport>tcp 0 lost\n');
    watcher.send('<set_msg_all>after the fallback\n');
    await alive.tcp.expectReply((r) => r.kind === 'message' && r.text === 'after the fallback', 'chat over tcp');
    // Past the time a silent client would have been dropped, it is still there.
    await expect(alive.tcp.waitClosed(FALLBACK_SYNC_TIMEOUT_MS + 1_000)).rejects.toThrow(/timed out/);
    await alive.plane.close();
    alive.tcp.destroy();
    watcher.destroy();
  });
});
