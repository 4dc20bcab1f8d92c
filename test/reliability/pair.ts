// A deterministic two-endpoint harness: two engines, a virtual clock and a small seeded lossy
// link per direction (loss, duplication, reordering, corruption, delay/jitter, optional
// bandwidth with a drop-tail queue). Corrupted packets go through the real datagram codec, whose
// CRC rejects them — as the UDP shell would. Everything is bounded in steps and virtual time.

import { Connection } from '../../src/reliability/connection.ts';
import { decodePacket, type DecodedPacket } from '../../src/reliability/packet.ts';
import type { EngineConfig } from '../../src/reliability/config.ts';
import type { ChannelId, EngineEvent } from '../../src/reliability/types.ts';
import { decodeDatagram, encodeDatagram } from '../../src/wire/codec.ts';

/** mulberry32: tiny, fast, good enough for tests; seeded, so runs repeat exactly. */
export class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0;
  }
  next(): number {
    let t = (this.s = (this.s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  chance(p: number): boolean {
    return p > 0 && this.next() < p;
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
}

export interface LinkConfig {
  lossRate?: number;
  duplicateRate?: number;
  /** Probability a packet is held back by reorderDelayMs extra. */
  reorderRate?: number;
  reorderDelayMs?: number;
  /** Probability one bit is flipped (the codec's CRC then drops the datagram). */
  corruptRate?: number;
  /** One-way propagation delay. */
  delayMs?: number;
  jitterMs?: number;
  /** Serialisation rate; unlimited when absent. */
  bandwidthBytesPerMs?: number;
  /** Drop-tail queue in front of the bandwidth limit. */
  queueBytes?: number;
  /** Drop everything (a dead path). */
  down?: boolean;
}

interface InFlight {
  at: number;
  order: number;
  to: 0 | 1;
  bytes: Uint8Array;
}

/** Binary min-heap on (at, order). */
class ArrivalQueue {
  private heap: InFlight[] = [];
  get length(): number {
    return this.heap.length;
  }
  peek(): InFlight | undefined {
    return this.heap[0];
  }
  push(x: InFlight): void {
    const h = this.heap;
    h.push(x);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      const parent = h[p] as InFlight;
      if (parent.at < x.at || (parent.at === x.at && parent.order < x.order)) break;
      h[i] = parent;
      i = p;
    }
    h[i] = x;
  }
  pop(): InFlight | undefined {
    const h = this.heap;
    const top = h[0];
    const last = h.pop();
    if (h.length > 0 && last !== undefined) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        let mv: InFlight = last;
        const lv = h[l];
        const rv = h[r];
        if (lv !== undefined && (lv.at < mv.at || (lv.at === mv.at && lv.order < mv.order))) {
          m = l;
          mv = lv;
        }
        if (rv !== undefined && (rv.at < mv.at || (rv.at === mv.at && rv.order < mv.order))) {
          m = r;
          mv = rv;
        }
        if (m === i) break;
        h[i] = mv;
        i = m;
      }
      h[i] = last;
    }
    return top;
  }
}

export interface Delivered {
  channel: ChannelId;
  data: Uint8Array;
  at: number;
}

export interface LinkStats {
  sent: number;
  dropped: number;
  duplicated: number;
  corrupted: number;
  queueDrops: number;
}

export interface PairOptions {
  seed: number;
  config?: Partial<EngineConfig>;
  configA?: Partial<EngineConfig>;
  configB?: Partial<EngineConfig>;
  /** Link for both directions, or per direction. */
  link?: LinkConfig;
  linkAB?: LinkConfig;
  linkBA?: LinkConfig;
  startTime?: number;
  /** Poll events automatically (default true). False: the test drains them itself. */
  autoPollEvents?: boolean;
}

export interface RunLimits {
  maxSteps?: number;
  /** Stop at this virtual time. */
  until?: number;
}

export class TestPair {
  now: number;
  readonly a: Connection;
  readonly b: Connection;
  readonly ends: [Connection, Connection];
  links: [LinkConfig, LinkConfig];
  readonly linkStats: [LinkStats, LinkStats] = [
    { sent: 0, dropped: 0, duplicated: 0, corrupted: 0, queueDrops: 0 },
    { sent: 0, dropped: 0, duplicated: 0, corrupted: 0, queueDrops: 0 },
  ];
  /** Messages delivered at A (index 0) and B (index 1). */
  readonly delivered: [Delivered[], Delivered[]] = [[], []];
  readonly lostEvents: [number, number] = [0, 0];
  readonly rng: Rng;
  /** Called for every packet a side transmits (before the link), e.g. to inspect it. */
  onTransmit: ((from: 0 | 1, bytes: Uint8Array) => void) | undefined = undefined;
  /** Drop a transmitted packet on purpose when this returns true (targeted loss). */
  dropIf: ((from: 0 | 1, bytes: Uint8Array) => boolean) | undefined = undefined;
  steps = 0;
  private readonly queue = new ArrivalQueue();
  private order = 0;
  private readonly busyUntil: [number, number] = [0, 0];
  private readonly autoPoll: boolean;

  constructor(opts: PairOptions) {
    this.now = opts.startTime ?? 0;
    this.rng = new Rng(opts.seed);
    this.a = new Connection({ ...opts.config, ...opts.configA }, this.now);
    this.b = new Connection({ ...opts.config, ...opts.configB }, this.now);
    this.ends = [this.a, this.b];
    this.links = [opts.linkAB ?? opts.link ?? {}, opts.linkBA ?? opts.link ?? {}];
    this.autoPoll = opts.autoPollEvents ?? true;
  }

  setLink(link: LinkConfig): void {
    this.links = [link, link];
  }

  /** Queue a message at side `from` (0 = A, 1 = B). */
  send(from: 0 | 1, channel: ChannelId, data: Uint8Array): boolean {
    return this.ends[from].send(channel, data, this.now);
  }

  /** Drain one side's events into `delivered`. */
  pollEvents(side: 0 | 1): EngineEvent[] {
    const out: EngineEvent[] = [];
    for (let ev = this.ends[side].pollEvent(); ev !== undefined; ev = this.ends[side].pollEvent()) {
      out.push(ev);
      if (ev.type === 'message') this.delivered[side].push({ channel: ev.channel, data: ev.data, at: this.now });
      else this.lostEvents[side]++;
    }
    return out;
  }

  private transmit(from: 0 | 1): void {
    const conn = this.ends[from];
    for (let i = 0; i < 100_000; i++) {
      const pkt = conn.pollTransmit(this.now);
      if (pkt === undefined) return;
      this.onTransmit?.(from, pkt);
      this.toLink(from, pkt);
    }
    throw new Error('pollTransmit never ran dry');
  }

  private toLink(from: 0 | 1, pkt: Uint8Array): void {
    const link = this.links[from];
    const stats = this.linkStats[from];
    const to: 0 | 1 = from === 0 ? 1 : 0;
    stats.sent++;
    if (link.down === true || this.dropIf?.(from, pkt) === true || this.rng.chance(link.lossRate ?? 0)) {
      stats.dropped++;
      return;
    }
    let departure = this.now;
    const bw = link.bandwidthBytesPerMs;
    if (bw !== undefined) {
      const start = Math.max(this.now, this.busyUntil[from]);
      const queued = (start - this.now) * bw;
      if (link.queueBytes !== undefined && queued + pkt.length > link.queueBytes) {
        stats.queueDrops++;
        return;
      }
      departure = start + pkt.length / bw;
      this.busyUntil[from] = departure;
    }
    const copies = this.rng.chance(link.duplicateRate ?? 0) ? 2 : 1;
    if (copies === 2) stats.duplicated++;
    for (let c = 0; c < copies; c++) {
      let bytes = pkt;
      if (this.rng.chance(link.corruptRate ?? 0)) {
        // Through the real codec: flip one bit of the datagram, let the CRC judge.
        const dgram = encodeDatagram({ type: 'data', connectionId: 7, body: pkt });
        const bit = this.rng.int(dgram.length * 8);
        dgram[bit >> 3] = (dgram[bit >> 3] ?? 0) ^ (1 << (bit & 7));
        const decoded = decodeDatagram(dgram);
        stats.corrupted++;
        if (!decoded.ok) continue;
        bytes = decoded.datagram.body;
      }
      let at = departure + (link.delayMs ?? 0) + (link.jitterMs !== undefined ? this.rng.next() * link.jitterMs : 0);
      if (this.rng.chance(link.reorderRate ?? 0)) at += link.reorderDelayMs ?? 5;
      this.queue.push({ at, order: this.order++, to, bytes });
    }
  }

  /** Put bytes on the wire to side `to`, arriving at time `at` (replays, forgeries, delays). */
  inject(to: 0 | 1, bytes: Uint8Array, at: number): void {
    this.queue.push({ at, order: this.order++, to, bytes });
  }

  /** Earliest thing that will happen, or undefined when both sides and the link are idle. */
  nextEventTime(): number | undefined {
    let t = this.queue.peek()?.at;
    for (const conn of this.ends) {
      const w = conn.pollTimeout();
      if (w !== undefined && (t === undefined || w < t)) t = w;
    }
    return t;
  }

  /**
   * Run until `done()` holds, both sides go idle for good, or a limit is hit. Returns whether
   * `done()` held at the end.
   */
  run(done: () => boolean, limits: RunLimits = {}): boolean {
    const maxSteps = limits.maxSteps ?? 2_000_000;
    const until = limits.until ?? Infinity;
    let stalled = 0;
    for (let i = 0; i < maxSteps; i++) {
      this.steps++;
      const before = this.now;
      const sentBefore = this.linkStats[0].sent + this.linkStats[1].sent;
      this.transmit(0);
      this.transmit(1);
      if (this.autoPoll) {
        this.pollEvents(0);
        this.pollEvents(1);
      }
      if (done()) return true;
      const next = this.nextEventTime();
      if (next === undefined) return done();
      if (next > until) {
        this.now = Math.max(this.now, until);
        return done();
      }
      if (next > this.now) this.now = next;
      for (let n = 0; n < 1_000_000; n++) {
        const head = this.queue.peek();
        if (head === undefined || head.at > this.now) break;
        this.queue.pop();
        this.ends[head.to].handlePacket(head.bytes, this.now);
        // The shell drains after every packet, as a UDP endpoint would.
        this.transmit(head.to);
      }
      for (const conn of this.ends) {
        const w = conn.pollTimeout();
        if (w !== undefined && w <= this.now) conn.handleTimeout(this.now);
      }
      // An engine that keeps asking to be woken "now" without doing anything is a livelock.
      const progressed = this.now !== before || this.linkStats[0].sent + this.linkStats[1].sent !== sentBefore;
      stalled = progressed ? 0 : stalled + 1;
      if (stalled > 1_000) throw new Error(`livelock at t=${this.now}: timers fire without progress`);
    }
    return done();
  }

  /** Advance the clock by `ms`, running everything that happens meanwhile. */
  runFor(ms: number, maxSteps?: number): void {
    const end = this.now + ms;
    this.run(() => false, { until: end, maxSteps });
    this.now = Math.max(this.now, end);
  }
}

/** Deterministic message bodies: `len` bytes derived from (tag, index). */
export function makePayload(tag: number, index: number, len: number): Uint8Array {
  const out = new Uint8Array(len);
  let x = (Math.imul(tag + 1, 0x9e3779b1) ^ Math.imul(index + 1, 0x85ebca6b)) >>> 0;
  for (let i = 0; i < len; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  if (len >= 8) {
    new DataView(out.buffer).setUint32(0, tag >>> 0);
    new DataView(out.buffer).setUint32(4, index >>> 0);
  }
  return out;
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** The engine packet in `bytes`; a packet the engine sent that does not decode fails the test. */
export function decoded(bytes: Uint8Array): DecodedPacket {
  const d = decodePacket(bytes);
  if (!d.ok) throw new Error(`engine sent an undecodable packet: ${d.reason}`);
  return d.packet;
}

/** Run a pair until both sides are quiet: nothing queued or in flight (at most `ms` more). */
export function settle(pair: TestPair, ms = 2000): void {
  pair.run(
    () => {
      const a = pair.a.stats();
      const b = pair.b.stats();
      return a.queuedMessages === 0 && b.queuedMessages === 0 && a.bytesInFlight === 0 && b.bytesInFlight === 0;
    },
    { until: pair.now + ms },
  );
}
