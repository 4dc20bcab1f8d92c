// A seeded, deterministic, one-direction link: what the network does to datagrams on their way.
// It knows no clock: `now` comes in with every call and `nextDue()` says when the next datagram arrives,
// so the same code drives the virtual-time simulator and a real-time UDP impairment proxy.
//
// A datagram sent at `now` goes through, in order:
//   partition  — dropped while the link is partitioned;
//   bottleneck — with a rate limit, it waits behind the backlog and takes size·8/rate to serialise;
//                if the backlog would exceed the queue, it is tail-dropped;
//   loss       — independent (Bernoulli), or Gilbert–Elliott bursts with the same average rate when
//                `burst` asks for longer runs of losses than independent losses have (1/(1−loss));
//   corruption — 1–3 distinct bits flipped in a copy;
//   delay      — base delay ± uniform jitter, kept in FIFO order (jitter never reorders on its own);
//   reorder    — some datagrams are held back a few ms more, outside the FIFO, so later ones overtake;
//   duplicate  — some datagrams arrive twice (the copy up to a millisecond later).
import {
  CORRUPT_MAX_BITS,
  DEFAULT_QUEUE_BYTES,
  DUPLICATE_SPREAD_MS,
  REORDER_HOLD_MAX_MS,
  REORDER_HOLD_MIN_MS,
} from './constants.ts';
import { TimeHeap } from './heap.ts';
import type { Rng } from './rng.ts';

export interface LinkSettings {
  /** Average fraction of datagrams lost, 0..1. */
  loss: number;
  /** Mean length of a loss burst in datagrams: 1 = independent (Bernoulli) losses, > 1 = Gilbert–Elliott. */
  burst: number;
  /** One-way delay, ms. */
  delayMs: number;
  /** Each datagram's delay is delayMs ± up to jitterMs (uniform), never below 0. */
  jitterMs: number;
  /** Probability that a datagram is delivered twice. */
  dup: number;
  /** Probability that a datagram is held back so that later ones overtake it. */
  reorder: number;
  /** Probability that a datagram has 1–3 bits flipped. */
  corrupt: number;
  /** Bandwidth limit in bits/s, or undefined for none. */
  rateBps: number | undefined;
  /** With a rate limit: bytes that may wait for the link; beyond that, tail drop. */
  queueBytes: number;
  /** While true, every datagram is lost. */
  partition: boolean;
}

export const DEFAULT_LINK_SETTINGS: Readonly<LinkSettings> = Object.freeze({
  loss: 0,
  burst: 1,
  delayMs: 0,
  jitterMs: 0,
  dup: 0,
  reorder: 0,
  corrupt: 0,
  rateBps: undefined,
  queueBytes: DEFAULT_QUEUE_BYTES,
  partition: false,
});

export type DropCause = 'loss' | 'burst' | 'queue' | 'partition';

export interface LinkStats {
  /** Datagrams handed to the link. */
  sent: number;
  sentBytes: number;
  /** Datagrams dropped, by cause: independent loss, a Gilbert–Elliott burst, queue overflow, partition. */
  dropped: Record<DropCause, number>;
  /** Extra copies created. */
  duplicated: number;
  /** Datagrams held back to be overtaken. */
  reordered: number;
  /** Datagrams whose bits were flipped. */
  corrupted: number;
  /** Datagrams (copies included) that came out of poll(). */
  delivered: number;
  deliveredBytes: number;
  /** Datagrams (copies included) on the wire or in the queue now. */
  inFlight: number;
  /** Largest bottleneck backlog seen, bytes. */
  queuePeakBytes: number;
}

const PROBABILITY_FIELDS = ['loss', 'dup', 'reorder', 'corrupt'] as const;

/**
 * Problems with a (partial) settings object, each naming its field; empty when valid. Used by the link
 * itself and by every shell that builds settings from user input, so the rules live in one place.
 */
export function checkLinkSettings(settings: Partial<LinkSettings>): string[] {
  const errors: string[] = [];
  const finite = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
  for (const field of PROBABILITY_FIELDS) {
    const v = settings[field];
    if (v !== undefined && (!finite(v) || v < 0 || v > 1)) errors.push(`${field} must be a number between 0 and 1 (got ${String(v)})`);
  }
  if (settings.burst !== undefined && (!finite(settings.burst) || settings.burst < 1)) {
    errors.push(`burst must be a mean burst length of at least 1 datagram (got ${String(settings.burst)})`);
  }
  for (const field of ['delayMs', 'jitterMs'] as const) {
    const v = settings[field];
    if (v !== undefined && (!finite(v) || v < 0)) errors.push(`${field} must be a non-negative number of ms (got ${String(v)})`);
  }
  if (settings.rateBps !== undefined && (!finite(settings.rateBps) || settings.rateBps <= 0)) {
    errors.push(`rateBps must be a positive number of bits/s, or left out for no limit (got ${String(settings.rateBps)})`);
  }
  if (settings.queueBytes !== undefined && (!finite(settings.queueBytes) || settings.queueBytes < 0)) {
    errors.push(`queueBytes must be a non-negative number of bytes (got ${String(settings.queueBytes)})`);
  }
  if (settings.partition !== undefined && typeof settings.partition !== 'boolean') {
    errors.push(`partition must be true or false (got ${String(settings.partition)})`);
  }
  return errors;
}

/** Merges a partial update into full settings, keeping an explicit `rateBps: undefined` (no limit). */
export function mergeLinkSettings(base: Readonly<LinkSettings>, update: Partial<LinkSettings>): LinkSettings {
  const out: LinkSettings = { ...base };
  for (const key of Object.keys(update) as (keyof LinkSettings)[]) {
    if (key === 'rateBps') out.rateBps = update.rateBps;
    else if (update[key] !== undefined) (out as unknown as Record<string, unknown>)[key] = update[key];
  }
  return out;
}

/** Gilbert–Elliott transition probabilities for an average loss and a mean burst length. */
export interface BurstModel {
  /** P(good → bad) per datagram. */
  enterBad: number;
  /** P(bad → good) per datagram; the mean burst length is 1 / leaveBad. */
  leaveBad: number;
}

/**
 * Mean length of a run of consecutive losses when losses are independent: 1/(1−loss) (1.11 at 10%).
 * A `burst` at or below this asks for nothing burstier than independent losses.
 */
export function independentBurstLength(loss: number): number {
  return loss >= 1 ? Infinity : 1 / (1 - loss);
}

/**
 * The two-state chain (lose everything in Bad, nothing in Good) whose stationary loss is `loss` and
 * whose bursts average `burst` datagrams: leaveBad = 1/burst, enterBad = loss·leaveBad/(1−loss).
 * Undefined when losses are simply independent (Bernoulli): no loss, total loss, or a burst length
 * not above independentBurstLength(loss). (Shorter bursts would make losses avoid each other — at 50%
 * loss and burst 1, strict alternation — a pattern no real link has.) For burst above that length,
 * enterBad ≤ loss ≤ 1, so the chain always exists.
 */
export function burstModel(loss: number, burst: number): BurstModel | undefined {
  if (loss <= 0 || loss >= 1 || burst <= independentBurstLength(loss)) return undefined;
  const leaveBad = 1 / burst;
  return { enterBad: (loss * leaveBad) / (1 - loss), leaveBad };
}

/** All-zero link counters (also the starting point for sums over several links). */
export function emptyLinkStats(): LinkStats {
  return {
    sent: 0,
    sentBytes: 0,
    dropped: { loss: 0, burst: 0, queue: 0, partition: 0 },
    duplicated: 0,
    reordered: 0,
    corrupted: 0,
    delivered: 0,
    deliveredBytes: 0,
    inFlight: 0,
    queuePeakBytes: 0,
  };
}

export class Link {
  private settings: LinkSettings;
  /** Gilbert–Elliott parameters, or undefined for independent losses. */
  private model: BurstModel | undefined;
  private inBadState = false;
  /** When the bottleneck finishes serialising everything accepted so far. */
  private busyUntil = -Infinity;
  /** Latest arrival time handed to an in-order datagram: jitter never reorders. */
  private lastInOrderArrival = -Infinity;
  private readonly wire = new TimeHeap<Uint8Array>();
  private readonly counters: LinkStats = emptyLinkStats();

  /** Throws a TypeError on invalid settings: shells validate user input with checkLinkSettings first. */
  constructor(
    settings: Partial<LinkSettings>,
    private readonly rng: Rng,
  ) {
    this.settings = Link.validated(mergeLinkSettings(DEFAULT_LINK_SETTINGS, settings));
    this.model = burstModel(this.settings.loss, this.settings.burst);
  }

  private static validated(settings: LinkSettings): LinkSettings {
    const errors = checkLinkSettings(settings);
    if (errors.length > 0) throw new TypeError(`invalid link settings: ${errors.join('; ')}`);
    return settings;
  }

  /** Current settings (a copy). */
  current(): LinkSettings {
    return { ...this.settings };
  }

  /** Change some settings from now on; datagrams already on the wire keep their fate. */
  update(settings: Partial<LinkSettings>): void {
    this.settings = Link.validated(mergeLinkSettings(this.settings, settings));
    this.model = burstModel(this.settings.loss, this.settings.burst);
  }

  /**
   * Put a datagram on the link at `now`. The link keeps a reference to it (a corrupted one is copied
   * first): do not modify it afterwards.
   */
  send(datagram: Uint8Array, now: number): void {
    const s = this.settings;
    const c = this.counters;
    c.sent++;
    c.sentBytes += datagram.length;

    if (s.partition) {
      c.dropped.partition++;
      return;
    }

    let departure = now;
    if (s.rateBps !== undefined) {
      const backlogBytes = this.busyUntil > now ? ((this.busyUntil - now) * s.rateBps) / 8000 : 0;
      if (backlogBytes > 0 && backlogBytes + datagram.length > s.queueBytes) {
        c.dropped.queue++;
        return;
      }
      const start = this.busyUntil > now ? this.busyUntil : now;
      departure = start + (datagram.length * 8000) / s.rateBps;
      this.busyUntil = departure;
      // The backlog drains continuously (rate × time); a byte count is reported whole.
      const queued = Math.ceil(backlogBytes) + datagram.length;
      if (queued > c.queuePeakBytes) c.queuePeakBytes = queued;
    }

    if (s.loss > 0) {
      const model = this.model;
      if (model === undefined) {
        if (this.rng.chance(s.loss)) {
          c.dropped.loss++;
          return;
        }
      } else {
        if (this.inBadState) {
          if (this.rng.chance(model.leaveBad)) this.inBadState = false;
        } else if (this.rng.chance(model.enterBad)) {
          this.inBadState = true;
        }
        if (this.inBadState) {
          c.dropped.burst++;
          return;
        }
      }
    }

    let bytes = datagram;
    if (s.corrupt > 0 && datagram.length > 0 && this.rng.chance(s.corrupt)) {
      bytes = this.flipBits(datagram);
      c.corrupted++;
    }

    let arrival = departure + s.delayMs;
    if (s.jitterMs > 0) arrival += (2 * this.rng.next() - 1) * s.jitterMs;
    if (arrival < departure) arrival = departure;

    if (s.reorder > 0 && this.rng.chance(s.reorder)) {
      arrival += this.rng.between(REORDER_HOLD_MIN_MS, REORDER_HOLD_MAX_MS);
      c.reordered++;
    } else {
      if (arrival < this.lastInOrderArrival) arrival = this.lastInOrderArrival;
      this.lastInOrderArrival = arrival;
    }
    this.wire.push(arrival, bytes);
    c.inFlight++;

    if (s.dup > 0 && this.rng.chance(s.dup)) {
      this.wire.push(arrival + this.rng.next() * DUPLICATE_SPREAD_MS, bytes.slice());
      c.duplicated++;
      c.inFlight++;
    }
  }

  /** The next datagram due at or before `now`, or undefined. Call until undefined. */
  poll(now: number): Uint8Array | undefined {
    const due = this.wire.peekTime();
    if (due === undefined || due > now) return undefined;
    const d = this.wire.pop() as Uint8Array;
    const c = this.counters;
    c.delivered++;
    c.deliveredBytes += d.length;
    c.inFlight--;
    return d;
  }

  /** When the next datagram arrives, or undefined when nothing is on the wire. */
  nextDue(): number | undefined {
    return this.wire.peekTime();
  }

  stats(): LinkStats {
    const c = this.counters;
    return { ...c, dropped: { ...c.dropped } };
  }

  /** A copy with 1..CORRUPT_MAX_BITS distinct bits flipped. */
  private flipBits(datagram: Uint8Array): Uint8Array {
    const copy = datagram.slice();
    const bits = copy.length * 8;
    const count = Math.min(bits, 1 + this.rng.int(CORRUPT_MAX_BITS));
    const chosen: number[] = [];
    for (let k = 0; k < count; k++) {
      let bit = this.rng.int(bits);
      // Distinct positions: step past ones already flipped (at most CORRUPT_MAX_BITS steps).
      for (let guard = 0; guard < CORRUPT_MAX_BITS && chosen.includes(bit); guard++) bit = (bit + 1) % bits;
      chosen.push(bit);
      copy[bit >> 3] = (copy[bit >> 3] as number) ^ (1 << (bit & 7));
    }
    return copy;
  }
}
