// Delivery: the hub's addressed replies carried to sessions. A reply to one session goes in that session's
// door's form; a reply to a room is formatted once per door and the same bytes are shared by every member
// on this node (src/tcp/write-batch.ts: joined once per iteration, one write per member), chat going by a
// member's UDP route where it has one; and both kinds are published on the bus for the members and users
// on other nodes, whose delivery fans them out there (fromBus).
import type { SessionAddress, SessionId, NodeId } from '../chat/ids.ts';
import type { Bus, BusEvent } from '../chat/ports.ts';
import type { HubReply, Outbound } from '../chat/replies.ts';
import type { SharedFormat } from '../doors/door.ts';
import type { SharedPieces } from '../tcp/write-batch.ts';
import type { Session } from './session.ts';

export interface DeliveryConfig {
  /** This node's sessions by id. */
  session: (id: SessionId) => Session | undefined;
  /** The members of a room on this node (the hub's localMembers). */
  members: (room: string) => Iterable<SessionId>;
  bus: Bus;
  node: NodeId;
  /** Where a door's (or door variant's) bytes for a room go in this iteration, shared by its members (WRITE_BATCH.sharedFor). */
  shared: (format: SharedFormat, room: string) => SharedPieces;
}

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

  /**
   * The room's members on this node but `except`: chat by each member's UDP route where it has one, the
   * rest in its door's bytes — made once per door (or door variant: Session.format), when a member first
   * needs them, and shared.
   */
  private fanOut(room: string, reply: HubReply, except: SessionId | undefined): void {
    let door: SharedFormat | undefined;
    let pieces: SharedPieces | undefined;
    let index = 0;
    let others: Map<SharedFormat, [SharedPieces, number]> | undefined;
    for (const id of this.config.members(room)) {
      if (id === except) continue;
      const session = this.config.session(id);
      if (session === undefined || session.routed(reply)) continue;
      if (session.format !== door) {
        // Sessions of several doors in one room: keep each door's part (rare; one door is the common case).
        if (door !== undefined && pieces !== undefined) (others ??= new Map()).set(door, [pieces, index]);
        door = session.format;
        const known = others?.get(door);
        if (known !== undefined) [pieces, index] = known;
        else {
          pieces = this.config.shared(door, room);
          index = pieces.add(door.bytes(reply));
        }
      }
      session.writeShared(pieces!, index);
    }
  }
}

