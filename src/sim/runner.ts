// Runs two reliability engines against each other through two simulated links on virtual time.
//
// The sender's engine gets the workload's messages; every packet an engine emits is framed with the
// datagram codec, put on its outbound Link, and — when the link delivers it — decoded (a bad CRC is
// counted as corruption caught and dropped) and handed to the peer's handlePacket. After any input an
// engine is pumped: pollTransmit until undefined, its events drained, its timer re-armed at
// pollTimeout(). Everything happens on a VirtualClock, so a run is a pure function of its spec.
//
// A run always ends: when every message is delivered and the sender has nothing left in flight, when
// nothing is left to happen, or at the duration / event limits.
import { DATAGRAM_OVERHEAD, decodeDatagram, encodeDatagramInto, type FramingRejection } from '../wire/codec.ts';
import { ByteSlab } from '../reliability/byte-slab.ts';
import type { EngineConfig } from '../reliability/config.ts';
import type { EngineStats, ReliableConnection } from '../reliability/types.ts';
import { VirtualClock } from './clock.ts';
import { DRAIN_GRACE_MS, MAX_PACKETS_PER_PUMP, SIM_CONNECTION_ID } from './constants.ts';
import { Link, type LinkStats } from './link.ts';
import { createRng } from './rng.ts';
import type { SimulationSpec } from './scenario.ts';
import { DeliveryVerifier, WorkloadSource, type ChannelName, type ChannelTally } from './workload.ts';

export type Role = 'sender' | 'receiver';
export type Direction = 'forward' | 'reverse';

/** Makes an engine for one end, created at virtual time `now` with the spec's engine options. */
export type EngineFactory = (role: Role, now: number, config: Partial<EngineConfig>) => ReliableConnection;

/**
 * How a run ended: `completed` (everything delivered, sender drained), `lost` (an engine declared its
 * peer dead and the run could not complete), `stalled` (not all delivered, and nothing left to happen
 * or the sender's engine has everything acknowledged),
 * `time-limit` / `event-limit` (a bound was hit first), `crashed` (an engine threw: a bug, reported
 * in `error` rather than thrown through the simulator).
 */
export type RunStatus = 'completed' | 'lost' | 'stalled' | 'time-limit' | 'event-limit' | 'crashed';

/** What the receiving side of a link saw when decoding datagrams. */
export interface FramingStats {
  /** Datagrams accepted and handed to the engine. */
  accepted: number;
  /** Datagrams whose CRC failed: corruption caught before the engine. */
  corruptionCaught: number;
  /** Datagrams rejected for another reason (cannot happen without a bug: counted, not hidden). */
  rejected: Record<FramingRejection | 'wrong-connection', number>;
}

export interface RunOutcome {
  status: RunStatus;
  /** Virtual time when the run stopped, ms. */
  virtualDurationMs: number;
  /** Virtual time of the last message's delivery, when all were delivered. */
  completionMs: number | undefined;
  channels: Record<ChannelName, ChannelTally>;
  engines: Record<Role, EngineStats>;
  links: Record<Direction, LinkStats>;
  framing: Record<Direction, FramingStats>;
  /** Each `lost` event, in order. */
  lost: Array<{ role: Role; atMs: number }>;
  /** What an engine threw, when status is `crashed`. */
  error?: string;
  /** Messages delivered to the sender's application (nothing sends any: a bug if not 0). */
  unexpectedMessages: number;
  /** Inputs to the engines (timeouts, packets, messages to send) and link phases applied. */
  events: number;
  /** Datagrams put on a link plus datagrams taken off one. */
  datagramEvents: number;
}

// Event tags, packed with a generation number into one number per timer: generation·8 + tag.
const TAG_TIMER_SENDER = 0;
const TAG_TIMER_RECEIVER = 1;
const TAG_LINK_FORWARD = 2;
const TAG_LINK_REVERSE = 3;
const TAG_WORKLOAD = 4;
const TAG_PHASE = 5;
const TAG_COUNT = 8;

function emptyFraming(): FramingStats {
  return {
    accepted: 0,
    corruptionCaught: 0,
    rejected: { truncated: 0, oversize: 0, 'bad-version': 0, 'bad-type': 0, 'wrong-connection': 0 },
  };
}

/** One run. Pure: the same spec and engines give the same outcome. */
export function runSimulation(spec: SimulationSpec, makeEngine: EngineFactory): RunOutcome {
  return new Simulation(spec, makeEngine).run();
}

class Simulation {
  private readonly clock = new VirtualClock<number>(0);
  private readonly engines: [ReliableConnection, ReliableConnection];
  /** links[i] carries what engines[i] sends. */
  private readonly links: [Link, Link];
  private readonly framing: [FramingStats, FramingStats] = [emptyFraming(), emptyFraming()];
  private readonly source: WorkloadSource;
  private readonly verifier: DeliveryVerifier;
  /**
   * Per tag: when its owner wants to be woken (undefined = not at all), and the due time and generation
   * of the live clock entry. A wake-up moved later keeps the live entry, which re-checks when it fires
   * (engines push their timers back on every ACK: this saves a heap entry each time); one moved
   * earlier gets a new entry and a new generation, and the old entry is skipped as stale.
   */
  private readonly wanted = new Array<number | undefined>(TAG_COUNT).fill(undefined);
  private readonly armedAt = new Array<number | undefined>(TAG_COUNT).fill(undefined);
  private readonly generation = new Array<number>(TAG_COUNT).fill(0);
  private phaseIndex = 0;
  private readonly lost: Array<{ role: Role; atMs: number }> = [];
  private unexpectedMessages = 0;
  private events = 0;
  private datagramEvents = 0;
  private completionMs: number | undefined;
  private pumpOverflow = false;
  /** Where datagrams are framed (see pump). */
  private readonly datagramSlab = new ByteSlab();

  constructor(
    private readonly spec: SimulationSpec,
    makeEngine: EngineFactory,
  ) {
    this.engines = [makeEngine('sender', 0, spec.engine), makeEngine('receiver', 0, spec.engine)];
    this.links = [
      new Link(spec.forward, createRng(spec.seed, 'link:forward')),
      new Link(spec.reverse, createRng(spec.seed, 'link:reverse')),
    ];
    this.source = new WorkloadSource(spec.workload, createRng(spec.seed, 'workload'), 0);
    this.verifier = new DeliveryVerifier(spec.workload);
  }

  run(): RunOutcome {
    try {
      return this.outcome(this.loop());
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      return { ...this.outcome('crashed'), error: `${message} (at virtual ${this.clock.now} ms)` };
    }
  }

  private loop(): RunStatus {
    const { durationMs, events: maxEvents } = this.spec.limits;
    this.arm(TAG_PHASE, this.spec.phases[0]?.atMs);
    this.arm(TAG_WORKLOAD, this.source.nextAt());
    this.pump(0);
    this.pump(1);

    let status: RunStatus | undefined;
    let drainUntil = Infinity;
    let tag = -1;
    while (status === undefined) {
      if (this.events >= maxEvents || this.pumpOverflow) {
        status = 'event-limit';
        break;
      }
      const limit = Math.min(durationMs, drainUntil);
      const packed = this.clock.advance(limit);
      if (packed === undefined) {
        if (this.completionMs !== undefined) status = 'completed';
        else if (this.clock.peek() !== undefined) status = 'time-limit';
        else status = this.lost.length > 0 ? 'lost' : 'stalled';
        break;
      }
      tag = packed % TAG_COUNT;
      if ((packed - tag) / TAG_COUNT !== this.generation[tag]) continue; // superseded by an earlier one
      this.armedAt[tag] = undefined;
      const want = this.wanted[tag];
      if (want === undefined) continue; // cancelled
      if (want > this.clock.now) {
        this.schedule(tag, want); // moved later meanwhile
        continue;
      }
      this.wanted[tag] = undefined;
      this.dispatch(tag);

      if (this.completionMs === undefined && this.verifier.allDelivered()) {
        this.completionMs = this.clock.now;
        drainUntil = this.clock.now + DRAIN_GRACE_MS;
      }
      if (this.completionMs !== undefined) {
        if (this.senderDrained()) status = 'completed';
      } else if (tag === TAG_LINK_REVERSE && this.source.nextAt() === undefined && this.engines[0].state === 'open' && this.senderDrained()) {
        // Everything sent is acknowledged, yet the application lacks messages: nothing will fix that.
        status = 'stalled';
      }
    }
    return status;
  }

  private dispatch(tag: number): void {
    const now = this.clock.now;
    switch (tag) {
      case TAG_TIMER_SENDER:
      case TAG_TIMER_RECEIVER: {
        const side = tag === TAG_TIMER_SENDER ? 0 : 1;
        this.events++;
        this.engines[side].handleTimeout(now);
        this.pump(side);
        break;
      }
      case TAG_LINK_FORWARD:
      case TAG_LINK_REVERSE: {
        const from = tag === TAG_LINK_FORWARD ? 0 : 1;
        this.deliver(from, now);
        break;
      }
      case TAG_WORKLOAD:
        this.sendWorkload(now);
        break;
      case TAG_PHASE:
        this.applyPhases(now);
        break;
    }
  }

  /** Sets (or moves, or cancels with undefined) the one wake-up of a tag. */
  private arm(tag: number, at: number | undefined): void {
    this.wanted[tag] = at;
    if (at === undefined) return;
    const live = this.armedAt[tag];
    if (live !== undefined && live <= at) return; // the live entry fires first and re-checks
    this.schedule(tag, at);
  }

  private schedule(tag: number, at: number): void {
    const gen = (this.generation[tag] as number) + 1;
    this.generation[tag] = gen;
    this.armedAt[tag] = at;
    this.clock.schedule(at, gen * TAG_COUNT + tag);
  }

  /** Drains what an engine wants to send, its events, and re-arms its timer. */
  private pump(side: 0 | 1): void {
    const engine = this.engines[side];
    const link = this.links[side];
    const now = this.clock.now;
    let sent = 0;
    for (let packet = engine.pollTransmit(now); packet !== undefined; packet = engine.pollTransmit(now)) {
      // Framed into a view carved from the run's slab, not an array of its own: a fresh ArrayBuffer
      // per datagram cost more than the rest of the codec. The view is never written again.
      const datagram = this.datagramSlab.alloc(DATAGRAM_OVERHEAD + packet.length);
      encodeDatagramInto({ type: 'data', connectionId: SIM_CONNECTION_ID, body: packet }, datagram, 0);
      link.send(datagram, now);
      this.datagramEvents++;
      if (++sent >= MAX_PACKETS_PER_PUMP) {
        this.pumpOverflow = true;
        break;
      }
    }
    if (sent > 0) this.arm(side === 0 ? TAG_LINK_FORWARD : TAG_LINK_REVERSE, link.nextDue());
    for (let event = engine.pollEvent(); event !== undefined; event = engine.pollEvent()) {
      if (event.type === 'lost') this.lost.push({ role: side === 0 ? 'sender' : 'receiver', atMs: now });
      else if (side === 1) this.verifier.received(event.channel, event.data, now);
      else this.unexpectedMessages++;
    }
    this.arm(side === 0 ? TAG_TIMER_SENDER : TAG_TIMER_RECEIVER, engine.pollTimeout());
  }

  /** Hands every datagram due on the link from `from` to the other engine. */
  private deliver(from: 0 | 1, now: number): void {
    const link = this.links[from];
    const to = from === 0 ? 1 : 0;
    const framing = this.framing[from];
    for (let bytes = link.poll(now); bytes !== undefined; bytes = link.poll(now)) {
      this.datagramEvents++;
      const decoded = decodeDatagram(bytes);
      if (!decoded.ok) {
        if (decoded.reason === 'bad-crc') framing.corruptionCaught++;
        else framing.rejected[decoded.reason]++;
        continue;
      }
      if (decoded.datagram.type !== 'data' || decoded.datagram.connectionId !== SIM_CONNECTION_ID) {
        framing.rejected['wrong-connection']++;
        continue;
      }
      framing.accepted++;
      this.events++;
      this.engines[to].handlePacket(decoded.datagram.body, now);
      this.pump(to);
    }
    this.arm(from === 0 ? TAG_LINK_FORWARD : TAG_LINK_REVERSE, link.nextDue());
  }

  private sendWorkload(now: number): void {
    const engine = this.engines[0];
    let any = false;
    for (let m = this.source.take(now); m !== undefined; m = this.source.take(now)) {
      this.events++;
      const accepted = engine.send(m.channel, m.data, now);
      this.verifier.sent(m.channel, now, accepted);
      any = true;
    }
    if (any) this.pump(0);
    this.arm(TAG_WORKLOAD, this.source.nextAt());
  }

  private applyPhases(now: number): void {
    const phases = this.spec.phases;
    for (let p = phases[this.phaseIndex]; p !== undefined && p.atMs <= now; p = phases[++this.phaseIndex]) {
      this.events++;
      this.links[0].update(p.forward);
      this.links[1].update(p.reverse);
    }
    this.arm(TAG_PHASE, phases[this.phaseIndex]?.atMs);
  }

  /** The sender has nothing queued or unacknowledged (or can never send again). */
  private senderDrained(): boolean {
    const sender = this.engines[0];
    if (sender.state !== 'open') return true;
    const s = sender.stats();
    return s.bytesInFlight === 0 && s.queuedMessages === 0;
  }

  private outcome(status: RunStatus): RunOutcome {
    return {
      status,
      virtualDurationMs: this.clock.now,
      completionMs: this.completionMs,
      channels: this.verifier.tallies(),
      engines: { sender: this.engines[0].stats(), receiver: this.engines[1].stats() },
      links: { forward: this.links[0].stats(), reverse: this.links[1].stats() },
      framing: { forward: this.framing[0], reverse: this.framing[1] },
      lost: this.lost,
      unexpectedMessages: this.unexpectedMessages,
      events: this.events,
      datagramEvents: this.datagramEvents,
    };
  }
}
