// A scripted chat client light enough to run a hundred per process: a raw TCP socket (line framing
// by hand, chat lines handed over unparsed) and, for dualchat's UDP path, the product's own UDP data
// plane (UdpClientPlane: binding handshake + reliable engine). Control replies (welcome, joined, the
// UDP offer) are parsed with the product's grammar. Three ways to chat:
//
//   forwarder     — no sign-in; a line sent comes back from the forwarder as it was sent (a client
//                   is ready once its own `hello NAME` came back: the forwarder has taken it in)
//   dualchat-tcp  — `<connect>NAME`, `<join>ROOM`, chat as `<set_msg_all>TEXT` over TCP
//   dualchat-udp  — the same, then bind UDP with the offer; chat over the engine
//
// Every wait is bounded; a failure rejects with a message naming the client.
import net from 'node:net';
import { formatCommand, parseReply } from '../../src/commands/grammar.ts';
import type { Reply } from '../../src/commands/types.ts';
import { formatUdpRequest } from '../../src/commands/transport-syntax.ts';
import { UdpClientPlane } from '../../src/udp/client-plane.ts';
import { MARK } from './payload.ts';

export type ScriptedMode = 'forwarder' | 'dualchat-tcp' | 'dualchat-udp';

export interface ScriptedClientOptions {
  mode: ScriptedMode;
  host: string;
  port: number;
  /** dualchat: the name to sign in with. */
  name: string;
  /** dualchat: a room to join after signing in (none: stay in the lobby). */
  room?: string;
  /** Each chat line received (one carrying a payload mark), with the time it was read. */
  onChat: (line: string) => void;
  /** Each `<error>` line the server sends (a refusal of something we sent). */
  onError?: (line: string) => void;
  /** Connecting, signing in, joining and binding UDP, each. */
  timeoutMs: number;
}

interface ReplyWait {
  match: (r: Reply) => boolean;
  resolve: (r: Reply) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
}

export class ScriptedClient {
  private partial = '';
  private readonly waits = new Set<ReplyWait>();
  private plane: UdpClientPlane | undefined;
  private leftUdp = false;
  private closedWith: string | undefined;
  /** A line that is neither chat nor waited for as a reply (the forwarder's hello). */
  private onRawLine: ((line: string) => void) | undefined;

  private constructor(
    private readonly socket: net.Socket,
    private readonly options: ScriptedClientOptions,
  ) {
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => this.onData(chunk));
    socket.on('error', (e) => this.onClose(`connection error: ${e.message}`));
    socket.on('close', () => this.onClose('the server closed the connection'));
  }

  /** Connects and gets ready to chat (signed in, in the room, UDP bound — as the mode asks). */
  static async open(options: ScriptedClientOptions): Promise<ScriptedClient> {
    const socket = await connect(options.host, options.port, options.timeoutMs);
    const client = new ScriptedClient(socket, options);
    try {
      if (options.mode !== 'forwarder') await client.signIn();
      else await client.hello();
    } catch (e) {
      client.socket.destroy();
      throw e;
    }
    return client;
  }

  /** Whether chat left UDP after binding (dualchat-udp). */
  get fellBack(): boolean {
    return this.leftUdp;
  }

  /** Sends one chat text to the room; false when it could not go (the connection or the binding is gone). */
  sendChat(text: string): boolean {
    if (this.closedWith !== undefined) return false;
    const line = formatCommand({ kind: 'broadcast', text });
    if (this.options.mode === 'dualchat-udp') return this.plane?.send(line) ?? false;
    this.socket.write(`${line}\n`); // queued when the kernel buffer is full: the closed loop bounds it
    return true;
  }

  async close(): Promise<void> {
    this.closedWith ??= 'closed';
    await this.plane?.close();
    this.socket.destroy();
  }

  /**
   * Forwarder: `hello NAME` out and back. Connected is not enough: the forwarder may not have accepted
   * the socket yet, and lines it forwards meanwhile would never reach this client.
   */
  private async hello(): Promise<void> {
    const line = `hello ${this.options.name}`;
    const back = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${this.options.name}: the forwarder did not echo our hello within ${this.options.timeoutMs} ms`)), this.options.timeoutMs);
      this.onRawLine = (l) => {
        if (l !== line) return;
        clearTimeout(timer);
        this.onRawLine = undefined;
        resolve();
      };
    });
    this.write(line);
    await back;
  }

  private async signIn(): Promise<void> {
    const { name, room, timeoutMs } = this.options;
    const offer = this.options.mode === 'dualchat-udp' ? this.waitReply((r) => r.kind === 'udp', 'the UDP offer', timeoutMs) : undefined;
    offer?.catch(() => undefined); // awaited below; a failure before then must not go unhandled
    this.write(formatCommand({ kind: 'connect', name }));
    await this.waitReply((r) => r.kind === 'welcome' || r.kind === 'error', 'welcome', timeoutMs).then((r) => {
      if (r.kind === 'error') throw new Error(`${name}: <connect> refused: ${r.message}`);
    });
    if (offer !== undefined) this.write(formatUdpRequest());
    if (room !== undefined) {
      this.write(formatCommand({ kind: 'join', room }));
      const r = await this.waitReply((x) => (x.kind === 'joined' && x.name === name) || x.kind === 'error', `joining #${room}`, timeoutMs);
      if (r.kind === 'error') throw new Error(`${name}: <join>${room} refused: ${r.message}`);
    }
    if (offer !== undefined) {
      const o = await offer;
      if (o.kind !== 'udp') throw new Error(`${name}: not a UDP offer`);
      await this.bind(o, timeoutMs);
    }
  }

  private async bind(offer: Extract<Reply, { kind: 'udp' }>, timeoutMs: number): Promise<void> {
    const name = this.options.name;
    const address = this.socket.remoteAddress;
    if (address === undefined) throw new Error(`${name}: the server address is unknown`);
    let bound: (() => void) | undefined;
    let failed: ((e: Error) => void) | undefined;
    const ready = new Promise<void>((resolve, reject) => {
      bound = resolve;
      failed = reject;
    });
    this.plane = await UdpClientPlane.open({
      target: { address, port: offer.port },
      connectionId: offer.connectionId,
      token: Buffer.from(offer.token, 'hex'),
      onEvent: (event) => {
        if (event.type === 'bound') bound?.();
        else if (event.type === 'line') {
          if (event.line !== undefined && event.line.includes(MARK)) this.options.onChat(event.line);
        } else if (event.type === 'gave-up') {
          this.leftUdp = true;
          failed?.(new Error(`${name}: chat left UDP (${event.reason})`));
        }
      },
    });
    const timer = setTimeout(() => failed?.(new Error(`${name}: UDP not bound within ${timeoutMs} ms`)), timeoutMs);
    try {
      await ready;
    } finally {
      clearTimeout(timer);
    }
  }

  private write(line: string): void {
    this.socket.write(`${line}\n`);
  }

  private waitReply(match: (r: Reply) => boolean, what: string, timeoutMs: number): Promise<Reply> {
    return new Promise((resolve, reject) => {
      if (this.closedWith !== undefined) {
        reject(new Error(`${this.options.name}: ${this.closedWith} before ${what}`));
        return;
      }
      const w: ReplyWait = {
        match,
        resolve,
        reject,
        timer: setTimeout(() => {
          this.waits.delete(w);
          reject(new Error(`${this.options.name}: no ${what} within ${timeoutMs} ms`));
        }, timeoutMs),
      };
      this.waits.add(w);
    });
  }

  private onData(chunk: string): void {
    const lines = (this.partial + chunk).split('\n');
    this.partial = lines.pop() ?? '';
    for (const line of lines) {
      if (line.includes(MARK)) {
        this.options.onChat(line);
        continue;
      }
      if (line.startsWith('<error>')) this.options.onError?.(line);
      this.onRawLine?.(line);
      if (this.waits.size === 0) continue;
      const parsed = parseReply(line);
      if (!parsed.ok) continue;
      for (const w of this.waits) {
        if (!w.match(parsed.value)) continue;
        clearTimeout(w.timer);
        this.waits.delete(w);
        w.resolve(parsed.value);
      }
    }
  }

  private onClose(why: string): void {
    if (this.closedWith === undefined) this.closedWith = why;
    for (const w of this.waits) {
      clearTimeout(w.timer);
      w.reject(new Error(`${this.options.name}: ${why}`));
    }
    this.waits.clear();
  }
}

function connect(host: string, port: number, timeoutMs: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port, noDelay: true });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no TCP connection to ${host}:${port} within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.removeAllListeners('error');
      resolve(socket);
    });
    socket.once('error', (e) => {
      clearTimeout(timer);
      reject(new Error(`cannot connect to ${host}:${port}: ${e.message}`));
    });
  });
}
