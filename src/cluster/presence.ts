// The hub's Presence across the nodes of a chat: answers from this node's replica at once (listings,
// lookups), decides claims and bounded seats in Redis (atomic scripts: two nodes cannot both win), and
// writes every other change through (entering, leaving, releasing, the listed room) without waiting.
// While the link to Redis is down (or being synced back) claims and bounded seats are refused — the
// hub tells the user to try again — and the other changes are made in the replica only; the node
// states them whole when the link is back (Cluster.restore).
import type { SessionAddress } from '../chat/ids.ts';
import type { Answer, Presence } from '../chat/ports.ts';
import type { RoomEntry, UserEntry } from '../commands/types.ts';
import { encodeEvent, type PresenceEvent } from './events.ts';
import type { PresenceReplica } from './replica.ts';
import { SCRIPTS, type Script } from './scripts.ts';

/** What the presence needs of the cluster: its replica, whether it may write, and the writing. */
export interface PresenceWriter {
  readonly replica: PresenceReplica;
  readonly node: string;
  /** The link is up and synced: decisions can be taken in Redis. */
  writable(): boolean;
  /** Run a script (ARGV from the third on). */
  run(script: Script, args: ReadonlyArray<string | number>): Promise<unknown>;
  /** A change made while not writable (the next sync states it). */
  missed(): void;
  /** A write-through failed: logged, and the next sync states it. */
  failed(what: string, error: unknown): void;
}

/** Why a claim or a seat is refused while Redis is away (the hub answers "try again"). */
export class ClusterUnavailable extends Error {
  constructor() {
    super('the cluster link is down');
  }
}

function presenceEvent(event: PresenceEvent): string {
  return encodeEvent({ t: 'presence', event });
}

export class RedisPresence implements Presence {
  constructor(private readonly cluster: PresenceWriter) {}

  claimName(key: string, name: string, who: SessionAddress): Answer<boolean> {
    const c = this.cluster;
    if (!c.writable()) return Promise.reject(new ClusterUnavailable());
    const holder = JSON.stringify({ name, node: who.node, session: who.session, room: '' });
    const event = presenceEvent({ op: 'claim', from: c.node, key, name, who });
    return c.run(SCRIPTS.claim, [key, holder, event]).then((won) => {
      if (won !== 1) return false;
      c.replica.claim(key, name, who);
      return true;
    });
  }

  releaseName(key: string, who: SessionAddress): void {
    this.cluster.replica.release(key, who);
    this.write('release', SCRIPTS.release, [key, who.node, who.session, presenceEvent({ op: 'release', from: this.cluster.node, key, who })]);
  }

  locate(key: string): { name: string; who: SessionAddress } | undefined {
    return this.cluster.replica.locate(key);
  }

  enterRoom(room: string, key: string): void {
    this.cluster.replica.enter(room, key);
    this.write('enter', SCRIPTS.enter, [room, key, presenceEvent({ op: 'enter', from: this.cluster.node, room, key })]);
  }

  takeSeat(room: string, key: string, capacity: number): Answer<{ taken: true } | { taken: false; size: number }> {
    const c = this.cluster;
    if (!c.writable()) return Promise.reject(new ClusterUnavailable());
    const event = presenceEvent({ op: 'enter', from: c.node, room, key });
    return c.run(SCRIPTS.seat, [room, key, capacity, event]).then((answer) => {
      if (typeof answer === 'number' && answer >= 0) return { taken: false, size: answer };
      c.replica.enter(room, key);
      return { taken: true };
    });
  }

  leaveRoom(room: string, key: string): void {
    this.cluster.replica.leave(room, key);
    this.write('leave', SCRIPTS.leave, [room, key, presenceEvent({ op: 'leave', from: this.cluster.node, room, key })]);
  }

  setListedRoom(key: string, room: string): void {
    const c = this.cluster;
    c.replica.setListed(key, room);
    const holder = c.replica.locate(key);
    if (holder === undefined) return;
    this.write('listed', SCRIPTS.listed, [key, holder.who.node, holder.who.session, room, presenceEvent({ op: 'listed', from: c.node, key, room })]);
  }

  userCount(): number {
    return this.cluster.replica.userCount();
  }

  users(): UserEntry[] {
    return this.cluster.replica.users();
  }

  rooms(): RoomEntry[] {
    return this.cluster.replica.rooms();
  }

  private write(what: string, script: Script, args: ReadonlyArray<string | number>): void {
    const c = this.cluster;
    if (!c.writable()) {
      c.missed();
      return;
    }
    c.run(script, args).catch((error: unknown) => c.failed(what, error));
  }
}
