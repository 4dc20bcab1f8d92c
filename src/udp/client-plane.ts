// The client's UDP data plane, a thin shell: one socket, and the session's data-plane machine
// (src/dataplane/machine.ts, role `client`) on a timer heap of its own. The binding (hellos, retries, the
// binding timeout, rebind hellos on silence), the engine, the fallback's count and resends are the
// machine's; this moves datagrams between the socket and the machine and hands its events to the owner
// (src/client/link.ts, or a test or a benchmark client):
//
//   binding ──helloOk (or a data datagram)──▶ bound ──(engine lost | close datagram)──▶ syncing ──▶ tcp
//      └──(no answer in BINDING_TIMEOUT_MS | refuse)──▶ syncing;   the server's <transport> ──▶ tcp
import { isIPv6 } from 'node:net';
import type { TransportReason } from '../commands/types.ts';
import { DataPlaneMachine } from '../dataplane/machine.ts';
import type { PlaneEvent, PlaneState } from '../dataplane/types.ts';
import type { EngineStats } from '../reliability/types.ts';
import { SEALED_PACKET_LIMIT } from '../dataplane/constants.ts';
import { nullProtectionLookup } from '../wire/protection.ts';
import { encodeHello, encodeResponse } from './binding.ts';
import { DrivenPlane, type ChannelLink } from './driven-plane.ts';
import { UdpEndpoint, type PeerAddress } from './endpoint.ts';
import { CLIENT_ENGINE_CONFIG, EngineDriver } from './engine-driver.ts';
import { BindingSealing, bindingSecret, sealingLookup, type KeyExporter } from './sealing.ts';

export type ClientPlaneState = Exclude<PlaneState, 'offered'>;

/**
 * The machine's events for the owner: `bound`; `line`, a chat reply from the server over UDP (`line`
 * undefined when its bytes were not UTF-8); `gave-up` (this side: send `<transport>`, the `send-transport` that
 * follows says what; the server: its `<transport>` arrived), `send-transport`, `resend` (lines to send
 * over TCP), `tcp` (chat is on TCP from now on; `held` lines go first) and `drop`. File chunks and room go
 * to onBulk and onRoom.
 */
export type ClientPlaneEvent = Exclude<PlaneEvent<string>, { type: 'bulk' | 'room' }>;

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
  /** The TLS control connection's exporter: present, every datagram but the hello is sealed (src/udp/sealing.ts). */
  keyExporter?: KeyExporter;
}

export class UdpClientPlane {
  private readonly driver = new EngineDriver();
  private readonly plane: DrivenPlane<string>;
  private readonly encoder = new TextEncoder();
  private closed = false;

  private constructor(
    private readonly endpoint: UdpEndpoint,
    private readonly options: ClientPlaneOptions,
    private readonly sealing: BindingSealing | undefined,
  ) {
    const { connectionId, token, target } = options;
    const machine = new DataPlaneMachine<string>({
      role: 'client',
      connectionId,
      peer: target,
      engineConfig: CLIENT_ENGINE_CONFIG,
      helloBody: (nonce) => {
        // Each hello nonce has its keys: the server moves to them when it verifies this hello.
        sealing?.keysForHello(nonce);
        return encodeHello(token, connectionId, nonce);
      },
      responseBody: (challenge) => encodeResponse(token, connectionId, challenge),
      now: this.driver.now(),
      ...(options.holdBulk === undefined ? {} : { holdMessages: options.holdBulk }),
      ...(sealing === undefined ? {} : { maxPacketsSent: SEALED_PACKET_LIMIT }),
    });
    this.plane = new DrivenPlane(
      machine,
      this.driver,
      (datagram) => endpoint.send(datagram, datagram.to),
      (event) => this.onEvent(event),
    );
  }

  /** Opens a socket on an ephemeral port and starts binding at once. Rejects if no socket can be bound. */
  static async open(options: ClientPlaneOptions): Promise<UdpClientPlane> {
    let plane: UdpClientPlane | undefined;
    const sealing = options.keyExporter === undefined ? undefined : new BindingSealing(bindingSecret(options.keyExporter, options.connectionId), 'client', options.connectionId);
    const protectionFor = sealing === undefined ? nullProtectionLookup : sealingLookup(new Map([[options.connectionId, sealing]]));
    const endpoint = await UdpEndpoint.bind({
      host: isIPv6(options.target.address) ? '::' : '0.0.0.0',
      port: 0,
      protectionFor,
      onDatagram: (datagram, from) => plane?.plane.input(datagram, from),
    });
    plane = new UdpClientPlane(endpoint, options, sealing);
    // The first hello leaves now.
    plane.plane.flush();
    return plane;
  }

  get state(): ClientPlaneState {
    const state = this.plane.machine.state;
    return state === 'offered' ? 'binding' : state;
  }

  /** Where chat should go now: over UDP, held (the move to TCP is under way), or TCP. */
  get chatPath(): 'udp' | 'hold' | 'tcp' {
    return this.plane.machine.chatPath;
  }

  /** Chat lines the machine holds now (handed over as the engine stopped; they come back in `tcp`). */
  get heldCount(): number {
    return this.plane.machine.heldCount;
  }

  get target(): PeerAddress {
    return this.options.target;
  }

  get connectionId(): number {
    return this.options.connectionId;
  }

  /** True when this plane's datagrams are sealed (its control connection is TLS). */
  get sealed(): boolean {
    return this.sealing !== undefined;
  }

  /** Datagrams dropped because they did not open (a forged, tampered or foreign one) or were replayed. */
  get rejectedDatagrams(): { authFailed: number; replayed: number; badCrc: number } {
    const r = this.endpoint.rejections;
    return { authFailed: r['auth-failed'], replayed: r.replayed, badCrc: r['bad-crc'] };
  }

  /** Engine statistics (live while bound, as they were when the engine stopped after), if it ever ran. */
  engineStats(): EngineStats | undefined {
    return this.plane.machine.engineStats();
  }

  /**
   * Hands one chat command line to the machine: true when it took it (sent over the engine, or held if
   * the engine just stopped: it then comes back in the `tcp` event), false when chat is not on UDP.
   */
  send(line: string): boolean {
    if (this.closed || this.plane.machine.chatPath !== 'udp') return false;
    return this.plane.sendChat(line, this.encoder.encode(line)) !== 'declined';
  }

  /** The bulk channel now, or undefined unless bound. */
  bulkLink(): ClientBulkLink | undefined {
    return this.closed ? undefined : this.plane.bulkLink();
  }

  /** The receiver caught up (holdBulk turned false): deliver what the engine kept. */
  wakeBulk(): void {
    if (!this.closed) this.plane.wake();
  }

  /**
   * The server's `<transport>` (it gave up, or answers ours): the events it causes are handed to the
   * owner before this returns. False when chat already travels over TCP.
   */
  peerTransport(received: number, reason: TransportReason): boolean {
    return !this.closed && this.plane.peerTransport(received, reason);
  }

  /** Leave UDP without the `<transport>` exchange (the session is ending: there is nothing to move). */
  abandon(): void {
    if (this.closed) return;
    this.plane.machine.close();
    // Its deadlines went with it: the driver's heap forgets them now rather than firing once for nothing.
    this.plane.flush();
  }

  /** Stops everything and closes the socket. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.plane.close();
    this.driver.stop();
    await this.endpoint.close();
  }

  private onEvent(event: PlaneEvent<string>): void {
    switch (event.type) {
      case 'bulk':
        this.options.onBulk?.(event.data);
        return;
      case 'room':
        this.options.onRoom?.();
        return;
      default:
        this.options.onEvent(event);
    }
  }
}
