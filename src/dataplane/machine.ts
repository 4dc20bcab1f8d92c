// One session's UDP data plane as a pure state machine, for both ends of the binding (docs/protocol.md,
// "Datagrams, binding and fallback"). Every state transition of the data plane is in this module; the
// shells (src/server/udp-plane.ts, src/udp/client-plane.ts, src/client/link.ts) own the socket, the
// timers and the TCP line, and only move bytes and events between them and this.
//
//   client:  binding ──helloOk, or any data──▶ bound ──(engine lost | close datagram)──▶ syncing ──▶ tcp
//               └──(no answer in BINDING_TIMEOUT_MS | refuse)──▶ syncing                          ▲
//   server:  offered ──verified hello──▶ bound ──(engine lost | close datagram)──▶ syncing ──────┤
//            (a bound server moves to a new address — handleVerifiedHello again — once the binding
//            table saw that address answer its challenge: src/dataplane/binding-table.ts)
//   either:  offered | binding | bound ──the peer's <transport>──▶ tcp (answered with our count) ┘
//
// binding: (client) a hello every HELLO_RETRY_MS with the same nonce, so a retransmission is known as one.
//          Refused as `replayed` (a copy of it reached the server first, from elsewhere), a fresh hello (next
//          nonce) at once, up to REPLAYED_HELLO_RETRIES times: the server challenges this address for it.
// challenge: (client, binding or bound) answered at once with a response (`responseBody`: the challenge
//          and the token's MAC over it), from the address it reached: that is what the server validates.
// bound:   chat (and file chunks) over the engine. A bound client whose engine has awaited an answer for
//          REBIND_SILENCE_MS without hearing anything sends fresh hellos (next nonce) until it hears again:
//          the server moves the binding if the client's address changed (NAT rebinding).
// syncing: this side gave up: its engine is stopped, its count of chat received over UDP frozen and sent
//          (`send-transport`); chat handed over meanwhile is held. The peer's count, or the sync timeout,
//          ends it — except on a server whose engine declared the client lost: silent on TCP as well, the
//          client is gone, and the machine asks for the session to be dropped.
// tcp:     what the peer missed is resent (`resend`), what was held is released (`tcp`), and chat uses TCP.
//
// Surface, quinn-proto style: inputs carry `now` (handleDatagram, handleVerifiedHello, handlePeerTransport,
// sendChat, sendBulk, announceClose, close, handleTimeout); outputs are polled (pollTransmit: datagrams
// with their destination; pollEvent: PlaneEvent; pollTimeout: the earliest of the engine's deadline and
// the machine's own — hello retry, binding timeout, silence check, sync timeout). No socket, clock, timer
// or randomness: the hello and response proofs come from the shell (`helloBody`, `responseBody`), which
// holds the token and the HMAC.
import type { TransportReason } from '../commands/types.ts';
import type { EngineConfig } from '../reliability/config.ts';
import { createConnection } from '../reliability/index.ts';
import { Channel, type EngineEvent, type EngineStats, type ReliableConnection } from '../reliability/types.ts';
import type { Datagram } from '../wire/codec.ts';
import { ChatLedger } from './chat-ledger.ts';
import {
  BINDING_TIMEOUT_MS,
  FALLBACK_HOLD_MAX_REPLIES,
  FALLBACK_SYNC_TIMEOUT_MS,
  HELLO_RETRY_MS,
  QUEUE_CHECK_INTERVAL_MS,
  REBIND_SILENCE_MS,
  REPLAYED_HELLO_RETRIES,
  VALIDATION_PROBES,
} from './constants.ts';
import { decodeRefuse, encodeHelloOk, helloOkValidated, type RefuseReasonName } from './hello.ts';
import {
  sameAddress,
  type Address,
  type ChatPath,
  type ChatSend,
  type DropCause,
  type EngineClosed,
  type GiveUpReason,
  type OutgoingDatagram,
  type PlaneEvent,
  type PlaneState,
  type Role,
} from './types.ts';

interface CommonOptions {
  connectionId: number;
  /** Options of the session's engine, created when the binding completes. */
  engineConfig: Readonly<Partial<EngineConfig>>;
  /** When the machine starts (a client sends its first hello now). */
  now: number;
  /**
   * Chat held while moving to TCP beyond this many items: the machine asks for the session to be dropped
   * (default FALLBACK_HOLD_MAX_REPLIES).
   */
  maxHeldChat?: number;
  /**
   * Over about this many bytes of chat unacknowledged in the engine, the peer is not reading: the machine
   * asks for the session to be dropped. Undefined: no bound (the engine's own dead-peer limit applies).
   */
  maxQueuedChatBytes?: number;
  /**
   * True while the owner cannot take messages (its disk is behind a file transfer): they stay in the
   * engine, whose receive window then closes so the peer slows down. The machine's own events still flow.
   */
  holdMessages?: () => boolean;
  /**
   * The engine may send this many packets, then the machine gives up UDP (`lost`): a sealed binding's
   * nonces are packet numbers (SEALED_PACKET_LIMIT). Undefined: no limit (plain bindings).
   */
  maxPacketsSent?: number;
}

export type MachineOptions = CommonOptions &
  (
    | {
        role: 'client';
        /** Where datagrams go (the server's UDP port, or a relay); only datagrams from there count. */
        peer: Address;
        /** The hello body for a nonce: nonce ‖ MAC of the token (src/udp/binding.ts, in the shell). */
        helloBody: (nonce: bigint) => Uint8Array;
        /** The response body for a challenge: challenge ‖ MAC of the token (src/udp/binding.ts, in the shell). */
        responseBody: (challenge: Uint8Array) => Uint8Array;
      }
    | { role: 'server' }
  );

const ROOM: PlaneEvent<never> = Object.freeze({ type: 'room' });
const EMPTY = new Uint8Array(0);
/** Stateless between calls (no `stream` option): one for every machine. */
const UTF8 = new TextDecoder('utf-8', { fatal: true });

function earliest(a: number | undefined, b: number | undefined): number | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return a < b ? a : b;
}

export class DataPlaneMachine<T> {
  readonly role: Role;
  readonly connectionId: number;
  private stateValue: PlaneState;
  private peerValue: Address | undefined;
  private engine: ReliableConnection | undefined;
  private finalStats: EngineStats | undefined;
  /** The peer broke the engine's protocol (its `lost` event said how): reported with the give-up. */
  private engineClosed: EngineClosed | undefined;
  private readonly ledger = new ChatLedger<T>();
  /** Chat handed over while syncing (and until the `tcp` event that releases it is polled). */
  private held: T[] = [];
  /** tcp, but the `tcp` event carrying `held` is not polled yet: chat handed over still joins `held`. */
  private releasing = false;
  private readonly events: PlaneEvent<T>[] = [];
  private readonly outgoing: OutgoingDatagram[] = [];
  private roomQueued = false;
  private dropQueued = false;
  /** Latest `now` of any input (time never goes back). */
  private now: number;

  private readonly engineConfig: Readonly<Partial<EngineConfig>>;
  private readonly helloBody: ((nonce: bigint) => Uint8Array) | undefined;
  private readonly responseBody: ((challenge: Uint8Array) => Uint8Array) | undefined;
  /** Fresh hellos sent because one was refused as replayed (at most REPLAYED_HELLO_RETRIES). */
  private replayRetries = 0;
  private readonly maxHeldChat: number;
  private readonly maxQueuedChatBytes: number | undefined;
  private readonly holdMessages: (() => boolean) | undefined;
  private readonly maxPacketsSent: number | undefined;
  /** Engine packets polled out (held against maxPacketsSent). */
  private packetsSent = 0;

  // The client's binding and silence watch.
  private nonce = 1n;
  /** binding: the next hello; bound: the next silence check (undefined while the engine awaits nothing). */
  private helloAt: number | undefined;
  private bindingDeadline: number | undefined;
  private lastHeard = -Infinity;
  /** (client, bound) Hellos still to send while the server has not said our address is validated. */
  private probesLeft = 0;
  /** (client) The server said our address is validated. */
  private validatedValue = false;
  /** (client, bound) When the next of them goes (undefined: none). */
  private probeAt: number | undefined;
  /** When the silence watch first saw the engine awaiting an answer (undefined: it awaits none). */
  private awaitingSince: number | undefined;

  private syncDeadline: number | undefined;
  private syncReason: GiveUpReason | undefined;

  // Checks made on the engine's statistics at most every QUEUE_CHECK_INTERVAL_MS.
  private lastQueueCheckAt = -Infinity;
  private chatBytesSent = 0;
  private chatMessagesSent = 0;

  constructor(options: MachineOptions) {
    this.role = options.role;
    this.connectionId = options.connectionId;
    this.engineConfig = options.engineConfig;
    this.maxHeldChat = options.maxHeldChat ?? FALLBACK_HOLD_MAX_REPLIES;
    this.maxQueuedChatBytes = options.maxQueuedChatBytes;
    this.holdMessages = options.holdMessages;
    this.maxPacketsSent = options.maxPacketsSent;
    this.now = options.now;
    if (options.role === 'client') {
      this.helloBody = options.helloBody;
      this.responseBody = options.responseBody;
      this.peerValue = { address: options.peer.address, port: options.peer.port };
      this.stateValue = 'binding';
      this.queueHello();
      this.helloAt = options.now + HELLO_RETRY_MS;
      this.bindingDeadline = options.now + BINDING_TIMEOUT_MS;
    } else {
      this.helloBody = undefined;
      this.responseBody = undefined;
      this.stateValue = 'offered';
    }
  }

  get state(): PlaneState {
    return this.stateValue;
  }

  /** (client) Whether the server said our address answered its challenge (it sends to us freely). */
  get addressValidated(): boolean {
    return this.validatedValue;
  }

  /** Where datagrams go: the client's target; the server's client once bound (it moves on a rebind). */
  get peer(): Address | undefined {
    return this.peerValue;
  }

  /** Where chat should go now: over the engine, held (the move to TCP is under way), or TCP. */
  get chatPath(): ChatPath {
    if (this.stateValue === 'bound') return 'udp';
    return this.stateValue === 'syncing' || this.releasing ? 'hold' : 'tcp';
  }

  /** Chat items held now (they come back in the `tcp` event). */
  get heldCount(): number {
    return this.held.length;
  }

  /** Engine statistics: live while bound, as they were when the engine stopped after; undefined if it never ran. */
  /** Chat items sent over UDP and kept for a resend, not yet known to have reached the peer. */
  get keptForResend(): number {
    return this.ledger.keptCount;
  }

  engineStats(): EngineStats | undefined {
    return this.engine?.stats() ?? this.finalStats;
  }

  /** Messages (both channels) queued on the engine and not yet acknowledged; 0 without an engine. */
  queuedMessages(): number {
    return this.engine === undefined ? 0 : this.engine.stats().queuedMessages;
  }

  // ---- inputs -------------------------------------------------------------------------------------

  /**
   * A well-formed datagram from `from`. Only datagrams from the peer carrying this connection id count,
   * and only while binding or bound (the server's shell decides hellos: handleVerifiedHello).
   */
  handleDatagram(datagram: Datagram, from: Address, now: number): void {
    this.advance(now);
    const peer = this.peerValue;
    if (datagram.connectionId !== this.connectionId || peer === undefined || !sameAddress(peer, from)) return;
    const state = this.stateValue;
    if (state !== 'binding' && state !== 'bound') return;
    this.lastHeard = this.now;
    switch (datagram.type) {
      case 'data':
        // helloOk may be lost while the server, bound, already sends: its data proves the binding too.
        if (state === 'binding') this.becomeBound();
        this.engine!.handlePacket(datagram.body, this.now);
        this.maybeForgetDelivered();
        if (!this.roomQueued) {
          this.roomQueued = true;
          this.events.push(ROOM);
        }
        return;
      case 'helloOk':
        if (state === 'binding') this.becomeBound();
        if (helloOkValidated(datagram.body)) {
          this.probesLeft = 0;
          this.validatedValue = true;
        }
        return;
      case 'refuse': {
        // While bound, a refusal answers a stale rebind hello; the engine decides whether the path lives.
        if (state !== 'binding') return;
        const reason = decodeRefuse(datagram.body);
        if (reason === 'replayed' && this.replayRetries < REPLAYED_HELLO_RETRIES) {
          // Someone's copy of our hello came first from elsewhere: a fresh one, which the server
          // answers with a challenge here, and our response moves the binding to us.
          this.replayRetries++;
          this.nonce++;
          this.queueHello();
          return;
        }
        this.giveUp('refused', reason);
        return;
      }
      case 'challenge':
        // Answered from here: the server moves (or keeps) the binding where the response comes from.
        if (this.role === 'client') this.outgoing.push({ type: 'response', connectionId: this.connectionId, body: this.responseBody!(datagram.body), to: peer });
        return;
      case 'close':
        this.giveUp('closed');
        return;
      case 'hello':
      case 'response':
        return;
    }
  }

  /**
   * (server) A hello for this connection id whose proof the shell verified and found fresh, from `from`:
   * bind there (or move there: NAT rebinding) and answer helloOk, saying whether `from` has answered its
   * challenge (`validated`: the client stops probing). Ignored once the binding is over.
   */
  handleVerifiedHello(from: Address, now: number, validated: boolean): void {
    this.advance(now);
    if (this.role !== 'server' || (this.stateValue !== 'offered' && this.stateValue !== 'bound')) return;
    this.peerValue = { address: from.address, port: from.port };
    this.outgoing.push({ type: 'helloOk', connectionId: this.connectionId, body: encodeHelloOk(validated), to: this.peerValue });
    if (this.stateValue === 'offered') this.becomeBound();
  }

  /**
   * The peer's `<transport>tcp RECEIVED REASON` (over TCP): it gave up on UDP, or answers ours. False when
   * chat already travels over TCP (nothing to answer: the caller refuses the line).
   */
  handlePeerTransport(received: number, reason: TransportReason, now: number): boolean {
    this.advance(now);
    const state = this.stateValue;
    if (state === 'tcp') return false;
    if (state !== 'syncing') {
      this.stopEngine(true);
      this.events.push({ type: 'gave-up', by: 'peer', reason, wasBound: state === 'bound', engine: this.finalStats });
      this.events.push({ type: 'send-transport', received: this.ledger.received, reason: 'requested' });
    }
    this.finish(received);
    return true;
  }

  /**
   * A chat item to carry to the peer (`data`: its bytes; `item`: what the ledger keeps for a resend and
   * what comes back if it is held). Over the engine while bound, held while chat moves to TCP, else declined.
   */
  sendChat(item: T, data: Uint8Array, now: number): ChatSend {
    this.advance(now);
    if (this.stateValue === 'bound') {
      if (this.engine!.send(Channel.chat, data, this.now)) {
        this.ledger.recordSent(item);
        this.chatBytesSent += data.length;
        this.chatMessagesSent++;
        this.checkChatQueue();
        return 'sent';
      }
      // The engine stopped (lost) and its event is still queued: give up now.
      this.giveUp('lost');
    }
    if (this.stateValue !== 'syncing' && !this.releasing) return 'declined';
    this.held.push(item);
    if (this.held.length > this.maxHeldChat) {
      const held = this.held.length;
      this.held.length = 0;
      this.queueDrop({ cause: 'held-overflow', held });
    }
    return 'held';
  }

  /** A message on the bulk channel (a file chunk); false unless bound with a live engine. */
  sendBulk(data: Uint8Array, now: number): boolean {
    this.advance(now);
    return this.stateValue === 'bound' && this.engine!.send(Channel.bulk, data, this.now);
  }

  /** (server) Tell a bound client that the binding is going away (shutdown): a close datagram. */
  announceClose(): void {
    if (this.stateValue === 'bound') this.queueClose();
  }

  /**
   * The session ended (its TCP connection closed, or it is being dropped): the engine stops, held chat is
   * forgotten, nothing more happens. A bound server tells its client with a close datagram (poll it out).
   */
  close(): void {
    if (this.role === 'server' && this.stateValue === 'bound') this.queueClose();
    this.stopEngine(false);
    this.stateValue = 'tcp';
    this.syncDeadline = undefined;
    this.releasing = false;
    this.held = [];
    this.events.length = 0;
    this.roomQueued = false;
  }

  handleTimeout(now: number): void {
    this.advance(now);
    now = this.now;
    if (this.bindingDeadline !== undefined && now >= this.bindingDeadline) this.giveUp('timeout');
    if (this.helloAt !== undefined && now >= this.helloAt) this.onHelloTimer();
    if (this.probesLeft > 0 && this.probeAt !== undefined && now >= this.probeAt) this.onProbeTimer();
    if (this.syncDeadline !== undefined && now >= this.syncDeadline) this.onSyncTimeout();
    const engine = this.engine;
    if (engine !== undefined) {
      const due = engine.pollTimeout();
      if (due !== undefined && due <= now) engine.handleTimeout(now);
    }
  }

  // ---- outputs ------------------------------------------------------------------------------------

  /** The next datagram to put on the socket now, or undefined. */
  pollTransmit(now: number): OutgoingDatagram | undefined {
    this.advance(now);
    if (this.outgoing.length > 0) return this.outgoing.shift();
    const engine = this.engine;
    if (engine === undefined) return undefined;
    const packet = engine.pollTransmit(this.now);
    if (packet === undefined) return undefined;
    // Something went out: a client's silence watch looks again soon whether the engine awaits an answer.
    if (this.role === 'client' && this.helloAt === undefined) this.helloAt = this.now + HELLO_RETRY_MS;
    const datagram: OutgoingDatagram = { type: 'data', connectionId: this.connectionId, body: packet, to: this.peerValue! };
    // The last packet this binding may send goes out; then chat leaves UDP before a nonce could repeat.
    if (this.maxPacketsSent !== undefined && ++this.packetsSent >= this.maxPacketsSent) this.giveUp('lost');
    return datagram;
  }

  /** The next event for the shell, or undefined. */
  pollEvent(): PlaneEvent<T> | undefined {
    const own = this.events.shift();
    if (own !== undefined) {
      if (own === ROOM) this.roomQueued = false;
      else if (own.type === 'tcp') {
        // Released: what is handed over from now on is the caller's to send over TCP.
        this.releasing = false;
        this.held = [];
      }
      return own;
    }
    const engine = this.engine;
    if (engine === undefined) return undefined;
    if (this.holdMessages?.() === true) {
      // Its messages wait for the owner, but a dead path does not: its `lost` event is behind them.
      if (engine.state !== 'lost') return undefined;
      this.giveUp('lost');
      return this.events.shift();
    }
    const event = engine.pollEvent();
    if (event === undefined) return undefined;
    if (event.type === 'lost') {
      this.noteLost(event);
      this.giveUp('lost');
      return this.events.shift();
    }
    if (event.channel === Channel.bulk) return { type: 'bulk', data: event.data };
    return this.lineOf(event.data);
  }

  /** When handleTimeout must be called next (absolute), or undefined when nothing is due ever. */
  pollTimeout(): number | undefined {
    const engineAt = this.engine?.pollTimeout();
    const probeAt = this.probesLeft > 0 ? this.probeAt : undefined;
    return earliest(earliest(earliest(engineAt, this.helloAt), probeAt), earliest(this.bindingDeadline, this.syncDeadline));
  }

  // ---- transitions ----------------------------------------------------------------------------------

  private becomeBound(): void {
    this.engine = createConnection(this.engineConfig, this.now);
    this.stateValue = 'bound';
    this.bindingDeadline = undefined;
    // A client's silence watch starts when the engine first sends (its opening PING, at once).
    this.helloAt = undefined;
    if (this.role === 'client') {
      this.probesLeft = VALIDATION_PROBES;
      this.probeAt = this.now + HELLO_RETRY_MS;
    }
    this.events.push({ type: 'bound', peer: this.peerValue! });
  }

  /** This side gives up on UDP: stop the engine, tell the peer our count, hold chat until it answers. */
  private giveUp(reason: GiveUpReason, refuse?: RefuseReasonName): void {
    const state = this.stateValue;
    if (state !== 'binding' && state !== 'bound') return;
    this.stopEngine(true);
    this.stateValue = 'syncing';
    this.syncReason = reason;
    this.syncDeadline = this.now + FALLBACK_SYNC_TIMEOUT_MS;
    const wasBound = state === 'bound';
    const closed = this.engineClosed;
    this.events.push(
      refuse !== undefined
        ? { type: 'gave-up', by: 'self', reason, refuse, wasBound, engine: this.finalStats }
        : closed !== undefined
          ? { type: 'gave-up', by: 'self', reason, closed, wasBound, engine: this.finalStats }
          : { type: 'gave-up', by: 'self', reason, wasBound, engine: this.finalStats },
    );
    this.events.push({ type: 'send-transport', received: this.ledger.received, reason });
  }

  /** The peer's count is known (or never came): resend what it missed, release what was held. */
  private finish(peerReceived: number | undefined): void {
    this.syncDeadline = undefined;
    this.stateValue = 'tcp';
    if (peerReceived !== undefined) {
      const missed = this.ledger.unreceived(peerReceived);
      if (missed.length > 0) this.events.push({ type: 'resend', items: missed });
    }
    this.ledger.forgetDelivered();
    this.releasing = true;
    this.events.push({ type: 'tcp', synced: peerReceived !== undefined, held: this.held });
  }

  private onSyncTimeout(): void {
    this.syncDeadline = undefined;
    if (this.stateValue !== 'syncing') return;
    // Silent on UDP past the engine's dead-peer limit, and now silent on TCP as well: the client's machine
    // is gone (TCP alone would notice only after minutes of keepalive probes).
    if (this.role === 'server' && this.syncReason === 'lost') {
      this.queueDrop({ cause: 'silent' });
      return;
    }
    this.finish(undefined);
  }

  /**
   * binding: the hello again (same nonce). bound (client): if the engine has awaited an answer for
   * REBIND_SILENCE_MS and the server has been silent all that time, a fresh hello (next nonce).
   */
  private onHelloTimer(): void {
    const now = this.now;
    if (this.stateValue === 'binding') {
      this.queueHello();
      this.helloAt = now + HELLO_RETRY_MS;
      return;
    }
    const engine = this.engine;
    if (this.stateValue !== 'bound' || engine === undefined || engine.stats().bytesInFlight === 0) {
      // Awaiting nothing: an idle session sends no hello (the watch re-arms when the engine sends).
      this.awaitingSince = undefined;
      this.helloAt = undefined;
      return;
    }
    this.awaitingSince ??= now;
    if (now - Math.max(this.lastHeard, this.awaitingSince) >= REBIND_SILENCE_MS) {
      this.nonce++;
      this.queueHello();
    }
    this.helloAt = now + HELLO_RETRY_MS;
  }

  /** (client, bound) The server has not said our address is validated: the hello again (see VALIDATION_PROBES). */
  private onProbeTimer(): void {
    if (this.stateValue !== 'bound') {
      this.probesLeft = 0;
      return;
    }
    this.probesLeft--;
    // A fresh nonce: from where the server bound us, a repeat; from a new address (the NAT moved us
    // meanwhile, and the confirmation went to the old one), a challenge there, as a rebind.
    this.nonce++;
    this.queueHello();
    this.probeAt = this.now + HELLO_RETRY_MS;
  }

  /**
   * Stops the engine (its last statistics are kept). `countChat` (chat moves to TCP): the chat messages
   * it received and its owner has not taken yet (held back: a disk behind a file transfer) are handed
   * over first and counted — the engine acknowledged them, so the peer's ledger may have forgotten them
   * and would not resend them. File chunks in the queue die with the engine (the transfer ends: bulkLost).
   */
  private stopEngine(countChat: boolean): void {
    this.bindingDeadline = undefined;
    this.helloAt = undefined;
    this.probesLeft = 0;
    this.awaitingSince = undefined;
    const engine = this.engine;
    if (engine === undefined) return;
    // Bounded by the engine's queue of delivered messages (its receive window).
    for (let event = countChat ? engine.pollEvent() : undefined; event !== undefined; event = engine.pollEvent()) {
      if (event.type === 'message' && event.channel === Channel.chat) this.events.push(this.lineOf(event.data));
      else if (event.type === 'lost') this.noteLost(event);
    }
    this.finalStats = engine.stats();
    engine.close();
    this.engine = undefined;
  }

  /** The engine's `lost`: a broken protocol is kept to be reported (a timeout needs no more words). */
  private noteLost(event: Extract<EngineEvent, { type: 'lost' }>): void {
    if (event.reason !== 'timeout') this.engineClosed = { violation: event.reason, detail: event.detail };
  }

  /** A chat message from the peer, counted (what `<transport>` will report) and decoded. */
  private lineOf(data: Uint8Array): PlaneEvent<T> {
    this.ledger.recordReceived();
    let line: string | undefined;
    try {
      line = UTF8.decode(data);
    } catch {
      line = undefined;
    }
    return { type: 'line', line, bytes: data.length };
  }

  /** Throw away what the ledger keeps of the chat the engine reports acknowledged in order. */
  private maybeForgetDelivered(): void {
    if (this.ledger.keptCount === 0) return;
    this.ledger.forgetBefore(this.engine!.acknowledgedMessages(Channel.chat));
  }

  /**
   * At most every QUEUE_CHECK_INTERVAL_MS: the chat the engine still holds (queued messages × their mean
   * size; file chunks queued alongside are few and counted as chat) against maxQueuedChatBytes.
   */
  private checkChatQueue(): void {
    const max = this.maxQueuedChatBytes;
    if (max === undefined || this.now - this.lastQueueCheckAt < QUEUE_CHECK_INTERVAL_MS) return;
    this.lastQueueCheckAt = this.now;
    const queued = this.engine!.stats().queuedMessages;
    const bytes = queued * (this.chatBytesSent / this.chatMessagesSent);
    if (bytes > max) this.queueDrop({ cause: 'not-reading', queued, bytes });
  }

  private queueDrop(drop: DropCause): void {
    if (this.dropQueued) return;
    this.dropQueued = true;
    this.events.push({ type: 'drop', ...drop });
  }

  private queueHello(): void {
    this.outgoing.push({ type: 'hello', connectionId: this.connectionId, body: this.helloBody!(this.nonce), to: this.peerValue! });
  }

  private queueClose(): void {
    this.outgoing.push({ type: 'close', connectionId: this.connectionId, body: EMPTY, to: this.peerValue! });
  }

  private advance(now: number): void {
    if (now > this.now) this.now = now;
  }
}
