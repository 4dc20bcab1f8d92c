// One node's copy of the cluster's presence: who holds which name (on which node, listed in which room)
// and who is in which room. The hub's listings and lookups read it at once; it is kept up to date by
// this node's own changes (applied when made) and the other nodes' presence events (applied as heard),
// and replaced from a snapshot of Redis after the node's link to it comes back. No I/O.
import { sameAddress, type NodeId, type SessionAddress } from '../chat/ids.ts';
import type { RoomEntry, UserEntry } from '../commands/types.ts';
import type { PresenceEvent, SyncedUser } from './events.ts';

interface Holder {
  name: string;
  who: SessionAddress;
  room: string;
}

/** A user who went from the replica with the rooms it was in (its rooms' local members are told it left). */
export interface GoneUser {
  key: string;
  name: string;
  node: NodeId;
  rooms: string[];
}

/** The whole presence as Redis holds it: what a snapshot reads. */
export interface PresenceSnapshot {
  users: Array<{ key: string; name: string; who: SessionAddress; room: string }>;
  members: Array<{ room: string; keys: string[] }>;
}

export class PresenceReplica {
  private readonly names = new Map<string, Holder>();
  private readonly members = new Map<string, Set<string>>();
  private readonly roomsOf = new Map<string, Set<string>>();
  /** Room → its members held on another node (or by nobody known yet): kept with every change, so a room message asks in O(1) whether to publish. */
  private readonly remoteIn = new Map<string, number>();

  constructor(private readonly self: NodeId) {}

  locate(key: string): { name: string; who: SessionAddress } | undefined {
    return this.names.get(key);
  }

  /** `key` is held by `who` now; the rooms a former holder of it left behind go with it. */
  claim(key: string, name: string, who: SessionAddress): void {
    const before = this.names.get(key);
    if (before !== undefined && !sameAddress(before.who, who)) this.dropRooms(key);
    const wasRemote = this.isRemote(key);
    this.names.set(key, { name, who, room: before !== undefined && sameAddress(before.who, who) ? before.room : '' });
    const remote = this.isRemote(key);
    if (remote !== wasRemote) for (const room of this.roomsOf.get(key) ?? []) this.countRemote(room, remote ? 1 : -1);
  }

  /** `key` is free, if `who` held it; its rooms go too (a user leaves its rooms before its name). */
  release(key: string, who: SessionAddress): void {
    const holder = this.names.get(key);
    if (holder === undefined || !sameAddress(holder.who, who)) return;
    this.dropRooms(key);
    this.names.delete(key);
  }

  enter(room: string, key: string): void {
    let members = this.members.get(room);
    if (members === undefined) this.members.set(room, (members = new Set()));
    if (members.has(key)) return;
    members.add(key);
    if (this.isRemote(key)) this.countRemote(room, 1);
    let rooms = this.roomsOf.get(key);
    if (rooms === undefined) this.roomsOf.set(key, (rooms = new Set()));
    rooms.add(room);
  }

  leave(room: string, key: string): void {
    const members = this.members.get(room);
    if (members === undefined || !members.delete(key)) return;
    if (members.size === 0) this.members.delete(room);
    if (this.isRemote(key)) this.countRemote(room, -1);
    const rooms = this.roomsOf.get(key);
    if (rooms !== undefined) {
      rooms.delete(room);
      if (rooms.size === 0) this.roomsOf.delete(key);
    }
  }

  setListed(key: string, room: string): void {
    const holder = this.names.get(key);
    if (holder !== undefined) holder.room = room;
  }

  isMember(room: string, key: string): boolean {
    return this.members.get(room)?.has(key) === true;
  }

  /** Members of `room` on every node. */
  roomSize(room: string): number {
    return this.members.get(room)?.size ?? 0;
  }

  /** Does `room` have a member on a node other than this one? */
  hasRemoteMembers(room: string): boolean {
    return this.remoteIn.has(room);
  }

  /**
   * Another node's event applied (this node's own were applied when made: they are skipped). A node
   * hears itself called gone only when its heartbeat lapsed while it ran: it keeps its users (it states
   * them again at once, Cluster.restore).
   */
  apply(event: PresenceEvent): GoneUser[] {
    if (event.op === 'gone') return event.node === this.self ? [] : this.removeNode(event.node);
    if (event.from === this.self || event.op === 'hello') return [];
    switch (event.op) {
      case 'claim':
        this.claim(event.key, event.name, event.who);
        return [];
      case 'release':
        this.release(event.key, event.who);
        return [];
      case 'enter':
        this.enter(event.room, event.key);
        return [];
      case 'leave':
        this.leave(event.room, event.key);
        return [];
      case 'listed':
        this.setListed(event.key, event.room);
        return [];
      case 'sync':
        return this.replaceNode(event.from, event.users);
    }
  }

  /** Every user of `node`, gone from the replica, with their rooms. */
  removeNode(node: NodeId): GoneUser[] {
    const gone: GoneUser[] = [];
    for (const [key, holder] of this.names) {
      if (holder.who.node !== node) continue;
      gone.push({ key, name: holder.name, node, rooms: [...(this.roomsOf.get(key) ?? [])] });
      this.dropRooms(key);
      this.names.delete(key);
    }
    return gone;
  }

  /** What `node` holds is `users` now: those of it missing from them are gone. */
  replaceNode(node: NodeId, users: readonly SyncedUser[]): GoneUser[] {
    const kept = new Set(users.map((u) => u.key));
    const gone = this.removeNode(node).filter((user) => !kept.has(user.key));
    for (const user of users) {
      this.claim(user.key, user.name, { node, session: user.session });
      this.setListed(user.key, user.room);
      for (const room of user.rooms) this.enter(room, user.key);
    }
    return gone;
  }

  /**
   * Everything but this node's own users replaced by `snapshot` (this node's part is what it holds: it
   * just wrote it to Redis). Users of other nodes missing from the snapshot are gone.
   */
  load(snapshot: PresenceSnapshot): GoneUser[] {
    const fresh = new Set(snapshot.users.map((u) => `${u.who.node}\u0000${u.who.session}\u0000${u.key}`));
    const gone: GoneUser[] = [];
    for (const [key, holder] of this.names) {
      if (holder.who.node === this.self) continue;
      if (!fresh.has(`${holder.who.node}\u0000${holder.who.session}\u0000${key}`)) gone.push({ key, name: holder.name, node: holder.who.node, rooms: [...(this.roomsOf.get(key) ?? [])] });
      this.dropRooms(key);
      this.names.delete(key);
    }
    for (const user of snapshot.users) {
      if (user.who.node === this.self) continue;
      this.claim(user.key, user.name, user.who);
      this.setListed(user.key, user.room);
    }
    for (const { room, keys } of snapshot.members) {
      for (const key of keys) if (this.names.get(key)?.who.node !== this.self) this.enter(room, key);
    }
    return gone;
  }

  /** This node's users as a sync states them. */
  ownUsers(): SyncedUser[] {
    const out: SyncedUser[] = [];
    for (const [key, holder] of this.names) {
      if (holder.who.node !== this.self) continue;
      out.push({ key, name: holder.name, session: holder.who.session, room: holder.room, rooms: [...(this.roomsOf.get(key) ?? [])] });
    }
    return out;
  }

  /** The nodes that hold a name, this one left out. */
  otherNodes(): Set<NodeId> {
    const nodes = new Set<NodeId>();
    for (const holder of this.names.values()) if (holder.who.node !== this.self) nodes.add(holder.who.node);
    return nodes;
  }

  userCount(): number {
    return this.names.size;
  }

  users(): UserEntry[] {
    return Array.from(this.names.values(), (holder) => ({ name: holder.name, room: holder.room }));
  }

  rooms(): RoomEntry[] {
    return Array.from(this.members, ([name, keys]) => ({ name, count: keys.size }));
  }

  private isRemote(key: string): boolean {
    const holder = this.names.get(key);
    return holder === undefined || holder.who.node !== this.self;
  }

  private countRemote(room: string, by: 1 | -1): void {
    const n = (this.remoteIn.get(room) ?? 0) + by;
    if (n > 0) this.remoteIn.set(room, n);
    else this.remoteIn.delete(room);
  }

  private dropRooms(key: string): void {
    for (const room of [...(this.roomsOf.get(key) ?? [])]) this.leave(room, key);
  }
}
