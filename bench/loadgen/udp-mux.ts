// Many simulated sessions' datagrams over a few UDP sockets, as clients behind one NAT look to the
// server: each socket carries the sessions whose index falls to it, and what arrives is handed to the
// session by connection id. One socket per session would cost 10,000 descriptors for nothing — the
// server keys bindings by connection id, not by address.
import { readFileSync } from 'node:fs';
import type { Datagram } from '../../src/wire/codec.ts';
import { nullProtectionLookup } from '../../src/wire/protection.ts';
import { UdpEndpoint, type PeerAddress } from '../../src/udp/endpoint.ts';

export interface MuxPeer {
  onDatagram(datagram: Datagram): void;
}

export interface MuxStats {
  sockets: number;
  datagramsReceived: number;
  datagramsSent: number;
  /** Datagrams for a connection id no session here has (late ones after a disconnect). */
  unclaimed: number;
  /** Datagrams from somewhere other than the server. */
  strangers: number;
}

export class UdpMux {
  private readonly peers = new Map<number, MuxPeer>();
  private unclaimed = 0;
  private strangers = 0;

  private constructor(
    private readonly endpoints: UdpEndpoint[],
    private readonly server: PeerAddress,
  ) {}

  /** Binds `sockets` UDP sockets on `host`, port 0, all talking to `server`. */
  static async open(host: string, sockets: number, server: PeerAddress): Promise<UdpMux> {
    let mux: UdpMux | undefined;
    const endpoints: UdpEndpoint[] = [];
    for (let i = 0; i < sockets; i++) {
      endpoints.push(
        await UdpEndpoint.bind({ host, port: 0, protectionFor: nullProtectionLookup, onDatagram: (datagram, from) => mux?.receive(datagram, from) }),
      );
    }
    mux = new UdpMux(endpoints, server);
    return mux;
  }

  /** Route datagrams for `connectionId` to `peer`; returns a send function over socket `slot`. */
  register(connectionId: number, slot: number, peer: MuxPeer): (datagram: Datagram) => void {
    this.peers.set(connectionId, peer);
    const endpoint = this.endpoints[slot % this.endpoints.length]!;
    return (datagram) => endpoint.send(datagram, this.server);
  }

  unregister(connectionId: number, peer: MuxPeer): void {
    if (this.peers.get(connectionId) === peer) this.peers.delete(connectionId);
  }

  stats(): MuxStats {
    let received = 0;
    let sent = 0;
    for (const e of this.endpoints) {
      received += e.datagramsReceived;
      sent += e.datagramsSent;
    }
    return { sockets: this.endpoints.length, datagramsReceived: received, datagramsSent: sent, unclaimed: this.unclaimed, strangers: this.strangers };
  }

  /**
   * Datagrams the kernel dropped at these sockets because their receive buffers were full (the
   * `drops` column of /proc/net/udp; undefined where there is none): the generator fell behind.
   */
  drops(): number | undefined {
    let text: string;
    try {
      text = readFileSync('/proc/net/udp', 'utf8');
    } catch {
      return undefined;
    }
    const ports = new Set(this.endpoints.map((e) => `:${e.port.toString(16).toUpperCase().padStart(4, '0')}`));
    let drops = 0;
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      const local = cols[1];
      if (local !== undefined && ports.has(local.slice(local.indexOf(':')))) drops += Number(cols[cols.length - 1]);
    }
    return drops;
  }

  async close(): Promise<void> {
    await Promise.all(this.endpoints.map((e) => e.close()));
  }

  private receive(datagram: Datagram, from: PeerAddress): void {
    if (from.port !== this.server.port || from.address !== this.server.address) {
      this.strangers++;
      return;
    }
    const peer = this.peers.get(datagram.connectionId);
    if (peer === undefined) {
      this.unclaimed++;
      return;
    }
    peer.onDatagram(datagram);
  }
}
