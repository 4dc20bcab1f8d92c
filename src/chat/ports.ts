// The hub's ports: what it asks of the world beyond this process, as interfaces with in-memory
// implementations beside them (src/chat/memory-presence.ts; the bus is the server's: src/server/delivery.ts).
// A cluster (Redis) or a database (SQLite) replaces an implementation without touching the hub.
//
// Decisions that must be atomic across nodes — claiming a name, taking a seat in a room of bounded size —
// may come back later (`Answer<T>` is a value or a promise): the hub then returns an `await` output whose
// promise carries the outputs, and the shell holds that connection's next lines until it settles (the
// per-connection serial queue). Everything else is answered at once: listings and lookups read a replica
// that a cluster keeps up to date. A node that stops without its sessions' goodbyes (shutdown, a crash)
// leaves names and seats behind in a shared presence: a cluster's presence expires them with the node.
import type { RoomEntry, UserEntry } from '../commands/types.ts';
import type { NodeId, SessionAddress } from './ids.ts';
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
  /** `key` is now a member of `room` too (a room without a bound: the default room, or one re-entered). */
  enterRoom(room: string, key: string): void;
  /**
   * `key` enters `room` if it holds fewer than `capacity` members, checked and counted at once (two nodes
   * cannot both take the last seat); else the room's size.
   */
  takeSeat(room: string, key: string, capacity: number): Answer<{ taken: true } | { taken: false; size: number }>;
  /** `key` is no longer a member of `room`. */
  leaveRoom(room: string, key: string): void;
  /** The room `key` is listed in (its current room). */
  setListedRoom(key: string, room: string): void;
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
 * Durable state: room messages are kept. Optional: without a store nothing is kept (and the History and
 * Accounts ports below have nothing to answer from).
 */
export interface Store {
  /** A room message was sent: keep it. Must not throw; a store that fails logs and drops. */
  recordRoomMessage(message: RoomMessage): void;
}

/** A kept room message with its id: ids grow in the order messages were recorded, and page history. */
export interface StoredRoomMessage extends RoomMessage {
  id: number;
}

/** Reading the kept room messages back. */
export interface History {
  /**
   * The last `limit` messages of `room` recorded before this call (and older than id `before` when given),
   * oldest first. The cut-off is taken when called, so a message recorded after it is never in the answer
   * (the caller hears it live): nothing is replayed twice.
   */
  roomHistory(room: string, limit: number, before?: number): Answer<StoredRoomMessage[]>;
}

/** A private message kept for a registered user who was offline. */
export interface StoredPrivate {
  from: string;
  to: string;
  ts: number;
  text: string;
}

/**
 * Registered names, their passwords and their mailboxes. Which names are registered is answered at once
 * (a store keeps that list in memory); anything that hashes a password answers later.
 */
export interface Accounts {
  /** The registered spelling of `key` (a lower-cased name), or undefined for a name anyone may take. */
  registeredName(key: string): string | undefined;
  /** Is `password` the password of registered `key`? False for a name not registered. */
  verify(key: string, password: string): Answer<boolean>;
  /** Register `key` as `name` with `password`; false when it is registered already. */
  register(key: string, name: string, password: string): Answer<boolean>;
  /** Change the password when `old` is right; false otherwise. */
  changePassword(key: string, old: string, password: string): Answer<boolean>;
  /** Forget `key` and its mailbox when `password` is right; false otherwise. */
  unregister(key: string, password: string): Answer<boolean>;
  /** Keep `message` for registered `key`, who is offline; false when the mailbox is full. */
  deposit(key: string, message: StoredPrivate): boolean;
  /** What waits for `key`, oldest first; handed over once (the mailbox is emptied). */
  collect(key: string): Answer<StoredPrivate[]>;
}

/** A reply for other nodes: to a room's members there, or to one user there. */
export type BusEvent =
  | { type: 'room'; from: NodeId; room: string; reply: HubReply; except?: SessionAddress }
  | { type: 'user'; from: NodeId; to: SessionAddress; reply: HubReply };

/**
 * Publishes room and user events to the other nodes of a chat (a no-op on a single node). A bus may hand
 * a node its own events back (Redis pub/sub does): `from` lets the node drop them.
 */
export interface Bus {
  publish(event: BusEvent): void;
}

/** The bus of a chat of one node: there is nobody to tell. */
export const LOCAL_BUS: Bus = Object.freeze({ publish: (_event: BusEvent): void => undefined });
