// A scripted chat client light enough to run a hundred per process: a raw TCP socket (line framing
// by hand, chat lines handed over unparsed) and, for dualchat's UDP path, the product's own UDP data
// plane (UdpClientPlane: binding handshake + reliable engine). Control replies (welcome, joined, the
// UDP offer) are parsed with the product's grammar. Four ways to chat:
//
//   forwarder     — no sign-in; a line sent comes back from the forwarder as it was sent (a client
//                   is ready once its own `hello NAME` came back: the forwarder has taken it in)
//   dualchat-tcp  — `<connect>NAME`, `<join>ROOM`, chat as `<set_msg_all>TEXT` over TCP
//   dualchat-udp  — the same, then bind UDP with the offer; chat over the engine
//   irc           — an IRC server (ngircd): NICK/USER, wait for 001, JOIN #ROOM, wait for the end of
//                   NAMES (366); chat as `PRIVMSG #ROOM :TEXT`; PING answered with PONG. The server
//                   does not echo a sender's own lines back (no echo-message)
//   dualchat-irc  — the same, with dualchat's IRC door (`--irc`)
//
// Every wait is bounded; a failure rejects with a message naming the client.
import net from 'node:net';
import tls from 'node:tls';
import { formatCommand, parseReply } from '../../src/commands/grammar.ts';
import type { Reply } from '../../src/commands/types.ts';
import { formatUdpRequest } from '../../src/commands/transport-syntax.ts';
import { UdpClientPlane } from '../../src/udp/client-plane.ts';
import { formatIrc, parseIrc, type IrcMessage } from '../../src/doors/irc/message.ts';
import { MARK } from './payload.ts';
import { speaksIrc, type ScriptedMode } from './scripted-modes.ts';


/** IRC numerics that refuse a registration (RFC 2812 §5.2: bad or taken nick, not registered, banned). */
const IRC_REGISTRATION_REFUSED = new Set(['431', '432', '433', '436', '437', '451', '462', '465']);
/** IRC numerics that refuse a JOIN (RFC 2812 §5.2: no such channel, too many channels, full, invite-only, banned, bad key, bad mask). */
const IRC_JOIN_REFUSED = new Set(['403', '405', '471', '473', '474', '475', '476']);

export interface ScriptedClientOptions {
  mode: ScriptedMode;
  host: string;
  port: number;
  /** dualchat and irc: the name (nick) to sign in with. */
  name: string;
  /** dualchat: a room to join after signing in (none: stay in the lobby); irc: the channel, without its '#' (required). */
  room?: string;
  /** Each chat line received (one carrying a payload mark), with the time it was read. */
  onChat: (line: string) => void;
  /** Each `<error>` line the server sends (a refusal of something we sent). */
  onError?: (line: string) => void;
  /** Connecting, signing in, joining and binding UDP, each. */
  timeoutMs: number;
  /** dualchat: connect with TLS trusting this certificate (PEM); the UDP datagrams are then sealed. */
  tlsCa?: string;
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
  /** A line that is neither chat nor waited for as a reply (the forwarder's hello, IRC replies). */
  private onRawLine: ((line: string) => void) | undefined;
  /** irc: the text before each chat text ("PRIVMSG #room :"). */
  private readonly ircChatPrefix: string;
  /** Fails the raw-line wait in progress when the connection closes. */
  private onClosedWait: ((why: string) => void) | undefined;

  private constructor(
    private readonly socket: net.Socket,
    private readonly options: ScriptedClientOptions,
  ) {
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => this.onData(chunk));
    socket.on('error', (e) => this.onClose(`connection error: ${e.message}`));
    socket.on('close', () => this.onClose('the server closed the connection'));
    this.ircChatPrefix = speaksIrc(options.mode) ? `PRIVMSG #${options.room ?? ''} :` : '';
  }

  /** Connects and gets ready to chat (signed in, in the room, UDP bound — as the mode asks). */
  static async open(options: ScriptedClientOptions): Promise<ScriptedClient> {
    const socket = await connect(options.host, options.port, options.timeoutMs, options.tlsCa);
    const client = new ScriptedClient(socket, options);
    try {
      if (options.mode === 'forwarder') await client.hello();
      else if (speaksIrc(options.mode)) await client.ircSignIn();
      else await client.signIn();
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
    if (speaksIrc(this.options.mode)) {
      // The text is a payload mark and padding (no CR, LF or NUL): it goes as the trailing parameter.
      this.socket.write(`${this.ircChatPrefix}${text}\r\n`); // queued when the kernel buffer is full: the load bounds it
      return true;
    }
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
    const back = this.waitLine((l) => (l === line ? true : undefined), 'the forwarder echoing our hello');
    this.write(line);
    await back;
  }

  /**
   * IRC: register (NICK, USER; 001 says we are in), then join the channel (366, the end of its
   * NAMES list, says we are a member: the server relays the channel's lines to us from then on).
   * PINGs are answered from the start, whatever we wait for.
   */
  private async ircSignIn(): Promise<void> {
    const { name, room } = this.options;
    if (room === undefined) throw new Error(`${name}: an IRC client needs a channel to join`);
    const channel = `#${room}`;
    const refused = (m: IrcMessage, what: string): Error => new Error(`${name}: ${what} refused: ${m.command} ${m.params.slice(1).join(' ')}`);
    const welcome = this.waitIrc((m) => (m.command === '001' ? m : IRC_REGISTRATION_REFUSED.has(m.command) || m.command === 'ERROR' ? refused(m, 'registration') : undefined), 'the welcome (001)');
    this.socket.write(`${formatIrc('NICK', [name])}\r\n${formatIrc('USER', [name, '0', '*', name])}\r\n`);
    await welcome;
    const joined = this.waitIrc(
      (m) => (m.command === '366' && m.params[1]?.toLowerCase() === channel.toLowerCase() ? m : IRC_JOIN_REFUSED.has(m.command) ? refused(m, `JOIN ${channel}`) : undefined),
      `the end of ${channel}'s NAMES (366)`,
    );
    this.socket.write(`${formatIrc('JOIN', [channel])}\r\n`);
    await joined;
  }

  /** The first IRC message `pick` accepts (a value) or refuses (an Error); bounded by the client's timeout. */
  private waitIrc(pick: (m: IrcMessage) => IrcMessage | Error | undefined, what: string): Promise<IrcMessage> {
    return this.waitLine((line) => {
      const m = parseIrc(line);
      return m === undefined ? undefined : pick(m);
    }, what);
  }

  /** The first raw line `pick` accepts (a value) or refuses (an Error), within the client's timeout. */
  private waitLine<T>(pick: (line: string) => T | Error | undefined, what: string): Promise<T> {
    const { name, timeoutMs } = this.options;
    return new Promise<T>((resolve, reject) => {
      if (this.closedWith !== undefined) {
        reject(new Error(`${name}: ${this.closedWith} before ${what}`));
        return;
      }
      const finish = (): void => {
        clearTimeout(timer);
        this.onRawLine = undefined;
        this.onClosedWait = undefined;
      };
      const timer = setTimeout(() => {
        finish();
        reject(new Error(`${name}: no ${what} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.onClosedWait = (why) => {
        finish();
        reject(new Error(`${name}: ${why} before ${what}`));
      };
      this.onRawLine = (line) => {
        const v = pick(line);
        if (v === undefined) return;
        finish();
        if (v instanceof Error) reject(v);
        else resolve(v);
      };
    });
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
      ...(this.socket instanceof tls.TLSSocket ? { keyExporter: keyExporterOfTls(this.socket) } : {}),
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
      if (speaksIrc(this.options.mode)) this.onIrcLine(line);
      else if (line.startsWith('<error>')) this.options.onError?.(line);
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

  /**
   * IRC, a line that is not chat: a PING is answered with its parameter in a PONG (RFC 2812 §3.7.2)
   * or the server drops us; an error reply (4xx/5xx) or ERROR is reported.
   */
  private onIrcLine(line: string): void {
    const m = parseIrc(line);
    if (m === undefined) return;
    if (m.command === 'PING') this.socket.write(`${formatIrc('PONG', m.params.slice(0, 1))}\r\n`);
    else if (m.command === 'ERROR' || /^[45]\d\d$/.test(m.command)) this.options.onError?.(line);
  }

  private onClose(why: string): void {
    if (this.closedWith === undefined) this.closedWith = why;
    this.onClosedWait?.(why);
    for (const w of this.waits) {
      clearTimeout(w.timer);
      w.reject(new Error(`${this.options.name}: ${why}`));
    }
    this.waits.clear();
  }
}

/** The exporter of a TLS connection, for the sealed data plane's keys. */
function keyExporterOfTls(socket: tls.TLSSocket): (length: number, label: string, context: Buffer) => Buffer {
  return (length, label, context) => socket.exportKeyingMaterial(length, label, context);
}

function connect(host: string, port: number, timeoutMs: number, tlsCa?: string): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = tlsCa === undefined ? net.connect({ host, port, noDelay: true }) : tls.connect({ host, port, ca: tlsCa }).setNoDelay(true);
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no TCP connection to ${host}:${port} within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.once(tlsCa === undefined ? 'connect' : 'secureConnect', () => {
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
