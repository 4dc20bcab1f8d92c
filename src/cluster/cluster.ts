// One node's membership of a chat of several (`--redis`): its connections to Redis, its heartbeat, the
// reaping of nodes that died, the replica of the cluster's presence kept from the channel, and the
// outage: a lost link is said (log, users), the node serves its own users meanwhile, and when the link is
// back it states its presence again and reads everyone else's (restore). The hub sees only the Presence
// and the Bus; the server gets the other nodes' bus events and the users who went (hooks).
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { NodeId } from '../chat/ids.ts';
import type { BusEvent } from '../chat/ports.ts';
import { RedisBus } from './bus.ts';
import { HEARTBEAT_INTERVAL_MS, HEARTBEAT_TTL_MS, KEY_PREFIX } from './constants.ts';
import { decodeEvent, encodeEvent, type PresenceEvent } from './events.ts';
import { RedisLink } from './link.ts';
import { LINK_BACK_NOTICE, LINK_LOST_NOTICE } from './notices.ts';
import { RedisPresence } from './presence.ts';
import { describeTarget, type RedisTarget } from './redis-url.ts';
import { PresenceReplica, type GoneUser, type PresenceSnapshot } from './replica.ts';
import { SCRIPTS, type Script } from './scripts.ts';

/**
 * Presence events held while a snapshot is being read (they are applied after it). A snapshot takes
 * milliseconds; should a flood outgrow this, the events are let go and the snapshot read again.
 */
export const SYNC_BUFFER_MAX_EVENTS = 100_000;

/** Times a restore states the node's presence again when it changed meanwhile, or reads a snapshot again after an overflow. */
const RESTORE_ATTEMPTS = 3;

export interface ClusterOptions {
  target: RedisTarget;
  node: NodeId;
  logger: Logger;
}

/** What the cluster needs of the server once it is running. */
export interface ClusterHooks {
  /** Another node's room or user event. */
  fromBus(event: BusEvent): void;
  /** Users of another node went without their goodbyes (their node died, or its state was re-read). */
  usersGone(gone: readonly GoneUser[]): void;
  /** Say `text` to every user of this node. */
  tellEveryone(text: string): void;
  /** `event` did not reach the other nodes. */
  dropped(event: BusEvent): void;
}

export type ClusterState = 'up' | 'down' | 'syncing';

export interface ClusterStatus {
  node: NodeId;
  redis: string;
  state: ClusterState;
  /** Live nodes, this one included (as of the last heartbeat, and the nodes heard joining and leaving since). */
  nodes: number;
  users: number;
  rooms: number;
  published: number;
  dropped: number;
  /** Nodes this one found dead (and reaped) since it started. */
  reaped: number;
}

/** Why a node cannot join the cluster: one line for the operator. */
export class ClusterStartError extends Error {}

export class Cluster {
  readonly replica: PresenceReplica;
  readonly presence: RedisPresence;
  readonly bus: RedisBus;
  private link!: RedisLink;
  private state: ClusterState = 'syncing';
  private hooks: ClusterHooks | undefined;
  private readonly token = randomBytes(8).toString('hex');
  private readonly channel: string;
  private buffer: PresenceEvent[] = [];
  private overflowed = false;
  /** A change was made while not writable: the next restore states the node again. */
  private dirty = false;
  private restoring: Promise<void> | undefined;
  private ticking = false;
  private timer: NodeJS.Timeout | undefined;
  /** The live nodes, this one included: read at every beat, kept between beats from `hello` and `gone`. */
  private readonly liveNodes = new Set<NodeId>();
  private reaped = 0;
  private idTakenLogged = false;

  private constructor(private readonly options: ClusterOptions) {
    this.replica = new PresenceReplica(options.node);
    this.liveNodes.add(options.node);
    // Channels are not per database in Redis: the database number is in the channel's name.
    this.channel = `${KEY_PREFIX}${options.target.db}:events`;
    const cluster = this;
    this.presence = new RedisPresence({
      replica: this.replica,
      node: options.node,
      writable: () => this.state === 'up' && this.link.up,
      run: (script, args) => this.run(script, args),
      missed: () => {
        this.dirty = true;
      },
      failed: (what, error) => {
        this.dirty = true;
        options.logger.warn({ op: what, err: messageOf(error) }, 'cluster write failed; the node states its presence again when the link is back');
      },
    });
    this.bus = new RedisBus({
      replica: this.replica,
      connected: () => cluster.state === 'up' && cluster.link.up,
      publish: (text) => cluster.link.publish(text),
      dropped: (event) => cluster.hooks?.dropped(event),
    });
  }

  /**
   * Join the chat of the Redis at `target` as `node`: connect, register the node id (refused when a live
   * node holds it), read the presence. Rejects with a ClusterStartError (nothing left open).
   */
  static async open(options: ClusterOptions): Promise<Cluster> {
    const cluster = new Cluster(options);
    const where = describeTarget(options.target);
    try {
      cluster.link = await RedisLink.open(options.target, cluster.channel, {
        up: () => cluster.linkUp(),
        down: (reason) => cluster.linkDown(reason),
        message: (text) => cluster.heard(text),
      });
    } catch (error) {
      throw new ClusterStartError(`cannot reach Redis at ${where}: ${messageOf(error)}`);
    }
    try {
      await cluster.link.loadScripts(Object.values(SCRIPTS));
      const registered = await cluster.run(SCRIPTS.register, [options.node, cluster.token, HEARTBEAT_TTL_MS]);
      if (registered !== 1) {
        throw new ClusterStartError(
          `node id ${options.node} is in use by a running node of the chat at ${where} (a node that stopped frees its id at once, one that died within ${HEARTBEAT_TTL_MS / 1000} s): choose another --node-id`,
        );
      }
      await cluster.readSnapshot();
      await cluster.reapDead();
    } catch (error) {
      await cluster.link.close();
      throw error instanceof ClusterStartError ? error : new ClusterStartError(`cannot join the chat at ${where}: ${messageOf(error)}`);
    }
    cluster.state = 'up';
    cluster.timer = setInterval(() => cluster.tick(), HEARTBEAT_INTERVAL_MS);
    options.logger.info({ node: options.node, redis: where, nodes: cluster.liveNodes.size, users: cluster.replica.userCount() }, 'cluster joined');
    return cluster;
  }

  /** The server's parts, once they exist (events before this concern nobody here yet). */
  attach(hooks: ClusterHooks): void {
    this.hooks = hooks;
  }

  status(): ClusterStatus {
    return {
      node: this.options.node,
      redis: describeTarget(this.options.target),
      state: this.state,
      nodes: this.liveNodes.size,
      users: this.replica.userCount(),
      rooms: this.replica.rooms().length,
      published: this.bus.published,
      dropped: this.bus.droppedCount,
      reaped: this.reaped,
    };
  }

  /** Leave the chat: free this node's names and id at once (the others are told), close the link. */
  async close(): Promise<void> {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    if (this.link.up) {
      try {
        await this.run(SCRIPTS.unregister, [this.options.node]);
      } catch (error) {
        this.options.logger.warn({ err: messageOf(error) }, 'could not unregister from the cluster; its heartbeat expires by itself');
      }
    }
    this.state = 'down';
    await this.link.close();
  }

  private run(script: Script, args: ReadonlyArray<string | number>): Promise<unknown> {
    return this.link.run(script, KEY_PREFIX, args);
  }

  private heard(text: string): void {
    const decoded = decodeEvent(text);
    if (!decoded.ok) {
      this.options.logger.warn({ reason: decoded.reason, length: text.length }, 'cluster event refused');
      return;
    }
    const { event } = decoded;
    if (event.t === 'bus') {
      if (event.event.from !== this.options.node) this.hooks?.fromBus(event.event);
      return;
    }
    if (this.state === 'syncing') {
      if (this.buffer.length < SYNC_BUFFER_MAX_EVENTS) this.buffer.push(event.event);
      else this.overflowed = true;
      return;
    }
    this.applyPresence(event.event);
  }

  private applyPresence(event: PresenceEvent): void {
    if (event.op === 'hello') this.liveNodes.add(event.from);
    if (event.op === 'gone' && event.node !== this.options.node) this.liveNodes.delete(event.node);
    const gone = this.replica.apply(event);
    if (event.op === 'gone' && event.node !== this.options.node) {
      this.options.logger.warn({ node: event.node, users: gone.length, by: event.from }, 'cluster node gone: its users left every room');
    }
    if (gone.length > 0) this.hooks?.usersGone(gone);
  }

  /** The presence as Redis holds it now, with what was heard meanwhile applied after it. */
  private async readSnapshot(): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      this.buffer = [];
      this.overflowed = false;
      const raw = await this.run(SCRIPTS.snapshot, []);
      if (this.overflowed && attempt < RESTORE_ATTEMPTS) continue;
      const gone = this.replica.load(parseSnapshot(raw));
      if (gone.length > 0) this.hooks?.usersGone(gone);
      const held = this.buffer;
      this.buffer = [];
      for (const event of held) this.applyPresence(event);
      return;
    }
  }

  private linkDown(reason: string): void {
    this.state = 'down';
    this.options.logger.warn({ redis: describeTarget(this.options.target), reason }, 'cluster link lost: serving this node\'s users; chat with other nodes dropped until it is back; reconnecting');
    this.hooks?.tellEveryone(LINK_LOST_NOTICE);
  }

  private linkUp(): void {
    this.restore('link back').then(
      () => {
        this.options.logger.info({ redis: describeTarget(this.options.target), users: this.replica.userCount(), nodes: this.liveNodes.size }, 'cluster link restored: presence stated again');
        this.hooks?.tellEveryone(LINK_BACK_NOTICE);
      },
      () => undefined,
    );
  }

  /**
   * State this node's presence again (what Redis held of it replaced), then read everyone else's: after
   * an outage, or when the heartbeat had lapsed. Writable again only when done; a failure leaves it to
   * the next heartbeat.
   */
  private restore(why: string): Promise<void> {
    this.restoring ??= (async () => {
      this.state = 'syncing';
      try {
        await this.link.loadScripts(Object.values(SCRIPTS));
        const beat = await this.run(SCRIPTS.beat, [this.options.node, this.token, HEARTBEAT_TTL_MS]);
        if (beat === -1) this.idTaken();
        for (let attempt = 1; attempt <= RESTORE_ATTEMPTS; attempt++) {
          this.dirty = false;
          await this.stateOwn();
          if (!this.dirty) break;
        }
        await this.readSnapshot();
        this.state = this.link.up ? 'up' : 'down';
      } catch (error) {
        this.state = 'down';
        this.options.logger.warn({ why, err: messageOf(error) }, 'cluster restore failed; trying again at the next heartbeat');
        throw error;
      } finally {
        this.restoring = undefined;
      }
    })();
    return this.restoring;
  }

  /** Write this node's users to Redis (replacing what it held of this node) and tell the others. */
  private async stateOwn(): Promise<void> {
    const users = this.replica.ownUsers();
    const conflicts = await this.run(SCRIPTS.sync, [this.options.node, JSON.stringify(users)]);
    const lost = new Set(Array.isArray(conflicts) ? conflicts.filter((k): k is string => typeof k === 'string') : []);
    if (lost.size > 0) this.options.logger.warn({ names: [...lost] }, 'names taken on another node while this node was away: both keep them until one leaves; messages to them go to the other node');
    const event: PresenceEvent = { op: 'sync', from: this.options.node, users: users.filter((u) => !lost.has(u.key)) };
    await this.link.publish(encodeEvent({ t: 'presence', event }));
  }

  /** Every beat: renew the heartbeat, reap dead nodes, and finish a restore that is due. */
  private tick(): void {
    if (this.ticking || !this.link.up) return;
    this.ticking = true;
    void this.beat().finally(() => {
      this.ticking = false;
    });
  }

  private async beat(): Promise<void> {
    try {
      if (this.state !== 'up') {
        if (this.restoring === undefined) this.linkUp();
        return;
      }
      const beat = await this.run(SCRIPTS.beat, [this.options.node, this.token, HEARTBEAT_TTL_MS]);
      if (beat === -1) this.idTaken();
      if (beat === 0) {
        this.options.logger.warn({ node: this.options.node }, 'cluster heartbeat had lapsed (the node was too busy, or Redis restarted): stating presence again');
        await this.restore('heartbeat lapsed').catch(() => undefined);
        return;
      }
      await this.reapDead();
    } catch (error) {
      this.options.logger.debug({ err: messageOf(error) }, 'cluster heartbeat failed');
    }
  }

  /** Reap the nodes whose heartbeat is gone, and learn which are alive. */
  private async reapDead(): Promise<void> {
    const reaped = await this.run(SCRIPTS.reapDead, [this.options.node]);
    if (!Array.isArray(reaped)) return;
    const [dead, live] = reaped as [unknown, unknown];
    if (Array.isArray(dead)) this.reaped += dead.length;
    if (!Array.isArray(live)) return;
    this.liveNodes.clear();
    this.liveNodes.add(this.options.node);
    for (const n of live) if (typeof n === 'string') this.liveNodes.add(n);
  }

  private idTaken(): void {
    if (this.idTakenLogged) return;
    this.idTakenLogged = true;
    this.options.logger.error({ node: this.options.node }, 'another process runs with this node id: two nodes with one --node-id confuse the chat; stop one');
  }
}

/** The snapshot script's answer read (entries of an unexpected shape are skipped). */
function parseSnapshot(raw: unknown): PresenceSnapshot {
  const snapshot: PresenceSnapshot = { users: [], members: [] };
  if (!Array.isArray(raw)) return snapshot;
  const [names, rooms] = raw as [unknown, unknown];
  if (Array.isArray(names)) {
    for (let i = 0; i + 1 < names.length; i += 2) {
      const key: unknown = names[i];
      const holder = parseHolder(names[i + 1]);
      if (typeof key === 'string' && holder !== undefined) snapshot.users.push({ key, name: holder.name, who: { node: holder.node, session: holder.session }, room: holder.room });
    }
  }
  if (Array.isArray(rooms)) {
    for (let i = 0; i + 1 < rooms.length; ) {
      const room: unknown = rooms[i];
      const count: unknown = rooms[i + 1];
      if (typeof room !== 'string' || typeof count !== 'number') break;
      const keys = rooms.slice(i + 2, i + 2 + count).filter((k): k is string => typeof k === 'string');
      snapshot.members.push({ room, keys });
      i += 2 + count;
    }
  }
  return snapshot;
}

function parseHolder(text: unknown): { name: string; node: string; session: number; room: string } | undefined {
  if (typeof text !== 'string') return undefined;
  try {
    const v: unknown = JSON.parse(text);
    if (typeof v !== 'object' || v === null) return undefined;
    const { name, node, session, room } = v as Record<string, unknown>;
    if (typeof name !== 'string' || typeof node !== 'string' || typeof session !== 'number') return undefined;
    return { name, node, session, room: typeof room === 'string' ? room : '' };
  } catch {
    return undefined;
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** `<stats>` lines: the node and the cluster first (everyone sees it), then the bus's figures (operators). */
export function clusterLines(s: ClusterStatus): string[] {
  return [
    `cluster: node ${s.node} of ${s.nodes} node${s.nodes === 1 ? '' : 's'}, ${s.users} user${s.users === 1 ? '' : 's'} and ${s.rooms} room${s.rooms === 1 ? '' : 's'} in the chat, link to ${s.redis} ${s.state}`,
    `cluster bus: ${s.published} events published, ${s.dropped} dropped (the link was down), ${s.reaped} dead nodes reaped by this node`,
  ];
}
