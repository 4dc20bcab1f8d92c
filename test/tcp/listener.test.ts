// listenTcp's server factory: the plain default, a factory that records what it made, and a real TLS
// server plugged in as the seam's `secureConnection` kind (dualchat's own is src/tcp/tls.ts): the
// owner gets the TLS socket, counting and refusal happen at TCP accept, and a handshake that fails or
// never completes gives its slot back.
import net from 'node:net';
import tls from 'node:tls';
import { afterEach, describe, expect, it } from 'vitest';
import { ConnectionCap, listenTcp, plainTcpServer, type AddressLimit, type RefusedConnection, type TcpListener, type TcpServerFactory } from '../../src/tcp/listener.ts';
import { localhostCertificate } from './tls-fixture.ts';
import { MAX_REFUSALS_AT_ONCE } from '../../src/tcp/constants.ts';

const HOST = '127.0.0.1';
const DEADLINE_MS = 5_000;
const REFUSAL = 'refused\n';

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

const limitOf = (maxPerAddress: number): AddressLimit => ({ maxPerAddress, refusal: () => REFUSAL, lingerMs: 1_000 });

/** Resolves when `condition` holds (checked at each turn of the event loop and every 5 ms), rejects at the deadline. */
async function until(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + DEADLINE_MS;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`not within ${DEADLINE_MS} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Listens with `factory`, collecting the sockets handed to the owner (all destroyed after the test). */
async function listen(factory: TcpServerFactory | undefined, limit: AddressLimit): Promise<{ listener: TcpListener; owned: net.Socket[] }> {
  const owned: net.Socket[] = [];
  const listener = await listenTcp({
    host: HOST,
    port: 0,
    onSocket: (socket) => {
      socket.on('error', () => {});
      // As the chat server's connections do: the peer's FIN ends ours (the server half-closes, allowHalfOpen).
      socket.on('end', () => socket.end());
      owned.push(socket);
    },
    addressLimit: limit,
    ...(factory === undefined ? {} : { serverFactory: factory }),
  });
  cleanups.push(() => {
    listener.stopAccepting();
    for (const s of owned) s.destroy();
  });
  return { listener, owned };
}

/** A raw TCP client, destroyed after the test; resolves once connected. */
async function rawClient(port: number): Promise<net.Socket> {
  const socket = net.connect({ host: HOST, port });
  socket.on('error', () => {});
  cleanups.push(() => socket.destroy());
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  return socket;
}

describe('listenTcp server factory', () => {
  it('plain by default and through a factory that records what it made: same options, same per-address accounting', async () => {
    const made: Array<{ options: net.ServerOpts; server: net.Server }> = [];
    const recording: TcpServerFactory = {
      readyEvent: 'connection',
      create: (options) => {
        const server = plainTcpServer.create(options);
        made.push({ options, server });
        return server;
      },
    };
    for (const factory of [undefined, recording]) {
      const { listener, owned } = await listen(factory, limitOf(2));
      const a = await rawClient(listener.port);
      await rawClient(listener.port);
      const third = await rawClient(listener.port);
      const refusal = await new Promise<string>((resolve) => {
        let text = '';
        third.on('data', (d: Buffer) => (text += d.toString()));
        third.on('end', () => resolve(text));
      });
      expect(refusal).toBe(REFUSAL);
      await until(() => owned.length === 2, 'two sockets handed over');
      expect(owned.every((s) => !(s instanceof tls.TLSSocket))).toBe(true);
      expect(listener.openConnections).toBe(2);
      expect(listener.connectionsFrom(HOST)).toBe(2);
      expect(listener.refusedConnections).toBe(1);
      a.destroy();
      await until(() => listener.openConnections === 1, 'the closed connection gives its slot back');
      expect(listener.connectionsFrom(HOST)).toBe(1);
    }
    expect(made).toHaveLength(1);
    expect(made[0]!.options).toMatchObject({ allowHalfOpen: true, noDelay: true, keepAlive: true });
  });

  it('counts every listener against one shared cap, and an IPv6 address with its /64', async () => {
    const cap = new ConnectionCap(3);
    const refused: RefusedConnection[] = [];
    const limit: AddressLimit = { ...limitOf(2), cap, onRefused: (who) => refused.push(who) };
    const first = await listen(undefined, limit);
    const second = await listen(undefined, limit);
    await rawClient(first.listener.port);
    await rawClient(first.listener.port);
    await rawClient(second.listener.port);
    await until(() => cap.open === 3, 'three counted');
    const over = await rawClient(second.listener.port);
    await until(() => refused.length === 1, 'the fourth refused');
    expect(refused).toEqual([{ reason: 'full', address: HOST, group: HOST, port: over.localPort, limit: 3 }]);
    expect([cap.refused, first.listener.refusedConnections + second.listener.refusedConnections]).toEqual([1, 0]);

    // IPv6 (where the host has it): ::1 counts as its /64, and so would any address of that /64.
    const v6 = await listenTcp({ host: '::1', port: 0, onSocket: (socket) => cleanups.push(() => socket.destroy()), addressLimit: { ...limitOf(1), onRefused: (who) => refused.push(who) } }).catch(() => undefined);
    if (v6 === undefined) return;
    cleanups.push(() => v6.stopAccepting());
    const connect6 = async (): Promise<net.Socket> => {
      const socket = net.connect({ host: '::1', port: v6.port });
      socket.on('error', () => {});
      cleanups.push(() => socket.destroy());
      await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
      return socket;
    };
    await connect6();
    await until(() => v6.openConnections === 1, 'one IPv6 connection');
    expect(v6.connectionsFrom('::1')).toBe(1);
    expect(v6.connectionsFrom('0:0:0:0:ffff:1:2:3')).toBe(1);
    await connect6();
    await until(() => refused.length === 2, 'the second IPv6 connection refused');
    expect(refused[1]).toMatchObject({ reason: 'address', address: '::1', group: '0:0:0:0::/64', limit: 1 });
  });

  it('holds at most MAX_REFUSALS_AT_ONCE refused connections lingering; beyond, a refused connection is closed at once without its line', async () => {
    // Refused peers that never close their side (half-open) keep their socket for the whole linger.
    const { listener } = await listen(undefined, { ...limitOf(0), lingerMs: 30_000 });
    const over = 3;
    const outcomes: Array<'line' | 'closed'> = [];
    for (let i = 0; i < MAX_REFUSALS_AT_ONCE + over; i++) {
      const socket = net.connect({ host: HOST, port: listener.port, allowHalfOpen: true });
      socket.on('error', () => {});
      cleanups.push(() => socket.destroy());
      let text = '';
      let answered = false;
      const answer = (): void => {
        if (answered) return;
        answered = true;
        outcomes.push(text === REFUSAL ? 'line' : 'closed');
      };
      socket.on('data', (d: Buffer) => (text += d.toString()));
      socket.once('end', answer);
      socket.once('close', answer);
      // One at a time: the listener sees them in this order.
      await until(() => outcomes.length === i + 1, `connection ${i} answered`);
    }
    expect(outcomes.filter((o) => o === 'line')).toHaveLength(MAX_REFUSALS_AT_ONCE);
    expect(outcomes.slice(MAX_REFUSALS_AT_ONCE)).toEqual(new Array(over).fill('closed'));
    expect(listener.refusedConnections).toBe(MAX_REFUSALS_AT_ONCE + over);
  });

  const certificate = localhostCertificate();
  describe.skipIf(certificate === undefined)('a handshake server (TLS) through the seam', () => {
    const HANDSHAKE_MS = 600;
    const tlsFactory = (handshakeTimeoutMs = HANDSHAKE_MS): TcpServerFactory => ({
      readyEvent: 'secureConnection',
      handshakeTimeoutMs,
      create: (options) => tls.createServer({ ...options, key: certificate!.key, cert: certificate!.cert }),
    });
    const tlsClient = async (port: number): Promise<tls.TLSSocket> => {
      const socket = tls.connect({ host: HOST, port, ca: certificate!.cert });
      socket.on('error', () => {});
      cleanups.push(() => socket.destroy());
      await new Promise<void>((resolve) => socket.once('secureConnect', () => resolve()));
      return socket;
    };

    it('hands the owner the TLS socket, after the handshake, counted at accept; one over the limit is refused at accept', async () => {
      const { listener, owned } = await listen(tlsFactory(), limitOf(1));
      const client = await tlsClient(listener.port);
      await until(() => owned.length === 1, 'the TLS socket handed over');
      expect(owned[0]).toBeInstanceOf(tls.TLSSocket);
      expect((owned[0] as tls.TLSSocket).encrypted).toBe(true);
      // The protocol runs over it.
      const echoed = new Promise<string>((resolve) => client.once('data', (d: Buffer) => resolve(d.toString())));
      owned[0]!.write('<hello>\n');
      expect(await echoed).toBe('<hello>\n');
      await rawClient(listener.port);
      await until(() => listener.refusedConnections === 1, 'the second connection refused');
      expect(listener.openConnections).toBe(1);
      expect(owned).toHaveLength(1);
      client.destroy();
      await until(() => listener.openConnections === 0, 'the TLS connection gives its slot back');
    });

    it('a handshake that never completes is cut at the bound; one that fails is dropped; neither keeps a slot nor reaches the owner', async () => {
      const { listener, owned } = await listen(tlsFactory(), limitOf(4));
      const connectedAt = Date.now();
      const silent = await rawClient(listener.port);
      const silentClosed = new Promise<number>((resolve) => silent.once('close', () => resolve(Date.now())));
      await until(() => listener.openConnections === 1, 'the silent one counted at accept');
      const garbage = await rawClient(listener.port);
      const garbageClosed = new Promise<void>((resolve) => garbage.once('close', () => resolve()));
      garbage.write('<connect>alice\n'); // not a TLS ClientHello: the handshake fails
      await garbageClosed;
      await until(() => listener.openConnections <= 1, 'the failed handshake gives its slot back');
      // The silent one is cut by the listener's bound (not before it; TLS's own default would be 120 s).
      expect((await silentClosed) - connectedAt).toBeGreaterThanOrEqual(HANDSHAKE_MS - 5);
      await until(() => listener.openConnections === 0, 'the silent one gives its slot back');
      expect(listener.connectionsFrom(HOST)).toBe(0);
      expect(owned).toHaveLength(0);
      // The slots are free again: a real client gets in.
      await tlsClient(listener.port);
      await until(() => owned.length === 1, 'a new TLS socket handed over');
    });

    it('stopAccepting drops handshakes under way', async () => {
      const { listener, owned } = await listen(tlsFactory(60_000), limitOf(4));
      const silent = await rawClient(listener.port);
      await until(() => listener.openConnections === 1, 'counted at accept');
      const closed = new Promise<void>((resolve) => silent.once('close', () => resolve()));
      listener.stopAccepting();
      await closed;
      await until(() => listener.openConnections === 0, 'its slot given back');
      expect(owned).toHaveLength(0);
    });
  });
});
