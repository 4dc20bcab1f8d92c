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
  type ReliableConnection,
} from './types.ts';
import { type EngineConfig, type ResolvedEngineConfig, resolveEngineConfig } from './config.ts';
import { AckTracker } from './ack-tracker.ts';
import { ByteSlab } from './byte-slab.ts';
import { createCongestionController, type CongestionController } from './congestion/index.ts';
import { Deque } from './deque.ts';
import { decodePacketInto, PacketView, PacketWriter, PACKET_HEADER_BYTES, streamFrameOverhead } from './packet.ts';
import { FrameOutcome, Reassembler } from './reassembler.ts';
import { RttEstimator } from './rtt.ts';
import { type OutMessage, SendStream } from './send-stream.ts';
import { PacketState, SentPacket, SentPackets } from './sent-packets.ts';
import { unwrapAtMost } from './serial.ts';
import { Counters } from './stats.ts';
import { Timer, TimerTable } from './timers.ts';

/**
 * Smallest fragment worth cutting from a message to fill the end of a packet or a nearly closed
 * flow-control window (silly-window avoidance, RFC 9293 §3.8.6.2.1 in spirit).
 */
const MIN_FRAGMENT_BYTES = 64;
/** Room assumed for an ACK frame when judging whether a piece would fit a packet of its own. */
const ACK_ALLOWANCE_BYTES = 32;
/** Hard cap on buffered receive data, as a multiple of the advertised window (misbehaving peers). */
const RECEIVE_HARD_LIMIT_FACTOR = 2;
/** Lost packets are remembered this many base timeouts to recognise late ACKs (spurious loss). */
const LOST_RETENTION_TIMEOUTS = 2;
/** Sent-packet slots an RTO probe inspects to find the oldest outstanding data. */
const OLDEST_SCAN_LIMIT = 64;

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
  private readonly counters = new Counters();
  private readonly lostScratch: SentPacket[] = [];
  /** Small byte arrays (packets out, messages in, copies of messages sent) come from here. */
  private readonly slab = new ByteSlab();

  // Sender state (RFC 9002 Appendix A.3 names).
  private bytesInFlight = 0;
  private ackElicitingInFlight = 0;
  /** Data bytes in outstanding packets (flow-control accounting). */
  private dataInFlight = 0;
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
  private lastAckElicitingSent: number;
  private firstRttSampleTime = -1;
  /** What the peer can still buffer (its latest advertisement). */
  private peerWindow: number;

  // Receiver state.
  private lastReceived: number;
  private eventBytes = 0;
  private advertisedWindow: number;
  private windowUpdatePending = false;

  constructor(config: Partial<EngineConfig> = {}, now = 0) {
    const resolved = resolveEngineConfig(config);
    if (!resolved.ok) throw new RangeError(`invalid engine config: ${resolved.errors.join('; ')}`);
    const c = resolved.config;
    this.config = c;
    const start = Number.isFinite(now) ? now : 0;
    this.lastNow = start;
    this.lastAckElicitingSent = start;
    this.lastReceived = start;
    this.sent = new SentPackets(c.initialPacketNumber);
    this.streams = [new SendStream(Channel.chat, c.initialMessageSeq), new SendStream(Channel.bulk, c.initialMessageSeq)];
    const deliver = (channel: ChannelId, data: Uint8Array): void => {
      this.events.push({ type: 'message', channel, data });
      this.eventBytes += data.length;
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
    this.armTimers();
  }

  get state(): EngineState {
    return this.stateValue;
  }

  // ---------------------------------------------------------------------------------------------
  // Owner API

  send(channel: ChannelId, data: Uint8Array, now: number): boolean {
    if (this.stateValue !== 'open') return false;
    if (channel !== Channel.chat && channel !== Channel.bulk) return false;
    if (!(data instanceof Uint8Array) || data.length > this.config.maxMessageBytes) return false;
    this.advance(now);
    this.streams[channel].enqueue(this.slab.copy(data, 0, data.length));
    this.counters.messagesSent++;
    this.armTimers();
    return true;
  }

  handlePacket(packet: Uint8Array, now: number): void {
    if (this.stateValue !== 'open') return;
    now = this.advance(now);
    const view = this.view;
    if (!(packet instanceof Uint8Array) || decodePacketInto(packet, view, this.config.maxMessageBytes) !== undefined) {
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

    let accepted = true;
    if (view.streamCount > 0) {
      const hardLimit = RECEIVE_HARD_LIMIT_FACTOR * this.config.receiveWindowBytes;
      for (let i = 0; i < view.streamCount; i++) {
        const channel = view.streamChannel[i] === Channel.bulk ? Channel.bulk : Channel.chat;
        const room = Math.max(0, hardLimit - this.windowedBytes());
        const outcome = this.reassemblers[channel].onFrame(
          view.streamSeq[i] ?? 0,
          view.streamTotal[i] ?? 0,
          view.streamOffset[i] ?? 0,
          packet,
          view.streamDataAt[i] ?? 0,
          view.streamLength[i] ?? 0,
          room,
        );
        if (outcome === FrameOutcome.duplicate) this.counters.duplicatesReceived++;
        else if (outcome === FrameOutcome.refused) {
          this.counters.refusedFrames++;
          accepted = false;
        } else if (outcome === FrameOutcome.invalid) this.counters.malformedPackets++;
      }
    }
    // A packet with refused data is not acknowledged, so the peer sends that data again.
    if (accepted) this.acks.onPacket(pn, view.ackEliciting, now);
    this.armTimers();
  }

  pollTransmit(now: number): Uint8Array | undefined {
    if (this.stateValue !== 'open') return undefined;
    now = this.advance(now);
    const ackDue = this.acks.due(now) || this.windowUpdatePending;
    const probe = this.probesPending > 0;
    const keepalive = this.keepaliveDue(now);
    const wantData = (probe || this.cc.canSend(this.bytesInFlight)) && this.hasSendableData();
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
    if (probe && this.probeOldest) {
      this.probeOldest = false;
      this.fillOldestOutstanding(rec);
    }
    if (wantData) this.fillData(rec);
    let ackEliciting = rec.chunkCount > 0;
    // Probes and keepalives must elicit an ACK; a window update needs at least one frame.
    if ((probe || keepalive || (this.windowUpdatePending && w.frames === 0)) && !ackEliciting) {
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
    if (rec.chunkCount > 0) c.dataPacketsSent++;
    else c.ackPacketsSent++;
    if (ackEliciting) {
      this.bytesInFlight += rec.size;
      this.ackElicitingInFlight++;
      this.dataInFlight += rec.dataBytes;
      rec.cwndLimited = this.bytesInFlight * 2 >= this.cc.window;
      this.lastAckElicitingSent = now;
      this.cc.onPacketSent(now, rec.size, this.bytesInFlight);
      if (probe) this.probesPending--;
      if (rec.chunkCount > 0) this.persistCount = 0;
    }
    this.armTimers();
    return w.finish();
  }

  pollTimeout(): number | undefined {
    if (this.stateValue !== 'open') return undefined;
    if (this.probesPending > 0 || this.windowUpdatePending) return this.lastNow;
    const t = this.timers.next();
    if (t === Infinity) return undefined;
    return t < this.lastNow ? this.lastNow : t;
  }

  handleTimeout(now: number): void {
    if (this.stateValue !== 'open') return;
    now = this.advance(now);
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
    this.armTimers();
  }

  pollEvent(): EngineEvent | undefined {
    const ev = this.events.shift();
    if (ev !== undefined && ev.type === 'message') {
      this.eventBytes -= ev.data.length;
      if (this.stateValue === 'open') this.maybeWindowUpdate();
    }
    return ev;
  }

  stats(): EngineStats {
    const c = this.counters;
    return {
      packetsSent: c.packetsSent,
      packetsReceived: c.packetsReceived,
      dataPacketsSent: c.dataPacketsSent,
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
      rto: this.rtt.backedOffTimeout(this.ptoCount),
      cwnd: this.cc.window,
      bytesInFlight: this.bytesInFlight,
      queuedMessages: this.streams[0].unacked + this.streams[1].unacked,
      minRtt: this.rtt.min,
      packetsLost: c.packetsLost,
      duplicatePackets: c.duplicatePackets,
      malformedPackets: c.malformedPackets,
      refusedFrames: c.refusedFrames,
      ptoExpirations: c.ptoExpirations,
      tailLossProbes: c.tailLossProbes,
      ptoCount: this.ptoCount,
      pingsSent: c.pingsSent,
      congestionEvents: this.cc.congestionEvents,
      ssthresh: this.cc.slowStartThreshold,
      peerWindow: this.peerWindow,
      receiveWindow: this.receiveWindow(),
      bytesBuffered: this.bufferedBytes(),
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
    let newlyAcked = false;
    let largestNewly = false;
    for (let r = 0; r < view.ackRangeCount; r++) {
      const hi = largest - (view.ackHi[r] ?? 0);
      let lo = largest - (view.ackLo[r] ?? 0);
      if (hi < sent.firstPn) break;
      if (lo < sent.firstPn) lo = sent.firstPn;
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
          if (p === largest) largestNewly = true;
        }
      }
      acked.insert(lo, hi + 1);
      sent.resolved.insert(lo, hi + 1);
    }
    if (largest > this.largestAcked) this.largestAcked = largest;
    if (largestNewly) {
      const rec = sent.get(largest);
      if (rec !== undefined && rec.ackEliciting) {
        this.rtt.update(now - rec.timeSent, view.ackDelayUs / 1000, now);
        if (this.firstRttSampleTime < 0) this.firstRttSampleTime = now;
      }
    }
    // Losses this ACK reveals after probes went out count as timeout recoveries.
    const afterProbe = this.ptoCount > 0 || this.tlpCount > 0;
    if (newlyAcked) {
      this.ptoCount = 0;
      this.tlpCount = 0;
    }
    this.detectLost(now, afterProbe);
    sent.trim(now - LOST_RETENTION_TIMEOUTS * this.rtt.baseTimeout(), this.largestAcked);
  }

  private onPacketAcked(rec: SentPacket, now: number): void {
    const wasLost = rec.state === PacketState.lost;
    rec.state = PacketState.acked;
    if (rec.inFlight && !wasLost) {
      this.bytesInFlight -= rec.size;
      this.ackElicitingInFlight--;
      this.dataInFlight -= rec.dataBytes;
      this.cc.onAck(now, rec.timeSent, rec.size, rec.cwndLimited);
    }
    for (let i = 0; i < rec.chunkCount; i++) {
      const msg = rec.chunkMsg[i];
      if (msg === undefined) continue;
      const redundant = this.streams[msg.channel].onChunkAcked(msg, rec.chunkStart[i] ?? 0, rec.chunkEnd[i] ?? 0);
      if (redundant) this.counters.retransmitsSpurious++;
    }
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
    lost.length = 0;
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
        if (lostAt <= now || largestAcked - p >= threshold) lost.push(rec);
        else if (lostAt < lossTime) lossTime = lostAt;
      }
    }
    this.lossTime = lossTime;
    if (lost.length > 0) this.onPacketsLost(lost, now, byTimeout);
    lost.length = 0;
  }

  private onPacketsLost(lost: SentPacket[], now: number, byTimeout: boolean): void {
    let lostBytes = 0;
    let lostPackets = 0;
    let largestLostSentTime = -Infinity;
    let first: SentPacket | undefined;
    let last: SentPacket | undefined;
    const resolved = this.sent.resolved;
    for (const rec of lost) {
      rec.state = PacketState.lost;
      resolved.insert(rec.pn, rec.pn + 1);
      if (!rec.inFlight) continue;
      this.bytesInFlight -= rec.size;
      this.ackElicitingInFlight--;
      this.dataInFlight -= rec.dataBytes;
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

  /** Is there data the packet builder could place now (cwnd aside)? */
  private hasSendableData(): boolean {
    for (const ch of CHANNELS) {
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

  /** Smallest window worth sending the rest of `msg` into. */
  private flowNeed(msg: OutMessage, offset: number): number {
    return Math.min(msg.length - offset, MIN_FRAGMENT_BYTES);
  }

  private seqAllows(stream: SendStream, msg: OutMessage): boolean {
    return msg.seq - stream.oldestUnackedSeq() < this.config.maxMessagesInFlight;
  }

  /** Would new data be sent but for the peer's window? (arms the persist probe) */
  private flowBlocked(): boolean {
    for (const ch of CHANNELS) {
      const stream = this.streams[ch];
      const msg = stream.peekUnsent();
      if (msg !== undefined && this.seqAllows(stream, msg) && this.flowRoom(ch, 0) < this.flowNeed(msg, stream.sendOffset)) return true;
    }
    return false;
  }

  /** Pack data frames: chat retransmissions, chat, bulk retransmissions, bulk. */
  private fillData(rec: SentPacket): void {
    const c = this.counters;
    for (const ch of CHANNELS) {
      const stream = this.streams[ch];
      for (;;) {
        const item = stream.peekRetransmit();
        if (item === undefined) break;
        const runEnd = stream.retransmitRunEnd(item);
        const placed = this.place(rec, ch, item.msg, item.start, runEnd);
        if (placed < 0) return;
        stream.consumeRetransmit(item, placed);
        if (item.byTimeout) c.retransmitsTimeout++;
        else c.retransmitsFast++;
        if (placed < runEnd) return;
      }
      for (;;) {
        const msg = stream.peekUnsent();
        if (msg === undefined || !this.seqAllows(stream, msg)) break;
        const start = stream.sendOffset;
        let end = msg.length;
        const room = this.flowRoom(ch, rec.dataBytes);
        if (end - start > room) {
          if (room < this.flowNeed(msg, start)) return; // window closed: nothing more fits (bulk is stricter)
          end = start + room;
        }
        const placed = this.place(rec, ch, msg, start, end);
        if (placed < 0) return;
        stream.advanceUnsent(placed);
        if (placed < msg.length) return; // packet full, or window reached
      }
    }
  }

  /**
   * Copy the data of the oldest outstanding packet that carried any into this probe (chunks
   * already acknowledged meanwhile are skipped). Only the first few outstanding packets are
   * looked at: probes are rare, but the scan must stay bounded.
   */
  private fillOldestOutstanding(rec: SentPacket): void {
    const sent = this.sent;
    const resolved = sent.resolved;
    let p = sent.firstPn;
    let k = resolved.indexAfter(p);
    for (let looked = 0; looked < OLDEST_SCAN_LIMIT && p < sent.nextPn; looked++) {
      if (k < resolved.count && resolved.start(k) <= p) {
        p = resolved.end(k);
        k++;
        continue;
      }
      const old = sent.get(p);
      p++;
      if (old === undefined || old.state !== PacketState.outstanding || old.chunkCount === 0) continue;
      for (let i = 0; i < old.chunkCount; i++) {
        const msg = old.chunkMsg[i];
        const start = old.chunkStart[i] ?? 0;
        const end = old.chunkEnd[i] ?? 0;
        if (msg === undefined || msg.done || (msg.acked !== undefined && msg.acked.containsRange(start, end))) continue;
        if (this.place(rec, msg.channel, msg, start, end) < 0) return;
        this.counters.retransmitsTimeout++;
      }
      return;
    }
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

  /** What counts against the window: all but the head-of-line message of each channel. */
  private windowedBytes(): number {
    return this.reassemblers[0].windowBytes + this.reassemblers[1].windowBytes + this.eventBytes;
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
        t.set(Timer.pto, this.lastAckElicitingSent + (tlp ?? this.rtt.backedOffTimeout(this.ptoCount)));
      }
      else if (this.flowBlocked()) t.set(Timer.pto, this.lastAckElicitingSent + this.rtt.backedOffTimeout(this.persistCount));
      else t.set(Timer.pto, Infinity);
    }
    t.set(
      Timer.keepalive,
      c.keepaliveIntervalMs > 0 && this.ackElicitingInFlight === 0
        ? Math.max(this.lastReceived, this.lastAckElicitingSent) + c.keepaliveIntervalMs
        : Infinity,
    );
    t.set(
      Timer.idle,
      c.idleTimeoutMs > 0 && (c.keepaliveIntervalMs > 0 || this.ackElicitingInFlight > 0) ? this.lastReceived + c.idleTimeoutMs : Infinity,
    );
  }

  // ---------------------------------------------------------------------------------------------
  // Teardown

  private declareDead(): void {
    this.stateValue = 'lost';
    this.freeBuffers();
    this.events.push({ type: 'lost', reason: 'timeout' });
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
    this.lossTime = Infinity;
    this.probesPending = 0;
    this.probeOldest = false;
    this.windowUpdatePending = false;
  }
}

/** Create one end of a connection (see Connection). Throws RangeError on an invalid config. */
export function createConnection(config: Partial<EngineConfig> = {}, now = 0): Connection {
  return new Connection(config, now);
}
