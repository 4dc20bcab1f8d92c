// The client's live session with a server, shared by both shells: the TCP connection, the UDP data plane
// (chat over the reliable engine once bound, with the fallback to TCP), the session state they feed, and
// bounded waits ("until welcomed", "until every command was answered", "until disconnected") that
// resolve on events or on their deadline — never on a fixed sleep.
//
// Commands leave through one ordered outbox. Chat (`broadcast`, `private`) goes over UDP while bound,
// everything else over TCP; before a command goes out on the other transport than the previous one, the
// outbox waits (bounded) until every command sent so far was answered, so the server handles them in
// the order they were typed. While chat moves to TCP (between the `<transport>` lines) chat waits too.
// Chat also waits for the rate the server announced in its welcome (src/client/pacer.ts): lines over it
// stay queued (`queuedCount`) and go as the budget allows; a line the server refused anyway goes again.
// When chat moves, and what is resent, is the data-plane machine's (src/dataplane/machine.ts, through
// src/udp/client-plane.ts); this writes its `<transport>` line and resends on TCP and shows the change.
import { isFileReply } from '../commands/plumbing.ts';
import { lookup } from 'node:dns/promises';
import { formatCommand, parseReply } from '../commands/grammar.ts';
import { formatTransportCommand, formatUdpRequest } from '../commands/transport-syntax.ts';
import { connectCommand } from '../commands/credentials.ts';
import type { Command, ErrorCode, FileReply, Reply, Transport, TransportReason } from '../commands/types.ts';
import { FALLBACK_SYNC_TIMEOUT_MS } from '../dataplane/constants.ts';
import type { ClientLink } from '../files/client-files.ts';
import { MAX_QUEUED_CHUNKS_PER_LINK, TCP_CHUNK_WINDOW_BYTES } from '../files/limits.ts';
import { connectTcp, type ClientConnection, type ConnectionEvent } from '../tcp/client-connection.ts';
import { tlsConnectFactory, type TlsClientOptions } from '../tcp/tls.ts';
import { UdpClientPlane, type ClientPlaneEvent } from '../udp/client-plane.ts';
import { doublingDelay } from './backoff.ts';
import { ORDER_WAIT_MAX_MS, ORDER_WAIT_QUIET_MS, SERVER_CLOSE_EXPLAINED_MS, UDP_RETRY_FIRST_MS, UDP_RETRY_MAX_MS, UDP_RETRY_STABLE_MS } from './constants.ts';
import { Pacer } from './pacer.ts';
import type { ClientNotice, StatusInfo, TransportChangeReason, UdpStatus } from './render.ts';
import { ClientState, type Display, type UsersScope } from './state.ts';

export interface UdpOptions {
  /** False: never bind UDP; everything stays on TCP. */
  enabled: boolean;
  /** Send datagrams here (an impairment proxy) instead of the server's host and announced port. */
  via?: { host: string; port: number } | undefined;
  /** After the path failed and chat fell back to TCP, ask for UDP again after this long, doubling (0: never; default UDP_RETRY_FIRST_MS). */
  retryFirstMs?: number;
}

export interface LinkOptions {
  host: string;
  port: number;
  connectTimeoutMs: number;
  /** Shows one item (a reply as displayed, or a notice about the link). */
  show: (item: Display | ClientNotice) => void;
  /**
   * The connection is gone. `expected` is true when we closed it (disconnect() or close()); `shutdown`
   * when the server had said it was shutting down (an orderly end, however the socket then closed).
   */
  closed: (expected: boolean, message: string, shutdown: boolean) => void;
  /** The client's clock (ms since the epoch). */
  clock: () => number;
  /** The UDP data plane (default: enabled, datagrams to the server). */
  udp?: UdpOptions;
  /** Connect with TLS, verifying the server (src/tcp/tls.ts); the data plane is then sealed. Absent: plain TCP. */
  tls?: TlsClientOptions;
  /** Where file replies and chunks go (src/client/transfers.ts); without it they are shown raw. */
  files?: LinkFileHooks;
  /** Ask the server to hold our name should the connection be lost (`<hold>`; default: no). */
  hold?: boolean;
  /** The number of typed lines held back by the server's chat rate changed (0: every one was sent). */
  queued?: (count: number) => void;
}

/** The file features' side of the link. */
export interface LinkFileHooks {
  /** A file reply (`<sending>`, `<ready>`, `<offer>`, `<aborted>` …). */
  reply(reply: FileReply): void;
  /** A `<chunk>` line (the TCP fallback of the data plane): its base64. */
  chunkLine(data: string): void;
  /** A message on the UDP bulk channel. */
  bulk(data: Uint8Array): void;
  /** Acknowledgements arrived (UDP), or the socket may have drained (TCP): senders may queue more. */
  room(): void;
  /** The UDP data plane went away while the connection lives on (chat moved to TCP). */
  udpLost(): void;
  /** True while received bytes wait for the disk: the UDP engine keeps its messages meanwhile. */
  holdBulk(): boolean;
}

/** What a lost connection leaves: sent and never answered, and never sent (each oldest first). */
export interface LeftOver {
  unanswered: readonly Command[];
  unsent: readonly Command[];
}

export type OpenResult = { ok: true; link: ChatLink } | { ok: false; message: string };

export type SignInResult =
  | { ok: true }
  | { ok: false; reason: 'refused'; code: ErrorCode; message: string }
  | { ok: false; reason: 'timeout' | 'closed'; message: string };

interface Waiter {
  done: () => boolean;
  resolve: (met: boolean) => void;
  timer: ReturnType<typeof setTimeout>;
}

interface Outgoing {
  command: Command;
  scope: UsersScope | undefined;
}

type Route = Transport | 'hold';

/** Why the server moved chat to TCP, as the client tells it. */
function serverReason(reason: TransportReason): TransportChangeReason {
  return reason === 'lost' ? 'server-lost' : reason === 'closed' ? 'server-closed' : 'server-fallback';
}

const OWN_REASONS: Record<Exclude<TransportReason, 'requested'>, TransportChangeReason> = {
  timeout: 'binding-timeout',
  refused: 'binding-refused',
  lost: 'peer-lost',
  closed: 'server-closed',
};

export class ChatLink {
  readonly state = new ClientState();
  private connection: ClientConnection | undefined;
  private waiters = new Set<Waiter>();
  private isClosed = false;
  private closingOnPurpose = false;
  private lastReplyAt: number;
  private lastSentAt: number;
  /** A line came from the server (a TLS-only port closes on a plain client without one). */
  private heardServer = false;
  /** The token of `<hold>`: proves our name to the server after a lost connection. */
  private heldWith: string | undefined;
  /** A data-plane close from the server, shown after SERVER_CLOSE_EXPLAINED_MS unless TCP explains it. */
  private deferredChange: ReturnType<typeof setTimeout> | undefined;
  /** What was typed and not answered when the connection went (set on close). */
  private leftOver: LeftOver = { unanswered: [], unsent: [] };

  private readonly udp: UdpOptions;
  private plane: UdpClientPlane | undefined;
  private planeOpening = false;
  private lastChange: TransportChangeReason | undefined;
  private udpError: string | undefined;
  /** Trying UDP again after a fallback: the pending try, the tries that failed in a row, when the last bound. */
  private udpRetry: ReturnType<typeof setTimeout> | undefined;
  private udpRetriesFailed = 0;
  private boundAt: number | undefined;
  /** Why the data plane last gave up: whether the path is worth trying again once chat is on TCP. */
  private pathFailed = false;

  private readonly outbox: Outgoing[] = [];
  private readonly pacer = new Pacer<Outgoing>();
  /** The outbox waits for the pacer (not for an answer or a transport change). */
  private pacerHolding = false;
  private reportedQueued = 0;
  private outboxWaiting = false;
  private pumping = false;
  private lastRoute: Transport = 'tcp';

  private constructor(private readonly options: LinkOptions) {
    this.lastReplyAt = options.clock();
    this.lastSentAt = this.lastReplyAt;
    this.udp = options.udp ?? { enabled: true };
  }

  /** Connects; never rejects (a failure comes back with a one-line message). */
  static async open(options: LinkOptions): Promise<OpenResult> {
    const link = new ChatLink(options);
    const result = await connectTcp({
      host: options.host,
      port: options.port,
      timeoutMs: options.connectTimeoutMs,
      onEvent: (event) => link.onEvent(event),
      ...(options.tls !== undefined ? { connectFactory: tlsConnectFactory(options.tls) } : {}),
    });
    if (!result.ok) return { ok: false, message: result.message };
    link.connection = result.connection;
    return { ok: true, link };
  }

  get closed(): boolean {
    return this.isClosed;
  }

  /** When the last server line arrived (client clock). */
  get lastActivity(): number {
    return this.lastReplyAt;
  }

  /** The server's `<hold>` token, once it gave one. */
  get holdToken(): string | undefined {
    return this.heldWith;
  }

  /**
   * After the connection went: the commands sent but never answered (the server may or may not have
   * done them), and the commands never sent, each in the order typed — what a new connection carries.
   */
  get leftBehind(): LeftOver {
    return this.leftOver;
  }

  /** How chat travels now. */
  get transport(): Transport {
    return this.plane?.chatPath === 'udp' ? 'udp' : 'tcp';
  }

  /** Writes a file request line over TCP at once (files have their own bookkeeping). False if closed. */
  sendFileLine(line: string): boolean {
    if (this.isClosed || this.connection === undefined) return false;
    this.lastSentAt = this.options.clock();
    return this.connection.sendLine(line);
  }

  /**
   * Where file chunks go now: the UDP bulk channel while bound, else `<chunk>` lines on TCP. The link
   * returned stays on its path (a transfer pins it); undefined once the connection is closed.
   */
  dataLink(): ClientLink | undefined {
    const connection = this.connection;
    if (this.isClosed || connection === undefined || !connection.isOpen) return undefined;
    const bulk = this.plane?.bulkLink();
    if (bulk !== undefined) {
      return {
        get alive() {
          return bulk.alive;
        },
        // A dead engine says yes, so that queue() reports the loss and the transfer ends.
        mayQueue: () => !bulk.alive || bulk.queued() < MAX_QUEUED_CHUNKS_PER_LINK,
        queue: (message) => bulk.send(message),
      };
    }
    return {
      get alive() {
        return connection.isOpen;
      },
      mayQueue: () => !connection.isOpen || connection.pendingWriteBytes < TCP_CHUNK_WINDOW_BYTES,
      queue: (message) =>
        connection.sendLine(`<chunk>${Buffer.from(message.buffer, message.byteOffset, message.byteLength).toString('base64')}`),
    };
  }

  /** The receiver caught up with its disk: let the UDP engine deliver what it kept. */
  wakeBulk(): void {
    this.plane?.wakeBulk();
  }

  /** Commands typed but not yet sent (waiting for their turn; see the outbox above). */
  get queuedCount(): number {
    return this.outbox.length;
  }

  /** Typed lines held back by the server's chat rate (the prompt's "3 queued"); 0 while nothing waits for it. */
  get rateQueuedCount(): number {
    return this.pacerHolding ? this.outbox.length : 0;
  }

  status(): StatusInfo {
    return {
      host: this.options.host,
      port: this.options.port,
      name: this.state.name,
      room: this.state.room,
      transport: this.transport,
      connectedAt: this.state.connectedAt,
      udp: this.udpStatus(),
      security: this.connection?.security ?? { encrypted: false, verified: null },
      queued: this.rateQueuedCount,
    };
  }

  private udpStatus(): UdpStatus {
    const plane = this.plane;
    const stats = plane?.engineStats();
    const sent = stats?.packetsSent ?? 0;
    const lost = stats?.packetsLost ?? 0;
    const state: UdpStatus['state'] = !this.udp.enabled
      ? 'disabled'
      : plane === undefined
        ? this.udpError !== undefined
          ? 'unavailable'
          : this.planeOpening
            ? 'binding'
            : 'not-offered'
        : plane.state === 'binding'
          ? 'binding'
          : plane.state === 'bound'
            ? 'bound'
            : 'fallen-back';
    return {
      state,
      target: plane === undefined ? null : `${plane.target.address}:${plane.target.port}`,
      reason: this.lastChange ?? null,
      srttMs: stats?.srtt ?? null,
      minRttMs: stats?.minRtt ?? null,
      packetsSent: sent,
      packetsReceived: stats?.packetsReceived ?? 0,
      packetsLost: lost,
      lossRate: sent > 0 ? lost / sent : null,
      peerPacketsMissing: stats?.peerPacketsMissing ?? 0,
      peerPacketsSpanned: stats?.peerPacketsSpanned ?? 0,
      inboundLossRate: stats !== undefined && stats.peerPacketsSpanned > 0 ? stats.peerPacketsMissing / stats.peerPacketsSpanned : null,
      retransmissions: (stats?.retransmitsTimeout ?? 0) + (stats?.retransmitsFast ?? 0),
    };
  }

  /**
   * Queues a command to send (in order, on its transport) and records it as waiting for its reply once
   * sent. False if the connection is gone.
   */
  send(command: Command, scope?: UsersScope): boolean {
    if (this.isClosed || this.connection === undefined || !this.connection.isOpen) return false;
    this.outbox.push({ command, scope });
    this.pump();
    return true;
  }

  /**
   * Resolves true as soon as `done()` holds (checked now and after every event from the server),
   * false when `timeoutMs` passes first.
   */
  waitUntil(done: () => boolean, timeoutMs: number): Promise<boolean> {
    if (done()) return Promise.resolve(true);
    return new Promise((resolve) => {
      const waiter: Waiter = {
        done,
        resolve,
        timer: setTimeout(() => {
          this.waiters.delete(waiter);
          resolve(done());
        }, Math.max(0, timeoutMs)),
      };
      this.waiters.add(waiter);
    });
  }

  /** Sends `<connect>NAME` and waits (bounded) for `welcome` or the server's refusal. */
  async signIn(name: string, timeoutMs: number, password?: string): Promise<SignInResult> {
    if (!this.send(connectCommand(name, password))) {
      return { ok: false, reason: 'closed', message: 'the connection is closed' };
    }
    return this.awaitSignIn(timeoutMs);
  }

  /** Why the server closed the connection, as far as the client can tell. */
  private closedByServer(): string {
    if (this.heardServer || this.options.tls !== undefined) return 'the server closed the connection';
    return 'the server closed the connection without a word (a TLS-only port? try --tls)';
  }

  /** Waits for the answer to a `<connect>` already sent. */
  async awaitSignIn(timeoutMs: number): Promise<SignInResult> {
    await this.waitUntil(() => !this.state.connecting || this.isClosed, timeoutMs);
    if (this.state.welcomed) return { ok: true };
    const refusal = this.state.nameRefusal;
    if (refusal !== undefined) return { ok: false, reason: 'refused', code: refusal.code, message: refusal.message };
    if (this.isClosed) return { ok: false, reason: 'closed', message: this.closedByServer() };
    return {
      ok: false,
      reason: 'timeout',
      message: `no answer to <connect> within ${timeoutMs / 1000} s (is this a dualchat server?)`,
    };
  }

  /**
   * Waits until every command typed was sent and answered, or until `quietMs` passed with neither a
   * server line nor a command sent (counting from the call at the earliest) while some are unanswered,
   * or `maxMs` in all. Resolves true when everything was answered.
   */
  async settle(quietMs: number, maxMs: number): Promise<boolean> {
    const start = this.options.clock();
    // Lines held back by the server's chat rate add the time they need to go.
    const deadline = start + maxMs + this.pacer.drainMs(this.outbox.length);
    const answered = (): boolean => (this.state.pendingCount === 0 && this.outbox.length === 0) || this.isClosed;
    // Each round ends on an answer, on quiet, or on the deadline; the round count is bounded anyway.
    for (let round = 0; round < 1_000; round++) {
      const now = this.options.clock();
      const quietLeft = Math.max(this.lastReplyAt, this.lastSentAt, start) + quietMs - now;
      const totalLeft = deadline - now;
      if (answered()) return true;
      if (quietLeft <= 0 || totalLeft <= 0) return false;
      await this.waitUntil(answered, Math.min(quietLeft, totalLeft));
    }
    return answered();
  }

  /**
   * Leaves cleanly: `<disconnect>` (after what was typed before it), wait (bounded) for `disconnected` or
   * the server closing, then close our side. Resolves true when the server confirmed.
   */
  async disconnect(timeoutMs: number): Promise<boolean> {
    this.closingOnPurpose = true;
    let confirmed = this.state.disconnected;
    if (!this.isClosed && !confirmed && this.connection !== undefined) {
      if (this.state.welcomed) {
        this.send({ kind: 'disconnect' });
        await this.waitUntil(() => this.state.disconnected || this.isClosed, timeoutMs);
        confirmed = this.state.disconnected || this.isClosed;
      } else {
        confirmed = true; // not signed in: there is nobody to sign out
      }
    }
    await this.close();
    return confirmed;
  }

  /** Closes the connection (and the UDP socket) without a goodbye. */
  async close(): Promise<void> {
    this.closingOnPurpose = true;
    this.outbox.length = 0;
    await Promise.all([this.connection?.close(), this.stopUdp()]);
  }

  // ---- the outbox ------------------------------------------------------------------------------------

  private routeOf(command: Command): Route {
    const path = this.plane?.chatPath ?? 'tcp';
    // A chat line the machine took as its engine stopped comes back when chat is on TCP: nothing passes it.
    if (path === 'hold' && this.plane!.heldCount > 0) return 'hold';
    if (command.kind !== 'broadcast' && command.kind !== 'private') return 'tcp';
    return path;
  }

  /** Sends what may go now; on a transport switch or a hold, waits (bounded) and resumes. */
  private pump(): void {
    // Not re-entered: sending may stop the engine, whose fallback event pumps again.
    if (this.pumping) return;
    this.pumping = true;
    try {
      this.pumpNow();
    } finally {
      this.pumping = false;
    }
    const queued = this.rateQueuedCount;
    if (queued !== this.reportedQueued) {
      this.reportedQueued = queued;
      this.options.queued?.(queued);
    }
  }

  private pumpNow(): void {
    this.outbox.unshift(...this.pacer.tick(this.options.clock()));
    // Bounded: each turn sends one command or returns.
    while (!this.outboxWaiting && this.outbox.length > 0) {
      const next = this.outbox[0]!;
      const now = this.options.clock();
      const readyAt = this.pacer.readyAt(next, now);
      if (readyAt > now) {
        // Over the server's chat rate: wait for the budget (or for the echoes that settle a refusal).
        this.pacerHolding = true;
        this.waitThenPump(this.waitUntil(() => this.isClosed || this.pacer.readyAt(next, this.options.clock()) <= this.options.clock(), readyAt - now));
        return;
      }
      const route = this.routeOf(next.command);
      if (route === 'hold') {
        this.waitThenPump(this.waitUntil(() => this.plane?.chatPath !== 'hold' || this.isClosed, FALLBACK_SYNC_TIMEOUT_MS + ORDER_WAIT_MAX_MS));
        return;
      }
      if (route !== this.lastRoute && this.state.pendingCount > 0) {
        this.waitThenPump(this.settleSent(ORDER_WAIT_QUIET_MS, ORDER_WAIT_MAX_MS));
        return;
      }
      this.outbox.shift();
      if (!this.transmit(next, route)) {
        this.outbox.length = 0;
        return;
      }
    }
  }

  private waitThenPump(wait: Promise<unknown>): void {
    this.outboxWaiting = true;
    void wait.then(() => {
      this.outboxWaiting = false;
      this.pacerHolding = false;
      if (this.isClosed) {
        this.outbox.length = 0;
        return;
      }
      this.pump();
      this.checkWaiters();
    });
  }

  /** Like settle, for the commands already sent only (the outbox is what waits). */
  private async settleSent(quietMs: number, maxMs: number): Promise<void> {
    const start = this.options.clock();
    const deadline = start + maxMs;
    const answered = (): boolean => this.state.pendingCount === 0 || this.isClosed;
    for (let round = 0; round < 1_000; round++) {
      const now = this.options.clock();
      const quietLeft = Math.max(this.lastReplyAt, this.lastSentAt, start) + quietMs - now;
      const totalLeft = deadline - now;
      if (answered() || quietLeft <= 0 || totalLeft <= 0) return;
      await this.waitUntil(answered, Math.min(quietLeft, totalLeft));
    }
  }

  private transmit(out: Outgoing, route: Transport): boolean {
    const connection = this.connection;
    if (connection === undefined) return false;
    const line = formatCommand(out.command);
    let sent = false;
    if (route === 'udp') sent = this.plane?.send(line) ?? false;
    if (!sent) {
      // Not bound after all (the engine stopped and its event is not handled yet): chat waits for the
      // fallback exchange like any later chat.
      if (route === 'udp' && this.plane?.chatPath === 'hold') {
        this.outbox.unshift(out);
        return true;
      }
      if (!connection.sendLine(line)) return false;
      route = 'tcp';
    }
    this.lastRoute = route;
    this.lastSentAt = this.options.clock();
    this.state.sent(out.command, this.lastSentAt, out.scope);
    this.pacer.sent(out, this.lastSentAt);
    return true;
  }

  // ---- the UDP data plane ----------------------------------------------------------------------------

  private onOffer(offer: Extract<Reply, { kind: 'udp' }>): void {
    if (!this.udp.enabled || this.plane !== undefined || this.planeOpening || this.isClosed) return;
    this.planeOpening = true;
    void this.openPlane(offer).then(
      (plane) => {
        this.planeOpening = false;
        if (this.isClosed || this.closingOnPurpose) {
          void plane.close();
          return;
        }
        this.plane = plane;
      },
      (error: unknown) => {
        this.planeOpening = false;
        this.udpError = error instanceof Error ? error.message : String(error);
        this.options.show({
          kind: 'client-error',
          code: 'refused',
          message: `cannot use UDP (${this.udpError}); chat stays on TCP`,
        });
        this.checkWaiters();
      },
    );
  }

  private async openPlane(offer: Extract<Reply, { kind: 'udp' }>): Promise<UdpClientPlane> {
    const via = this.udp.via;
    let address: string | undefined;
    let port = offer.port;
    if (via !== undefined) {
      address = (await lookup(via.host)).address;
      port = via.port;
    } else {
      address = this.connection?.remoteAddress;
      if (address === undefined) throw new Error('the server address is unknown');
    }
    return UdpClientPlane.open({
      target: { address, port },
      connectionId: offer.connectionId,
      token: Buffer.from(offer.token, 'hex'),
      onEvent: (event) => this.onPlaneEvent(event),
      onBulk: (data) => this.options.files?.bulk(data),
      onRoom: () => this.options.files?.room(),
      holdBulk: () => this.options.files?.holdBulk() ?? false,
      ...(this.connection?.keyExporter !== undefined ? { keyExporter: this.connection.keyExporter } : {}),
    });
  }

  private onPlaneEvent(event: ClientPlaneEvent): void {
    switch (event.type) {
      case 'bound':
        this.boundAt = this.options.clock();
        this.changed('udp', 'bound');
        break;
      case 'line': {
        const now = this.options.clock();
        this.lastReplyAt = now;
        if (event.line === undefined) {
          this.options.show({ kind: 'raw', line: '(a chat line over UDP was not valid UTF-8)' });
          break;
        }
        const parsed = parseReply(event.line);
        if (parsed.ok) this.takeReply(parsed.value, now, 'udp');
        else this.options.show({ kind: 'raw', line: event.line });
        break;
      }
      case 'gave-up':
        // A path that failed (no binding, or a peer gone silent) may heal: worth trying again from TCP.
        this.pathFailed = event.reason === 'lost' || event.reason === 'timeout';
        // The server is going away: the data plane closing, from either end, moves nothing anywhere.
        if (this.state.serverShuttingDown) {
          this.plane?.abandon();
          break;
        }
        if (event.by === 'peer') {
          this.changed('tcp', serverReason(event.reason));
          if (event.wasBound) this.options.files?.udpLost();
          break;
        }
        // The session is over, or the server closed the binding because we are leaving: nothing to move.
        // (A path that dies while we leave still moves chat, so what was typed before /quit arrives.)
        if (this.state.disconnected || this.isClosed || (this.closingOnPurpose && event.reason === 'closed')) {
          this.plane?.abandon();
          break;
        }
        if (event.reason === 'closed') {
          // The server's close datagram: it closes a bound data plane only as the session ends or the
          // server shuts down, and says which on TCP, a line that may still be in flight as the datagram
          // is read. Chat moves to TCP now; the move is shown only if nothing on TCP explained it.
          this.deferChange('tcp', OWN_REASONS.closed);
          this.options.files?.udpLost();
          break;
        }
        this.changed('tcp', OWN_REASONS[event.reason]);
        if (event.reason !== 'timeout' && event.reason !== 'refused') this.options.files?.udpLost();
        break;
      case 'send-transport':
        this.connection?.sendLine(formatTransportCommand({ kind: 'transport', transport: 'tcp', received: event.received, reason: event.reason }));
        break;
      case 'resend':
        for (const line of event.items) this.connection?.sendLine(line);
        break;
      case 'tcp':
        for (const line of event.held) this.connection?.sendLine(line);
        if (this.pathFailed) this.scheduleUdpRetry();
        break;
      case 'drop':
        // A client machine has no queue bound and holds at most the line it was handed as its engine
        // stopped (the outbox holds the rest): this cannot happen; say so if it does, chat stays on TCP.
        this.options.show({ kind: 'client-error', code: 'internal', message: `the UDP data plane gave up (${event.cause}); chat stays on TCP` });
        break;
    }
    this.pump();
    this.checkWaiters();
  }

  /** The server's `<transport>`: it answers ours, or it gave up first (the plane's events say what follows). */
  private onServerTransport(reply: Extract<Reply, { kind: 'transport' }>): void {
    this.plane?.peerTransport(reply.received, reply.reason);
  }

  /**
   * Chat fell back to TCP because the path failed: ask for UDP again later (UDP_RETRY_FIRST_MS, doubling
   * while tries fail, reset by a binding that lasted UDP_RETRY_STABLE_MS). The server offers a fresh binding,
   * and the move back to UDP goes as the first one did: chat already sent is answered first.
   */
  private scheduleUdpRetry(): void {
    const first = this.udp.retryFirstMs ?? UDP_RETRY_FIRST_MS;
    if (first <= 0 || !this.udp.enabled || this.isClosed || this.closingOnPurpose) return;
    const now = this.options.clock();
    const lasted = this.boundAt !== undefined && now - this.boundAt >= UDP_RETRY_STABLE_MS;
    this.udpRetriesFailed = lasted ? 0 : this.udpRetriesFailed + 1;
    this.boundAt = undefined;
    const wait = doublingDelay(first, this.udpRetriesFailed, UDP_RETRY_MAX_MS);
    clearTimeout(this.udpRetry);
    this.udpRetry = setTimeout(() => {
      this.udpRetry = undefined;
      void this.retryUdp();
    }, wait);
    this.udpRetry.unref();
  }

  private async retryUdp(): Promise<void> {
    if (this.isClosed || this.closingOnPurpose || this.state.serverShuttingDown || this.state.disconnected) return;
    if (this.plane !== undefined && this.plane.chatPath !== 'tcp') return;
    const old = this.plane;
    this.plane = undefined;
    this.pathFailed = false;
    await old?.close();
    if (this.isClosed || this.closingOnPurpose) return;
    this.connection?.sendLine(formatUdpRequest());
  }

  private deferChange(transport: Transport, reason: TransportChangeReason): void {
    this.lastChange = reason;
    clearTimeout(this.deferredChange);
    this.deferredChange = setTimeout(() => {
      this.deferredChange = undefined;
      if (this.isClosed || this.state.serverShuttingDown || this.state.disconnected) return;
      this.changed(transport, reason);
    }, SERVER_CLOSE_EXPLAINED_MS);
    this.deferredChange.unref();
  }

  private changed(transport: Transport, reason: TransportChangeReason): void {
    this.lastChange = reason;
    const target = this.plane === undefined ? undefined : `${this.plane.target.address}:${this.plane.target.port}`;
    this.options.show(target === undefined ? { kind: 'transport', transport, reason } : { kind: 'transport', transport, reason, target });
  }

  private async stopUdp(): Promise<void> {
    await this.plane?.close();
  }

  /**
   * A chat reply: the session state takes it, the pacer learns from it, and it is shown (unless it is a
   * refusal of a line sent again) — or, a page of a long list, the next page is asked for first.
   */
  private takeReply(reply: Reply, now: number, via: Transport): void {
    if (reply.kind === 'welcome') this.pacer.configure(reply.limits, now);
    const verdict = this.pacer.received(reply, now);
    const display = this.state.receive(reply, now);
    if (verdict.resend.length > 0) this.outbox.unshift(...verdict.resend);
    if (display.kind === 'next-page') this.send(display.command, display.scope);
    else if (!verdict.absorbed) this.options.show(this.withVia(display, via));
  }

  private withVia(display: Display, via: Transport): Display {
    return display.kind === 'reply' ? { ...display, via } : display;
  }

  // ---- TCP events --------------------------------------------------------------------------------------

  private onEvent(event: ConnectionEvent): void {
    const now = this.options.clock();
    switch (event.type) {
      case 'reply':
        this.heardServer = true;
        this.lastReplyAt = now;
        if (event.reply.kind === 'udp') this.onOffer(event.reply);
        else if (event.reply.kind === 'hold' || (event.reply.kind === 'error' && this.state.oldestPending === 'hold')) {
          // The answer to our own `<hold>`, shown to nobody: a server that holds no names refuses it, and
          // a lost connection then signs in afresh.
          if (event.reply.kind === 'hold') this.heldWith = event.reply.token;
          this.state.receive(event.reply, now);
        } else if (event.reply.kind === 'transport') this.onServerTransport(event.reply);
        else if (event.reply.kind === 'chunk' && this.options.files !== undefined) {
          this.options.files.chunkLine(event.reply.data);
          return; // a data-plane line: no command waits for it
        } else if (isFileReply(event.reply) && this.options.files !== undefined) this.options.files.reply(event.reply);
        else this.takeReply(event.reply, now, 'tcp');
        // Signed in: ask for the UDP data plane (the offer comes back as a `udp` reply), and for a hold.
        if (event.reply.kind === 'welcome' && this.udp.enabled) this.connection?.sendLine(formatUdpRequest());
        if (event.reply.kind === 'welcome' && this.options.hold === true) this.send({ kind: 'hold' });
        break;
      case 'unparsed':
        this.heardServer = true;
        this.lastReplyAt = now;
        this.options.show({ kind: 'raw', line: event.line });
        break;
      case 'oversize':
        this.lastReplyAt = now;
        this.options.show({ kind: 'oversize', bytes: event.bytes });
        break;
      case 'closed': {
        this.isClosed = true;
        clearTimeout(this.deferredChange);
        clearTimeout(this.udpRetry);
        this.leftOver = { unanswered: this.state.unanswered(), unsent: this.outbox.map((o) => o.command) };
        this.outbox.length = 0;
        void this.stopUdp();
        const expected = this.closingOnPurpose;
        const shutdown = this.state.serverShuttingDown;
        const message = shutdown
          ? 'the server shut down'
          : event.by === 'error'
            ? `connection lost: ${event.message ?? 'socket error'}`
            : event.by === 'remote'
              ? this.state.disconnected
                ? 'the server ended the session'
                : this.closedByServer()
              : 'connection closed';
        this.options.closed(expected, message, shutdown);
        break;
      }
    }
    this.pump();
    this.checkWaiters();
  }

  private checkWaiters(): void {
    for (const waiter of [...this.waiters]) {
      if (waiter.done()) {
        clearTimeout(waiter.timer);
        this.waiters.delete(waiter);
        waiter.resolve(true);
      }
    }
  }
}
