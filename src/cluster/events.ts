// What the nodes of a chat tell each other on the cluster's one channel, as JSON: presence changes (to
// keep every node's replica of names and rooms) and the hub's bus events (room and user replies). One
// channel, published from one connection per node: each node hears another's events in the order it
// published them (a join before the message that follows it). Decoding checks the shape of what it
// reads; a line that does not fit is refused with the reason (the node logs it and goes on).
import type { NodeId, SessionAddress } from '../chat/ids.ts';
import type { BusEvent } from '../chat/ports.ts';
import type { HubReply } from '../chat/replies.ts';

/** One named user of a node as a sync states it: its name, session, listed room and every room it is in. */
export interface SyncedUser {
  key: string;
  name: string;
  session: number;
  room: string;
  rooms: string[];
}

/** A change to the cluster's presence, published by the node that made it (`from`). */
export type PresenceEvent =
  | { op: 'claim'; from: NodeId; key: string; name: string; who: SessionAddress }
  | { op: 'release'; from: NodeId; key: string; who: SessionAddress }
  | { op: 'enter'; from: NodeId; room: string; key: string }
  | { op: 'leave'; from: NodeId; room: string; key: string }
  | { op: 'listed'; from: NodeId; key: string; room: string }
  /** `from` joined the chat (registered its node id). */
  | { op: 'hello'; from: NodeId }
  /** `node` is dead (its heartbeat expired) or starts afresh: every name it held is free. */
  | { op: 'gone'; from: NodeId; node: NodeId }
  /** `from` states everything it holds (after an outage of its Redis link): it replaces what others knew of it. */
  | { op: 'sync'; from: NodeId; users: SyncedUser[] };

export type ClusterEvent = { t: 'presence'; event: PresenceEvent } | { t: 'bus'; event: BusEvent };

export function encodeEvent(event: ClusterEvent): string {
  return JSON.stringify(event);
}

export type DecodeResult = { ok: true; event: ClusterEvent } | { ok: false; reason: string };

type Fields = Readonly<Record<string, unknown>>;

function isFields(value: unknown): value is Fields {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const isString = (v: unknown): v is string => typeof v === 'string';

function isAddress(v: unknown): v is SessionAddress {
  return isFields(v) && isString(v.node) && typeof v.session === 'number' && Number.isSafeInteger(v.session);
}

function isSyncedUser(v: unknown): v is SyncedUser {
  return (
    isFields(v) &&
    isString(v.key) &&
    isString(v.name) &&
    typeof v.session === 'number' &&
    isString(v.room) &&
    Array.isArray(v.rooms) &&
    v.rooms.every(isString)
  );
}

/** A reply as a peer node of the same version sends it: an object with a kind (its fields are the hub's). */
function isReply(v: unknown): v is HubReply {
  return isFields(v) && isString(v.kind);
}

function presenceEvent(v: Fields): PresenceEvent | undefined {
  if (!isString(v.from)) return undefined;
  switch (v.op) {
    case 'claim':
      return isString(v.key) && isString(v.name) && isAddress(v.who) ? { op: 'claim', from: v.from, key: v.key, name: v.name, who: v.who } : undefined;
    case 'release':
      return isString(v.key) && isAddress(v.who) ? { op: 'release', from: v.from, key: v.key, who: v.who } : undefined;
    case 'enter':
    case 'leave':
      return isString(v.room) && isString(v.key) ? { op: v.op, from: v.from, room: v.room, key: v.key } : undefined;
    case 'listed':
      return isString(v.key) && isString(v.room) ? { op: 'listed', from: v.from, key: v.key, room: v.room } : undefined;
    case 'hello':
      return { op: 'hello', from: v.from };
    case 'gone':
      return isString(v.node) ? { op: 'gone', from: v.from, node: v.node } : undefined;
    case 'sync':
      return Array.isArray(v.users) && v.users.every(isSyncedUser) ? { op: 'sync', from: v.from, users: v.users } : undefined;
    default:
      return undefined;
  }
}

function busEvent(v: Fields): BusEvent | undefined {
  if (!isString(v.from) || !isReply(v.reply)) return undefined;
  if (v.type === 'user') return isAddress(v.to) ? { type: 'user', from: v.from, to: v.to, reply: v.reply } : undefined;
  if (v.type !== 'room' || !isString(v.room)) return undefined;
  if (v.except === undefined) return { type: 'room', from: v.from, room: v.room, reply: v.reply };
  return isAddress(v.except) ? { type: 'room', from: v.from, room: v.room, reply: v.reply, except: v.except } : undefined;
}

export function decodeEvent(text: string): DecodeResult {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return { ok: false, reason: 'not JSON' };
  }
  if (!isFields(parsed) || !isFields(parsed.event)) return { ok: false, reason: 'not a cluster event' };
  if (parsed.t === 'presence') {
    const event = presenceEvent(parsed.event);
    return event === undefined ? { ok: false, reason: 'a presence event of an unknown shape' } : { ok: true, event: { t: 'presence', event } };
  }
  if (parsed.t === 'bus') {
    const event = busEvent(parsed.event);
    return event === undefined ? { ok: false, reason: 'a bus event of an unknown shape' } : { ok: true, event: { t: 'bus', event } };
  }
  return { ok: false, reason: `an event of unknown type ${JSON.stringify(parsed.t)}` };
}
