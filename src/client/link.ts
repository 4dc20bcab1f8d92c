// The client's live session with a server, shared by both shells: the TCP connection, the session
// state it feeds, and bounded waits ("until welcomed", "until every command was answered",
// "until disconnected") that resolve on events or on their deadline — never on a fixed sleep.
import type { Command } from '../commands/types.ts';
import { connectTcp, type ClientConnection, type ConnectionEvent } from '../tcp/client-connection.ts';
import type { ClientNotice, StatusInfo } from './render.ts';
import { ClientState, type Display, type UsersScope } from './state.ts';

export interface LinkOptions {
  host: string;
  port: number;
  connectTimeoutMs: number;
  /** Shows one item (a reply as displayed, or a notice about the link). */
  show: (item: Display | ClientNotice) => void;
  /** The connection is gone. `expected` is true when we closed it (disconnect() or close()). */
  closed: (expected: boolean, message: string) => void;
  /** The client's clock (ms since the epoch). */
  clock: () => number;
}

export type OpenResult = { ok: true; link: ChatLink } | { ok: false; message: string };

export type SignInResult =
  | { ok: true }
  | { ok: false; reason: 'refused'; message: string }
  | { ok: false; reason: 'timeout' | 'closed'; message: string };

interface Waiter {
  done: () => boolean;
  resolve: (met: boolean) => void;
  timer: ReturnType<typeof setTimeout>;
}

export class ChatLink {
  readonly state = new ClientState();
  private connection: ClientConnection | undefined;
  private waiters = new Set<Waiter>();
  private isClosed = false;
  private closingOnPurpose = false;
  private lastReplyAt: number;
  private lastSentAt: number;

  private constructor(private readonly options: LinkOptions) {
    this.lastReplyAt = options.clock();
    this.lastSentAt = this.lastReplyAt;
  }

  /** Connects; never rejects (a failure comes back with a one-line message). */
  static async open(options: LinkOptions): Promise<OpenResult> {
    const link = new ChatLink(options);
    const result = await connectTcp({
      host: options.host,
      port: options.port,
      timeoutMs: options.connectTimeoutMs,
      onEvent: (event) => link.onEvent(event),
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

  status(): StatusInfo {
    return {
      host: this.options.host,
      port: this.options.port,
      name: this.state.name,
      room: this.state.room,
      transport: 'tcp',
      connectedAt: this.state.connectedAt,
    };
  }

  /** Sends a command and records it as waiting for its reply. False if the connection is gone. */
  send(command: Command, scope?: UsersScope): boolean {
    if (this.connection === undefined || !this.connection.send(command)) return false;
    this.lastSentAt = this.options.clock();
    this.state.sent(command, this.lastSentAt, scope);
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
  async signIn(name: string, timeoutMs: number): Promise<SignInResult> {
    if (!this.send({ kind: 'connect', name })) {
      return { ok: false, reason: 'closed', message: 'the connection is closed' };
    }
    return this.awaitSignIn(timeoutMs);
  }

  /** Waits for the answer to a `<connect>` already sent. */
  async awaitSignIn(timeoutMs: number): Promise<SignInResult> {
    await this.waitUntil(() => !this.state.connecting || this.isClosed, timeoutMs);
    if (this.state.welcomed) return { ok: true };
    const refusal = this.state.nameRefusal;
    if (refusal !== undefined) return { ok: false, reason: 'refused', message: refusal.message };
    if (this.isClosed) return { ok: false, reason: 'closed', message: 'the server closed the connection' };
    return {
      ok: false,
      reason: 'timeout',
      message: `no answer to <connect> within ${timeoutMs / 1000} s (is this a dualchat server?)`,
    };
  }

  /**
   * Waits until every command sent has its reply, or until `quietMs` passed with neither a server
   * line nor a command sent (counting from the call at the earliest) while some are unanswered, or
   * `maxMs` in all. Resolves true when everything was answered.
   */
  async settle(quietMs: number, maxMs: number): Promise<boolean> {
    const start = this.options.clock();
    const deadline = start + maxMs;
    const answered = (): boolean => this.state.pendingCount === 0 || this.isClosed;
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
   * Leaves cleanly: `<disconnect>`, wait (bounded) for `disconnected` or the server closing, then
   * close our side. Resolves true when the server confirmed.
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

  /** Closes the connection without a goodbye. */
  async close(): Promise<void> {
    this.closingOnPurpose = true;
    await this.connection?.close();
  }

  private onEvent(event: ConnectionEvent): void {
    const now = this.options.clock();
    switch (event.type) {
      case 'reply':
        this.lastReplyAt = now;
        this.options.show(this.state.receive(event.reply, now));
        break;
      case 'unparsed':
        this.lastReplyAt = now;
        this.options.show({ kind: 'raw', line: event.line });
        break;
      case 'oversize':
        this.lastReplyAt = now;
        this.options.show({ kind: 'oversize', bytes: event.bytes });
        break;
      case 'closed': {
        this.isClosed = true;
        const expected = this.closingOnPurpose;
        const message =
          event.by === 'error'
            ? `connection lost: ${event.message ?? 'socket error'}`
            : event.by === 'remote'
              ? this.state.disconnected
                ? 'the server ended the session'
                : 'the server closed the connection'
              : 'connection closed';
        this.options.closed(expected, message);
        break;
      }
    }
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
