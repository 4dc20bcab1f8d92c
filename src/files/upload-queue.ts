// The server-wide upload queue: at most `slots` uploads store bytes at once, at most `slotsPerOwner`
// of them one client's; the others wait in arrival order (a waiter whose owner holds its share is
// passed over, keeping its place) and are told their position (1 = first in line). One owner may
// have at most `maxPerOwner` uploads in the queue, storing or waiting. Both shares hold for an
// owner's group too (the clients of one address group together: more sessions gain no share). A waiting upload may be
// cancelled; a slot is released when its upload finishes, fails or its client goes away, and the
// first waiter gets it.
// Pure: the caller maps the events to `<queued>` / `<upload_ok>` replies.
import { DEFAULT_MAX_WAITING_UPLOADS, DEFAULT_UPLOAD_SLOTS } from './limits.ts';

export type QueueEvent<Id> =
  /** `id` may send its bytes now. */
  | { type: 'granted'; id: Id }
  /** `id` waits; `position` uploads are ahead of it counting itself (1 = it is next). */
  | { type: 'position'; id: Id; position: number };

export type EnqueueResult<Id> = { ok: true; events: QueueEvent<Id>[] } | { ok: false; message: string };

export interface UploadQueueOptions {
  /** Uploads stored at once (default DEFAULT_UPLOAD_SLOTS). */
  slots?: number;
  /** Uploads that may wait (default DEFAULT_MAX_WAITING_UPLOADS). */
  maxWaiting?: number;
  /** Slots one owner may hold at once (default: all of them). */
  slotsPerOwner?: number;
  /** Uploads one owner may have queued, storing or waiting (default: no bound but maxWaiting's). */
  maxPerOwner?: number;
}

export class UploadQueue<Id, Owner> {
  readonly slots: number;
  readonly maxWaiting: number;
  readonly slotsPerOwner: number;
  readonly maxPerOwner: number;
  private readonly owners = new Map<Id, { owner: Owner; group: string | undefined }>();
  private readonly holding = new Set<Id>();
  private waiters: Id[] = [];

  /** Throws RangeError on a bad option (a programming error; validate user input with checkQueueOptions). */
  constructor(options: UploadQueueOptions = {}) {
    const problem = checkQueueOptions(options);
    if (problem !== undefined) throw new RangeError(problem);
    this.slots = options.slots ?? DEFAULT_UPLOAD_SLOTS;
    this.maxWaiting = options.maxWaiting ?? DEFAULT_MAX_WAITING_UPLOADS;
    this.slotsPerOwner = options.slotsPerOwner ?? this.slots;
    this.maxPerOwner = options.maxPerOwner ?? Number.POSITIVE_INFINITY;
  }

  /** Uploads holding a slot. */
  get active(): number {
    return this.holding.size;
  }

  /** Uploads waiting for a slot. */
  get waiting(): number {
    return this.waiters.length;
  }

  isActive(id: Id): boolean {
    return this.holding.has(id);
  }

  /** 1-based place in the queue, or undefined when not waiting. */
  positionOf(id: Id): number | undefined {
    const index = this.waiters.indexOf(id);
    return index < 0 ? undefined : index + 1;
  }

  /**
   * A new upload of `owner` (from address group `group`, when known): granted at once if a slot is
   * free and neither holds its share, else queued behind the others.
   */
  request(id: Id, owner: Owner, group?: string): EnqueueResult<Id> {
    if (this.owners.has(id)) return { ok: false, message: 'this upload is already queued' };
    const mine = { owner, group };
    if (this.count(this.owners.keys(), mine, 'owner') >= this.maxPerOwner) {
      return { ok: false, message: `you have ${this.maxPerOwner} uploads in the queue already; wait for one to finish` };
    }
    if (group !== undefined && this.count(this.owners.keys(), mine, 'group') >= this.maxPerOwner) {
      return { ok: false, message: `your address has ${this.maxPerOwner} uploads in the queue already (one share for all its sessions); wait for one to finish` };
    }
    if (this.holding.size < this.slots && !this.holdsShare(mine)) {
      this.owners.set(id, mine);
      this.holding.add(id);
      return { ok: true, events: [{ type: 'granted', id }] };
    }
    if (this.waiters.length >= this.maxWaiting) {
      return { ok: false, message: `the upload queue is full (${this.maxWaiting} waiting); try again later` };
    }
    this.owners.set(id, mine);
    this.waiters.push(id);
    return { ok: true, events: [{ type: 'position', id, position: this.waiters.length }] };
  }

  /** The upload is over (stored, failed, or cancelled while storing): its slot goes to the next waiter. */
  release(id: Id): QueueEvent<Id>[] {
    return this.change(() => this.forget(id));
  }

  /** Cancel an upload, waiting or active; the same as release. Unknown ids are ignored. */
  cancel(id: Id): QueueEvent<Id>[] {
    return this.release(id);
  }

  /** A client went away: all its uploads, waiting or active, leave the queue. */
  releaseOwner(owner: Owner): QueueEvent<Id>[] {
    return this.change(() => {
      for (const [id, o] of [...this.owners]) if (o.owner === owner) this.forget(id);
    });
  }

  /** Uploads among `ids` of the same owner as `mine` (or of its group, when it has one). */
  private count(ids: Iterable<Id>, mine: { owner: Owner; group: string | undefined }, by: 'owner' | 'group'): number {
    let n = 0;
    for (const id of ids) {
      const o = this.owners.get(id);
      if (o === undefined) continue;
      if (by === 'owner' ? o.owner === mine.owner : mine.group !== undefined && o.group === mine.group) n++;
    }
    return n;
  }

  /** Whether the owner of `mine`, or its group, holds its share of slots already. */
  private holdsShare(mine: { owner: Owner; group: string | undefined }): boolean {
    return this.count(this.holding, mine, 'owner') >= this.slotsPerOwner || this.count(this.holding, mine, 'group') >= this.slotsPerOwner;
  }

  private forget(id: Id): void {
    if (!this.owners.delete(id)) return;
    if (!this.holding.delete(id)) this.waiters = this.waiters.filter((w) => w !== id);
  }

  /** Apply a removal, fill free slots in order, and report grants and changed positions. */
  private change(mutate: () => void): QueueEvent<Id>[] {
    const before = new Map(this.waiters.map((id, i) => [id, i + 1]));
    mutate();
    const events: QueueEvent<Id>[] = [];
    const granted = new Set<Id>();
    // One pass in line order (bounded by the waiters): the first waiter whose owner holds less than
    // its share takes each free slot.
    for (const next of this.waiters) {
      if (this.holding.size >= this.slots) break;
      const mine = this.owners.get(next);
      if (mine === undefined || this.holdsShare(mine)) continue;
      this.holding.add(next);
      granted.add(next);
      events.push({ type: 'granted', id: next });
    }
    if (granted.size > 0) this.waiters = this.waiters.filter((id) => !granted.has(id));
    this.waiters.forEach((id, i) => {
      if (before.get(id) !== i + 1) events.push({ type: 'position', id, position: i + 1 });
    });
    return events;
  }
}

/** Why these options are not usable, or undefined. */
export function checkQueueOptions(options: UploadQueueOptions): string | undefined {
  const { slots, maxWaiting } = options;
  if (slots !== undefined && (!Number.isSafeInteger(slots) || slots < 1)) {
    return `upload slots must be a whole number ≥ 1, got ${String(slots)}`;
  }
  if (maxWaiting !== undefined && (!Number.isSafeInteger(maxWaiting) || maxWaiting < 0)) {
    return `waiting uploads must be a whole number ≥ 0, got ${String(maxWaiting)}`;
  }
  for (const [key, value] of [['slotsPerOwner', options.slotsPerOwner], ['maxPerOwner', options.maxPerOwner]] as const) {
    if (value !== undefined && (!Number.isSafeInteger(value) || value < 1)) return `${key} must be a whole number ≥ 1, got ${String(value)}`;
  }
  return undefined;
}
