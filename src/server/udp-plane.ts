// The server's UDP data plane, a thin shell: one socket for every session, the demultiplexer in front of
// the sessions' data-plane machines (src/dataplane/server-demux.ts: binding table, hellos, admission), one
// timer heap driving every machine (src/udp/engine-driver.ts), and per session a ServerBinding
// (udp-binding.ts) that carries out what its machine decides. The binding's states, the fallback to TCP
// and its races are the machine's (src/dataplane/machine.ts; docs/protocol.md, "Datagrams, binding and
// fallback"):   offered ──hello──▶ bound ──(engine lost | close datagram)──▶ syncing ──▶ tcp,
// and straight to tcp when the client's `<transport>` comes first.
import type { Logger } from 'pino';
import type { SessionId } from '../chat/hub.ts';
import { formatReply } from '../commands/grammar.ts';
import type { Reply, TransportCommand, TransportReason } from '../commands/types.ts';
import type { BindingCounters } from '../dataplane/binding-table.ts';
import { ServerDemux, type DemuxOutcome } from '../dataplane/server-demux.ts';
import type { Address, OutgoingDatagram, PlaneState } from '../dataplane/types.ts';
import type { EngineConfig } from '../reliability/config.ts';
import type { EngineStats } from '../reliability/types.ts';
import { datagramAead, type AeadBackend } from '../udp/aead.ts';
import { BINDING_PROOF, helloNonceOf, newConnectionId, newToken, tokenToHex } from '../udp/binding.ts';
import type { ChannelLink } from '../udp/driven-plane.ts';
import type { Datagram } from '../wire/codec.ts';
import { UdpEndpoint, type RejectionCounts } from '../udp/endpoint.ts';
import { EngineDriver, SOCKET_ENGINE_CONFIG } from '../udp/engine-driver.ts';
import { BindingSealing, bindingSecret, sealingLookup, type KeyExporter } from '../udp/sealing.ts';
import type { ChatReply } from './session.ts';
import { ServerBinding, type DataPlaneHooks, type PlaneContext, type PlaneCounters, type PlaneSession } from './udp-binding.ts';
import { inputLogOf } from './throttle.ts';

export type { DataPlaneHooks, PlaneSession } from './udp-binding.ts';

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

/** A session's binding as `<stats>` counts it (the machine's `binding` is a client's state only). */
export type BindingState = Exclude<PlaneState, 'binding'>;

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
  /** Sessions over TLS that asked for UDP (their datagrams sealed): offered, bound or fallen back, until they end. */
  sealed: number;
}

/** Bounded retries to find a free random connection id (2^32 ids; a collision is already rare). */
const CONNECTION_ID_ATTEMPTS = 64;
/**
 * Bindings one session may be offered: the first, and the tries of a client whose chat fell back to TCP
 * and tests the path again (its backoff starts at 30 s and doubles to 10 min: 32 offers is hours of a
 * flapping path). Each costs the server a connection id, a token and a machine, so a session cannot
 * make it hold them without end; `<udp>` also pays the command budget.
 */
export const MAX_UDP_OFFERS_PER_SESSION = 32;

/** The binding secret from a TLS connection's exporter, or undefined when the connection is already gone. */
function exportedSecret(exporter: KeyExporter, connectionId: number): Buffer | undefined {
  try {
    return bindingSecret(exporter, connectionId);
  } catch {
    return undefined;
  }
}

/**
 * The AEAD that seals TLS sessions' datagrams, for the `listening` line (chosen now rather than at the
 * first binding); a warning when it is node:crypto's, the slower fallback.
 */
export function sealingBackend(logger: Logger): AeadBackend {
  const { aead, fallbackReason } = datagramAead();
  if (fallbackReason !== undefined) logger.warn({ reason: fallbackReason }, 'sealed datagrams use node:crypto: the same protocol, several times the CPU per datagram');
  return aead.backend;
}

function where(from: Address): string {
  return `${from.address}:${from.port}`;
}

export class UdpDataPlane {
  private readonly bindings = new Map<SessionId, ServerBinding>();
  private readonly demux = new ServerDemux<ServerBinding>(BINDING_PROOF);
  private readonly driver = new EngineDriver();
  private readonly counters: PlaneCounters = {
    fallbacks: { timeout: 0, refused: 0, lost: 0, closed: 0, requested: 0 },
    chatLinesIn: 0,
    chatRepliesOut: 0,
  };
  private readonly context: PlaneContext;
  /** The sealing of each connection id whose session came over TLS (the endpoint's protection lookup reads it). */
  private readonly sealed: Map<number, BindingSealing>;
  private unexpected = 0;
  private lastEncoded: { reply: Reply; bytes: Uint8Array } | undefined;
  private stopped = false;

  private constructor(
    private readonly endpoint: UdpEndpoint,
    sealed: Map<number, BindingSealing>,
    private readonly logger: Logger,
    hooks: DataPlaneHooks,
    maxQueuedChatBytes: number,
    engineConfig: Readonly<Partial<EngineConfig>>,
  ) {
    this.sealed = sealed;
    const { demux, driver, counters } = this;
    this.context = { logger, hooks, demux, driver, counters, engineConfig, maxQueuedChatBytes, encode: (reply) => this.encode(reply), transmit: (datagram) => this.transmit(datagram) };
  }

  /** Binds the socket; rejects with the socket error (the caller words it). */
  static async open(options: DataPlaneOptions): Promise<UdpDataPlane> {
    let plane: UdpDataPlane | undefined;
    const sealed = new Map<number, BindingSealing>();
    const endpoint = await UdpEndpoint.bind({
      host: options.host,
      port: options.port,
      protectionFor: sealingLookup(sealed),
      onDatagram: (datagram, from, bytes) => plane?.onDatagram(datagram, from, bytes),
      onReject: (reason, from) => inputLogOf(options.logger).debug({ reason, from: where(from) }, 'udp datagram rejected'),
    });
    plane = new UdpDataPlane(endpoint, sealed, options.logger, options.hooks, options.maxQueuedChatBytes, options.engineConfig ?? SOCKET_ENGINE_CONFIG);
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
    const previous = this.bindings.get(session.id);
    if (previous !== undefined) {
      // A session whose chat fell back to TCP may try UDP again (its path may have healed), as often as
      // MAX_UDP_OFFERS_PER_SESSION in all; a binding still in use is never replaced.
      if (previous.machine.state !== 'tcp') return { ok: false, why: 'UDP was already offered on this connection and is in use' };
      if (previous.offers >= MAX_UDP_OFFERS_PER_SESSION) return { ok: false, why: `UDP was offered ${MAX_UDP_OFFERS_PER_SESSION} times on this connection; chat stays on TCP` };
      this.retire(session.id, previous);
    }
    const token = newToken();
    for (let attempt = 0; attempt < CONNECTION_ID_ATTEMPTS; attempt++) {
      const connectionId = newConnectionId();
      if (this.demux.has(connectionId)) continue;
      if (session.keyExporter !== undefined) {
        const secret = exportedSecret(session.keyExporter, connectionId);
        if (secret === undefined) return { ok: false, why: 'the TLS connection is closing; no UDP binding' };
        this.sealed.set(connectionId, new BindingSealing(secret, 'server', connectionId));
      }
      const binding = new ServerBinding(session, connectionId, this.context, (previous?.offers ?? 0) + 1);
      this.demux.offer(connectionId, token, binding);
      this.bindings.set(session.id, binding);
      return { ok: true, reply: { kind: 'udp', port: this.endpoint.port, connectionId, token: tokenToHex(token) } };
    }
    this.logger.warn({ session: session.id }, 'no free udp connection id; the session stays on tcp');
    return { ok: false, why: 'no free UDP connection id; chat stays on TCP' };
  }

  /** The client's `<transport>`: it gave up on UDP, or answers ours. */
  transportFromClient(session: PlaneSession, command: TransportCommand): void {
    const binding = this.bindings.get(session.id);
    if (binding === undefined || !binding.plane.peerTransport(command.received, command.reason)) {
      session.sendControl({ kind: 'error', code: 'refused', message: 'chat already travels over TCP on this connection' });
    }
  }

  /** The session's bulk channel now, or undefined when its client is not bound over UDP. */
  bulkLink(session: SessionId): BulkLink | undefined {
    return this.bindings.get(session)?.plane.bulkLink();
  }

  /** The session's receiver caught up (holdBulk turned false): deliver what its engine kept. */
  wakeBulk(session: SessionId): void {
    this.bindings.get(session)?.plane.wake();
  }

  /** The session's TCP connection closed: tear its binding down (a close datagram tells the client). */
  sessionClosed(session: SessionId): void {
    const binding = this.bindings.get(session);
    if (binding === undefined) return;
    this.retire(session, binding);
  }

  /** A binding ends: its session closed, or a new one replaces it (the session tries UDP again). */
  private retire(session: SessionId, binding: ServerBinding): void {
    this.bindings.delete(session);
    const wasBound = binding.machine.state === 'bound';
    binding.plane.close();
    // After the close datagram was sealed and sent (plane.close() flushes it, through the binding's
    // anti-amplification bound: the id is still in the table).
    this.demux.remove(binding.connectionId);
    this.sealed.delete(binding.connectionId);
    if (wasBound) this.context.hooks.bulkLost?.(session);
  }

  /** Tell every bound client the server is going away (before the TCP goodbyes). */
  announceShutdown(): void {
    for (const binding of this.bindings.values()) {
      binding.machine.announceClose();
      binding.plane.flush();
    }
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
    const states: Record<BindingState, number> = { offered: 0, bound: 0, syncing: 0, tcp: 0 };
    for (const b of this.bindings.values()) {
      const state = b.machine.state;
      if (state !== 'binding') states[state]++;
    }
    const { counters } = this;
    return {
      port: this.endpoint.port,
      offered: states.offered,
      bound: states.bound,
      syncing: states.syncing,
      datagramsReceived: this.endpoint.datagramsReceived,
      datagramsSent: this.endpoint.datagramsSent,
      sendErrors: this.endpoint.sendErrors,
      rejected: { ...this.endpoint.rejections },
      binding: { ...this.demux.counters },
      unexpected: this.unexpected,
      fallbacks: { ...counters.fallbacks },
      chatLinesIn: counters.chatLinesIn,
      chatRepliesOut: counters.chatRepliesOut,
      sealed: this.sealed.size,
    };
  }

  /** Live engine statistics of every bound session (for `<stats>`; one stats() call per engine). */
  engineStats(): Array<{ session: SessionId; name: string | undefined; stats: EngineStats }> {
    const out: Array<{ session: SessionId; name: string | undefined; stats: EngineStats }> = [];
    for (const b of this.bindings.values()) {
      const stats = b.machine.state === 'bound' ? b.machine.engineStats() : undefined;
      if (stats !== undefined) out.push({ session: b.session.id, name: b.session.name, stats });
    }
    return out;
  }

  /** The session's engine statistics while its chat travels over UDP (bound), else undefined. */
  engineStatsOf(session: SessionId): EngineStats | undefined {
    const b = this.bindings.get(session);
    return b !== undefined && b.machine.state === 'bound' ? b.machine.engineStats() : undefined;
  }

  // ---- datagrams ---------------------------------------------------------------------------------

  /**
   * A datagram of a binding to the socket — unless its address has not answered a challenge and has
   * already been sent AMPLIFICATION_FACTOR × what came from it (the engine takes it for lost). A refusal
   * answers one hello with fewer bytes than the hello: it always goes.
   */
  private transmit(datagram: OutgoingDatagram): void {
    if (datagram.type !== 'refuse' && !this.demux.maySend(datagram.connectionId, datagram.to, this.endpoint.bytesFor(datagram))) return;
    this.endpoint.send(datagram, datagram.to);
  }

  private onDatagram(datagram: Datagram, from: Address, bytes: number): void {
    if (this.stopped) return;
    const outcome = this.demux.handleDatagram(datagram, from, this.driver.now(), bytes);
    this.react(datagram, from, outcome);
    // After the machine's own (a helloOk): the demultiplexer's refusal or challenge.
    for (let answer = this.demux.pollTransmit(); answer !== undefined; answer = this.demux.pollTransmit()) this.transmit(answer);
  }

  /** Carries out and logs what the demultiplexer decided about one datagram. */
  private react(datagram: Datagram, from: Address, outcome: DemuxOutcome<ServerBinding>): void {
    switch (outcome.type) {
      case 'accept':
        // A close datagram moves the machine at once: its consequences (the fallback's log line, counters,
        // the bulk channel's end) are handled now, before anything later in this turn can end the session.
        if (datagram.type === 'close') outcome.session.plane.flush();
        else outcome.session.plane.wake();
        return;
      case 'drop':
        inputLogOf(this.logger).debug({ connId: datagram.connectionId, type: datagram.type, reason: outcome.reason, from: where(from) }, 'udp datagram dropped');
        return;
      case 'unexpected':
        this.unexpected++;
        inputLogOf(this.logger).debug({ type: datagram.type, from: where(from) }, 'udp datagram of a client-bound type dropped');
        return;
      case 'hello': {
        const decision = outcome.decision;
        const connId = datagram.connectionId;
        if (decision.type === 'refuse') {
          inputLogOf(this.logger).info({ session: decision.session?.session.id, connId, reason: decision.reason, from: where(from) }, 'udp hello refused');
          return;
        }
        const { session } = decision.session;
        // A verified hello: its nonce keys what the session seals from now on (the helloOk below first).
        this.sealed.get(connId)?.keysForHello(helloNonceOf(datagram.body));
        if (decision.type === 'bind') this.logger.info({ session: session.id, name: session.name, connId, from: where(from) }, 'udp bound');
        // Debug: anyone who copied a hello can make the server challenge an address, once per copy.
        else if (decision.type === 'challenge') this.logger.debug({ session: session.id, connId, from: where(from) }, 'udp hello from a new address: challenged');
        // The helloOk leaves now, and a new binding routes chat before the next reply is delivered.
        decision.session.plane.flush();
        return;
      }
      case 'response': {
        const decision = outcome.decision;
        const connId = datagram.connectionId;
        if (decision.type === 'drop') {
          this.logger.debug({ connId, reason: decision.reason, from: where(from) }, 'udp response dropped');
          return;
        }
        const { session } = decision.session;
        if (decision.type === 'rebind') {
          const previous = where(decision.previous);
          this.logger.info({ session: session.id, name: session.name, connId, from: where(from), previous }, 'udp rebound to a new address');
        }
        decision.session.plane.flush();
        return;
      }
    }
  }

  private encode(reply: ChatReply): Uint8Array {
    // A room fan-out hands every member the same Reply object: encode it once.
    if (this.lastEncoded?.reply !== reply) this.lastEncoded = { reply, bytes: Buffer.from(formatReply(reply), 'utf8') };
    return this.lastEncoded.bytes;
  }
}
