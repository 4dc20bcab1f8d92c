// The machine's bounds and guards: who may talk to it, what a bound owner may hold back, and the two
// ways a peer that does not keep up gets its session dropped.
import { describe, expect, it } from 'vitest';
import { DataPlaneMachine } from '../../src/dataplane/machine.ts';
import type { Datagram } from '../../src/wire/codec.ts';
import { CLIENT_ENGINE_CONFIG, SOCKET_ENGINE_CONFIG } from '../../src/udp/engine-driver.ts';
import { CLIENT_HOST, CONNECTION_ID, Pair, SERVER } from './pair.ts';

const encoder = new TextEncoder();

/** A client machine binding to SERVER (its hello proof is not checked here). */
function clientMachine(): DataPlaneMachine<string> {
  return new DataPlaneMachine<string>({
    role: 'client',
    connectionId: CONNECTION_ID,
    peer: SERVER,
    engineConfig: CLIENT_ENGINE_CONFIG,
    helloBody: () => new Uint8Array(24),
    responseBody: () => new Uint8Array(24),
    now: 0,
    maxHeldChat: 10,
  });
}

function boundPair(seed: number, options: Partial<ConstructorParameters<typeof Pair>[0]> = {}): Pair {
  const pair = new Pair({ seed, link: { delayMs: 10 }, ...options });
  pair.run(1_000, () => pair.client.state === 'bound' && pair.server.state === 'bound');
  pair.runFor(500);
  return pair;
}

describe('the machine', () => {
  it('takes datagrams only from its peer with its connection id', () => {
    const client = clientMachine();
    const helloOk = (connectionId: number): Datagram => ({ type: 'helloOk', connectionId, body: new Uint8Array(0) });
    client.handleDatagram(helloOk(CONNECTION_ID + 1), SERVER, 1);
    client.handleDatagram(helloOk(CONNECTION_ID), { address: SERVER.address, port: SERVER.port + 1 }, 1);
    client.handleDatagram(helloOk(CONNECTION_ID), { address: '203.0.113.9', port: SERVER.port }, 1);
    expect(client.state).toBe('binding');
    client.handleDatagram(helloOk(CONNECTION_ID), SERVER, 2);
    expect(client.state).toBe('bound');
    // The first hello went out at creation; the engine's opening PING follows the binding.
    expect(client.pollTransmit(2)).toMatchObject({ type: 'hello', connectionId: CONNECTION_ID, to: SERVER });
    expect(client.pollTransmit(2)).toMatchObject({ type: 'data', connectionId: CONNECTION_ID, to: SERVER });
    expect(client.pollEvent()).toEqual({ type: 'bound', peer: SERVER });
  });

  it('an offered server takes no datagram but a verified hello, and a client machine no hello at all', () => {
    const server = new DataPlaneMachine<string>({ role: 'server', connectionId: CONNECTION_ID, engineConfig: SOCKET_ENGINE_CONFIG, now: 0, maxHeldChat: 10 });
    const from = { address: CLIENT_HOST, port: 40_000 };
    server.handleDatagram({ type: 'data', connectionId: CONNECTION_ID, body: new Uint8Array(8) }, from, 1);
    expect(server.state).toBe('offered');
    expect(server.chatPath).toBe('tcp');
    expect(server.sendChat('x', encoder.encode('x'), 1)).toBe('declined');
    expect(server.sendBulk(new Uint8Array(4), 1)).toBe(false);
    server.handleVerifiedHello(from, 2, false);
    expect(server.state).toBe('bound');
    expect(server.pollTransmit(2)).toMatchObject({ type: 'helloOk', to: from });

    const client = clientMachine();
    client.handleVerifiedHello(SERVER, 1, false);
    expect(client.state).toBe('binding');
  });

  it('holds engine messages while the owner asks (its disk is behind) and still reports room', () => {
    let holding = true;
    const pair = boundPair(41);
    // A second server machine, whose owner holds, fed by hand with a chat packet from the pair's client.
    const server = new DataPlaneMachine<string>({
      role: 'server',
      connectionId: CONNECTION_ID,
      engineConfig: SOCKET_ENGINE_CONFIG,
      now: pair.now,
      maxHeldChat: 10,
      holdMessages: () => holding,
    });
    const from = { address: CLIENT_HOST, port: pair.clientPort };
    server.handleVerifiedHello(from, pair.now, false);
    pair.clientSay('wait for the disk');
    const packet = pair.client.pollTransmit(pair.now)!;
    expect(packet.type).toBe('data');
    server.handleDatagram(packet, from, pair.now);
    const events = [];
    for (let e = server.pollEvent(); e !== undefined; e = server.pollEvent()) events.push(e.type);
    expect(events).toEqual(['bound', 'room']);
    holding = false;
    expect(server.pollEvent()).toEqual({ type: 'line', line: 'wait for the disk', bytes: 17 });
  });

  it('drops a peer that stops acknowledging chat once its unacknowledged chat passes the bound', () => {
    const pair = boundPair(42, { maxQueuedChatBytes: 10_000 });
    // The client stops reading: nothing it sends reaches the server any more.
    pair.partition(true, 'c2s');
    const line = 'x'.repeat(500);
    for (let i = 0; i < 40 && pair.serverDropped === undefined; i++) {
      pair.serverSay(line);
      pair.runFor(60);
    }
    expect(pair.serverDropped).toBe('not-reading');
    const drop = pair.eventsOf('server', 'drop')[0];
    expect(drop).toMatchObject({ type: 'drop', cause: 'not-reading' });
    if (drop?.type !== 'drop' || drop.cause !== 'not-reading') throw new Error('no drop');
    expect(drop.bytes).toBeGreaterThan(10_000);
    expect(drop.queued).toBeGreaterThan(10_000 / 500);
    // Dropped while bound: the client hears a close datagram.
    expect(pair.serverSent[pair.serverSent.length - 1]!.datagram.type).toBe('close');
  });

  it('drops the session when more chat waits for the move to TCP than it may hold', () => {
    const pair = boundPair(43, { maxHeldChat: 5, controlDelayMs: 1_000 });
    pair.partition(true);
    pair.serverSay('unanswered');
    pair.run(pair.now + 30_000, () => pair.server.state === 'syncing');
    const results = Array.from({ length: 6 }, (_, i) => pair.server.sendChat(`held ${i}`, encoder.encode('held'), pair.now));
    expect(results).toEqual(Array.from({ length: 6 }, () => 'held'));
    expect(pair.server.heldCount).toBe(0);
    expect(pair.server.pollEvent()).toEqual({ type: 'drop', cause: 'held-overflow', held: 6 });
  });

  it('sends file chunks on the bulk channel only while bound', () => {
    const pair = boundPair(44);
    expect(pair.client.sendBulk(new Uint8Array(100).fill(1), pair.now)).toBe(true);
    expect(pair.client.queuedMessages()).toBe(1);
    pair.runFor(500, () => pair.eventsOf('server', 'bulk').length === 1);
    expect(pair.eventsOf('server', 'bulk')).toMatchObject([{ type: 'bulk' }]);
    expect(pair.eventsOf('server', 'line')).toEqual([]);
    pair.runFor(100);
    expect(pair.client.queuedMessages()).toBe(0);
    pair.closeServerSession();
    pair.runFor(500);
    expect(pair.client.state).not.toBe('bound');
    expect(pair.client.sendBulk(new Uint8Array(100), pair.now)).toBe(false);
  });
});

describe('the sealed packet limit', () => {
  it('gives up UDP once the engine has sent maxPacketsSent packets, the last one still going out', () => {
    const server = new DataPlaneMachine<string>({ role: 'server', connectionId: CONNECTION_ID, engineConfig: SOCKET_ENGINE_CONFIG, now: 0, maxPacketsSent: 3 });
    const from = { address: CLIENT_HOST, port: 40_000 };
    server.handleVerifiedHello(from, 1, false);
    expect(server.pollTransmit(1)).toMatchObject({ type: 'helloOk' });
    let packets = 0;
    for (let i = 0; i < 10 && server.state === 'bound'; i++) {
      server.sendChat(`line ${i}`, encoder.encode(`line ${i}`), 2 + i);
      for (let d = server.pollTransmit(2 + i); d !== undefined; d = server.pollTransmit(2 + i)) if (d.type === 'data') packets++;
    }
    expect(packets).toBe(3);
    expect(server.state).toBe('syncing');
    const events = [];
    for (let e = server.pollEvent(); e !== undefined; e = server.pollEvent()) events.push(e.type);
    expect(events).toContain('gave-up');
    expect(events).toContain('send-transport');
  });
});
