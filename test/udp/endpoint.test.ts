import dgram from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { encodeDatagram, type Datagram, type DatagramRejection } from '../../src/wire/codec.ts';
import { nullProtectionLookup, type ProtectionLookup } from '../../src/wire/protection.ts';
import { toyProtection } from '../wire/toy-protection.ts';
import { UDP_SENDS_PER_TURN } from '../../src/udp/constants.ts';
import { UdpEndpoint } from '../../src/udp/endpoint.ts';

const HOST = '127.0.0.1';
const WAIT_MS = 10_000;
const cleanups: Array<() => Promise<void>> = [];

afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((c) => c()));
});

/** Bytes received by a plain socket, and a wait (with a deadline) for the n-th. */
async function rawReceiver(): Promise<{ port: number; got: Buffer[]; waitFor: (n: number) => Promise<boolean> }> {
  // A burst of hundreds of datagrams outruns the default receive buffer (~208 KiB).
  const socket = dgram.createSocket({ type: 'udp4', recvBufferSize: 4 * 1024 * 1024 });
  const got: Buffer[] = [];
  let waiter: { n: number; resolve: (ok: boolean) => void } | undefined;
  socket.on('message', (msg) => {
    got.push(msg);
    if (waiter !== undefined && got.length >= waiter.n) waiter.resolve(true);
  });
  await new Promise<void>((resolve) => socket.bind(0, HOST, resolve));
  cleanups.push(() => new Promise<void>((resolve) => socket.close(() => resolve())));
  return {
    port: socket.address().port,
    got,
    waitFor: (n) =>
      new Promise<boolean>((resolve) => {
        if (got.length >= n) return resolve(true);
        const timer = setTimeout(() => resolve(false), WAIT_MS);
        waiter = {
          n,
          resolve: (ok) => {
            clearTimeout(timer);
            resolve(ok);
          },
        };
      }),
  };
}

async function sender(): Promise<UdpEndpoint> {
  const endpoint = await UdpEndpoint.bind({ host: HOST, port: 0, protectionFor: nullProtectionLookup, onDatagram: () => undefined });
  cleanups.push(() => endpoint.close());
  return endpoint;
}

function numbered(i: number): Datagram {
  return { type: 'data', connectionId: 7, body: new TextEncoder().encode(`datagram ${i}`) };
}

describe('UdpEndpoint sending', () => {
  it('sends a lone datagram at once (nothing left queued for a later turn), framed as encodeDatagram frames it', async () => {
    const rx = await rawReceiver();
    const tx = await sender();
    const d: Datagram = { type: 'data', connectionId: 0xdeadbeef, body: Uint8Array.from({ length: 300 }, (_, i) => (i * 7) & 0xff) };
    tx.send(d, { address: HOST, port: rx.port });
    expect(tx.queuedDatagrams).toBe(0);
    expect(tx.datagramsSent).toBe(1);
    expect(await rx.waitFor(1)).toBe(true);
    expect(new Uint8Array(rx.got[0]!)).toEqual(encodeDatagram(d));
  });

  it('a burst beyond the per-turn budget queues after what went at once, and arrives whole and in order', async () => {
    const rx = await rawReceiver();
    const tx = await sender();
    const total = 2 * UDP_SENDS_PER_TURN + 37;
    for (let i = 0; i < total; i++) tx.send(numbered(i), { address: HOST, port: rx.port });
    expect(tx.datagramsSent).toBeGreaterThan(0);
    expect(tx.datagramsSent).toBeLessThanOrEqual(UDP_SENDS_PER_TURN);
    expect(tx.queuedDatagrams).toBe(total - tx.datagramsSent);
    expect(await rx.waitFor(total)).toBe(true);
    const expected = Array.from({ length: total }, (_, i) => Buffer.from(encodeDatagram(numbered(i))));
    expect(rx.got).toEqual(expected);
    expect(tx.queuedDatagrams).toBe(0);
    expect(tx.datagramsSent).toBe(total);
  });

  it('sendRaw keeps its place in the order among send()s, queued or not', async () => {
    const rx = await rawReceiver();
    const tx = await sender();
    const total = UDP_SENDS_PER_TURN + 50;
    for (let i = 0; i < total; i++) {
      if (i % 3 === 0) tx.sendRaw(encodeDatagram(numbered(i)), { address: HOST, port: rx.port });
      else tx.send(numbered(i), { address: HOST, port: rx.port });
    }
    expect(await rx.waitFor(total)).toBe(true);
    expect(rx.got).toEqual(Array.from({ length: total }, (_, i) => Buffer.from(encodeDatagram(numbered(i)))));
  });

  it('what was queued before close() still leaves; nothing is sent after', async () => {
    const rx = await rawReceiver();
    const tx = await sender();
    const total = UDP_SENDS_PER_TURN + 10;
    for (let i = 0; i < total; i++) tx.send(numbered(i), { address: HOST, port: rx.port });
    await tx.close();
    tx.send(numbered(total), { address: HOST, port: rx.port });
    tx.sendRaw(encodeDatagram(numbered(total + 1)), { address: HOST, port: rx.port });
    expect(await rx.waitFor(total)).toBe(true);
    expect(tx.datagramsSent).toBe(total);
    expect(tx.queuedDatagrams).toBe(0);
  });
});

describe('UdpEndpoint receiving through a connection protection', () => {
  it('opens with the protection of the connection the header names; what fails to open is counted, never delivered', async () => {
    const protections = new Map([
      [1, toyProtection(Uint8Array.from([1, 2, 3]))],
      [2, toyProtection(Uint8Array.from([9, 8, 7]))],
    ]);
    const refuseAll = toyProtection(Uint8Array.from([0xff]));
    const lookup: ProtectionLookup = (connectionId) => protections.get(connectionId) ?? refuseAll;
    const delivered: Datagram[] = [];
    const rejected: DatagramRejection[] = [];
    let progress = (): void => {};
    const rx = await UdpEndpoint.bind({
      host: HOST,
      port: 0,
      protectionFor: lookup,
      onDatagram: (d) => {
        delivered.push({ ...d, body: d.body.slice() });
        progress();
      },
      onReject: (reason) => {
        rejected.push(reason);
        progress();
      },
    });
    cleanups.push(() => rx.close());
    const tx = await UdpEndpoint.bind({ host: HOST, port: 0, protectionFor: lookup, onDatagram: () => undefined });
    cleanups.push(() => tx.close());
    const to = { address: HOST, port: rx.port };
    const good = (connectionId: number): Datagram => ({ type: 'data', connectionId, body: new TextEncoder().encode(`for connection ${connectionId}`) });
    tx.send(good(1), to); // sealed with connection 1's protection by the sending endpoint's lookup
    tx.sendRaw(encodeDatagram(good(2), protections.get(1)!), to); // connection 2 named, sealed with 1's keys
    tx.sendRaw(encodeDatagram(good(2)), to); // the null protection where one is expected (long enough for a tag)
    tx.send(good(2), to);
    const deadline = Date.now() + WAIT_MS;
    while (delivered.length + rejected.length < 4 && Date.now() < deadline) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, deadline - Date.now());
        progress = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    expect(delivered.map((d) => [d.connectionId, new TextDecoder().decode(d.body)])).toEqual([
      [1, 'for connection 1'],
      [2, 'for connection 2'],
    ]);
    expect(rejected).toEqual(['auth-failed', 'auth-failed']);
    expect(rx.rejections['auth-failed']).toBe(2);
    expect(rx.datagramsReceived).toBe(4);
  });
});
