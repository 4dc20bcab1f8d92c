// Helpers for the UDP data-plane tests: the impairment proxy in-process, JSON client events filtered by
// kind, and a hand-made UDP peer (raw datagrams from a socket the test owns) for binding tests.
import dgram from 'node:dgram';
import { pino } from 'pino';
import type { Reply } from '../../src/commands/types.ts';
import { DEFAULT_LINK_SETTINGS, type LinkSettings } from '../../src/sim/link.ts';
import { decodeDatagram, encodeDatagram, type Datagram } from '../../src/wire/codec.ts';
import { UdpClientPlane, type ClientPlaneEvent } from '../../src/udp/client-plane.ts';
import { startProxy, type RunningProxy } from '../../src/udp/proxy.ts';
import type { ClientProcess, JsonObject } from './client-helpers.ts';
import type { RawClient } from './helpers.ts';

export const silent = pino({ level: 'silent' });

/**
 * A proxy in front of the server's UDP port with the same impairment both ways, listening on `listenPort`
 * (default: any free one; a closed proxy's port gives its clients their path back).
 */
export function proxyTo(udpPort: number, impairment: Partial<LinkSettings>, seed: number | string = 1, listenPort = 0): Promise<RunningProxy> {
  const settings: LinkSettings = { ...DEFAULT_LINK_SETTINGS, ...impairment };
  return startProxy({
    listenHost: '127.0.0.1',
    listenPort,
    targetHost: '127.0.0.1',
    targetPort: udpPort,
    forward: settings,
    reverse: settings,
    phases: [],
    seed,
    logger: silent,
  });
}

export const is =
  (type: string, fields: Record<string, unknown> = {}) =>
  (e: JsonObject): boolean =>
    e.type === type && Object.entries(fields).every(([k, v]) => JSON.stringify(e[k]) === JSON.stringify(v));

/** The texts of `message` events from `from`, in arrival order. */
export function textsFrom(c: ClientProcess, from: string): string[] {
  return c.events.filter((e) => e.type === 'message' && e.from === from).map((e) => String(e.text));
}

/** Ask for a UDP binding (`<udp>`) as a dualchat client does after its welcome; the offer it gets. */
export async function offerOf(client: RawClient): Promise<Extract<Reply, { kind: 'udp' }>> {
  client.send('<udp>\n');
  const offer = await client.expectReply((r) => r.kind === 'udp', 'the <udp> offer');
  if (offer.kind !== 'udp') throw new Error('not an offer');
  return offer;
}

/** A UDP socket the test drives by hand: sends datagrams (or raw bytes), records what comes back. */
export interface RawPeer {
  readonly port: number;
  readonly received: Datagram[];
  send(datagram: Datagram): void;
  sendBytes(bytes: Uint8Array): void;
  /** The first datagram (from the start) that matches, within the deadline. */
  waitFor(match: (d: Datagram) => boolean, what: string, timeoutMs?: number): Promise<Datagram>;
  close(): Promise<void>;
}

export async function rawPeer(serverUdpPort: number): Promise<RawPeer> {
  const socket = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const received: Datagram[] = [];
  const listeners = new Set<() => void>();
  socket.on('message', (msg) => {
    const decoded = decodeDatagram(msg);
    if (decoded.ok) received.push({ ...decoded.datagram, body: Uint8Array.from(decoded.datagram.body) });
    for (const l of [...listeners]) l();
  });
  return {
    port: socket.address().port,
    received,
    send: (d) => socket.send(encodeDatagram(d), serverUdpPort, '127.0.0.1'),
    sendBytes: (bytes) => socket.send(bytes, serverUdpPort, '127.0.0.1'),
    waitFor: (match, what, timeoutMs = 5_000) =>
      new Promise((resolve, reject) => {
        const check = (): boolean => {
          const found = received.find(match);
          if (found === undefined) return false;
          listeners.delete(check);
          clearTimeout(timer);
          resolve(found);
          return true;
        };
        const timer = setTimeout(() => {
          listeners.delete(check);
          reject(new Error(`no ${what} within ${timeoutMs} ms; got ${JSON.stringify(received.map((d) => d.type))}`));
        }, timeoutMs);
        if (!check()) listeners.add(check);
      }),
    close: () => new Promise((resolve) => socket.close(() => resolve())),
  };
}

/** Waits (with a deadline) until `check` holds, re-checking whenever `poke` is called by an event source. */
export function until(check: () => boolean, what: string, timeoutMs = 5_000): { promise: Promise<void>; poke: () => void } {
  let poke: () => void = () => {};
  const promise = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)), timeoutMs);
    poke = () => {
      if (!check()) return;
      clearTimeout(timer);
      resolve();
    };
    poke();
  });
  return { promise, poke: () => poke() };
}

/**
 * A client data plane in-process for an offer, sending to the server's port or to `via` (a proxy);
 * `waitEvent` resolves when an event matches (deadline).
 */
export async function planeFor(offer: { port: number; connectionId: number; token: string }, via?: number) {
  const events: ClientPlaneEvent[] = [];
  const pokes = new Set<() => void>();
  const plane = await UdpClientPlane.open({
    target: { address: '127.0.0.1', port: via ?? offer.port },
    connectionId: offer.connectionId,
    token: Buffer.from(offer.token, 'hex'),
    onEvent: (e) => {
      events.push(e);
      for (const p of [...pokes]) p();
    },
  });
  const waitEvent = async (match: (e: ClientPlaneEvent) => boolean, what: string): Promise<void> => {
    const u = until(() => events.some(match), what);
    pokes.add(u.poke);
    try {
      await u.promise;
    } finally {
      pokes.delete(u.poke);
    }
  };
  return { plane, events, waitEvent };
}
