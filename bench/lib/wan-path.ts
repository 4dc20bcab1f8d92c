// The impaired paths of the chat-wan suite: dualchat's own impairment proxy (src/udp/proxy.ts, the
// simulator's Link model on real datagrams) put on every datagram path of a UDP contender, in the
// suite's process, on 127.0.0.1 — userspace, no root, no namespace.
//
// dualchat: one proxy in front of the server's UDP port; the clients send to it (`udp.via`) and each
// client gets its own flow, so client → server datagrams cross its forward link and server → client
// datagrams its reverse link.
//
// udx-native: the proxy relays for one target, and a udx stream sends to the fixed address it was
// connected to (no handshake; it accepts datagrams from any address). So one proxy per direction:
// every client sends to one proxy in front of the relay (its forward links carry client → relay), and
// the relay sends to one proxy in front of each client socket (forward link: relay → that client).
// Their reverse links carry nothing. Either way every datagram of every hop, both ways, crosses one
// link with the same settings.
import { pino } from 'pino';
import { checkLinkSettings, DEFAULT_LINK_SETTINGS, mergeLinkSettings, type LinkSettings } from '../../src/sim/link.ts';
import { startProxy, type RunningProxy } from '../../src/udp/proxy.ts';

const HOST = '127.0.0.1';

/** What the proxies of one path did: datagrams handed to their links, and those the links dropped. */
export interface PathCounters {
  proxies: number;
  datagrams: number;
  dropped: number;
  /** Datagrams that came out of the links (copies included). */
  delivered: number;
}

export interface WanPath {
  counters(): PathCounters;
  close(): Promise<void>;
}

export interface DualchatPath extends WanPath {
  /** Where the clients send their datagrams (ChatLink's `udp.via` port on 127.0.0.1). */
  viaPort: number;
}

export interface UdxPath extends WanPath {
  /** Where the clients' streams send (a proxy in front of the relay). */
  relayViaPort: number;
  /**
   * Puts a proxy in front of each client socket (per pair: the sender's port, the receiver's); returns,
   * per pair, where the relay must send to reach its sender and its receiver. Once only.
   */
  addClients(clientPorts: ReadonlyArray<readonly [number, number]>): Promise<Array<[number, number]>>;
}

const silent = pino({ level: 'silent' });

async function proxyTo(targetPort: number, link: Partial<LinkSettings>, seed: string): Promise<RunningProxy> {
  const errors = checkLinkSettings(link);
  if (errors.length > 0) throw new RangeError(`bad link settings: ${errors.join('; ')}`);
  // What is not given is the default: no impairment.
  const settings = mergeLinkSettings(DEFAULT_LINK_SETTINGS, link);
  return startProxy({ listenHost: HOST, listenPort: 0, targetHost: HOST, targetPort, forward: settings, reverse: settings, phases: [], seed, logger: silent });
}

function sumCounters(proxies: readonly RunningProxy[]): PathCounters {
  const out: PathCounters = { proxies: proxies.length, datagrams: 0, dropped: 0, delivered: 0 };
  for (const p of proxies) {
    const c = p.counters();
    for (const l of [c.forward, c.reverse]) {
      out.datagrams += l.sent;
      out.dropped += l.dropped.loss + l.dropped.burst + l.dropped.queue + l.dropped.partition;
      out.delivered += l.delivered;
    }
  }
  return out;
}

async function closeAll(proxies: readonly RunningProxy[]): Promise<void> {
  await Promise.all(proxies.map((p) => p.close()));
}

/** One proxy in front of a dualchat server's UDP port. */
export async function dualchatPath(serverUdpPort: number, link: Partial<LinkSettings>, seed: string): Promise<DualchatPath> {
  const proxy = await proxyTo(serverUdpPort, link, `${seed}:server`);
  return { viaPort: proxy.port, counters: () => sumCounters([proxy]), close: () => closeAll([proxy]) };
}

/**
 * A proxy in front of the udx relay now (the clients' sockets send to it), and one in front of each
 * client socket once their ports are known (addClients). close() closes every proxy started.
 */
export async function udxPath(relayPort: number, link: Partial<LinkSettings>, seed: string): Promise<UdxPath> {
  const relay = await proxyTo(relayPort, link, `${seed}:relay`);
  const proxies: RunningProxy[] = [relay];
  let added = false;
  return {
    relayViaPort: relay.port,
    async addClients(clientPorts) {
      if (added) throw new Error('udxPath: the clients were added already');
      added = true;
      const ends: Array<[number, number]> = [];
      for (const [pair, [senderPort, receiverPort]] of clientPorts.entries()) {
        const toSender = await proxyTo(senderPort, link, `${seed}:${pair}:sender`);
        proxies.push(toSender);
        const toReceiver = await proxyTo(receiverPort, link, `${seed}:${pair}:receiver`);
        proxies.push(toReceiver);
        ends.push([toSender.port, toReceiver.port]);
      }
      return ends;
    },
    counters: () => sumCounters(proxies),
    close: () => closeAll(proxies),
  };
}
