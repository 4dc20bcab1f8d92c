// One UDP socket: decodes what arrives with each connection's protection (rejections counted, never
// thrown, never reaching the engine), and sends encoded, sealed datagrams —
// at once while nothing waits, else queued in order and sent in batches per event-loop turn, so a burst
// never blocks the loop.
import dgram from 'node:dgram';
import dns from 'node:dns';
import { isIP } from 'node:net';
import { datagramBytes, decodeDatagram, DatagramType, encodeDatagramInto, type Datagram, type DatagramRejection } from '../wire/codec.ts';
import type { ProtectionLookup } from '../wire/protection.ts';
import { UDP_RECV_BUFFER_BYTES, UDP_SEND_BUFFER_BYTES, UDP_SENDS_PER_TURN } from './constants.ts';

export interface PeerAddress {
  address: string;
  port: number;
}

export interface UdpEndpointOptions {
  host: string;
  port: number;
  /**
   * The protection of each connection, for the datagrams sent to it and those that name it (found from
   * the clear header before anything else is trusted). nullProtectionLookup: the CRC-32 trailer alone.
   */
  protectionFor: ProtectionLookup;
  /** Called for each well-formed datagram (opened by its connection's protection), with its length on the wire. */
  onDatagram: (datagram: Datagram, from: PeerAddress, bytes: number) => void;
  /** Called for each rejected datagram (after counting); optional, for debug logs. */
  onReject?: (reason: DatagramRejection, from: PeerAddress) => void;
}

export type RejectionCounts = Record<DatagramRejection, number>;

interface Outgoing {
  bytes: Uint8Array;
  port: number;
  address: string;
}

/**
 * dgram resolves the address of every send on an unconnected socket; with dns.lookup, an address that
 * is already an IP literal (always ours: a peer's address as it arrived, or the server's, resolved
 * once) is handed back on the next tick — a process.nextTick, its closure and async context per
 * datagram, ~5 % of the server's CPU per relayed chat line in a profile (docs/engine.md, "Where the CPU
 * goes"). A literal is answered at once (dgram handles a synchronous answer: a connected socket's send
 * takes the same path); a name still goes to dns.lookup.
 */
function sendLookup(hostname: string, options: dns.LookupOneOptions, callback: (err: NodeJS.ErrnoException | null, address: string, family: number) => void): void {
  const family = isIP(hostname);
  if (family !== 0) callback(null, hostname, family);
  else dns.lookup(hostname, options, callback);
}

export class UdpEndpoint {
  readonly rejections: RejectionCounts = { truncated: 0, oversize: 0, 'bad-version': 0, 'bad-type': 0, 'bad-crc': 0, 'auth-failed': 0, replayed: 0 };
  datagramsReceived = 0;
  datagramsSent = 0;
  sendErrors = 0;
  private readonly queue: Outgoing[] = [];
  private queueHead = 0;
  private flushScheduled = false;
  /** Datagrams sent at once since the queue was last flushed (at most UDP_SENDS_PER_TURN). */
  private directSends = 0;
  private closed = false;
  private closing: Promise<void> | undefined;

  private constructor(
    private readonly socket: dgram.Socket,
    private readonly options: UdpEndpointOptions,
  ) {
    socket.on('message', (msg, rinfo) => this.receive(msg, rinfo));
    // A send to a port with no listener yields ECONNREFUSED on some paths: never fatal.
    socket.on('error', () => {
      this.sendErrors++;
    });
  }

  static bind(options: UdpEndpointOptions): Promise<UdpEndpoint> {
    const type = options.host.includes(':') ? 'udp6' : 'udp4';
    const socket = dgram.createSocket({
      type,
      recvBufferSize: UDP_RECV_BUFFER_BYTES,
      sendBufferSize: UDP_SEND_BUFFER_BYTES,
      lookup: sendLookup,
    });
    return new Promise((resolve, reject) => {
      const onError = (err: Error) => reject(err);
      socket.once('error', onError);
      socket.bind(options.port, options.host, () => {
        socket.off('error', onError);
        resolve(new UdpEndpoint(socket, options));
      });
    });
  }

  get port(): number {
    return this.socket.address().port;
  }

  get address(): string {
    return this.socket.address().address;
  }

  /** The length `datagram` will have on the wire, under its connection's protection. */
  bytesFor(datagram: Datagram): number {
    return datagramBytes(datagram.body.length, this.options.protectionFor(datagram.connectionId, DatagramType[datagram.type]));
  }

  /** Send a datagram (in order with every other send of this endpoint). */
  send(datagram: Datagram, to: PeerAddress): void {
    if (this.closed) return;
    // Buffer.allocUnsafe carves datagrams below 4 KiB out of Node's shared pool: no ArrayBuffer of its own
    // per datagram (a new Uint8Array was ~0.5–1 µs and external memory for the collector), and dgram takes
    // a Buffer as it is. The bytes are all written by the encoder and stay untouched until sent.
    const protection = this.options.protectionFor(datagram.connectionId, DatagramType[datagram.type]);
    const bytes = Buffer.allocUnsafe(datagramBytes(datagram.body.length, protection));
    encodeDatagramInto(datagram, bytes, 0, protection);
    this.sendRaw(bytes, to);
  }

  /** Send already-encoded bytes (the proxy relays datagrams it does not decode). */
  sendRaw(bytes: Uint8Array, to: PeerAddress): void {
    if (this.closed) return;
    // At once while nothing is queued (order kept) and this burst is within its budget: a chat line's
    // datagram leaves now, not a loop iteration later. Beyond the budget the rest waits for flush(),
    // one batch per turn, which also renews the budget.
    if (this.queueHead === this.queue.length && this.directSends < UDP_SENDS_PER_TURN) {
      this.directSends++;
      this.transmit(bytes, to.port, to.address);
      return;
    }
    this.queue.push({ bytes, port: to.port, address: to.address });
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(this.flush);
    }
  }

  private transmit(bytes: Uint8Array, port: number, address: string): void {
    try {
      this.socket.send(bytes, port, address);
      this.datagramsSent++;
    } catch {
      this.sendErrors++;
    }
  }

  get queuedDatagrams(): number {
    return this.queue.length - this.queueHead;
  }

  private readonly flush = (): void => {
    this.flushScheduled = false;
    this.directSends = 0;
    if (this.closed) return;
    const end = Math.min(this.queue.length, this.queueHead + UDP_SENDS_PER_TURN);
    for (let i = this.queueHead; i < end; i++) {
      const out = this.queue[i]!;
      this.transmit(out.bytes, out.port, out.address);
    }
    this.queueHead = end;
    if (this.queueHead >= this.queue.length) {
      this.queue.length = 0;
      this.queueHead = 0;
    } else {
      if (this.queueHead > 4096) {
        this.queue.splice(0, this.queueHead);
        this.queueHead = 0;
      }
      this.flushScheduled = true;
      setImmediate(this.flush);
    }
  };

  private receive(msg: Buffer, rinfo: dgram.RemoteInfo): void {
    this.datagramsReceived++;
    const decoded = decodeDatagram(msg, this.options.protectionFor);
    // rinfo is Node's own object for this datagram (address, port, family, size): the sender's address as
    // it is, with no copy per datagram.
    if (!decoded.ok) {
      this.rejections[decoded.reason]++;
      this.options.onReject?.(decoded.reason, rinfo);
      return;
    }
    this.options.onDatagram(decoded.datagram, rinfo, msg.length);
  }

  /** Send what is still queued (a shutdown notice, say), then close the socket. */
  async close(): Promise<void> {
    if (this.closing !== undefined) return this.closing;
    this.closing = (async () => {
      // dgram may hand a send to the socket on a later tick (a name to resolve; sendLookup answers
      // literals at once): closing the socket in this tick would silently drop those. So flush, let
      // those ticks run, and again for anything queued meanwhile (bounded: nothing new is queued once closed).
      for (let round = 0; round < 2; round++) {
        while (this.queuedDatagrams > 0) this.flush();
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
      this.closed = true;
      await new Promise<void>((resolve) => this.socket.close(() => resolve()));
    })();
    return this.closing;
  }
}
