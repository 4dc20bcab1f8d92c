// One end of a reliable connection, sans-IO (quinn-proto's shape; KCP's IO-free spirit).
// The owner feeds packets and time in and drains packets, events and the next wake-up out:
//
//   send(channel, data, now)     queue a message
//   handlePacket(bytes, now)     a packet from the peer
//   pollTransmit(now)            next packet to put on the wire (call until undefined)
//   pollEvent()                  delivered messages, `lost` (call until undefined)
//   pollTimeout() / handleTimeout(now)   wake-ups
//
// Design (see docs/engine.md): every packet has a fresh 32-bit packet number; data is named by
// (channel, message seq, byte offset), so a retransmission is the same bytes in a new packet and
// RTT samples are unambiguous. ACK frames carry SACK ranges; loss is declared by packet or time
// threshold (RFC 9002 §6.1); when ACKs stop, tail-loss probes (RFC 8985) and then a floored,
// backed-off retransmission timeout probe the path. Congestion control sits behind an interface;
// flow control is a receive window carried in every packet. Chat fills packets before bulk, and
// the two channels reassemble independently. Dead peers are found by silence.

import {
  Channel,
  type ChannelId,
  type EngineEvent,
  type EngineState,
  type EngineStats,
  type PeerViolation,
  type ReliableConnection,
} from './types.ts';
import { type EngineConfig, MAX_MESSAGE_BYTES_LIMIT, type ResolvedEngineConfig, resolveEngineConfig } from './config.ts';
import { withFixedShape } from './config-shape.ts';
import { AckTracker } from './ack-tracker.ts';
import { ByteSlab } from './byte-slab.ts';
import { createCongestionController, type CongestionController } from './congestion/index.ts';
import { Deque } from './deque.ts';
import { decodePacketInto, PacketView, PacketWriter, PACKET_HEADER_BYTES, streamFrameOverhead } from './packet.ts';
import { FrameOutcome, Reassembler } from './reassembler.ts';
import { MESSAGE_OVERHEAD_BYTES, receiveBoundBytes } from './receive-bound.ts';
import { RttEstimator } from './rtt.ts';
import { type OutMessage, SendStream } from './send-stream.ts';
import { PacketState, Retransmission, SentPacket, SentPackets } from './sent-packets.ts';
import { unwrap, unwrapAtMost } from './serial.ts';
import { Counters } from './stats.ts';
import { Timer, TimerTable } from './timers.ts';

/**
 * Smallest fragment worth cutting from a message to fill the end of a packet or a nearly closed
 * flow-control window (silly-window avoidance, RFC 9293 §3.8.6.2.1 in spirit).
 */
const MIN_FRAGMENT_BYTES = 64;
/** Room assumed for an ACK frame when judging whether a piece would fit a packet of its own. */
const ACK_ALLOWANCE_BYTES = 32;
/** Lost packets are remembered this many base timeouts to recognise late ACKs (spurious loss). */
const LOST_RETENTION_TIMEOUTS = 2;
/** Sent-packet slots an RTO probe inspects to find the oldest outstanding data. */
const OLDEST_SCAN_LIMIT = 64;
/**
 * Packets carrying chat that may be in flight beyond the congestion window. Chat is a trickle
 * (people type; the hub rate-limits them), yet behind a full window — during loss recovery or a
 * backed-off timeout, every lost packet still counts in flight — a line would wait for the bulk
 * transfer's recovery. Two packets let a line (and one retransmission of it) go at once while
 * adding next to nothing to the load.
 */
const CHAT_ALLOWANCE_PACKETS = 2;
/**
 * Probe rounds a silent peer gets before the idle timeout declares it dead: the backed-off probe
 * interval is capped at idleTimeoutMs / SILENT_PROBE_ROUNDS (never below the base RTO). On a path
 * that loses datagrams in long bursts, silence means "every datagram in between was lost", and
 * ten rounds of two probes (rtoMaxMs alone) are swallowed by one long burst far more often than
 * twenty; the extra probes are a few small packets per second, only while nothing is heard.
 */
const SILENT_PROBE_ROUNDS = 20;

/**
 * Packets below an ACK's largest that are searched for an ack-eliciting one (RTT sample rule, see
 * newlyAcksElicitingNear): an ACK-only packet follows the one it answers closely, so a few suffice.
 */
const RTT_SAMPLE_SCAN_LIMIT = 8;

const CHANNELS: readonly ChannelId[] = [Channel.chat, Channel.bulk];

export class Connection implements ReliableConnection {
  readonly config: ResolvedEngineConfig;
  private stateValue: EngineState = 'open';
  private lastNow: number;

  private readonly sent: SentPackets;
  private readonly streams: readonly [SendStream, SendStream];
  private readonly reassemblers: readonly [Reassembler, Reassembler];
  private readonly acks: AckTracker;
  private readonly rtt: RttEstimator;
  private readonly cc: CongestionController;
  private readonly writer: PacketWriter;
  private readonly view = new PacketView();
  private readonly events = new Deque<EngineEvent>(64);
  private readonly timers = new TimerTable();
  /**
   * The deadlines derive from the state alone, so they are recomputed once, when next read
   * (pollTimeout, handleTimeout), rather than after every packet of a burst.
   */
  private timersDirty = true;
  private readonly counters = new Counters();
  private readonly lostScratch: Array<SentPacket | undefined> = [];
  /** Small byte arrays (packets out, messages in, copies of messages sent) come from here. */
  private readonly slab = new ByteSlab();

  // Sender state (RFC 9002 Appendix A.3 names).
  private bytesInFlight = 0;
  private ackElicitingInFlight = 0;
  /** Data bytes in outstanding packets (flow-control accounting). */
  private dataInFlight = 0;
  /** Outstanding packets that carry chat (the chat allowance beyond the window). */
  private chatPacketsInFlight = 0;
  private largestAcked = -1;
  private lossTime = Infinity;
  private ptoCount = 0;
  /** Tail-loss probes sent since the last ACK that acknowledged something new. */
  private tlpCount = 0;
  /**
   * Retransmission timeouts since the peer was last heard from at all. The backoff (ptoCount)
   * waits for an ACK of new data; a dead peer is one that sends nothing, so any packet from it
   * resets this count.
   */
  private silentTimeouts = 0;
  /** Backoff of zero-window persist probes. */
  private persistCount = 0;
  private probesPending = 0;
  /**
   * The next probe resends the oldest unacknowledged data (RFC 6298 §5.4: on a retransmission
   * timeout, resend the earliest segment). Set by the RTO, not by tail-loss probes: after two
   * unanswered probes the oldest data is likely lost, and in-order delivery waits for it.
   */
  private probeOldest = false;
  /** The backoff step at which an arriving packet last triggered probes early (0 = none). */
  private wokenAtPto = 0;
  /**
   * Timeout episode for RTO probes: a packet whose data a probe resent is marked with it and not
   * resent again in the same episode (a new one starts when an ACK makes progress, or when every
   * packet within reach has had its turn).
   */
  private probeEpisode = 1;
  private lastAckElicitingSent: number;
  private firstRttSampleTime = -1;
  /** What the peer can still buffer (its latest advertisement). */
  private peerWindow: number;

  /**
   * When ack-eliciting packets went in flight after none were (the current wait for an answer began):
   * the idle timeout counts from here or from the last packet heard, whichever is later.
   */
  private awaitingSince: number;

  // Receiver state.
  private lastReceived: number;
  private eventBytes = 0;
  /** Messages delivered into `events` and not yet taken (each costs MESSAGE_OVERHEAD_BYTES). */
  private eventMessages = 0;
  /** What the receive side may hold at most (receiveBoundBytes). */
  private readonly receiveBound: number;
  private advertisedWindow: number;
  private windowUpdatePending = false;

  constructor(config: Partial<EngineConfig> = {}, now = 0) {
    const resolved = resolveEngineConfig(config);
    if (!resolved.ok) throw new RangeError(`invalid engine config: ${resolved.errors.join('; ')}`);
    // One hidden class for every engine's config, so the hot paths that read it stay monomorphic.
    const c = withFixedShape(resolved.config);
    this.config = c;
    const start = Number.isFinite(now) ? now : 0;
    this.lastNow = start;
    this.lastAckElicitingSent = start;
    this.lastReceived = start;
    this.awaitingSince = start;
    this.sent = new SentPackets(c.initialPacketNumber);
    const recycle = (data: Uint8Array): void => this.slab.recycle(data);
    this.streams = [new SendStream(Channel.chat, c.initialMessageSeq, recycle), new SendStream(Channel.bulk, c.initialMessageSeq, recycle)];
    const deliver = (channel: ChannelId, data: Uint8Array): void => {
      this.events.push({ type: 'message', channel, data });
      this.eventBytes += data.length;
      this.eventMessages++;
      this.counters.messagesDelivered++;
      this.counters.bytesDelivered += data.length;
    };
    this.reassemblers = [
      new Reassembler(Channel.chat, c.initialMessageSeq, c.maxMessagesInFlight, deliver, this.slab),
      new Reassembler(Channel.bulk, c.initialMessageSeq, c.maxMessagesInFlight, deliver, this.slab),
    ];
    this.acks = new AckTracker(c.maxAckDelayMs, c.ackEveryN, c.maxAckRanges);
    this.rtt = new RttEstimator(c);
    this.cc = createCongestionController(c, this.rtt);
    this.writer = new PacketWriter(c.maxPacketBytes);
    this.peerWindow = c.receiveWindowBytes;
    this.advertisedWindow = c.receiveWindowBytes;
    this.receiveBound = receiveBoundBytes(c);
    // Sent as probes (each a PING the peer answers at once): the first RTT sample comes a round trip
    // after opening instead of with the first message's ACK.
    this.probesPending = c.openPings;
    this.timersDirty = true;
  }

  get state(): EngineState {
    return this.stateValue;
  }

  // ---------------------------------------------------------------------------------------------
  // Owner API

  send(channel: ChannelId, data: Uint8Array, now: number): boolean {
    if (this.stateValue !== 'open') return false;
    if (channel !== Channel.chat && channel !== Channel.bulk) return false;
    if (!(data instanceof Uint8Array) || data.length > this.maxMessageBytes(channel)) return false;
    this.advance(now);
    this.streams[channel].enqueue(this.slab.copyReusable(data, 0, data.length));
    this.counters.messagesSent++;
    this.timersDirty = true;
    return true;
  }

  handlePacket(packet: Uint8Array, now: number): void {
    if (this.stateValue !== 'open') return;
    now = this.advance(now);
    const view = this.view;
    // Message sizes are judged per channel below: a frame announcing too large a message is a violation.
    if (!(packet instanceof Uint8Array) || decodePacketInto(packet, view, MAX_MESSAGE_BYTES_LIMIT) !== undefined) {
      this.counters.malformedPackets++;
      return;
    }
    const pn = this.acks.decode(view.packetNumber);
    if (this.acks.isDuplicate(pn)) {
      this.counters.duplicatePackets++;
      return;
    }
    this.counters.packetsReceived++;
    this.lastReceived = now;
    this.silentTimeouts = 0;
    if (pn > this.acks.largest) this.peerWindow = view.window;
    if (view.hasAck) this.onAckFrame(view, now);
    if (this.ptoCount > 0 && this.probesPending === 0 && this.ackElicitingInFlight > 0 && this.wokenAtPto !== this.ptoCount) {
      // Backed off, and this packet acknowledged nothing new — but it got here: the path carries
      // packets again (a partition healed, a burst ended). Probe now rather than wait out the
      // backed-off timer; once per backoff step, so a chatty peer cannot make us flood.
      this.wokenAtPto = this.ptoCount;
      this.probesPending = this.config.probePackets;
      this.probeOldest = true;
    }

    // A PING, or data we already have, is the peer probing: our ACKs are not reaching it.
    let probe = view.pings > 0;
    for (let i = 0; i < view.streamCount; i++) {
      const channel = view.streamChannel[i] === Channel.bulk ? Channel.bulk : Channel.chat;
      const total = view.streamTotal[i] ?? 0;
      const max = this.maxMessageBytes(channel);
      if (total > max) {
        this.violated('message-size', `a ${channelName(channel)} message of ${total} bytes (at most ${max})`);
        return;
      }
      const reassembler = this.reassemblers[channel];
      const seq = view.streamSeq[i] ?? 0;
      const outcome = reassembler.onFrame(
        seq,
        total,
        view.streamOffset[i] ?? 0,
        packet,
        view.streamDataAt[i] ?? 0,
        view.streamLength[i] ?? 0,
        this.receiveBound - this.heldBytes(),
      );
      if (outcome === FrameOutcome.duplicate) {
        this.counters.duplicatesReceived++;
        probe = true;
      } else if (outcome === FrameOutcome.overLimit) {
        this.violated('flow-control', `its data would take the receive side past ${this.receiveBound} bytes held (${this.heldBytes()} now)`);
        return;
      } else if (outcome === FrameOutcome.tooFarAhead) {
        const ahead = unwrap(seq, reassembler.nextSeq) - reassembler.nextSeq;
        this.violated('message-limit', `a ${channelName(channel)} message ${ahead} ahead of the next expected (fewer than ${this.config.maxMessagesInFlight})`);
        return;
      } else if (outcome === FrameOutcome.invalid) this.counters.malformedPackets++;
    }
    this.acks.onPacket(pn, view.ackEliciting, now, probe);
    this.timersDirty = true;
  }

  pollTransmit(now: number): Uint8Array | undefined {
    if (this.stateValue !== 'open') return undefined;
    now = this.advance(now);
    const ackDue = this.acks.due(now) || this.windowUpdatePending;
    const probe = this.probesPending > 0;
    const keepalive = this.keepaliveDue(now);
    let wantData = (probe || this.cc.canSend(this.bytesInFlight)) && this.hasSendableData();
    // Chat beyond a full window, within its small allowance (bulk stays behind the window).
    const chatOnly = !wantData && this.chatPacketsInFlight < CHAT_ALLOWANCE_PACKETS && this.hasSendableData(Channel.chat);
    if (chatOnly) wantData = true;
    if (!wantData && !probe && !keepalive && !ackDue) return undefined;

    const w = this.writer;
    const window = this.receiveWindow();
    w.begin(this.sent.nextPn, window, this.slab);
    let ackLargest = -1;
    if (ackDue || this.acks.wantsPiggyback()) {
      // Leave a quarter of the packet at most to an ACK when data follows, and a byte for a PING.
      const room = (wantData ? Math.min(w.room, Math.max(64, w.room >> 2)) : w.room) - 1;
      ackLargest = w.ack(this.acks.received, this.acks.ackDelayUs(now), this.config.maxAckRanges, room);
    }
    const rec = this.sent.take();
    let ackEliciting = false;
    if (probe) {
      // Every probe carries a PING, data or not: it tells the peer we are probing — its ACKs are
      // not reaching us — and the peer answers it with several (AckTracker, MAX_ACK_COPIES).
      w.ping();
      this.counters.pingsSent++;
      ackEliciting = true;
    }
    if (probe && this.probeOldest) {
      this.probeOldest = false;
      this.fillOldestOutstanding(rec);
    }
    if (wantData) this.fillData(rec, chatOnly ? Channel.chat : Channel.bulk);
    if (rec.chunkCount > 0) ackEliciting = true;
    // Keepalives must elicit an ACK; a window update needs at least one frame.
    if ((keepalive || (this.windowUpdatePending && w.frames === 0)) && !ackEliciting) {
      w.ping();
      this.counters.pingsSent++;
      ackEliciting = true;
    }
    if (w.frames === 0) {
      this.sent.release(rec);
      if (ackDue) this.acks.onAckSent();
      this.windowUpdatePending = false;
      return undefined;
    }
    rec.timeSent = now;
    rec.size = w.length;
    rec.ackEliciting = ackEliciting;
    rec.inFlight = ackEliciting;
    rec.ackLargest = ackLargest;
    this.sent.commit(rec);
    if (ackLargest >= 0 || ackDue) this.acks.onAckSent();
    this.advertisedWindow = window;
    this.windowUpdatePending = false;
    const c = this.counters;
    c.packetsSent++;
    if (rec.chunkCount > 0) {
      c.dataPacketsSent++;
      c.dataBytesSent += rec.dataBytes;
      c.resentBytes += rec.resentBytes;
      if (rec.resentBytes > 0) c.packetsWithResentData++;
    } else c.ackPacketsSent++;
    // A retransmission is a packet of data sent before and nothing new (one that also carries new
    // data is a first transmission): data packets = first transmissions + retransmissions.
    if (!rec.newData) {
      if (rec.retransmit === Retransmission.timeout) c.retransmitsTimeout++;
      else if (rec.retransmit === Retransmission.fast) c.retransmitsFast++;
    }
    if (ackEliciting) {
      if (this.ackElicitingInFlight === 0) this.awaitingSince = now;
      this.bytesInFlight += rec.size;
      this.ackElicitingInFlight++;
      this.dataInFlight += rec.dataBytes;
      if (rec.carriesChat) this.chatPacketsInFlight++;
      rec.cwndLimited = this.bytesInFlight * 2 >= this.cc.window;
      rec.inFlightAtSend = this.bytesInFlight;
      this.lastAckElicitingSent = now;
      this.cc.onPacketSent(now, rec.size, this.bytesInFlight);
      if (probe) this.probesPending--;
      if (rec.chunkCount > 0) this.persistCount = 0;
    }
    this.timersDirty = true;
    return w.finish();
  }

  pollTimeout(): number | undefined {
    if (this.stateValue !== 'open') return undefined;
    if (this.probesPending > 0 || this.windowUpdatePending) return this.lastNow;
    if (this.timersDirty) this.armTimers();
    const t = this.timers.next();
    if (t === Infinity) return undefined;
    return t < this.lastNow ? this.lastNow : t;
  }

  handleTimeout(now: number): void {
    if (this.stateValue !== 'open') return;
    now = this.advance(now);
    if (this.timersDirty) this.armTimers();
    const timers = this.timers;
    if (timers.expired(Timer.idle, now)) {
      this.declareDead();
      return;
    }
    if (timers.expired(Timer.loss, now)) {
      // Time-threshold loss (RFC 9002 §6.1.2) is ACK-driven fast recovery, just timed.
      this.detectLost(now, this.ptoCount > 0);
    } else if (timers.expired(Timer.pto, now) && this.probesPending === 0) {
      if (this.ackElicitingInFlight > 0 && this.inTailLossProbePhase()) {
        this.tlpCount++;
        this.counters.tailLossProbes++;
        this.probesPending = 1;
      } else if (this.ackElicitingInFlight > 0) {
        if (this.silentTimeouts >= this.config.deadPeerProbes) {
          this.declareDead();
          return;
        }
        this.silentTimeouts++;
        this.ptoCount++;
        this.counters.ptoExpirations++;
        this.probesPending = this.config.probePackets;
        this.probeOldest = true;
      } else {
        // Zero-window persist probe: learn whether the peer's window reopened.
        this.persistCount++;
        this.probesPending = 1;
      }
    }
    this.timersDirty = true;
  }

  pollEvent(): EngineEvent | undefined {
    const ev = this.events.shift();
    if (ev !== undefined && ev.type === 'message') {
      this.eventBytes -= ev.data.length;
      this.eventMessages--;
      if (this.stateValue === 'open') this.maybeWindowUpdate();
    }
    return ev;
  }

  acknowledgedMessages(channel: ChannelId): number {
    return this.streams[channel].oldestUnackedSeq() - this.config.initialMessageSeq;
  }

  stats(): EngineStats {
    const c = this.counters;
    return {
      packetsSent: c.packetsSent,
      packetsReceived: c.packetsReceived,
      dataPacketsSent: c.dataPacketsSent,
      dataBytesSent: c.dataBytesSent,
      resentBytes: c.resentBytes,
      packetsWithResentData: c.packetsWithResentData,
      ackPacketsSent: c.ackPacketsSent,
      retransmitsTimeout: c.retransmitsTimeout,
      retransmitsFast: c.retransmitsFast,
      retransmitsSpurious: c.retransmitsSpurious,
      duplicatesReceived: c.duplicatesReceived,
      messagesSent: c.messagesSent,
      messagesDelivered: c.messagesDelivered,
      bytesDelivered: c.bytesDelivered,
      srtt: this.rtt.smoothed,
      rttvar: this.rtt.variance,
      rto: this.probeTimeout(this.ptoCount),
      cwnd: this.cc.window,
      bytesInFlight: this.bytesInFlight,
      queuedMessages: this.streams[0].unacked + this.streams[1].unacked,
      minRtt: this.rtt.min,
      packetsLost: c.packetsLost,
      peerPacketsMissing: this.acks.missing,
      peerPacketsSpanned: this.acks.largest < 0 ? 0 : this.acks.largest - this.acks.smallest + 1,
      duplicatePackets: c.duplicatePackets,
      malformedPackets: c.malformedPackets,
      ptoExpirations: c.ptoExpirations,
      tailLossProbes: c.tailLossProbes,
      ptoCount: this.ptoCount,
      pingsSent: c.pingsSent,
      congestionEvents: this.cc.congestionEvents,
      ssthresh: this.cc.slowStartThreshold,
      peerWindow: this.peerWindow,
      receiveWindow: this.receiveWindow(),
      bytesBuffered: this.bufferedBytes(),
      bytesHeld: this.heldBytes(),
      receiveBound: this.receiveBound,
      dataBytesInFlight: this.dataInFlight,
    };
  }

  close(): void {
    if (this.stateValue === 'closed') return;
    this.stateValue = 'closed';
    this.freeBuffers();
    this.events.clear();
    this.eventBytes = 0;
  }

  // ---------------------------------------------------------------------------------------------
  // Time

  /** Monotonic clock guard: time never runs backwards, NaN counts as "no time passed". */
  private advance(now: number): number {
    if (now > this.lastNow) this.lastNow = now;
    return this.lastNow;
  }

  // ---------------------------------------------------------------------------------------------
  // Receiving: ACK frames (RFC 9002 §6, Appendix A.7)

  private onAckFrame(view: PacketView, now: number): void {
    const sent = this.sent;
    const largestSent = sent.nextPn - 1;
    if (largestSent < sent.firstPn) return; // nothing outstanding (or nothing ever sent)
    const largest = unwrapAtMost(view.ackLargest, largestSent);
    if (largest < sent.firstPn) return; // stale: all of it is already settled
    const acked = sent.acked;
    // RTT first (RFC 9002 Appendix A.7): the controller judges the packets acknowledged below by
    // the delay this ACK shows, not by the previous one.
    if (!acked.has(largest)) {
      const rec = sent.get(largest);
      if (rec !== undefined && this.newlyAcksElicitingNear(largest, view.ackLo[0] ?? 0)) {
        this.rtt.update(now - rec.timeSent, view.ackDelayUs / 1000, now);
        if (this.firstRttSampleTime < 0) this.firstRttSampleTime = now;
      }
    }
    let newlyAcked = false;
    for (let r = 0; r < view.ackRangeCount; r++) {
      const hi = largest - (view.ackHi[r] ?? 0);
      let lo = largest - (view.ackLo[r] ?? 0);
      if (hi < sent.firstPn) break;
      if (lo < sent.firstPn) lo = sent.firstPn;
      // Ranges are repeated until the peer sees an ACK of its ACK: most are old news.
      if (acked.containsRange(lo, hi + 1)) continue;
      // Visit only numbers in [lo, hi] not acknowledged before.
      let p = lo;
      let k = acked.indexAfter(p);
      while (p <= hi) {
        if (k < acked.count && acked.start(k) <= p) {
          p = acked.end(k);
          k++;
          continue;
        }
        const gapEnd = k < acked.count ? Math.min(acked.start(k), hi + 1) : hi + 1;
        for (; p < gapEnd; p++) {
          const rec = sent.get(p);
          if (rec === undefined) continue;
          this.onPacketAcked(rec, now);
          newlyAcked = true;
        }
      }
      acked.insert(lo, hi + 1);
      sent.resolved.insert(lo, hi + 1);
    }
    if (largest > this.largestAcked) this.largestAcked = largest;
    // Losses this ACK reveals after probes went out count as timeout recoveries.
    const afterProbe = this.ptoCount > 0 || this.tlpCount > 0;
    if (newlyAcked) {
      this.ptoCount = 0;
      this.tlpCount = 0;
      this.probeEpisode++;
      this.wokenAtPto = 0;
    }
    this.detectLost(now, afterProbe);
    sent.trim(now - LOST_RETENTION_TIMEOUTS * this.rtt.baseTimeout(), this.largestAcked);
  }

  /**
   * RFC 9002 §5.1: an ACK gives an RTT sample (from its largest packet's send time) when that packet
   * is newly acknowledged and at least one newly acknowledged packet was ack-eliciting — the largest
   * itself need not be. A receiver that only answers (a chat client that reads) sends ACK-only packets
   * after each ack-eliciting one; requiring the largest to be ack-eliciting left such an engine without
   * any sample for its whole life (200 ms initial timeout, no tail-loss probe). The ack-eliciting packet
   * is looked for just below the largest, in the ACK's first range and a few packets deep.
   */
  private newlyAcksElicitingNear(largest: number, firstRangeLength: number): boolean {
    const sent = this.sent;
    const acked = sent.acked;
    const lowest = Math.max(sent.firstPn, largest - Math.min(firstRangeLength, RTT_SAMPLE_SCAN_LIMIT));
    for (let p = largest; p >= lowest; p--) {
      if (acked.has(p)) continue;
      const rec = sent.get(p);
      if (rec !== undefined && rec.ackEliciting) return true;
    }
    return false;
  }

  private onPacketAcked(rec: SentPacket, now: number): void {
    const wasLost = rec.state === PacketState.lost;
    rec.state = PacketState.acked;
    if (rec.inFlight && !wasLost) {
      this.bytesInFlight -= rec.size;
      this.ackElicitingInFlight--;
      this.dataInFlight -= rec.dataBytes;
      if (rec.carriesChat) this.chatPacketsInFlight--;
      this.cc.onAck(now, rec.timeSent, rec.size, rec.cwndLimited, rec.inFlightAtSend);
    }
    let redundant = 0;
    for (let i = 0; i < rec.chunkCount; i++) {
      const msg = rec.chunkMsg[i];
      if (msg === undefined) continue;
      if (this.streams[msg.channel].onChunkAcked(msg, rec.chunkStart[i] ?? 0, rec.chunkEnd[i] ?? 0)) redundant++;
    }
    // Every byte it carried was acknowledged already: one of the copies was sent for nothing.
    if (redundant > 0 && redundant === rec.chunkCount) this.counters.retransmitsSpurious++;
    if (rec.ackLargest >= 0) this.acks.onAckOfAck(rec.ackLargest);
  }

  // ---------------------------------------------------------------------------------------------
  // Loss detection (RFC 9002 §6.1, Appendix A.10)

  /** `byTimeout`: the losses were revealed by a probe timeout rather than by ACK clocking. */
  private detectLost(now: number, byTimeout: boolean): void {
    this.lossTime = Infinity;
    const largestAcked = this.largestAcked;
    if (largestAcked < 0) return;
    const sent = this.sent;
    const lossDelay = this.rtt.lossDelay(this.config.timeThreshold);
    const threshold = this.config.packetThreshold;
    const lost = this.lostScratch;
    let lostCount = 0;
    let lossTime = Infinity;
    // Outstanding packets below the largest acknowledged are the gaps of `resolved`.
    const resolved = sent.resolved;
    let p = sent.firstPn;
    let k = resolved.indexAfter(p);
    while (p < largestAcked) {
      if (k < resolved.count && resolved.start(k) <= p) {
        p = resolved.end(k);
        k++;
        continue;
      }
      const gapEnd = k < resolved.count ? Math.min(resolved.start(k), largestAcked) : largestAcked;
      for (; p < gapEnd; p++) {
        const rec = sent.get(p);
        if (rec === undefined) continue;
        // Same expression for the test and the timer, so the timer always finds what it waits for.
        const lostAt = rec.timeSent + lossDelay;
        if (lostAt <= now || largestAcked - p >= threshold) lost[lostCount++] = rec;
        else if (lostAt < lossTime) lossTime = lostAt;
      }
    }
    this.lossTime = lossTime;
    if (lostCount > 0) this.onPacketsLost(lost, lostCount, now, byTimeout);
    // Drop the references (records are pooled); `length = 0` would cost more than the loop.
    for (let i = 0; i < lostCount; i++) lost[i] = undefined;
  }

  /** The first `count` entries of `lost` were declared lost. */
  private onPacketsLost(lost: ReadonlyArray<SentPacket | undefined>, count: number, now: number, byTimeout: boolean): void {
    let lostBytes = 0;
    let lostPackets = 0;
    let largestLostSentTime = -Infinity;
    let first: SentPacket | undefined;
    let last: SentPacket | undefined;
    const resolved = this.sent.resolved;
    for (let n = 0; n < count; n++) {
      const rec = lost[n];
      if (rec === undefined) continue;
      rec.state = PacketState.lost;
      resolved.insert(rec.pn, rec.pn + 1);
      if (!rec.inFlight) continue;
      this.bytesInFlight -= rec.size;
      this.ackElicitingInFlight--;
      this.dataInFlight -= rec.dataBytes;
      if (rec.carriesChat) this.chatPacketsInFlight--;
      lostBytes += rec.size;
      lostPackets++;
      if (rec.timeSent > largestLostSentTime) largestLostSentTime = rec.timeSent;
      for (let i = 0; i < rec.chunkCount; i++) {
        const msg = rec.chunkMsg[i];
        if (msg !== undefined) this.streams[msg.channel].onChunkLost(msg, rec.chunkStart[i] ?? 0, rec.chunkEnd[i] ?? 0, byTimeout);
      }
      if (this.firstRttSampleTime >= 0 && rec.timeSent >= this.firstRttSampleTime) {
        if (first === undefined || rec.pn < first.pn) first = rec;
        if (last === undefined || rec.pn > last.pn) last = rec;
      }
    }
    if (lostPackets === 0) return;
    this.counters.packetsLost += lostPackets;
    this.cc.onLoss(now, largestLostSentTime, lostBytes, lostPackets);
    // RFC 9002 §7.6.2: two ack-eliciting losses spanning the persistent-congestion duration with
    // nothing acknowledged in between.
    if (
      first !== undefined &&
      last !== undefined &&
      last.timeSent - first.timeSent >= this.rtt.persistentCongestionDuration(this.config.persistentCongestionThreshold) &&
      !this.sent.acked.intersects(first.pn, last.pn + 1)
    ) {
      this.cc.onPersistentCongestion(now);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Sending

  /** Is there data the packet builder could place now (cwnd aside), on channels up to `last`? */
  private hasSendableData(last: ChannelId = Channel.bulk): boolean {
    for (const ch of CHANNELS) {
      if (ch > last) break;
      const stream = this.streams[ch];
      if (stream.peekRetransmit() !== undefined) return true;
      const msg = stream.peekUnsent();
      if (msg !== undefined && this.seqAllows(stream, msg) && this.flowRoom(ch, 0) >= this.flowNeed(msg, stream.sendOffset)) return true;
    }
    return false;
  }

  /** New-data bytes the peer's window still allows on `ch`, beyond `pending` bytes being packed. */
  private flowRoom(ch: ChannelId, pending: number): number {
    const reserve = ch === Channel.bulk ? this.config.chatReserveBytes : 0;
    return this.peerWindow - reserve - this.dataInFlight - pending;
  }

  /**
   * Smallest window worth sending the rest of `msg` into. At least one byte, an empty message too: the
   * receiver charges every message it holds (MESSAGE_OVERHEAD_BYTES), so a closed window holds empty
   * messages back as well — else a peer whose owner is not taking its events would receive them unbounded.
   */
  private flowNeed(msg: OutMessage, offset: number): number {
    return Math.max(1, Math.min(msg.length - offset, MIN_FRAGMENT_BYTES));
  }

  private seqAllows(stream: SendStream, msg: OutMessage): boolean {
    return msg.seq - stream.oldestUnackedSeq() < this.config.maxMessagesInFlight;
  }

  /** Would new data be sent but for the peer's window? (arms the persist probe) */
  private flowBlocked(): boolean {
    for (const ch of CHANNELS) {
      const stream = this.streams[ch];
      if (!stream.hasUnsent()) continue;
      const msg = stream.peekUnsent();
      if (msg !== undefined && this.seqAllows(stream, msg) && this.flowRoom(ch, 0) < this.flowNeed(msg, stream.sendOffset)) return true;
    }
    return false;
  }

  /** Pack data frames: chat retransmissions, chat, bulk retransmissions, bulk (up to channel `last`). */
  private fillData(rec: SentPacket, last: ChannelId): void {
    for (const ch of CHANNELS) {
      if (ch > last) break;
      const stream = this.streams[ch];
      for (;;) {
        const item = stream.peekRetransmit();
        if (item === undefined) break;
        const runEnd = stream.retransmitRunEnd(item);
        const placed = this.place(rec, ch, item.msg, item.start, runEnd);
        if (placed < 0) return;
        rec.resentBytes += placed - item.start;
        stream.consumeRetransmit(item, placed);
        if (item.byTimeout) rec.retransmit = Retransmission.timeout;
        else if (rec.retransmit === Retransmission.none) rec.retransmit = Retransmission.fast;
        if (placed < runEnd) return;
      }
      for (;;) {
        const msg = stream.peekUnsent();
        if (msg === undefined || !this.seqAllows(stream, msg)) break;
        const start = stream.sendOffset;
        let end = msg.length;
        const room = this.flowRoom(ch, rec.dataBytes);
        if (room < this.flowNeed(msg, start)) return; // window closed: nothing more fits (bulk is stricter)
        if (end - start > room) end = start + room;
        const placed = this.place(rec, ch, msg, start, end);
        if (placed < 0) return;
        rec.newData = true;
        stream.advanceUnsent(placed);
        if (placed < msg.length) return; // packet full, or window reached
      }
    }
  }

  /**
   * An RTO probe's data: the unacknowledged chunks of one outstanding packet — the oldest that
   * carried chat, if one is within reach (a chat line is what a person waits for), else the oldest.
   * Consecutive timeouts move on through the outstanding packets (probeEpisode) rather than resend
   * the same bytes every time: those are on the wire already in the previous probe, and whichever
   * probe gets through is acknowledged with SACK ranges that reveal every loss at once. Probes'
   * own packets are skipped (their data is an original's). The scan is bounded: probes are rare,
   * but they must stay cheap.
   */
  private fillOldestOutstanding(rec: SentPacket): void {
    let pick = this.findProbeSource();
    if (pick === undefined) {
      // Everything within reach had its turn: start over.
      this.probeEpisode++;
      pick = this.findProbeSource();
      if (pick === undefined) return;
    }
    pick.probedEpisode = this.probeEpisode;
    rec.probeCopy = true;
    for (let i = 0; i < pick.chunkCount; i++) {
      const msg = pick.chunkMsg[i];
      const start = pick.chunkStart[i] ?? 0;
      const end = pick.chunkEnd[i] ?? 0;
      if (msg === undefined || msg.done || (msg.acked !== undefined && msg.acked.containsRange(start, end))) continue;
      const placed = this.place(rec, msg.channel, msg, start, end);
      if (placed < 0) return;
      // Queued for retransmission too (another copy was declared lost)? This sends it.
      msg.pending?.remove(start, placed);
      rec.resentBytes += placed - start;
      rec.retransmit = Retransmission.timeout;
    }
  }

  /** The outstanding packet an RTO probe should resend (see fillOldestOutstanding), if any. */
  private findProbeSource(): SentPacket | undefined {
    const sent = this.sent;
    const resolved = sent.resolved;
    let p = sent.firstPn;
    let k = resolved.indexAfter(p);
    let oldest: SentPacket | undefined;
    for (let looked = 0; looked < OLDEST_SCAN_LIMIT && p < sent.nextPn; looked++) {
      if (k < resolved.count && resolved.start(k) <= p) {
        p = resolved.end(k);
        k++;
        continue;
      }
      const old = sent.get(p);
      p++;
      if (old === undefined || old.state !== PacketState.outstanding || old.probeCopy || old.probedEpisode === this.probeEpisode) continue;
      if (!hasUnackedData(old)) continue;
      if (old.carriesChat) return old;
      oldest ??= old;
    }
    return oldest;
  }

  /**
   * Put bytes [start, end) of `msg` into the packet being built, whole or the part that fits.
   * Returns the offset reached, or −1 when nothing was placed (packet full; or the piece would
   * fit a packet of its own and this one already carries data — don't split small messages).
   */
  private place(rec: SentPacket, ch: ChannelId, msg: OutMessage, start: number, end: number): number {
    const w = this.writer;
    const room = w.room;
    const length = end - start;
    const whole = start === 0 && end === msg.length;
    const overhead = streamFrameOverhead(!whole, msg.length, start, length);
    if (overhead + length <= room) {
      w.stream(ch, msg.seq, msg.data, start, end);
      rec.addChunk(msg, start, end);
      return end;
    }
    const ownPacketRoom = this.config.maxPacketBytes - PACKET_HEADER_BYTES - ACK_ALLOWANCE_BYTES;
    if (rec.chunkCount > 0 && overhead + length <= ownPacketRoom) return -1;
    const avail = room - streamFrameOverhead(true, msg.length, start, room);
    if (avail < MIN_FRAGMENT_BYTES) return -1;
    const cut = start + Math.min(length, avail);
    w.stream(ch, msg.seq, msg.data, start, cut);
    rec.addChunk(msg, start, cut);
    return cut;
  }

  /** Tail-loss probes come first, until they are used up or the RTO has started backing off. */
  private inTailLossProbePhase(): boolean {
    return this.ptoCount === 0 && this.tlpCount < this.config.tailLossProbes && this.rtt.smoothed !== undefined;
  }

  /** The backed-off retransmission timeout, capped so that silence gets SILENT_PROBE_ROUNDS probes. */
  private probeTimeout(backoff: number): number {
    const t = this.rtt.backedOffTimeout(backoff);
    const idle = this.config.idleTimeoutMs;
    if (idle <= 0) return t;
    return Math.min(t, Math.max(idle / SILENT_PROBE_ROUNDS, this.rtt.baseTimeout()));
  }

  private keepaliveDue(now: number): boolean {
    const interval = this.config.keepaliveIntervalMs;
    return interval > 0 && this.ackElicitingInFlight === 0 && now >= Math.max(this.lastReceived, this.lastAckElicitingSent) + interval;
  }

  // ---------------------------------------------------------------------------------------------
  // Flow control (receiver side)

  /** Everything received and not yet taken by the owner. */
  private bufferedBytes(): number {
    return this.reassemblers[0].bufferedBytes + this.reassemblers[1].bufferedBytes + this.eventBytes;
  }

  /** Everything the receive side holds, as charged against receiveBound (docs/engine.md, "Receive accounting"). */
  private heldBytes(): number {
    return this.reassemblers[0].heldBytes + this.reassemblers[1].heldBytes + this.eventCost();
  }

  /** Messages delivered and not yet taken by the owner: their bytes and their overhead. */
  private eventCost(): number {
    return this.eventBytes + this.eventMessages * MESSAGE_OVERHEAD_BYTES;
  }

  /** What counts against the window: all that is held but the head-of-line message of each channel. */
  private windowedBytes(): number {
    return this.reassemblers[0].windowBytes + this.reassemblers[1].windowBytes + this.eventCost();
  }

  private maxMessageBytes(channel: ChannelId): number {
    return channel === Channel.bulk ? this.config.maxBulkMessageBytes : this.config.maxChatMessageBytes;
  }

  private receiveWindow(): number {
    return Math.max(0, this.config.receiveWindowBytes - this.windowedBytes());
  }

  /** After the owner drained events: tell the peer if its view of our window was small. */
  private maybeWindowUpdate(): void {
    const full = this.config.receiveWindowBytes;
    if (this.advertisedWindow < full / 2 && this.receiveWindow() - this.advertisedWindow >= full / 4) this.windowUpdatePending = true;
  }

  // ---------------------------------------------------------------------------------------------
  // Timers

  private armTimers(): void {
    this.timersDirty = false;
    const t = this.timers;
    const c = this.config;
    const ackAt = this.acks.timerDeadline();
    t.set(Timer.ack, ackAt === -Infinity ? this.lastNow : ackAt);
    if (this.lossTime !== Infinity) {
      t.set(Timer.loss, this.lossTime);
      t.set(Timer.pto, Infinity);
    } else {
      t.set(Timer.loss, Infinity);
      if (this.ackElicitingInFlight > 0) {
        const tlp = this.inTailLossProbePhase() ? this.rtt.tailLossProbeTimeout() : undefined;
        t.set(Timer.pto, this.lastAckElicitingSent + (tlp ?? this.probeTimeout(this.ptoCount)));
      }
      else if (this.flowBlocked()) t.set(Timer.pto, this.lastAckElicitingSent + this.probeTimeout(this.persistCount));
      else t.set(Timer.pto, Infinity);
    }
    t.set(
      Timer.keepalive,
      c.keepaliveIntervalMs > 0 && this.ackElicitingInFlight === 0
        ? Math.max(this.lastReceived, this.lastAckElicitingSent) + c.keepaliveIntervalMs
        : Infinity,
    );
    // Dead peer: an answer awaited for idleTimeoutMs with nothing heard. Only while one is awaited — an idle
    // session (no keepalive on this side, or between keepalives) owes us nothing, and a keepalive longer than
    // the timeout is then checked idleTimeoutMs after it went out, not declared dead before it is sent.
    // Or: nothing heard for peerSilenceTimeoutMs, awaited or not (a peer that keeps the path alive itself).
    const awaited =
      c.idleTimeoutMs > 0 && this.ackElicitingInFlight > 0 ? Math.max(this.lastReceived, this.awaitingSince) + c.idleTimeoutMs : Infinity;
    const silent = c.peerSilenceTimeoutMs > 0 ? this.lastReceived + c.peerSilenceTimeoutMs : Infinity;
    t.set(Timer.idle, Math.min(awaited, silent));
  }

  // ---------------------------------------------------------------------------------------------
  // Teardown

  private declareDead(): void {
    this.stateValue = 'lost';
    this.freeBuffers();
    this.events.push({ type: 'lost', reason: 'timeout' });
  }

  /**
   * The peer did what no honest peer does (QUIC closes with FLOW_CONTROL_ERROR and its kin): stop at once
   * and free the receive buffers — nothing of the offending frame or after it is held.
   */
  private violated(violation: PeerViolation, detail: string): void {
    this.stateValue = 'lost';
    this.freeBuffers();
    this.events.push({ type: 'lost', reason: violation, detail });
  }

  private freeBuffers(): void {
    this.streams[0].clear();
    this.streams[1].clear();
    this.reassemblers[0].clear();
    this.reassemblers[1].clear();
    this.sent.clear();
    this.acks.clear();
    this.timers.clear();
    this.bytesInFlight = 0;
    this.ackElicitingInFlight = 0;
    this.dataInFlight = 0;
    this.chatPacketsInFlight = 0;
    this.lossTime = Infinity;
    this.probesPending = 0;
    this.probeOldest = false;
    this.wokenAtPto = 0;
    this.windowUpdatePending = false;
  }
}

function channelName(channel: ChannelId): string {
  return channel === Channel.bulk ? 'bulk' : 'chat';
}

/** Does the packet carry bytes not yet acknowledged (through any copy)? */
function hasUnackedData(rec: SentPacket): boolean {
  for (let i = 0; i < rec.chunkCount; i++) {
    const msg = rec.chunkMsg[i];
    if (msg === undefined || msg.done) continue;
    if (msg.acked === undefined || !msg.acked.containsRange(rec.chunkStart[i] ?? 0, rec.chunkEnd[i] ?? 0)) return true;
  }
  return false;
}

/** Create one end of a connection (see Connection). Throws RangeError on an invalid config. */
export function createConnection(config: Partial<EngineConfig> = {}, now = 0): Connection {
  return new Connection(config, now);
}
