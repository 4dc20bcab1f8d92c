// One simulated chat client of the load generator, as lean as a client can be while doing what a
// real one does: a TCP control connection from its own source address (`<connect>`, `<join>`), the
// UDP binding (hello with the token's HMAC, retried), a reliable engine for chat on a shared driver,
// the `<transport>` answer when the server moves chat back to TCP, and an orderly `<disconnect>`.
// It records what a capacity run needs: when it became ready, whether it heard the shutdown notice
// and the UDP close, how many fallbacks and errors it saw.
import net from 'node:net';
import { formatTransportCommand, formatUdpRequest } from '../../src/commands/transport-syntax.ts';
import { parseReply } from '../../src/commands/grammar.ts';
import type { Reply } from '../../src/commands/types.ts';
import { createConnection } from '../../src/reliability/index.ts';
import { Channel, type EngineEvent, type EngineStats } from '../../src/reliability/types.ts';
import { SHUTDOWN_NOTICE } from '../../src/commands/reply-syntax.ts';
import { encodeHello, encodeResponse, tokenFromHex } from '../../src/udp/binding.ts';
import type { Datagram } from '../../src/wire/codec.ts';
import { BINDING_TIMEOUT_MS, HELLO_RETRY_MS } from '../../src/dataplane/constants.ts';
import { CLIENT_ENGINE_CONFIG, type DrivenEngine, type EngineDriver } from '../../src/udp/engine-driver.ts';
import { LineSplitter } from './lines.ts';
import type { UdpMux } from './udp-mux.ts';

export type LoadClientState = 'idle' | 'connecting' | 'ready' | 'closing' | 'closed';

export interface LoadClientHooks {
  /** A chat message from another member; `viaUdp` false when it came down the TCP line. */
  message(client: LoadClient, from: string, text: string, viaUdp: boolean): void;
}

export interface LoadClientConfig {
  name: string;
  room: string;
  host: string;
  tcpPort: number;
  localAddress: string;
  /** Bind the UDP data plane (else chat stays on TCP). */
  udp: boolean;
  /** Which of the mux's sockets carries this session's datagrams. */
  slot: number;
  mux: UdpMux;
  driver: EngineDriver;
  hooks: LoadClientHooks;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

export class LoadClient {
  state: LoadClientState = 'idle';
  /** performance.now() at connect() and when ready. */
  startedAt = 0;
  /** performance.now() of the TCP connect, the welcome and the `<udp>` offer (0 until then). */
  tcpAt = 0;
  welcomedAt = 0;
  offeredAt = 0;
  readyAt = 0;
  heardShutdownNotice = false;
  heardUdpClose = false;
  fallbacks = 0;
  /** Error replies (code: message), in order; a few at most. */
  readonly errors: string[] = [];
  /** Chat messages received over UDP (what a `<transport>` answer counts). */
  udpReceived = 0;

  private socket: net.Socket | undefined;
  private readonly lines = new LineSplitter();
  private welcomed = false;
  private inRoom = false;
  private bound = false;
  /** Our `<transport>` went to the server (giving up, or answering its own): a session binds once. */
  private transportSent = false;
  private connectionId = 0;
  private sendDatagram: ((d: Datagram) => void) | undefined;
  private driven: DrivenEngine | undefined;
  private helloTimer: NodeJS.Timeout | undefined;
  /** The binding token of the `<udp>` offer (a challenge's response carries its MAC). */
  private token: Uint8Array | undefined;
  private settle: { resolve: () => void; reject: (e: Error) => void } | undefined;
  private closedWaiters: Array<() => void> = [];

  constructor(private readonly config: LoadClientConfig) {}

  get name(): string {
    return this.config.name;
  }

  get isBound(): boolean {
    return this.bound && this.driven !== undefined;
  }

  /** The live engine's statistics (undefined before binding and after the engine stopped). */
  engineStats(): EngineStats | undefined {
    return this.driven?.connection.stats();
  }

  /** Connect, sign in, join the room and (if asked) bind UDP; rejects with the reason on failure. */
  connect(timeoutMs: number): Promise<void> {
    if (this.state !== 'idle') return Promise.reject(new Error(`${this.name}: connect() in state ${this.state}`));
    this.state = 'connecting';
    this.startedAt = performance.now();
    const { host, tcpPort, localAddress, name, room } = this.config;
    const done = new Promise<void>((resolve, reject) => {
      this.settle = { resolve, reject };
    });
    const timer = setTimeout(() => this.fail(`not ready within ${timeoutMs} ms`), timeoutMs);
    const socket = net.connect({ host, port: tcpPort, localAddress });
    this.socket = socket;
    socket.setNoDelay(true);
    socket.setEncoding('utf8');
    socket.on('connect', () => {
      this.tcpAt = performance.now();
      // Pipelined: the server answers in order, so `<udp>` (the request for a UDP binding) comes after the welcome.
      socket.write(`<connect>${name}\n<join>${room}\n${this.config.udp ? `${formatUdpRequest()}\n` : ''}`);
    });
    socket.on('data', (text: string) => {
      for (const line of this.lines.push(text)) this.onLine(line);
    });
    socket.on('error', (e: NodeJS.ErrnoException) => this.fail(`tcp ${e.code ?? e.message}`));
    socket.on('close', () => this.onClosed());
    return done.finally(() => clearTimeout(timer));
  }

  /** Send a room message over the engine (or TCP when not bound). False when closed. */
  sendChat(text: string): boolean {
    if (this.state !== 'ready') return false;
    const line = `<set_msg_all>${text}`;
    if (this.driven !== undefined && this.driven.send(Channel.chat, encoder.encode(line))) return true;
    return this.socket?.write(`${line}\n`) ?? false;
  }

  /** `<disconnect>`, then wait for the server to close (destroy after `timeoutMs`). */
  disconnect(timeoutMs: number): Promise<void> {
    const socket = this.socket;
    if (socket === undefined || this.state === 'closed') return Promise.resolve();
    this.state = 'closing';
    const closed = this.whenClosed();
    socket.write('<disconnect>\n');
    const timer = setTimeout(() => socket.destroy(), timeoutMs);
    return closed.finally(() => clearTimeout(timer));
  }

  /** Resolves when the TCP connection is closed. */
  whenClosed(): Promise<void> {
    if (this.state === 'closed') return Promise.resolve();
    return new Promise((resolve) => this.closedWaiters.push(resolve));
  }

  destroy(): void {
    this.socket?.destroy();
  }

  // ---- TCP lines ----------------------------------------------------------------------------------

  private onLine(line: string): void {
    const parsed = parseReply(line);
    if (!parsed.ok) return;
    const reply = parsed.value;
    switch (reply.kind) {
      case 'welcome':
        this.welcomed = true;
        this.welcomedAt = performance.now();
        break;
      case 'joined':
        if (reply.name === this.name && reply.room === this.config.room) this.inRoom = true;
        break;
      case 'udp':
        this.offeredAt = performance.now();
        if (this.config.udp) this.startBinding(reply);
        break;
      case 'transport':
        this.serverMovedToTcp();
        break;
      case 'message':
        if (!reply.self) this.config.hooks.message(this, reply.from, reply.text, false);
        break;
      case 'system':
        if (reply.text === SHUTDOWN_NOTICE) this.heardShutdownNotice = true;
        break;
      case 'error':
        if (this.errors.length < 8) this.errors.push(`${reply.code}: ${reply.message}`);
        if (this.state === 'connecting') this.fail(`${reply.code}: ${reply.message}`);
        break;
      default:
        break;
    }
    this.checkReady();
  }

  private checkReady(): void {
    if (this.state !== 'connecting') return;
    if (!this.welcomed || !this.inRoom || (this.config.udp && !this.bound)) return;
    this.state = 'ready';
    this.readyAt = performance.now();
    const settle = this.settle;
    this.settle = undefined;
    settle?.resolve();
  }

  private fail(why: string): void {
    const settle = this.settle;
    this.settle = undefined;
    if (settle === undefined) return;
    this.stopHello();
    this.socket?.destroy();
    settle.reject(new Error(`${this.name} from ${this.config.localAddress}: ${why}`));
  }

  private onClosed(): void {
    this.state = 'closed';
    this.stopHello();
    this.stopEngine();
    this.fail('connection closed before ready');
    const waiters = this.closedWaiters;
    this.closedWaiters = [];
    for (const w of waiters) w();
  }

  // ---- UDP ----------------------------------------------------------------------------------------

  private startBinding(offer: Extract<Reply, { kind: 'udp' }>): void {
    const token = tokenFromHex(offer.token);
    if (token === undefined) {
      this.fail('bad token in the <udp> offer');
      return;
    }
    const connectionId = offer.connectionId;
    this.connectionId = connectionId;
    this.token = token;
    const send = this.config.mux.register(connectionId, this.config.slot, this);
    this.sendDatagram = send;
    const hello = (): void => send({ type: 'hello', connectionId, body: encodeHello(token, connectionId, 1n) });
    hello();
    let tries = 1;
    const maxTries = Math.ceil(BINDING_TIMEOUT_MS / HELLO_RETRY_MS);
    this.helloTimer = setInterval(() => {
      if (tries++ >= maxTries) {
        this.stopHello();
        this.fail('no helloOk');
        return;
      }
      hello();
    }, HELLO_RETRY_MS);
  }

  onDatagram(datagram: Datagram): void {
    switch (datagram.type) {
      case 'helloOk':
        if (!this.bound) this.becomeBound();
        return;
      case 'data':
        if (!this.bound) this.becomeBound();
        this.driven?.input(datagram.body);
        return;
      case 'close':
        this.heardUdpClose = true;
        this.stopEngine();
        return;
      case 'refuse':
        if (!this.bound) this.fail('udp hello refused');
        return;
      case 'challenge':
        // As the real client: answered at once from this socket (the server validates this address).
        if (this.token !== undefined) this.sendDatagram?.({ type: 'response', connectionId: this.connectionId, body: encodeResponse(this.token, this.connectionId, datagram.body) });
        return;
      case 'hello':
      case 'response':
        return;
    }
  }

  private becomeBound(): void {
    this.stopHello();
    const send = this.sendDatagram;
    if (send === undefined) return;
    const connectionId = this.connectionId;
    const driver = this.config.driver;
    this.bound = true;
    // The engine configuration of the real client (src/udp/client-plane.ts).
    this.driven = driver.attach(createConnection(CLIENT_ENGINE_CONFIG, driver.now()), {
      transmit: (packet) => send({ type: 'data', connectionId, body: packet }),
      event: (event) => this.onEngineEvent(event),
    });
    this.checkReady();
  }

  private onEngineEvent(event: EngineEvent): void {
    if (event.type === 'lost') {
      // As the real client does (src/udp/client-plane.ts, `gave-up`): chat moves to TCP, and the server is
      // told what arrived over UDP so it resends the rest there. (Waiting for the server to find out left
      // the session deaf until the server's own engine gave up, 10 s or more later.)
      this.giveUpUdp('lost');
      return;
    }
    if (event.channel !== Channel.chat) return;
    this.udpReceived++;
    let line: string;
    try {
      line = decoder.decode(event.data);
    } catch {
      return;
    }
    const parsed = parseReply(line);
    if (parsed.ok && parsed.value.kind === 'message' && !parsed.value.self) {
      this.config.hooks.message(this, parsed.value.from, parsed.value.text, true);
    }
  }

  /** The server's `<transport>`: answer with our count (unless it is the answer to ours); chat goes on over TCP. */
  private serverMovedToTcp(): void {
    this.stopEngine();
    if (this.transportSent) return;
    this.transportSent = true;
    this.fallbacks++;
    this.socket?.write(`${formatTransportCommand({ kind: 'transport', transport: 'tcp', received: this.udpReceived, reason: 'requested' })}\n`);
  }

  /** This side gives up on UDP: `<transport>tcp RECEIVED REASON` over TCP; the server answers and resends. */
  private giveUpUdp(reason: 'lost'): void {
    this.stopEngine();
    if (this.transportSent) return;
    this.transportSent = true;
    this.fallbacks++;
    this.socket?.write(`${formatTransportCommand({ kind: 'transport', transport: 'tcp', received: this.udpReceived, reason })}\n`);
  }

  private stopHello(): void {
    if (this.helloTimer !== undefined) clearInterval(this.helloTimer);
    this.helloTimer = undefined;
  }

  /** Stop the engine; the mux keeps routing our id to us, so a late close datagram is still heard. */
  private stopEngine(): void {
    if (this.driven !== undefined) {
      this.driven.detach();
      this.driven = undefined;
    }
  }

  /** Forget this client: no more datagrams routed to it (before it is replaced by a new one). */
  release(): void {
    this.stopHello();
    this.stopEngine();
    if (this.connectionId !== 0) this.config.mux.unregister(this.connectionId, this);
  }
}
