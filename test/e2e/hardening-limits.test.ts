// Abuse limits over real sockets: connections per source address, oversize messages and lines, and
// the memory a client that stops reading can make the server hold — on TCP, and when it is bound over
// UDP (its engine never acknowledges, its TCP socket is never read).
import { afterEach, describe, expect, it } from 'vitest';
import type { Reply } from '../../src/commands/types.ts';
import { UDP_CHAT_QUEUE_ALLOWANCE_BYTES } from '../../src/server/constants.ts';
import { encodeHello } from '../../src/udp/binding.ts';
import { MAX_LINE_BYTES } from '../../src/tcp/constants.ts';
import { connectedClient, isKind, rawClient, startTestServer, type TestServer } from './helpers.ts';
import { namedClient } from './hardening-helpers.ts';
import { offerOf, rawPeer } from './udp-helpers.ts';

let ts: TestServer | undefined;
afterEach(async () => {
  await ts?.close();
  ts = undefined;
});

const left = (name: string, reason: string) => (r: Reply) => r.kind === 'left' && r.name === name && r.reason === reason;

describe('connections per source address', () => {
  it('refuses the one over the limit with an error line, counts it, and frees the slot on close', async () => {
    ts = await startTestServer({ maxConnectionsPerAddress: 3, captureLogs: 'info' });
    const port = ts.port;
    const first = await Promise.all(['a1', 'a2', 'a3'].map((name) => namedClient(port, name, '127.0.0.1')));

    const fourth = await rawClient(port, '127.0.0.1');
    const refusal = await fourth.waitReply(isKind('error'), 'the refusal');
    expect(refusal).toEqual({
      kind: 'error',
      code: 'refused',
      message: 'too many connections from 127.0.0.1 (at most 3); closing',
    });
    await fourth.waitClosed();

    // Another address has its own allowance.
    const other = await namedClient(port, 'b1', '127.0.0.2');
    expect(ts.server.stats().connections).toMatchObject({ open: 4, sourceAddresses: 2, refusedPerAddress: 1 });
    const logged = ts.logs.find((l) => l.msg === 'connection refused: too many from this address');
    expect(logged).toMatchObject({ limit: 3, remote: expect.stringMatching(/^127\.0\.0\.1:\d+$/) });
    expect(typeof logged?.['time']).toBe('number');

    // One of the three leaves: the address may connect again.
    first[0]!.socket.destroy();
    await other.waitReply(left('a1', 'lost'), 'a1 gone');
    const again = await namedClient(port, 'a4', '127.0.0.1');
    expect(again.closed).toBe(false);
    for (const c of [...first, other, again]) c.socket.destroy();
  });

  it('logs a flood of refusals at most 10 a second, and counts them all', async () => {
    ts = await startTestServer({ maxConnectionsPerAddress: 1, captureLogs: 'info' });
    const holder = await namedClient(ts.port, 'holder', '127.0.0.5');
    const refused = await Promise.all(Array.from({ length: 30 }, () => rawClient(ts!.port, '127.0.0.5')));
    await Promise.all(refused.map((c) => c.waitClosed()));
    expect(refused.every((c) => c.replies.some((r) => r.kind === 'error' && r.code === 'refused'))).toBe(true);
    expect(ts.server.stats().connections.refusedPerAddress).toBe(30);
    const logged = ts.logs.filter((l) => l.msg === 'connection refused: too many from this address');
    expect(logged.length).toBeGreaterThanOrEqual(1);
    expect(logged.length).toBeLessThanOrEqual(20); // at most 10 in each of the (at most two) seconds it took
    expect(logged.length).toBeLessThan(30);
    holder.socket.destroy();
  });

  it('applies to loopback too, by default 16', async () => {
    ts = await startTestServer();
    const port = ts.port;
    const sixteen = await Promise.all(Array.from({ length: 16 }, () => rawClient(port, '127.0.0.3')));
    // Every one of them is served (a command answered proves the server took it).
    for (const c of sixteen) c.send('<help>\n');
    await Promise.all(sixteen.map((c) => c.waitReply(isKind('system'), 'help')));
    const extra = await rawClient(port, '127.0.0.3');
    await extra.waitReply((r) => r.kind === 'error' && r.code === 'refused', 'refusal of the 17th');
    await extra.waitClosed();
    for (const c of sixteen) c.socket.destroy();
  });
});

describe('oversize input', () => {
  it('refuses an oversize message and keeps the session', async () => {
    ts = await startTestServer({ captureLogs: 'info' });
    const alice = await connectedClient(ts.port, 'alice');
    alice.send(`<set_msg_all>${'x'.repeat(4097)}\n`);
    const refused = await alice.expectReply(isKind('error'), 'too-large');
    expect(refused).toMatchObject({ code: 'too-large', message: 'the message has 4097 characters; the limit is 4096' });
    alice.send('<set_msg_all>short\n');
    await alice.expectReply((r) => r.kind === 'message' && r.text === 'short', 'the next message');
    expect(ts.logs.find((l) => l.msg === 'refused')).toMatchObject({ event: { command: 'broadcast', code: 'too-large' } });
    alice.destroy();
  });

  // The oversize line itself (closing the connection, terminated or not) is tested in
  // server-refusals.test.ts; here: it costs the server no more than the line limit.
  it('buffers no more than the line limit for a runaway unterminated line', async () => {
    ts = await startTestServer();
    const runaway = await rawClient(ts.port);
    runaway.send('<set_msg_all>');
    const chunk = Buffer.alloc(64 * 1024, 0x61);
    for (let i = 0; i < 8 && !runaway.closed; i++) runaway.send(chunk);
    const error = await runaway.expectReply(isKind('error'), 'line-too-long');
    expect(error).toMatchObject({ code: 'line-too-long', message: `a line is at most ${MAX_LINE_BYTES} bytes; closing the connection` });
    await runaway.waitClosed();
  });
});

describe('a client that stops reading', () => {
  it('is dropped when bound over UDP too, and what it cost is bounded', { timeout: 40_000 }, async () => {
    ts = await startTestServer({ rateLimit: 0, maxPendingWriteBytes: 256 * 1024, captureLogs: 'info' });
    const writer = await connectedClient(ts.port, 'writer');
    const watcher = await connectedClient(ts.port, 'watcher');

    // `stuck` binds over UDP, then neither acknowledges a datagram nor reads its TCP socket.
    const stuck = await rawClient(ts.port);
    stuck.send('<connect>stuck\n');
    const offer = await offerOf(stuck);
    const peer = await rawPeer(ts.server.udpPort);
    const token = Buffer.from(offer.token, 'hex');
    peer.send({ type: 'hello', connectionId: offer.connectionId, body: encodeHello(token, offer.connectionId, 1n) });
    await peer.waitFor((d) => d.type === 'helloOk', 'helloOk');
    stuck.socket.pause();
    expect(ts.server.stats().udp.bound).toBe(1);

    const heapBefore = process.memoryUsage().heapUsed;
    let heapMax = heapBefore;
    const text = 'y'.repeat(2000);
    const burst = `<set_msg_all>${text}\n`.repeat(50);
    // Talk until the server gives up on it: its engine declares it dead (no answer), chat moves to
    // TCP, which it does not read either. Bounded: 2000 bursts are far more than that takes.
    for (let round = 0; round < 2_000 && !watcher.replies.some(left('stuck', 'lost')); round++) {
      writer.send(burst);
      await writer.waitFor(() => writer.replies.length >= (round + 1) * 50, `echo of burst ${round}`, 10_000);
      heapMax = Math.max(heapMax, process.memoryUsage().heapUsed);
    }
    await watcher.expectReply(left('stuck', 'lost'), 'stuck dropped', 30_000);
    // Dropped for what its engine held, long before the engine's 10 s dead-peer limit.
    expect(ts.logs.find((l) => l.msg === 'udp client not acknowledging chat')).toMatchObject({ name: 'stuck' });
    expect(ts.logs.find((l) => l.msg === 'connection lost' && l['name'] === 'stuck')).toMatchObject({
      detail: `client is not reading: over ${256 * 1024 + UDP_CHAT_QUEUE_ALLOWANCE_BYTES} bytes of chat unacknowledged over udp`,
    });
    expect(ts.server.stats().users).toBe(2);
    expect(ts.server.stats().udp.bound).toBe(0);
    // What the server held for it stayed within a few tens of MiB (no unbounded queue).
    expect(heapMax - heapBefore).toBeLessThan(96 * 1024 * 1024);
    writer.destroy();
    watcher.destroy();
    stuck.destroy();
    await peer.close();
  });
});
