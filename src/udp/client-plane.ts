// The client's UDP data plane: one socket, the binding handshake, one reliable engine for chat, and this
// side's half of the fallback to TCP (docs/protocol.md, "Datagrams, binding and fallback").
//
//   binding ──helloOk (or a data datagram)──▶ bound ──(engine lost | close datagram)──▶ syncing ──▶ tcp
//      └──(no answer in BINDING_TIMEOUT_MS | refuse)──────────────────────────────────────▲
//
// binding: a hello (nonce + HMAC of the token; the token never travels over UDP) every HELLO_RETRY_MS,
//          the same nonce each time, so a retransmission is recognised as one.
// bound:   chat lines go over the engine; chat replies come back over it. When the engine has awaited an
//          answer (a chat line, a keepalive) for REBIND_SILENCE_MS without a datagram from the server, fresh
//          hellos (next nonce) go out until one is heard: if our address changed (NAT rebinding) the server
//          moves the binding to it. An idle session, which awaits nothing, sends none.
// syncing: this side gave up (event `gave-up`: the owner sends `<transport>tcp RECEIVED REASON` over TCP)
//          or the server did (serverGaveUp); the engine is stopped and the received count frozen.
// Only datagrams from the target address carrying our connection id count; everything else is dropped.
import { isIPv6 } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { TransportReason } from '../commands/types.ts';
import { createConnection } from '../reliability/index.ts';
import { Channel, type EngineEvent, type EngineStats } from '../reliability/types.ts';
import { ChatLedger } from '../dataplane/chat-ledger.ts';
import { BINDING_TIMEOUT_MS, HELLO_RETRY_MS, LEDGER_PRUNE_INTERVAL_MS, REBIND_SILENCE_MS } from '../dataplane/constants.ts';
import { decodeRefuse, type RefuseReasonName } from '../dataplane/hello.ts';
import { encodeHello } from './binding.ts';
import type { Datagram } from './codec.ts';
import { UdpEndpoint, type PeerAddress } from './endpoint.ts';
import { CLIENT_ENGINE_CONFIG, EngineDriver, type ChannelLink, type DrivenEngine } from './engine-driver.ts';

export type ClientPlaneState = 'binding' | 'bound' | 'syncing' | 'tcp';

export type ClientPlaneEvent =
  | { type: 'bound' }
  /** A chat reply line from the server over UDP (undefined when its bytes were not UTF-8). */
  | { type: 'line'; line: string | undefined }
  /** This side gave up on UDP: tell the server `<transport>tcp received reason` over TCP. */
  | { type: 'gave-up'; reason: Exclude<TransportReason, 'requested'>; received: number; refuse?: RefuseReasonName };

/** The bulk channel (file chunks) as it was when asked for: dead once that engine stops. */
export type ClientBulkLink = ChannelLink;

export interface ClientPlaneOptions {
  /** Where datagrams go: the server's UDP port, or an impairment proxy (an IP address, resolved). */
  target: PeerAddress;
  connectionId: number;
  token: Uint8Array;
  onEvent: (event: ClientPlaneEvent) => void;
  /** A message on the bulk channel (a file chunk) from the server. */
  onBulk?: (data: Uint8Array) => void;
  /** Packets from the server were taken in (acknowledgements may have freed room): pump senders. */
  onRoom?: () => void;
  /** True while the owner's receiver is behind on disk: the engine keeps messages (flow control). */
  holdBulk?: () => boolean;
}

export class UdpClientPlane {
  private stateValue: ClientPlaneState = 'binding';
  private driven: DrivenEngine | undefined;
  private finalStats: EngineStats | undefined;
  private readonly driver = new EngineDriver();
  private readonly ledger = new ChatLedger<string>();
  private readonly decoder = new TextDecoder('utf-8', { fatal: true });
  private readonly encoder = new TextEncoder();
  private nonce = 1n;
  private helloTimer: NodeJS.Timeout | undefined;
  private bindingTimer: NodeJS.Timeout | undefined;
  private lastHeard = 0;
  /** When the engine started awaiting an answer, as seen by the silence watch (undefined: it awaits none). */
  private awaitingSince: number | undefined;
  private lastPruneAt = -Infinity;
  private closed = false;

  private constructor(
    private readonly endpoint: UdpEndpoint,
    private readonly options: ClientPlaneOptions,
  ) {}

  /** Opens a socket on an ephemeral port and starts binding at once. Rejects if no socket can be bound. */
  static async open(options: ClientPlaneOptions): Promise<UdpClientPlane> {
    let plane: UdpClientPlane | undefined;
    const endpoint = await UdpEndpoint.bind({
      host: isIPv6(options.target.address) ? '::' : '0.0.0.0',
      port: 0,
      onDatagram: (datagram, from) => plane?.onDatagram(datagram, from),
    });
    plane = new UdpClientPlane(endpoint, options);
    plane.startBinding();
    return plane;
  }

  get state(): ClientPlaneState {
    return this.stateValue;
  }

  get target(): PeerAddress {
    return this.options.target;
  }

  get connectionId(): number {
    return this.options.connectionId;
  }

  /** Engine statistics (live while bound, as they were when the engine stopped after), if it ever ran. */
  engineStats(): EngineStats | undefined {
    return this.driven?.connection.stats() ?? this.finalStats;
  }

  /** Sends one chat command line over the engine; false (nothing sent) unless bound. */
  send(line: string): boolean {
    if (this.stateValue !== 'bound' || this.driven === undefined) return false;
    if (!this.driven.send(Channel.chat, this.encoder.encode(line))) {
      this.giveUp('lost');
      return false;
    }
    this.ledger.recordSent(line);
    return true;
  }

  /** The bulk channel now, or undefined unless bound. */
  bulkLink(): ClientBulkLink | undefined {
    return this.stateValue === 'bound' ? this.driven?.channelLink(Channel.bulk) : undefined;
  }

  /** The receiver caught up (holdBulk turned false): deliver what the engine kept. */
  wakeBulk(): void {
    this.driven?.wake();
  }

  /**
   * The server moved chat to TCP (its `<transport>` with its count): stop, and return our own count (to
   * send back) and the lines the server did not receive (to resend over TCP, in order).
   */
  serverGaveUp(serverReceived: number): { received: number; resend: string[] } {
    this.stop();
    this.stateValue = 'tcp';
    return { received: this.ledger.received, resend: this.ledger.unreceived(serverReceived) };
  }

  /** The server answered our `<transport>` with its count: the lines to resend over TCP. */
  syncDone(serverReceived: number | undefined): string[] {
    if (this.stateValue !== 'syncing') return [];
    this.stateValue = 'tcp';
    return serverReceived === undefined ? [] : this.ledger.unreceived(serverReceived);
  }

  /** Stops everything and closes the socket. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.stop();
    if (this.stateValue !== 'syncing') this.stateValue = 'tcp';
    this.driver.stop();
    await this.endpoint.close();
  }

  // ---- binding -----------------------------------------------------------------------------------

  private startBinding(): void {
    this.sendHello();
    this.helloTimer = setInterval(() => this.sendHello(), HELLO_RETRY_MS);
    this.bindingTimer = setTimeout(() => this.giveUp('timeout'), BINDING_TIMEOUT_MS);
  }

  private sendHello(): void {
    const { connectionId, token, target } = this.options;
    this.endpoint.send({ type: 'hello', connectionId, body: encodeHello(token, connectionId, this.nonce) }, target);
  }

  /**
   * While bound: every HELLO_RETRY_MS, a fresh hello if the engine has awaited an answer for
   * REBIND_SILENCE_MS and the server has been silent all that time.
   */
  private watchSilence(): void {
    if (this.helloTimer !== undefined) clearInterval(this.helloTimer);
    this.helloTimer = setInterval(() => {
      if (this.stateValue !== 'bound' || this.driven === undefined) return;
      const now = performance.now();
      if (this.driven.connection.stats().bytesInFlight === 0) {
        this.awaitingSince = undefined;
        return;
      }
      this.awaitingSince ??= now;
      if (now - Math.max(this.lastHeard, this.awaitingSince) < REBIND_SILENCE_MS) return;
      this.nonce++;
      this.sendHello();
    }, HELLO_RETRY_MS);
    this.helloTimer.unref();
  }

  private becomeBound(): void {
    if (this.bindingTimer !== undefined) clearTimeout(this.bindingTimer);
    this.bindingTimer = undefined;
    const { connectionId } = this.options;
    this.driven = this.driver.attach(createConnection(CLIENT_ENGINE_CONFIG, this.driver.now()), {
      transmit: (packet) => this.endpoint.send({ type: 'data', connectionId, body: packet }, this.options.target),
      event: (event) => this.onEngineEvent(event),
      holdEvents: () => this.options.holdBulk?.() ?? false,
    });
    this.stateValue = 'bound';
    this.watchSilence();
    this.options.onEvent({ type: 'bound' });
  }

  private onDatagram(datagram: Datagram, from: PeerAddress): void {
    const { target, connectionId } = this.options;
    if (from.port !== target.port || from.address !== target.address || datagram.connectionId !== connectionId) return;
    if (this.stateValue !== 'binding' && this.stateValue !== 'bound') return;
    this.lastHeard = performance.now();
    switch (datagram.type) {
      case 'helloOk':
        if (this.stateValue === 'binding') this.becomeBound();
        return;
      case 'data':
        // helloOk may be lost while the server, bound, already sends: its data proves the binding too.
        if (this.stateValue === 'binding') this.becomeBound();
        this.driven?.input(datagram.body);
        this.maybeForgetDelivered();
        if (this.driven !== undefined) this.options.onRoom?.();
        return;
      case 'refuse':
        // While bound, a refusal answers a stale re-hello; the engine decides whether the path lives.
        if (this.stateValue === 'binding') this.giveUp('refused', decodeRefuse(datagram.body));
        return;
      case 'close':
        this.giveUp('closed');
        return;
      case 'hello':
        return;
    }
  }

  private onEngineEvent(event: EngineEvent): void {
    if (event.type === 'lost') {
      this.giveUp('lost');
      return;
    }
    if (event.channel === Channel.bulk) {
      this.options.onBulk?.(event.data);
      return;
    }
    if (event.channel !== Channel.chat) return;
    this.ledger.recordReceived();
    let line: string | undefined;
    try {
      line = this.decoder.decode(event.data);
    } catch {
      line = undefined;
    }
    this.options.onEvent({ type: 'line', line });
  }

  private maybeForgetDelivered(): void {
    if (this.ledger.keptCount === 0 || this.driven === undefined) return;
    const now = performance.now();
    if (now - this.lastPruneAt < LEDGER_PRUNE_INTERVAL_MS) return;
    this.lastPruneAt = now;
    if (this.driven.connection.stats().queuedMessages === 0) this.ledger.forgetDelivered();
  }

  // ---- giving up ---------------------------------------------------------------------------------

  private giveUp(reason: Exclude<TransportReason, 'requested'>, refuse?: RefuseReasonName): void {
    if (this.stateValue !== 'binding' && this.stateValue !== 'bound') return;
    this.stop();
    this.stateValue = 'syncing';
    const received = this.ledger.received;
    this.options.onEvent(refuse === undefined ? { type: 'gave-up', reason, received } : { type: 'gave-up', reason, received, refuse });
  }

  /** Stops timers and the engine (its last statistics are kept). */
  private stop(): void {
    if (this.helloTimer !== undefined) clearInterval(this.helloTimer);
    if (this.bindingTimer !== undefined) clearTimeout(this.bindingTimer);
    this.helloTimer = undefined;
    this.bindingTimer = undefined;
    if (this.driven !== undefined) {
      this.finalStats = this.driven.connection.stats();
      this.driven.detach();
      this.driven = undefined;
    }
  }
}
