// The hub's ports: what it asks of the world beyond this process, as interfaces with in-memory
// implementations beside them (src/chat/memory-presence.ts; the bus is the server's: src/server/delivery.ts).
// A cluster (Redis) or a database (SQLite) replaces an implementation without touching the hub.
//
// Answers that must be decided atomically across nodes — claiming a name, checking a room's size before
// joining — may come back later (`Answer<T>` is a value or a promise): the hub then returns an `await`
// output whose promise carries the outputs, and the shell holds that connection's next lines until it
// settles (the per-connection serial queue). Everything else is answered at once: listings and lookups
// read a replica that a cluster keeps up to date.
import type { RoomEntry, UserEntry } from '../commands/types.ts';
import type { SessionAddress } from './ids.ts';
import type { HubReply } from './replies.ts';

/** A value now, or later. */
export type Answer<T> = T | Promise<T>;

/** Who is online, under which name, in which rooms — across every node of a chat. */
export interface Presence {
  /** Take `key` (a lower-cased name; `name` keeps its owner's spelling) for `who`; false when it is held. */
  claimName(key: string, name: string, who: SessionAddress): Answer<boolean>;
  /** Give `key` back (only if `who` holds it). */
  releaseName(key: string, who: SessionAddress): void;
  /** The holder of `key` and its spelling, or undefined. */
  locate(key: string): { name: string; who: SessionAddress } | undefined;
  /** `key` is now a member of `room` too. */
  enterRoom(room: string, key: string): void;
  /** `key` is no longer a member of `room`. */
  leaveRoom(room: string, key: string): void;
  /** The room `key` is listed in (its current room). */
  setListedRoom(key: string, room: string): void;
  /** Members of `room` on every node (the capacity check). */
  roomSize(room: string): Answer<number>;
  /** Named users on every node. */
  userCount(): number;
  /** Every named user with its listed room, in no particular order. */
  users(): UserEntry[];
  /** Every room with at least one member and its member count, in no particular order. */
  rooms(): RoomEntry[];
}

/** One room message as a store keeps it (the history of a room). */
export interface RoomMessage {
  room: string;
  from: string;
  ts: number;
  text: string;
}

/**
 * Durable state: room history today; accounts (registered names) join it with the store issue, on the
 * connect path (an `await` output while the password is checked). Optional: without a store nothing is
 * kept, which is the server's behaviour today.
 */
export interface Store {
  /** A room message was sent: keep it. Must not throw; a store that fails logs and drops. */
  recordRoomMessage(message: RoomMessage): void;
}

/** A reply for other nodes: to a room's members there, or to one user there. */
export type BusEvent =
  | { type: 'room'; room: string; reply: HubReply; except?: SessionAddress }
  | { type: 'user'; to: SessionAddress; reply: HubReply };

/** Publishes room and user events to the other nodes of a chat (a no-op on a single node). */
export interface Bus {
  publish(event: BusEvent): void;
}

/** The bus of a chat of one node: there is nobody to tell. */
export const LOCAL_BUS: Bus = Object.freeze({ publish: (_event: BusEvent): void => undefined });
