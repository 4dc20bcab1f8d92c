// The server's (or a client's) table of transfers in progress: ids that are unique while in use
// (the u32 written in every chunk), who owns each transfer, per-owner bounds per kind (at most N
// downloads per client), and everything an owner holds when it goes away, so nothing leaks.
// Pure; the values are whatever the wiring keeps per transfer (open handles, senders, receivers).
import { DEFAULT_MAX_DOWNLOADS_PER_CLIENT } from './limits.ts';

export type TransferKind =
  /** Server → client: a shared file. */
  | 'download'
  /** Client → server: a file for the shared directory. */
  | 'upload'
  /** Client → server → user: a file sent to someone (either leg). */
  | 'sendfile';

export interface TransferEntry<Owner, T> {
  id: number;
  owner: Owner;
  kind: TransferKind;
  value: T;
}

export type AddResult = { ok: true; id: number } | { ok: false; message: string };

export type TransferLimits = Partial<Record<TransferKind, number>>;

export const DEFAULT_TRANSFER_LIMITS: Readonly<TransferLimits> = Object.freeze({
  download: DEFAULT_MAX_DOWNLOADS_PER_CLIENT,
});

const MAX_ID = 0xffff_ffff;

export class TransferTable<Owner, T> {
  private readonly entries = new Map<number, TransferEntry<Owner, T>>();
  /**
   * The same entries by owner (ids in registration order): an owner's transfers are looked up on every
   * datagram its engine takes in (pumping senders), which must not cost a walk over everyone's.
   */
  private readonly byOwner = new Map<Owner, Map<number, TransferEntry<Owner, T>>>();
  private nextId = 1;

  /** `limits[kind]`: most transfers of that kind one owner may hold (absent: no limit). */
  constructor(private readonly limits: TransferLimits = DEFAULT_TRANSFER_LIMITS) {}

  get size(): number {
    return this.entries.size;
  }

  /** Register a transfer under a fresh id, unless the owner already holds its limit of this kind. */
  add(owner: Owner, kind: TransferKind, value: T): AddResult {
    const limit = this.limits[kind];
    if (limit !== undefined && this.count(owner, kind) >= limit) {
      return { ok: false, message: `at most ${limit} ${kind === 'download' ? 'downloads' : `${kind}s`} at once; wait for one to finish` };
    }
    if (this.entries.size >= MAX_ID) return { ok: false, message: 'too many transfers in progress' };
    const id = this.allocate();
    const entry = { id, owner, kind, value };
    this.entries.set(id, entry);
    let own = this.byOwner.get(owner);
    if (own === undefined) this.byOwner.set(owner, (own = new Map()));
    own.set(id, entry);
    return { ok: true, id };
  }

  get(id: number): TransferEntry<Owner, T> | undefined {
    return this.entries.get(id);
  }

  /** The entry if it exists and belongs to `owner` (a client may only cancel its own transfers). */
  getOwned(id: number, owner: Owner): TransferEntry<Owner, T> | undefined {
    const entry = this.entries.get(id);
    return entry !== undefined && entry.owner === owner ? entry : undefined;
  }

  delete(id: number): TransferEntry<Owner, T> | undefined {
    const entry = this.entries.get(id);
    if (entry === undefined) return undefined;
    this.entries.delete(id);
    const own = this.byOwner.get(entry.owner);
    own?.delete(id);
    if (own?.size === 0) this.byOwner.delete(entry.owner);
    return entry;
  }

  /** Every transfer, in id order of registration. */
  all(): TransferEntry<Owner, T>[] {
    return [...this.entries.values()];
  }

  /** Everyone who holds a transfer. */
  owners(): Owner[] {
    return [...this.byOwner.keys()];
  }

  /** Transfers of `owner` (of one kind, or all). */
  list(owner: Owner, kind?: TransferKind): TransferEntry<Owner, T>[] {
    const own = this.byOwner.get(owner);
    if (own === undefined) return [];
    const entries = [...own.values()];
    return kind === undefined ? entries : entries.filter((e) => e.kind === kind);
  }

  count(owner: Owner, kind?: TransferKind): number {
    return this.list(owner, kind).length;
  }

  /** The owner went away: its transfers leave the table and are returned for the wiring to abort. */
  removeOwner(owner: Owner): TransferEntry<Owner, T>[] {
    const gone = this.list(owner);
    for (const entry of gone) this.entries.delete(entry.id);
    this.byOwner.delete(owner);
    return gone;
  }

  /** The next id not in use, 1 … 2^32 − 1, wrapping. Bounded: fewer than 2^32 − 1 ids are in use. */
  private allocate(): number {
    for (let tries = 0; tries <= this.entries.size; tries++) {
      const id = this.nextId;
      this.nextId = id === MAX_ID ? 1 : id + 1;
      if (!this.entries.has(id)) return id;
    }
    throw new Error('unreachable: a free transfer id always exists');
  }
}
