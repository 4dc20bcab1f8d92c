// One client as the server shell sees it: its hub session id, its door connection (the door's reader and
// writer for it, and the format its room replies are shared in), its control connection, its name once
// connected, and how replies reach it.
//
// The seam for the UDP data plane: chat replies (`message`, `private`) go through a ChatRoute when
// one is attached and it accepts them; everything else, and chat when no route is attached or the
// route declines, goes down the control connection in the door's form. Attaching a route is all the
// data plane needs to do to carry chat; its own notices (`<udp>`, `<transport>`) go down the control
// connection with sendControl.
import type { SessionId } from '../chat/ids.ts';
import { isChatReply, type ChatReply, type Outbound } from '../chat/replies.ts';
import type { DoorConnection, DoorInput, SharedFormat } from '../doors/door.ts';
import type { SharedPieces } from '../tcp/write-batch.ts';

export type { ChatReply } from '../chat/replies.ts';

/** Another way to carry a session's chat replies (the UDP data plane). */
export interface ChatRoute {
  /** Send the reply; false when this route cannot take it now, so the control connection carries it. */
  deliver(reply: ChatReply): boolean;
}

/** The control connection: bytes out, already in the door's form (src/tcp/connection.ts). */
export interface ControlOutput {
  writeBytes(bytes: Uint8Array): boolean;
  /** Part `index` of bytes shared with other sessions in this iteration. */
  writeShared(pieces: SharedPieces, index: number): boolean;
  /** Follow `pieces` from part `from` on: every part added to them is this session's too, until something else is queued for it (src/tcp/write-batch.ts). */
  follow(pieces: SharedPieces, from: number): void;
  /** Part `index` is not this session's; it follows `pieces` from the next part on. */
  skipShared(pieces: SharedPieces, index: number): void;
  /** skipShared when it follows `pieces`, else nothing. */
  skipIfFollowing(pieces: SharedPieces, index: number): void;
  /** Stop following `pieces`, if it does. */
  unfollow(pieces: SharedPieces): void;
}

/**
 * Changes of how sessions take a room's chat — a UDP route attached or taken away, a door variant
 * changed (IRC CAP REQ server-time) — counted for the whole process: a room's followers, made for the
 * routes and variants of their time, are then made again (src/server/delivery.ts).
 */
let routeChanges = 0;

/** The count of route and variant changes so far (see routeChanges). */
export function routeChangeCount(): number {
  return routeChanges;
}

/** A TLS control connection's exporter (RFC 5705): what the session's sealed datagrams are keyed from. */
export type ControlKeyExporter = (length: number, label: string, context: Buffer) => Buffer;

export class Session {
  /** The name the hub gave this session on `<connect>`; undefined before. */
  name: string | undefined;
  private chatRoute: ChatRoute | undefined;

  constructor(
    readonly id: SessionId,
    private readonly control: ControlOutput,
    readonly door: DoorConnection,
    /** Present when the control connection is TLS: its data plane is then sealed. */
    readonly keyExporter: ControlKeyExporter | undefined = undefined,
  ) {}

  /** The format this session's room replies are shared in (one per door, or door variant). */
  get format(): SharedFormat {
    return this.door.format ?? this.door;
  }

  /** True while a UDP route carries (or may carry) this session's chat. */
  get hasChatRoute(): boolean {
    return this.chatRoute !== undefined;
  }

  /** The control connection, for the delivery's followers (src/server/delivery.ts). */
  get output(): ControlOutput {
    return this.control;
  }

  /** One line through this session's door (the variant it changes, if any, is counted: routeChanges). */
  read(line: string, now: number): DoorInput {
    const format = this.door.format;
    const input = this.door.read(line, now);
    if (this.door.format !== format) routeChanges++;
    return input;
  }

  /** Send a reply to this client by the route that carries its kind. */
  deliver(reply: Outbound): void {
    if (!this.routed(reply)) this.writeBytes(this.door.bytes(reply));
  }

  /** Bytes already in this session's door form, down the control connection (nothing for none). */
  writeBytes(bytes: Uint8Array): void {
    if (bytes.length > 0) this.control.writeBytes(bytes);
  }

  /**
   * Nothing more to do for a reply to a room: sent by the attached chat route, when there is one and it
   * takes it, or not for this session (its door skips it). False: the caller writes it.
   */
  routed(reply: Outbound): boolean {
    if (this.door.skip !== undefined && this.door.skip(reply)) return true;
    return this.chatRoute !== undefined && isChatReply(reply) && this.chatRoute.deliver(reply);
  }

  /**
   * Part `index` of `pieces` — a reply that goes to many (a room's fan-out), formatted once for every
   * member on this session's door — down the control connection. The caller tried `routed` first.
   */
  writeShared(pieces: SharedPieces, index: number): void {
    this.control.writeShared(pieces, index);
  }

  /** Send a reply down the control connection whatever its kind (the data plane's own notices). */
  sendControl(reply: Outbound): void {
    this.writeBytes(this.door.bytes(reply));
  }

  /** Carry chat replies over `route` from now on (undefined: back to the control connection). */
  routeChatVia(route: ChatRoute | undefined): void {
    if (route !== this.chatRoute) routeChanges++;
    this.chatRoute = route;
  }
}
