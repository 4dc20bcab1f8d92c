// The server-wide upload queue: at most `slots` uploads store bytes at once; the others wait in
// arrival order and are told their position (1 = next). A waiting upload may be cancelled; a slot is
// released when its upload finishes, fails or its client goes away, and the first waiter gets it.
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
}

export class UploadQueue<Id, Owner> {
  readonly slots: number;
  readonly maxWaiting: number;
  private readonly owners = new Map<Id, Owner>();
  private readonly holding = new Set<Id>();
  private waiters: Id[] = [];

  /** Throws RangeError on a bad option (a programming error; validate user input with checkQueueOptions). */
  constructor(options: UploadQueueOptions = {}) {
    const problem = checkQueueOptions(options);
    if (problem !== undefined) throw new RangeError(problem);
    this.slots = options.slots ?? DEFAULT_UPLOAD_SLOTS;
    this.maxWaiting = options.maxWaiting ?? DEFAULT_MAX_WAITING_UPLOADS;
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

  /** A new upload: granted at once if a slot is free, else queued behind the others. */
  request(id: Id, owner: Owner): EnqueueResult<Id> {
    if (this.owners.has(id)) return { ok: false, message: 'this upload is already queued' };
    if (this.holding.size < this.slots) {
      this.owners.set(id, owner);
      this.holding.add(id);
      return { ok: true, events: [{ type: 'granted', id }] };
    }
    if (this.waiters.length >= this.maxWaiting) {
      return { ok: false, message: `the upload queue is full (${this.maxWaiting} waiting); try again later` };
    }
    this.owners.set(id, owner);
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
      for (const [id, o] of [...this.owners]) if (o === owner) this.forget(id);
    });
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
    let granted = 0;
    while (this.holding.size < this.slots && granted < this.waiters.length) {
      const next = this.waiters[granted] as Id;
      this.holding.add(next);
      events.push({ type: 'granted', id: next });
      granted++;
    }
    if (granted > 0) this.waiters = this.waiters.slice(granted);
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
  return undefined;
}
