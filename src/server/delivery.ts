// Delivery: the hub's addressed replies carried to sessions. A reply to one session goes in that session's
// door's form; a reply to a room is formatted once per door and the same bytes are shared by every member
// on this node (src/tcp/write-batch.ts: joined once per iteration, one write per member), chat going by a
// member's UDP route where it has one; and both kinds are published on the bus for the members and users
// on other nodes, whose delivery fans them out there (fromBus).
//
// A room's first reply in an iteration visits every member; the members without a UDP route then
// *follow* the room's pieces (write-batch.ts), so the room's next chat messages in that iteration — the
// bulk of a busy room's traffic — cost one add per door variant, the sender's own line cut out of its
// range, and a visit of the members with a route only; whatever else a member is sent meanwhile stays
// in order (a follower lapses, and follows again from the next message). Any other reply, a change of
// the room's members (the hub's membershipVersion) or of a session's route or door variant
// (routeChangeCount) visits every member again.
import type { SessionAddress, SessionId, NodeId } from '../chat/ids.ts';
import type { Bus, BusEvent } from '../chat/ports.ts';
import type { HubReply, Outbound } from '../chat/replies.ts';
import type { SharedFormat } from '../doors/door.ts';
import type { SharedPieces } from '../tcp/write-batch.ts';
import { routeChangeCount, type Session } from './session.ts';

export interface DeliveryConfig {
  /** This node's sessions by id. */
  session: (id: SessionId) => Session | undefined;
  /** The members of a room on this node (the hub's localMembers). */
  members: (room: string) => Iterable<SessionId>;
  bus: Bus;
  node: NodeId;
  /** Where a door's (or door variant's) bytes for a room go in this iteration, and the delivery's own state for that iteration (WRITE_BATCH). */
  batch: {
    sharedFor(format: SharedFormat, room: string): SharedPieces;
    forIteration<T>(owner: object, room: string, make: () => T): T;
  };
  /** The hub's membershipVersion: grows when any room's members change. */
  membership: () => number;
}

/** One door variant's pieces of a room in this iteration, and the index of the reply being fanned out (-1: not added). */
interface FanGroup {
  format: SharedFormat;
  pieces: SharedPieces;
  index: number;
}

/** A room's fan-out in this iteration (see the top of this file). */
class RoomFan {
  /** The membershipVersion and routeChangeCount the followers were made for (-1: not made). */
  membership = -1;
  routes = -1;
  groups: FanGroup[] = [];
  /** Members that follow their variant's pieces. */
  followers: Session[] = [];
  /** Members with a UDP route: their chat is decided reply by reply. */
  routed: Session[] = [];
}

const newRoomFan = (): RoomFan => new RoomFan();

export class Delivery {
  constructor(private readonly config: DeliveryConfig) {}

  /** `reply` to one session of this node. */
  toSession(to: SessionId, reply: Outbound): void {
    this.config.session(to)?.deliver(reply);
  }

  /** `reply` to every member of `room` but `except`: here, and on the other nodes through the bus. */
  toRoom(room: string, reply: HubReply, except?: SessionId): void {
    this.fanOut(room, reply, except);
    const { bus, node } = this.config;
    bus.publish(except === undefined ? { type: 'room', from: node, room, reply } : { type: 'room', from: node, room, reply, except: { node, session: except } });
  }

  /** `reply` to a user wherever it is. */
  toUser(to: SessionAddress, reply: HubReply): void {
    if (to.node === this.config.node) this.toSession(to.session, reply);
    else this.config.bus.publish({ type: 'user', from: this.config.node, to, reply });
  }

  /** An event another node published: delivered to this node's sessions it concerns (our own are dropped). */
  fromBus(event: BusEvent): void {
    const node = this.config.node;
    if (event.from === node) return;
    if (event.type === 'user') {
      if (event.to.node === node) this.toSession(event.to.session, event.reply);
      return;
    }
    this.fanOut(event.room, event.reply, event.except?.node === node ? event.except.session : undefined);
  }

  /** `reply` to the room's members on this node but `except`: by their followers when it can, else member by member. */
  private fanOut(room: string, reply: HubReply, except: SessionId | undefined): void {
    const fan = this.config.batch.forIteration(this, room, newRoomFan);
    const membership = this.config.membership();
    const routes = routeChangeCount();
    if (reply.kind === 'message' && fan.membership === membership && fan.routes === routes) this.toFollowers(fan, reply, except);
    else this.visit(fan, room, reply, except, membership, routes);
  }

  /**
   * Every member but `except`: chat by its UDP route where it has one, the rest in its door's bytes —
   * made once per door (or door variant: Session.format) and shared. The members without a route
   * follow their variant's pieces from here on (`except`, and a member its door skips, from the next part).
   */
  private visit(fan: RoomFan, room: string, reply: HubReply, except: SessionId | undefined, membership: number, routes: number): void {
    // Whoever followed before stops here; the members follow again below.
    for (const session of fan.followers) for (const g of fan.groups) session.output.unfollow(g.pieces);
    for (const g of fan.groups) g.pieces.takeLapsed();
    fan.groups = [];
    fan.followers = [];
    fan.routed = [];
    let group: FanGroup | undefined;
    /** Members without a route that do not take this reply (its sender, one its door skips): they follow from the next part. */
    let skipped: Array<[Session, FanGroup]> | undefined;
    for (const id of this.config.members(room)) {
      const session = this.config.session(id);
      if (session === undefined) continue;
      if (group === undefined || session.format !== group.format) group = this.groupOf(fan, session.format, room);
      const routed = session.hasChatRoute;
      if (routed) fan.routed.push(session);
      else fan.followers.push(session);
      if (id === except || session.routed(reply)) {
        if (!routed) (skipped ??= []).push([session, group]);
        continue;
      }
      const index = partOf(group, reply);
      if (routed) session.writeShared(group.pieces, index);
      else session.output.follow(group.pieces, index);
    }
    // The reply's part exists where a member took it; where none did, nothing was added to skip.
    for (const [session, g] of skipped ?? []) {
      if (g.index >= 0) session.output.skipShared(g.pieces, g.index);
      else session.output.follow(g.pieces, g.pieces.count);
    }
    fan.membership = membership;
    fan.routes = routes;
  }

  /** A chat message to a room whose followers are made: one add per variant; the sender's line cut from its range; the routed members one by one. */
  private toFollowers(fan: RoomFan, reply: HubReply, except: SessionId | undefined): void {
    const sender = except === undefined ? undefined : this.config.session(except);
    for (const g of fan.groups) {
      g.index = g.pieces.add(g.format.bytes(reply));
      for (const lapsed of g.pieces.takeLapsed()) lapsed.follow(g.pieces, g.index);
      sender?.output.skipIfFollowing(g.pieces, g.index);
    }
    for (const session of fan.routed) {
      if (session.id === except || session.routed(reply)) continue;
      const g = fan.groups.find((x) => x.format === session.format);
      if (g !== undefined) session.writeShared(g.pieces, g.index);
    }
  }

  /** The room's group for `format` (made on first use in a visit; the reply not added yet: partOf). */
  private groupOf(fan: RoomFan, format: SharedFormat, room: string): FanGroup {
    const known = fan.groups.find((g) => g.format === format);
    if (known !== undefined) return known;
    const group = { format, pieces: this.config.batch.sharedFor(format, room), index: -1 };
    fan.groups.push(group);
    return group;
  }
}

/** The index of `reply`'s part in the group's pieces, added (formatted) when a member first needs it in a visit. */
function partOf(group: FanGroup, reply: HubReply): number {
  if (group.index < 0) group.index = group.pieces.add(group.format.bytes(reply));
  return group.index;
}
