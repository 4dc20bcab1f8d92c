// A client data-plane machine and a server one (behind the server's demultiplexer, as on the real
// socket) joined on virtual time: datagrams cross the simulator's seeded Link in each direction (loss,
// delay, partition…; real codec framing), and a simulated TCP control line — reliable, in order, with a
// delay — carries the `<transport>` exchange and chat that travels over TCP. The shells' part is played
// here as the real shells play it: the client holds its own chat while the machine says `hold` and sends
// it in order afterwards; the server hands every reply to the machine and sends what it declines over TCP.
//
// Addresses: the server at SERVER; the client behind a NAT whose public port can change (natRebind), so
// datagrams the server sends to the old port are lost and the client's arrive from the new one. A client
// can vanish (its machine is no longer driven and its TCP line is silent). Everything is bounded: steps
// and virtual time.
import type { TransportReason } from '../../src/commands/types.ts';
import { DataPlaneMachine } from '../../src/dataplane/machine.ts';
import { ServerDemux } from '../../src/dataplane/server-demux.ts';
import type { Address, OutgoingDatagram, PlaneEvent } from '../../src/dataplane/types.ts';
import type { EngineConfig } from '../../src/reliability/config.ts';
import { TimeHeap } from '../../src/sim/heap.ts';
import { Link, type LinkSettings } from '../../src/sim/link.ts';
import { createRng } from '../../src/sim/rng.ts';
import { BINDING_PROOF, encodeHello, encodeResponse } from '../../src/udp/binding.ts';
import { decodeDatagram, encodeDatagram, type Datagram } from '../../src/wire/codec.ts';
import { CLIENT_ENGINE_CONFIG, SOCKET_ENGINE_CONFIG } from '../../src/udp/engine-driver.ts';

export const SERVER: Address = Object.freeze({ address: '192.0.2.1', port: 5001 });
export const CLIENT_HOST = '198.51.100.7';
export const CONNECTION_ID = 0x2a2a_0001;
export const TOKEN = Uint8Array.from({ length: 16 }, (_, i) => i * 17);
/** The server's bound on chat held while moving to TCP, in the pair (the shells pass the server's constant). */
export const HELD_MAX = 10_000;
/** Steps one run() may take before the harness calls it a livelock. */
const MAX_STEPS = 5_000_000;

export type Via = 'udp' | 'tcp';
export interface Got {
  text: string;
  via: Via;
  at: number;
}

type ControlMessage = { kind: 'transport'; received: number; reason: TransportReason } | { kind: 'chat'; text: string };

export interface PairOptions {
  seed: number;
  /** Impairment of both directions (the simulator's link settings). */
  link?: Partial<LinkSettings>;
  /** One-way delay of the TCP control line (default 10 ms). */
  controlDelayMs?: number;
  clientEngine?: Readonly<Partial<EngineConfig>>;
  serverEngine?: Readonly<Partial<EngineConfig>>;
  /** The token the client proves (default TOKEN, the one the server offered). */
  clientToken?: Uint8Array;
  maxQueuedChatBytes?: number;
  maxHeldChat?: number;
  /** The server's owner holds its engine's messages while this says so (a receiver behind on disk). */
  serverHolds?: () => boolean;
}

interface ServerSession {
  readonly machine: DataPlaneMachine<string>;
}

export class Pair {
  now = 0;
  readonly c2s: Link;
  readonly s2c: Link;
  readonly client: DataPlaneMachine<string>;
  readonly server: DataPlaneMachine<string>;
  readonly demux = new ServerDemux<ServerSession>(BINDING_PROOF);
  /** Every event each machine gave, with its time. */
  readonly clientEvents: Array<{ at: number; event: PlaneEvent<string> }> = [];
  readonly serverEvents: Array<{ at: number; event: PlaneEvent<string> }> = [];
  /** Chat each side received, in the order its owner saw it. */
  readonly clientGot: Got[] = [];
  readonly serverGot: Got[] = [];
  /** Datagrams each side put on its link, decoded (what the tests look at). */
  readonly clientSent: Array<{ at: number; datagram: Datagram }> = [];
  readonly serverSent: Array<{ at: number; datagram: Datagram; to: Address }> = [];
  /** `<transport>` lines each side wrote on TCP. */
  readonly clientTransports: Array<{ at: number; received: number; reason: TransportReason }> = [];
  readonly serverTransports: Array<{ at: number; received: number; reason: TransportReason }> = [];
  /** `<transport>` lines the server had nothing to answer to (it would send an error line). */
  refusedTransports = 0;
  /** The public port the client's datagrams come from (a NAT rebinding changes it). */
  clientPort = 40_000;
  /** False once the client's machine vanished: it is no longer driven, and its TCP line is silent. */
  clientAlive = true;
  /** Why the server's shell dropped the session, once it did. */
  serverDropped: string | undefined;
  /** Datagrams of these types are lost on their way to the client (e.g. every helloOk). */
  readonly loseToClient = new Set<Datagram['type']>();

  private readonly controlDelayMs: number;
  private readonly toServer: Array<{ at: number; message: ControlMessage }> = [];
  private readonly toClient: Array<{ at: number; message: ControlMessage }> = [];
  private readonly actions = new TimeHeap<() => void>();
  /** Chat the client's owner typed while the machine said `hold`, in order. */
  private readonly clientOutbox: string[] = [];
  private readonly encoder = new TextEncoder();

  constructor(options: PairOptions) {
    const link = options.link ?? {};
    this.c2s = new Link(link, createRng(options.seed, 'client to server'));
    this.s2c = new Link(link, createRng(options.seed, 'server to client'));
    this.controlDelayMs = options.controlDelayMs ?? 10;
    const token = options.clientToken ?? TOKEN;
    const common = { connectionId: CONNECTION_ID, now: 0, maxHeldChat: options.maxHeldChat ?? HELD_MAX };
    this.server = new DataPlaneMachine<string>({
      ...common,
      role: 'server',
      engineConfig: options.serverEngine ?? SOCKET_ENGINE_CONFIG,
      ...(options.maxQueuedChatBytes === undefined ? {} : { maxQueuedChatBytes: options.maxQueuedChatBytes }),
      ...(options.serverHolds === undefined ? {} : { holdMessages: options.serverHolds }),
    });
    this.demux.offer(CONNECTION_ID, TOKEN, { machine: this.server });
    this.client = new DataPlaneMachine<string>({
      ...common,
      role: 'client',
      peer: SERVER,
      engineConfig: options.clientEngine ?? CLIENT_ENGINE_CONFIG,
      helloBody: (nonce) => encodeHello(token, CONNECTION_ID, nonce),
      responseBody: (challenge) => encodeResponse(token, CONNECTION_ID, challenge),
    });
  }

  /** Run `action` at virtual time `at`. */
  at(at: number, action: () => void): void {
    this.actions.push(at, action);
  }

  /** Both directions, or one, dead (`true`) or alive again. */
  partition(on: boolean, which: 'both' | 'c2s' | 's2c' = 'both'): void {
    if (which !== 's2c') this.c2s.update({ partition: on });
    if (which !== 'c2s') this.s2c.update({ partition: on });
  }

  /** The client's NAT gives it a new public port: the old mapping is forgotten. */
  natRebind(): void {
    this.clientPort++;
  }

  /** The client's owner types a chat line: over UDP, held by the owner, or over TCP, as the machine says. */
  clientSay(text: string): void {
    if (this.clientOutbox.length > 0 || this.client.chatPath === 'hold') {
      this.clientOutbox.push(text);
      return;
    }
    if (this.client.chatPath === 'udp' && this.client.sendChat(text, this.encoder.encode(text), this.now) !== 'declined') return;
    this.control('client', { kind: 'chat', text });
  }

  /** The server has a chat reply for the client: the machine takes it (sent or held) or it goes over TCP. */
  serverSay(text: string): void {
    if (this.serverDropped !== undefined) return;
    if (this.server.sendChat(text, this.encoder.encode(text), this.now) === 'declined') this.control('server', { kind: 'chat', text });
  }

  /** The server's TCP connection to this client closed. */
  closeServerSession(): void {
    // As the server's shell: the close datagram leaves while the id is known (its address's bound applies).
    this.server.close();
    this.flushServer();
    this.demux.remove(CONNECTION_ID);
  }

  /** Runs until `done()` holds (checked after every step) or virtual time reaches `until`. */
  run(until: number, done?: () => boolean): void {
    for (let step = 0; step < MAX_STEPS; step++) {
      this.service();
      if (done?.() === true) return;
      const next = this.nextTime();
      if (next === undefined || next > until) {
        if (until > this.now) this.now = until;
        return;
      }
      if (next > this.now) this.now = next;
      this.step();
    }
    throw new Error(`no end within ${MAX_STEPS} steps (virtual time ${this.now} ms)`);
  }

  runFor(ms: number, done?: () => boolean): void {
    this.run(this.now + ms, done);
  }

  eventsOf(side: 'client' | 'server', type: PlaneEvent<string>['type']): Array<PlaneEvent<string>> {
    return (side === 'client' ? this.clientEvents : this.serverEvents).filter((e) => e.event.type === type).map((e) => e.event);
  }

  // ---- the loop -------------------------------------------------------------------------------------

  private nextTime(): number | undefined {
    let next: number | undefined;
    const consider = (t: number | undefined): void => {
      if (t !== undefined && (next === undefined || t < next)) next = t;
    };
    if (this.clientAlive) consider(this.client.pollTimeout());
    if (this.serverDropped === undefined) consider(this.server.pollTimeout());
    consider(this.c2s.nextDue());
    consider(this.s2c.nextDue());
    consider(this.toServer[0]?.at);
    consider(this.toClient[0]?.at);
    consider(this.actions.peekTime());
    return next;
  }

  private step(): void {
    const now = this.now;
    for (let bytes = this.c2s.poll(now); bytes !== undefined; bytes = this.c2s.poll(now)) this.atServer(bytes);
    for (let bytes = this.s2c.poll(now); bytes !== undefined; bytes = this.s2c.poll(now)) this.atClient(bytes);
    while (this.toServer.length > 0 && this.toServer[0]!.at <= now) this.controlAtServer(this.toServer.shift()!.message);
    while (this.toClient.length > 0 && this.toClient[0]!.at <= now) this.controlAtClient(this.toClient.shift()!.message);
    while (this.actions.peekTime() !== undefined && this.actions.peekTime()! <= now) this.actions.pop()!();
    if (this.clientAlive) this.timeout(this.client);
    if (this.serverDropped === undefined) this.timeout(this.server);
  }

  private timeout(machine: DataPlaneMachine<string>): void {
    const due = machine.pollTimeout();
    if (due !== undefined && due <= this.now) machine.handleTimeout(this.now);
  }

  /** Both shells drain their machines: datagrams onto the links, events to their handlers. */
  private service(): void {
    // Bounded: each round drains what the events of the previous one caused; a few rounds suffice.
    for (let round = 0; round < 16; round++) {
      let work = false;
      if (this.clientAlive) {
        for (let d = this.client.pollTransmit(this.now); d !== undefined; d = this.client.pollTransmit(this.now), work = true) this.fromClient(d);
        for (let e = this.client.pollEvent(); e !== undefined; e = this.client.pollEvent(), work = true) this.clientEvent(e);
      }
      // As the server's shell: the machine's datagrams (a helloOk) before the demultiplexer's (its challenge).
      if (this.serverDropped === undefined) {
        this.flushServer();
        for (let e = this.server.pollEvent(); e !== undefined; e = this.server.pollEvent(), work = true) this.serverEvent(e);
      }
      for (let d = this.demux.pollTransmit(); d !== undefined; d = this.demux.pollTransmit(), work = true) this.fromServer(d);
      if (!work) return;
    }
  }

  // ---- datagrams ----------------------------------------------------------------------------------

  /** On the wire, a datagram carries the port it came from (c2s) or goes to (s2c) in front of its bytes. */
  private framed(port: number, d: Datagram): Uint8Array {
    const bytes = encodeDatagram(d);
    const out = new Uint8Array(2 + bytes.length);
    out[0] = port >>> 8;
    out[1] = port & 0xff;
    out.set(bytes, 2);
    return out;
  }

  private fromClient(d: OutgoingDatagram): void {
    this.clientSent.push({ at: this.now, datagram: { type: d.type, connectionId: d.connectionId, body: d.body.slice() } });
    this.c2s.send(this.framed(this.clientPort, d), this.now);
  }

  private fromServer(d: OutgoingDatagram): void {
    // As the server's shell: an address that has not answered its challenge gets at most 3× what it sent.
    if (d.type !== 'refuse' && !this.demux.maySend(d.connectionId, d.to, encodeDatagram(d).length)) return;
    this.serverSent.push({ at: this.now, datagram: { type: d.type, connectionId: d.connectionId, body: d.body.slice() }, to: d.to });
    if (!this.loseToClient.has(d.type)) this.s2c.send(this.framed(d.to.port, d), this.now);
  }

  /** The server's datagrams onto the link (a close datagram after close() too). */
  private flushServer(): void {
    for (let d = this.server.pollTransmit(this.now); d !== undefined; d = this.server.pollTransmit(this.now)) this.fromServer(d);
  }

  private atServer(bytes: Uint8Array): void {
    const port = ((bytes[0] ?? 0) << 8) | (bytes[1] ?? 0);
    const decoded = decodeDatagram(bytes.subarray(2));
    if (!decoded.ok) return;
    this.demux.handleDatagram(decoded.datagram, { address: CLIENT_HOST, port }, this.now, bytes.length - 2);
  }

  private atClient(bytes: Uint8Array): void {
    const port = ((bytes[0] ?? 0) << 8) | (bytes[1] ?? 0);
    // Sent to a mapping the NAT forgot, or to a client that is gone: lost.
    if (port !== this.clientPort || !this.clientAlive) return;
    const decoded = decodeDatagram(bytes.subarray(2));
    if (decoded.ok) this.client.handleDatagram(decoded.datagram, SERVER, this.now);
  }

  // ---- the control line ---------------------------------------------------------------------------

  private control(from: 'client' | 'server', message: ControlMessage): void {
    const queue = from === 'client' ? this.toServer : this.toClient;
    // In order: never before what is already on the line.
    const at = Math.max(this.now + this.controlDelayMs, queue[queue.length - 1]?.at ?? -Infinity);
    queue.push({ at, message });
  }

  private controlAtServer(message: ControlMessage): void {
    if (this.serverDropped !== undefined) return;
    if (message.kind === 'chat') this.serverGot.push({ text: message.text, via: 'tcp', at: this.now });
    else if (!this.server.handlePeerTransport(message.received, message.reason, this.now)) this.refusedTransports++;
  }

  private controlAtClient(message: ControlMessage): void {
    if (!this.clientAlive) return;
    if (message.kind === 'chat') this.clientGot.push({ text: message.text, via: 'tcp', at: this.now });
    else this.client.handlePeerTransport(message.received, message.reason, this.now);
  }

  // ---- the shells' event handling -------------------------------------------------------------------

  /** What both shells do alike: record, chat in, `<transport>` and chat out over TCP. */
  private shellEvent(side: 'client' | 'server', event: PlaneEvent<string>): void {
    (side === 'client' ? this.clientEvents : this.serverEvents).push({ at: this.now, event });
    switch (event.type) {
      case 'line':
        (side === 'client' ? this.clientGot : this.serverGot).push({ text: event.line ?? '(not UTF-8)', via: 'udp', at: this.now });
        return;
      case 'send-transport':
        (side === 'client' ? this.clientTransports : this.serverTransports).push({ at: this.now, received: event.received, reason: event.reason });
        this.control(side, { kind: 'transport', received: event.received, reason: event.reason });
        return;
      case 'resend':
      case 'tcp':
        for (const text of event.type === 'resend' ? event.items : event.held) this.control(side, { kind: 'chat', text });
        return;
      default:
        return;
    }
  }

  private clientEvent(event: PlaneEvent<string>): void {
    this.shellEvent('client', event);
    // Released: what the owner typed meanwhile goes now, in order.
    if (event.type === 'tcp') for (const text of this.clientOutbox.splice(0)) this.clientSay(text);
  }

  private serverEvent(event: PlaneEvent<string>): void {
    this.shellEvent('server', event);
    if (event.type === 'gave-up') this.demux.remove(CONNECTION_ID);
    else if (event.type === 'drop') {
      this.closeServerSession();
      this.serverDropped = event.cause;
    }
  }
}

/** The texts of what a side got, in order. */
export function texts(got: readonly Got[]): string[] {
  return got.map((g) => g.text);
}
