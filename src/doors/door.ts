// A door turns a wire into hub inputs and hub outputs into wire bytes. The server holds sessions of any
// door side by side: each connection reads through its door's framer and parser, and each reply is
// written in its recipient's door's form — formatted once per door (or door variant) when it goes to a room.
//
// Two shapes:
// - `Door`: a door without per-connection state (the bracket door, src/doors/bracket/): one object reads
//   every connection's lines and writes every connection's replies — it is its own DoorConnection.
// - `ConnectionDoor`: a door whose connections keep state (the IRC door, src/doors/irc/: registration,
//   negotiated capabilities, the nick numerics are addressed to, a flood budget). `open` gives each
//   connection its own DoorConnection, which reads a line into *steps* (hub commands, bytes of its own,
//   an end) and names the SharedFormat its room replies are formatted in (one per door variant, e.g.
//   with and without the IRCv3 server-time tag), so a room reply is still formatted once per variant.
import type { HubCommand } from '../chat/hub.ts';
import type { Outbound } from '../chat/replies.ts';
import type { ClientLine, RoomEntry, UserEntry } from '../commands/types.ts';
import type { LineFramer } from '../tcp/line-framer.ts';

/** How replies that go to many are written: the same bytes for every connection that shares this object. */
export interface SharedFormat {
  /** `reply` on this door's wire, terminator included. */
  bytes(reply: Outbound): Uint8Array;
}

/** A hub command a door's line asks for. */
export interface HubStep {
  type: 'hub';
  command: HubCommand;
  /** Refusals of this command are not answered (IRC NOTICE: RFC 2812 §3.3.2). */
  quiet?: boolean;
  /** After the hub's outputs were carried out (a port's later answer included): what follows, e.g. a channel's NAMES after a JOIN. */
  then?: () => DoorStep[];
}

/** One thing a line of a stateful door asks the server to do, in order. */
export type DoorStep =
  | ClientLine
  | HubStep
  /** Bytes to this connection alone (numerics, PONG). */
  | { type: 'send'; bytes: Uint8Array }
  /** Send `bytes`, then close the connection (IRC QUIT before registration, ERROR). */
  | { type: 'end'; bytes: Uint8Array; detail: string };

/** What a line asks for: one client line (the bracket door), or steps (a stateful door). */
export type DoorInput = ClientLine | { type: 'steps'; steps: DoorStep[] };

/** What a flood budget decides for a line as it arrives (src/doors/penalty.ts). */
export type Admission =
  | { type: 'go' }
  /** Handle it at `until` (absolute ms on the clock `admit` was given), after the lines before it. */
  | { type: 'hold'; until: number }
  /** Not handled; `bytes` say so. */
  | { type: 'refuse'; bytes: Uint8Array }
  /** Persistent excess: send `bytes` and close. */
  | { type: 'drop'; bytes: Uint8Array };

/** One connection's reader and writer. */
export interface DoorConnection extends SharedFormat {
  /** The format this connection's room replies are shared in (undefined: this object itself). */
  readonly format?: SharedFormat;
  /** One framed line → what it asks for. */
  read(line: string, now: number): DoorInput;
  /** The flood budget's verdict on a line as it arrives (undefined: every line goes). */
  admit?(line: string, now: number): Admission;
  /** The hub is about to be asked `step` from this connection (its refusals are worded for it); undefined once answered. */
  asking?(step: HubStep | undefined): void;
  /**
   * True when this connection must not be sent `reply`, which goes to a room (e.g. a second QUIT of one
   * user). Never for a chat message (kind `message`): a room's messages reach its followers without
   * asking each (src/server/delivery.ts).
   */
  skip?(reply: Outbound): boolean;
}

/** A door without per-connection state: it reads and writes for every connection itself. */
export interface Door extends DoorConnection {
  /** For logs and statistics: 'bracket', 'irc', … */
  readonly name: string;
  /** A framer for one new connection (framing keeps state per connection). */
  framer(): LineFramer;
  /** One framed line → what it asks for. */
  read(line: string): ClientLine;
}

/** What a stateful door may read of the chat for its connection (read-only; this node's view). */
export interface ChatView {
  /** This connection's name, once it has one. */
  name(): string | undefined;
  /** The rooms this connection is in, in the order entered. */
  rooms(): string[];
  /** Everyone online with their current room. */
  users(): UserEntry[];
  /** Every room with its member count. */
  allRooms(): RoomEntry[];
  /** The names of `room`'s members on this node. */
  members(room: string): string[];
  /** `name`'s spelling, rooms and away text when that user is on this node, else undefined. */
  user(name: string): { name: string; rooms: string[]; away: string | undefined } | undefined;
  /** Named users on every node. */
  userCount(): number;
  /** `room`'s topic, who set it and when (ms), when it has one. */
  topic(room: string): { text: string; by: string; ts: number } | undefined;
}

/** A door whose connections keep state: each opens its own DoorConnection. */
export interface ConnectionDoor {
  readonly name: string;
  framer(): LineFramer;
  open(view: ChatView): DoorConnection;
}

export type AnyDoor = Door | ConnectionDoor;

/** The connection a new socket on `door` reads and writes through. */
export function openConnection(door: AnyDoor, view: () => ChatView): DoorConnection {
  return 'open' in door ? door.open(view()) : door;
}
