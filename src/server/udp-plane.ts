// The server's UDP data plane: one socket for every session, demultiplexed by connection id; a binding
// state machine (src/udp/binding-table.ts) deciding hellos and admitting datagrams; one reliable engine
// per bound session, all driven on one timer heap; and the fallback to TCP (docs/protocol.md,
// "Datagrams, binding and fallback").
//
// A session's binding goes   offered ──hello──▶ bound ──(engine lost | close datagram)──▶ syncing ──▶ tcp
//                               │                  │                                         ▲
//                               └── client's <transport> ──────────────────────────────────────┘
// offered: after welcome the client got `<udp>PORT CONNID TOKEN`; chat still on TCP.
// bound:   chat replies (`message`, `private`) go over the engine; chat lines the client sends over it
//          are handed to the server like TCP lines (every other reply and every error stays on TCP).
// syncing: this side gave up (its engine declared the client lost, or the client sent a close datagram)
//          and told the client `<transport>tcp RECEIVED REASON`; chat replies wait until the client's own
//          `<transport>` says how many it received over UDP, then the missing ones and the waiting ones go
//          over TCP in order.
// tcp:     for the rest of the session (a client binds once per session).
// When the client gives up first (its `<transport>` arrives while bound), the server stops its engine,
// answers with its own count (reason `requested`) and resends at once.
import type { Logger } from 'pino';
import type { SessionId } from '../chat/hub.ts';
import { formatReply } from '../commands/grammar.ts';
import type { Reply, TransportCommand, TransportReason } from '../commands/types.ts';
import type { EngineConfig } from '../reliability/config.ts';
import { createConnection } from '../reliability/index.ts';
import { Channel, type EngineEvent, type EngineStats } from '../reliability/types.ts';
import { BindingTable, type BindingCounters } from '../dataplane/binding-table.ts';
import { ChatLedger } from '../dataplane/chat-ledger.ts';
import { FALLBACK_HOLD_MAX_REPLIES, FALLBACK_SYNC_TIMEOUT_MS, LEDGER_PRUNE_INTERVAL_MS } from '../dataplane/constants.ts';
import { encodeRefuse } from '../dataplane/hello.ts';
import type { Address } from '../dataplane/types.ts';
import { newConnectionId, newToken, tokenToHex, verifyHello } from '../udp/binding.ts';
import type { Datagram } from '../udp/codec.ts';
import { UdpEndpoint, type RejectionCounts } from '../udp/endpoint.ts';
import { EngineDriver, SOCKET_ENGINE_CONFIG, type ChannelLink, type DrivenEngine } from '../udp/engine-driver.ts';
import type { ChatReply, ChatRoute } from './session.ts';

/** What the plane needs of a session (src/server/session.ts's Session). */
export interface PlaneSession {
  readonly id: SessionId;
  readonly name: string | undefined;
  deliver(reply: Reply): void;
  sendControl(reply: Reply): void;
  routeChatVia(route: ChatRoute | undefined): void;
}

export interface DataPlaneHooks {
  /** A chat line the session's client sent over UDP; undefined when its bytes were not UTF-8. */
  chatLine(session: SessionId, line: string | undefined, bytes: number): void;
  /**
   * Drop the session, as a TCP client that stops reading is dropped: it let too many chat replies
   * pile up (held during a fallback, or queued unacknowledged in its engine), or after its engine
   * declared it lost it did not answer over TCP either. `detail` says which.
   */
  drop(session: SessionId, detail: string): void;
  /** A message on the bulk channel (a file chunk) from the session's client. */
  bulk?(session: SessionId, data: Uint8Array): void;
  /** Packets from the session's client were taken in (acknowledgements may have freed room): pump senders. */
  room?(session: SessionId): void;
  /** The session's engine stopped (fallback or close): links from bulkLink() are dead from now on. */
  bulkLost?(session: SessionId): void;
  /** True while the session's receiver is behind on disk: its engine keeps messages (flow control). */
  holdBulk?(session: SessionId): boolean;
}

/** One session's bulk channel (file chunks) as it was when asked for: dead once that engine stops. */
export type BulkLink = ChannelLink;

export interface DataPlaneOptions {
  host: string;
  port: number;
  logger: Logger;
  hooks: DataPlaneHooks;
  /**
   * A bound client whose engine holds about this many bytes of chat it has not acknowledged is
   * dropped (hooks.drop): it stopped reading, and its queue must not grow until the engine's
   * dead-peer limit. The same bound as TCP's (ServerOptions.maxPendingWriteBytes).
   */
  maxQueuedChatBytes: number;
  /** Engine options for every session's engine (default SOCKET_ENGINE_CONFIG). */
  engineConfig?: Readonly<Partial<EngineConfig>>;
}

export type BindingState = 'offered' | 'bound' | 'syncing' | 'tcp';

export interface DataPlaneStats {
  port: number;
  /** Sessions offered a binding that have not bound (yet): TCP-only clients stay here. */
  offered: number;
  bound: number;
  syncing: number;
  datagramsReceived: number;
  datagramsSent: number;
  sendErrors: number;
  /** Datagrams the codec refused (never reach the engine). */
  rejected: RejectionCounts;
  /** Hello decisions and datagrams dropped by the binding table. */
  binding: BindingCounters;
  /** Well-formed datagrams of a type the server never accepts (helloOk, refuse). */
  unexpected: number;
  /** Fallbacks to TCP, by the reason of the side that gave up. */
  fallbacks: Record<TransportReason, number>;
  /** Chat lines received over UDP, and chat replies sent over UDP. */
  chatLinesIn: number;
  chatRepliesOut: number;
}

/** What the log says about an engine that stopped. */
function summary(stats: EngineStats | undefined): Record<string, number | null> | undefined {
  if (stats === undefined) return undefined;
  return {
    srttMs: stats.srtt ?? null,
    packetsSent: stats.packetsSent,
    packetsReceived: stats.packetsReceived,
    packetsLost: stats.packetsLost,
    retransmissions: stats.retransmitsTimeout + stats.retransmitsFast,
  };
}

/** Bounded retries to find a free random connection id (2^32 ids; a collision is already rare). */
const CONNECTION_ID_ATTEMPTS = 64;

class Binding {
  state: BindingState = 'offered';
  driven: DrivenEngine | undefined;
  readonly ledger = new ChatLedger<ChatReply>();
  held: ChatReply[] = [];
  syncTimer: NodeJS.Timeout | undefined;
  lastPruneAt = -Infinity;
  /** Chat sent over the engine (bytes, messages), and when its queue was last checked. */
  chatBytesSent = 0;
  chatMessagesSent = 0;
  lastQueueCheckAt = -Infinity;
  finalStats: EngineStats | undefined;
  readonly route: ChatRoute;

  constructor(
    readonly session: PlaneSession,
    readonly connectionId: number,
    deliver: (binding: Binding, reply: ChatReply) => boolean,
  ) {
    this.route = { deliver: (reply) => deliver(this, reply) };
  }
}

export class UdpDataPlane {
  private readonly table = new BindingTable<Binding>(verifyHello);
  private readonly bindings = new Map<SessionId, Binding>();
  private readonly driver = new EngineDriver();
  private readonly decoder = new TextDecoder('utf-8', { fatal: true });
  private readonly fallbacks: Record<TransportReason, number> = { timeout: 0, refused: 0, lost: 0, closed: 0, requested: 0 };
  private unexpected = 0;
  private chatLinesIn = 0;
  private chatRepliesOut = 0;
  private lastEncoded: { reply: Reply; bytes: Uint8Array } | undefined;
  private stopped = false;

  private constructor(
    private readonly endpoint: UdpEndpoint,
    private readonly logger: Logger,
    private readonly hooks: DataPlaneHooks,
    private readonly maxQueuedChatBytes: number,
    private readonly engineConfig: Readonly<Partial<EngineConfig>>,
  ) {}

  /** Binds the socket; rejects with the socket error (the caller words it). */
  static async open(options: DataPlaneOptions): Promise<UdpDataPlane> {
    let plane: UdpDataPlane | undefined;
    const endpoint = await UdpEndpoint.bind({
      host: options.host,
      port: options.port,
      onDatagram: (datagram, from) => plane?.onDatagram(datagram, from),
      onReject: (reason, from) => options.logger.debug({ reason, from: `${from.address}:${from.port}` }, 'udp datagram rejected'),
    });
    plane = new UdpDataPlane(endpoint, options.logger, options.hooks, options.maxQueuedChatBytes, options.engineConfig ?? SOCKET_ENGINE_CONFIG);
    return plane;
  }

  get port(): number {
    return this.endpoint.port;
  }

  /**
   * The client asked (`<udp>`): a connection id and token for `session`, as the `<udp>` reply to send
   * over TCP; or why not, in words for an error line.
   */
  offer(session: PlaneSession): { ok: true; reply: Reply } | { ok: false; why: string } {
    if (this.stopped) return { ok: false, why: 'the server is shutting down its UDP data plane; chat stays on TCP' };
    if (this.bindings.has(session.id)) return { ok: false, why: 'UDP was already offered on this connection (a session binds once)' };
    const token = newToken();
    for (let attempt = 0; attempt < CONNECTION_ID_ATTEMPTS; attempt++) {
      const connectionId = newConnectionId();
      const binding = new Binding(session, connectionId, (b, reply) => this.deliverChat(b, reply));
      if (!this.table.offer(connectionId, token, binding)) continue;
      this.bindings.set(session.id, binding);
      return { ok: true, reply: { kind: 'udp', port: this.endpoint.port, connectionId, token: tokenToHex(token) } };
    }
    this.logger.warn({ session: session.id }, 'no free udp connection id; the session stays on tcp');
    return { ok: false, why: 'no free UDP connection id; chat stays on TCP' };
  }

  /** The client's `<transport>`: it gave up on UDP, or answers ours. */
  transportFromClient(session: PlaneSession, command: TransportCommand): void {
    const binding = this.bindings.get(session.id);
    if (binding === undefined || binding.state === 'tcp') {
      session.sendControl({ kind: 'error', code: 'refused', message: 'chat already travels over TCP on this connection' });
      return;
    }
    switch (binding.state) {
      case 'offered':
      case 'bound': {
        this.fallbacks[command.reason]++;
        this.stopEngine(binding);
        this.logger.info(
          { session: session.id, name: session.name, connId: binding.connectionId, reason: command.reason, by: 'client', engine: summary(binding.finalStats) },
          'udp fallback to tcp',
        );
        binding.state = 'syncing';
        session.sendControl({ kind: 'transport', transport: 'tcp', received: binding.ledger.received, reason: 'requested' });
        this.finishSync(binding, command.received);
        break;
      }
      case 'syncing':
        this.finishSync(binding, command.received);
        break;
    }
  }

  /** The session's bulk channel now, or undefined when its client is not bound over UDP. */
  bulkLink(session: SessionId): BulkLink | undefined {
    const binding = this.bindings.get(session);
    return binding?.state === 'bound' ? binding.driven?.channelLink(Channel.bulk) : undefined;
  }

  /** The session's receiver caught up (holdBulk turned false): deliver what its engine kept. */
  wakeBulk(session: SessionId): void {
    this.bindings.get(session)?.driven?.wake();
  }

  /** The session's TCP connection closed: tear its binding down (a close datagram tells the client). */
  sessionClosed(session: SessionId): void {
    const binding = this.bindings.get(session);
    if (binding === undefined) return;
    this.bindings.delete(session);
    if (binding.state === 'bound') this.sendClose(binding);
    this.stopEngine(binding);
    if (binding.syncTimer !== undefined) clearTimeout(binding.syncTimer);
    binding.state = 'tcp';
    binding.held = [];
  }

  /** Tell every bound client the server is going away (before the TCP goodbyes). */
  announceShutdown(): void {
    for (const binding of this.bindings.values()) if (binding.state === 'bound') this.sendClose(binding);
  }

  /** Stop every engine and close the socket (what is queued is sent first). */
  async close(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    for (const session of [...this.bindings.keys()]) this.sessionClosed(session);
    this.driver.stop();
    await this.endpoint.close();
  }

  stats(): DataPlaneStats {
    let offered = 0;
    let bound = 0;
    let syncing = 0;
    for (const b of this.bindings.values()) {
      if (b.state === 'offered') offered++;
      else if (b.state === 'bound') bound++;
      else if (b.state === 'syncing') syncing++;
    }
    return {
      port: this.endpoint.port,
      offered,
      bound,
      syncing,
      datagramsReceived: this.endpoint.datagramsReceived,
      datagramsSent: this.endpoint.datagramsSent,
      sendErrors: this.endpoint.sendErrors,
      rejected: { ...this.endpoint.rejections },
      binding: { ...this.table.counters },
      unexpected: this.unexpected,
      fallbacks: { ...this.fallbacks },
      chatLinesIn: this.chatLinesIn,
      chatRepliesOut: this.chatRepliesOut,
    };
  }

  /** Live engine statistics of every bound session (for `<stats>`; one stats() call per engine). */
  engineStats(): Array<{ session: SessionId; name: string | undefined; stats: EngineStats }> {
    const out: Array<{ session: SessionId; name: string | undefined; stats: EngineStats }> = [];
    for (const b of this.bindings.values()) {
      if (b.state === 'bound' && b.driven !== undefined) out.push({ session: b.session.id, name: b.session.name, stats: b.driven.connection.stats() });
    }
    return out;
  }

  // ---- datagrams ---------------------------------------------------------------------------------

  private onDatagram(datagram: Datagram, from: Address): void {
    if (this.stopped) return;
    switch (datagram.type) {
      case 'hello':
        this.onHello(datagram, from);
        return;
      case 'data': {
        const binding = this.admit(datagram, from);
        if (binding?.driven === undefined) return;
        binding.driven.input(datagram.body);
        this.maybeForgetDelivered(binding);
        this.hooks.room?.(binding.session.id);
        return;
      }
      case 'close': {
        const binding = this.admit(datagram, from);
        if (binding !== undefined) this.giveUp(binding, 'closed');
        return;
      }
      case 'helloOk':
      case 'refuse':
        this.unexpected++;
        this.logger.debug({ type: datagram.type, from: `${from.address}:${from.port}` }, 'udp datagram of a client-bound type dropped');
        return;
    }
  }

  private admit(datagram: Datagram, from: Address): Binding | undefined {
    const decision = this.table.admit(datagram.connectionId, from);
    if (decision.type === 'accept') return decision.session;
    this.logger.debug(
      { connId: datagram.connectionId, type: datagram.type, reason: decision.reason, from: `${from.address}:${from.port}` },
      'udp datagram dropped',
    );
    return undefined;
  }

  private onHello(datagram: Datagram, from: Address): void {
    const connectionId = datagram.connectionId;
    const decision = this.table.hello(connectionId, datagram.body, from);
    const where = `${from.address}:${from.port}`;
    switch (decision.type) {
      case 'bind': {
        const binding = decision.session;
        this.bind(binding);
        this.endpoint.send({ type: 'helloOk', connectionId, body: new Uint8Array(0) }, from);
        this.logger.info({ session: binding.session.id, name: binding.session.name, connId: connectionId, from: where }, 'udp bound');
        return;
      }
      case 'rebind':
        this.endpoint.send({ type: 'helloOk', connectionId, body: new Uint8Array(0) }, from);
        this.logger.info(
          {
            session: decision.session.session.id,
            name: decision.session.session.name,
            connId: connectionId,
            from: where,
            previous: `${decision.previous.address}:${decision.previous.port}`,
          },
          'udp rebound to a new address',
        );
        return;
      case 'repeat':
        this.endpoint.send({ type: 'helloOk', connectionId, body: new Uint8Array(0) }, from);
        return;
      case 'refuse':
        this.endpoint.send({ type: 'refuse', connectionId, body: encodeRefuse(decision.reason) }, from);
        this.logger.info(
          { session: decision.session?.session.id, connId: connectionId, reason: decision.reason, from: where },
          'udp hello refused',
        );
        return;
    }
  }

  private bind(binding: Binding): void {
    const connectionId = binding.connectionId;
    binding.driven = this.driver.attach(createConnection(this.engineConfig, this.driver.now()), {
      transmit: (packet) => {
        const to = this.table.addressOf(connectionId);
        if (to !== undefined) this.endpoint.send({ type: 'data', connectionId, body: packet }, to);
      },
      event: (event) => this.onEngineEvent(binding, event),
      holdEvents: () => this.hooks.holdBulk?.(binding.session.id) ?? false,
    });
    binding.state = 'bound';
    binding.session.routeChatVia(binding.route);
  }

  private onEngineEvent(binding: Binding, event: EngineEvent): void {
    switch (event.type) {
      case 'message': {
        if (event.channel === Channel.bulk) {
          this.hooks.bulk?.(binding.session.id, event.data);
          return;
        }
        if (event.channel !== Channel.chat) return;
        binding.ledger.recordReceived();
        this.chatLinesIn++;
        let line: string | undefined;
        try {
          line = this.decoder.decode(event.data);
        } catch {
          line = undefined;
        }
        this.hooks.chatLine(binding.session.id, line, event.data.length);
        return;
      }
      case 'lost':
        this.giveUp(binding, 'lost');
        return;
    }
  }

  /** Throw away what the ledger keeps once the engine says everything sent was acknowledged. */
  private maybeForgetDelivered(binding: Binding): void {
    if (binding.ledger.keptCount === 0 || binding.driven === undefined) return;
    const now = this.driver.now();
    if (now - binding.lastPruneAt < LEDGER_PRUNE_INTERVAL_MS) return;
    binding.lastPruneAt = now;
    if (binding.driven.connection.stats().queuedMessages === 0) binding.ledger.forgetDelivered();
  }

  // ---- chat replies and fallback -------------------------------------------------------------------

  /** The session's chat route: over the engine while bound, held while syncing, else TCP. */
  private deliverChat(binding: Binding, reply: ChatReply): boolean {
    if (binding.state === 'bound' && binding.driven !== undefined) {
      const bytes = this.encode(reply);
      if (binding.driven.send(Channel.chat, bytes)) {
        binding.ledger.recordSent(reply);
        this.chatRepliesOut++;
        binding.chatBytesSent += bytes.length;
        binding.chatMessagesSent++;
        this.checkChatQueue(binding);
        return true;
      }
      // The engine stopped (lost) and its event is still on the way: fall back now.
      this.giveUp(binding, 'lost');
    }
    if (binding.state === 'syncing') {
      binding.held.push(reply);
      if (binding.held.length > FALLBACK_HOLD_MAX_REPLIES) {
        binding.held = [];
        this.hooks.drop(binding.session.id, 'too many chat replies held while moving chat to tcp');
      }
      return true;
    }
    return false;
  }

  /**
   * At most every LEDGER_PRUNE_INTERVAL_MS per binding: the chat its engine still holds (queued
   * messages × their mean size; file chunks queued alongside are few and counted as chat) against
   * maxQueuedChatBytes. Over it, the client is dropped.
   */
  private checkChatQueue(binding: Binding): void {
    const driven = binding.driven;
    if (driven === undefined) return;
    const now = this.driver.now();
    if (now - binding.lastQueueCheckAt < LEDGER_PRUNE_INTERVAL_MS) return;
    binding.lastQueueCheckAt = now;
    const queued = driven.connection.stats().queuedMessages;
    const estimate = queued * (binding.chatBytesSent / binding.chatMessagesSent);
    if (estimate <= this.maxQueuedChatBytes) return;
    this.logger.info({ session: binding.session.id, name: binding.session.name, queued, bytes: Math.round(estimate) }, 'udp client not acknowledging chat');
    this.hooks.drop(binding.session.id, `client is not reading: over ${this.maxQueuedChatBytes} bytes of chat unacknowledged over udp`);
  }

  private encode(reply: ChatReply): Uint8Array {
    // A room fan-out hands every member the same Reply object: encode it once.
    if (this.lastEncoded?.reply !== reply) this.lastEncoded = { reply, bytes: Buffer.from(formatReply(reply), 'utf8') };
    return this.lastEncoded.bytes;
  }

  /** This side gives up on UDP for `binding`: stop the engine, tell the client, hold chat until it answers. */
  private giveUp(binding: Binding, reason: 'lost' | 'closed'): void {
    if (binding.state !== 'bound') return;
    this.fallbacks[reason]++;
    this.stopEngine(binding);
    this.logger.info(
      { session: binding.session.id, name: binding.session.name, connId: binding.connectionId, reason, by: 'server', engine: summary(binding.finalStats) },
      'udp fallback to tcp',
    );
    binding.state = 'syncing';
    binding.session.sendControl({ kind: 'transport', transport: 'tcp', received: binding.ledger.received, reason });
    binding.syncTimer = setTimeout(() => {
      binding.syncTimer = undefined;
      if (reason === 'lost') {
        // Silent on UDP past the engine's dead-peer limit, and now silent on TCP as well: the
        // client's machine is gone (TCP alone would notice only after minutes of keepalive probes).
        this.logger.info({ session: binding.session.id, name: binding.session.name, connId: binding.connectionId }, 'no <transport> answer from a lost udp client; dropping it');
        this.hooks.drop(binding.session.id, `client lost: silent over udp, and no answer over tcp within ${FALLBACK_SYNC_TIMEOUT_MS} ms`);
        return;
      }
      this.logger.warn({ session: binding.session.id, connId: binding.connectionId }, 'no <transport> answer from the client; chat goes on over tcp');
      this.finishSync(binding, undefined);
    }, FALLBACK_SYNC_TIMEOUT_MS);
  }

  /** The client's count is known (or never came): resend what it missed, then what was held, over TCP. */
  private finishSync(binding: Binding, clientReceived: number | undefined): void {
    if (binding.state !== 'syncing') return;
    if (binding.syncTimer !== undefined) clearTimeout(binding.syncTimer);
    binding.syncTimer = undefined;
    binding.state = 'tcp';
    const session = binding.session;
    session.routeChatVia(undefined);
    const missed = clientReceived === undefined ? [] : binding.ledger.unreceived(clientReceived);
    const held = binding.held;
    binding.held = [];
    for (const reply of missed) session.deliver(reply);
    for (const reply of held) session.deliver(reply);
  }

  private stopEngine(binding: Binding): void {
    this.table.remove(binding.connectionId);
    if (binding.driven === undefined) return;
    binding.finalStats = binding.driven.connection.stats();
    binding.driven.detach();
    binding.driven = undefined;
    this.hooks.bulkLost?.(binding.session.id);
  }

  private sendClose(binding: Binding): void {
    const to = this.table.addressOf(binding.connectionId);
    if (to !== undefined) this.endpoint.send({ type: 'close', connectionId: binding.connectionId, body: new Uint8Array(0) }, to);
  }
}
