// Every tunable of the reliability engine, in one place, each with its reason and source.
// Times are milliseconds, sizes bytes. `resolveEngineConfig` merges a partial config over the
// defaults, derives the window sizes that depend on the packet size, and reports every bad value.

export type CongestionAlgorithm = 'newreno' | 'loss-tolerant';

export interface EngineConfig {
  /**
   * Largest engine packet handed to the shell (the datagram codec adds 10 bytes around it).
   * 1200 = QUIC's minimum datagram size (RFC 9000 §14), safe on any path without PMTU discovery.
   * Loopback shells may raise it (up to the UDP limit minus the codec overhead). This is also the
   * maximum datagram size (MDS) the congestion controller counts in.
   */
  maxPacketBytes: number;
  /** Largest single message accepted by send() and by the reassembler (memory bound), on either channel. */
  maxMessageBytes: number;
  /**
   * Largest message on the chat channel, sent or received; derived when absent: maxMessageBytes. Set by
   * the channel's use: on real sockets the hub's text limit plus a line's framing (src/server/engine-limits.ts).
   * A peer announcing a larger one is closed (docs/engine.md, "Receive accounting").
   */
  maxChatMessageBytes?: number;
  /** Largest message on the bulk channel; derived when absent: maxMessageBytes (real sockets: a file chunk). */
  maxBulkMessageBytes?: number;
  /** First packet number this side sends (tests start near 2^32 to cross the wrap). */
  initialPacketNumber: number;
  /** First message sequence number of each channel. Both peers MUST use the same value. */
  initialMessageSeq: number;

  /**
   * PTO before any RTT sample. RFC 9002 §6.2.2 uses kInitialRtt = 333 ms (3× → ~1 s); ours is a
   * chat on LANs/loopback, so 200 ms: a lost first packet costs 0.2 s, not 1 s.
   */
  rtoInitialMs: number;
  /**
   * Floor of the retransmission timer. TCP's 200 ms–1 s (RFC 6298 §2.4) would ruin chat latency;
   * 25 ms stays above timer jitter of a Node event loop and a few ms of ACK delay.
   */
  rtoMinMs: number;
  /**
   * Ceiling of the (backed-off) retransmission timer. 1 s rather than RFC 6298's 60 s: a chat
   * must resume within a second of a long loss burst, and dead peers are found by silence.
   */
  rtoMaxMs: number;
  /**
   * Exponential backoff stops doubling after 2^maxBackoffExponent (RFC 6298 §5.5, bounded):
   * ×16 turns the 25 ms floor into probes every 400 ms during an outage, not every few seconds.
   */
  maxBackoffExponent: number;
  /** Timer granularity (RFC 9002 §6.1.2 kGranularity = 1 ms). */
  granularityMs: number;

  /**
   * Longest a receiver delays an ACK (RFC 9000 §13.2.1 max_ack_delay, default there 25 ms).
   * 2 ms: lone chat packets are acknowledged fast (the tail-loss probe waits for this long), bulk
   * is acknowledged every ackEveryN packets anyway.
   */
  maxAckDelayMs: number;
  /** ACK at once after this many ack-eliciting packets (RFC 9000 §13.2.2 recommends 2). */
  ackEveryN: number;
  /** Most ACK ranges carried (and remembered) per ACK frame; older ranges are dropped. */
  maxAckRanges: number;

  /** Lost when this many later packets are acknowledged (RFC 9002 §6.1.1 kPacketThreshold). */
  packetThreshold: number;
  /** Lost when sent this many RTTs before an acknowledged packet (RFC 9002 §6.1.2, 9/8). */
  timeThreshold: number;
  /**
   * Probe packets sent per retransmission timeout (RFC 9002 §6.2.4 allows one or two). Two: the
   * first resends the oldest unacknowledged data, the second carries new data or a PING, and
   * one of them getting through is twice as likely.
   */
  probePackets: number;
  /**
   * Tail-loss probes sent before the (floored) retransmission timeout takes over (RFC 8985
   * §7, RACK-TLP). Each fires 2·SRTT + maxAckDelay + granularity after the last ack-eliciting
   * packet; 0 disables them.
   */
  tailLossProbes: number;
  /**
   * PINGs sent as soon as the connection opens (0 = none), so an RTT sample exists before the first
   * message. Without one, a lost first message waits for the pre-sample timeout (rtoInitialMs, 200 ms);
   * with it, the tail-loss probe and the 25 ms floor apply from the first line on. Real-socket shells
   * send one; the simulator's defaults send none.
   */
  openPings: number;
  /** Persistent congestion: lost span ≥ this many PTOs (RFC 9002 §7.6.1 threshold 3). */
  persistentCongestionThreshold: number;

  /** Congestion controller: 'newreno' (RFC 9002 §7) or 'loss-tolerant' (NewReno, delay-gated). */
  congestion: CongestionAlgorithm;
  /** Initial window; derived when absent: min(10·MDS, max(14720, 2·MDS)) (RFC 9002 §7.2). */
  initialWindowBytes?: number;
  /** Minimum window; derived when absent: 2·MDS (RFC 9002 §7.2 kMinimumWindow). */
  minWindowBytes?: number;
  /** Window multiplier on a congestion event (RFC 9002 §7.3.2 kLossReductionFactor = 0.5). */
  lossReductionFactor: number;
  /**
   * loss-tolerant controller: a loss is congestion when the short-term loss rate exceeds this
   * fraction (burst drops of an overflowing queue), whatever the delay says.
   */
  lossTolerance: number;
  /**
   * loss-tolerant controller: a standing queue — smoothed RTT above min RTT by this fraction of
   * min RTT (TCP Veno's backlog test in delay form) — makes a loss count as congestion and stops
   * window growth…
   */
  queueDelayFactor: number;
  /** …and by at least this many ms (loopback RTTs are tens of µs; event-loop jitter ~1 ms). */
  queueDelayMinMs: number;

  /** Receive buffer advertised to the peer (flow control): bytes received but not yet polled. */
  receiveWindowBytes: number;
  /** Part of the peer's window bulk data may never use, so chat always has room. */
  chatReserveBytes: number;
  /**
   * Messages per channel sent beyond the oldest unacknowledged one (bounds serial ambiguity). Both peers
   * must use the same value: it is also the receiver's cap on messages held out of order per channel —
   * an honest sender never has one further ahead, so a peer that does is closed.
   */
  maxMessagesInFlight: number;

  /**
   * Send a PING after this much quiet (nothing sent or received), so the peer answers and the path is
   * checked (0 = never). The default suits the simulator's short runs; on real sockets the client sends one
   * every 25 s and the server none (CLIENT_KEEPALIVE_INTERVAL_MS in src/udp/engine-driver.ts, with why).
   */
  keepaliveIntervalMs: number;
  /**
   * Dead peer: an answer awaited this long (ack-eliciting packets in flight — data, probes, a keepalive)
   * with nothing at all heard from the peer (0 = never). Counted from the later of the last packet heard and
   * the moment the wait began, so it is independent of keepaliveIntervalMs: an idle peer is checked by each
   * keepalive and found dead idleTimeoutMs after an unanswered one.
   */
  idleTimeoutMs: number;
  /**
   * Dead peer: nothing at all heard from the peer for this long, whether or not an answer is awaited
   * (0 = never). For a side that sends no keepalive of its own but knows the peer sends one (the server on
   * real sockets: SERVER_PEER_SILENCE_MS in src/udp/engine-driver.ts); must exceed the peer's interval.
   */
  peerSilenceTimeoutMs: number;
  /** Dead peer: this many consecutive retransmission timeouts with nothing at all heard back. */
  deadPeerProbes: number;
}

/** RFC 9002 §7.2: min(10 · max_datagram_size, max(14720, 2 · max_datagram_size)). */
export function rfc9002InitialWindow(mds: number): number {
  return Math.min(10 * mds, Math.max(14_720, 2 * mds));
}

/** A config with every field present. */
export type ResolvedEngineConfig = Required<EngineConfig>;

/** The fields derived from others when absent. */
type DerivedField = 'initialWindowBytes' | 'minWindowBytes' | 'maxChatMessageBytes' | 'maxBulkMessageBytes';

const BASE_DEFAULTS: Omit<ResolvedEngineConfig, DerivedField> = {
  maxPacketBytes: 1200,
  maxMessageBytes: 64 * 1024 * 1024,
  initialPacketNumber: 0,
  initialMessageSeq: 0,
  rtoInitialMs: 200,
  rtoMinMs: 25,
  rtoMaxMs: 1_000,
  maxBackoffExponent: 4,
  granularityMs: 1,
  maxAckDelayMs: 2,
  ackEveryN: 2,
  maxAckRanges: 32,
  packetThreshold: 3,
  timeThreshold: 9 / 8,
  probePackets: 2,
  tailLossProbes: 2,
  openPings: 0,
  persistentCongestionThreshold: 3,
  congestion: 'loss-tolerant',
  lossReductionFactor: 0.5,
  lossTolerance: 0.2,
  queueDelayFactor: 0.25,
  queueDelayMinMs: 1,
  receiveWindowBytes: 4 * 1024 * 1024,
  chatReserveBytes: 64 * 1024,
  maxMessagesInFlight: 65_536,
  keepaliveIntervalMs: 2_000,
  idleTimeoutMs: 10_000,
  peerSilenceTimeoutMs: 0,
  deadPeerProbes: 30,
};

export const DEFAULT_ENGINE_CONFIG: Readonly<ResolvedEngineConfig> = Object.freeze({
  ...BASE_DEFAULTS,
  initialWindowBytes: rfc9002InitialWindow(BASE_DEFAULTS.maxPacketBytes),
  minWindowBytes: 2 * BASE_DEFAULTS.maxPacketBytes,
  maxChatMessageBytes: BASE_DEFAULTS.maxMessageBytes,
  maxBulkMessageBytes: BASE_DEFAULTS.maxMessageBytes,
});

/** The smallest packet that still holds a header, a full ACK frame and some data. */
export const MIN_PACKET_BYTES = 256;
/** Largest engine packet: UDP's 65,507-byte payload minus the datagram codec's 10 bytes. */
export const MAX_PACKET_BYTES = 65_497;
/** The wire's varints stop at 2^30 − 1; message lengths and offsets must fit. */
export const MAX_MESSAGE_BYTES_LIMIT = 2 ** 30 - 1;
/** ACK frames decode at most this many ranges (bounds work per packet). */
export const MAX_ACK_RANGES_LIMIT = 256;

export type ConfigResult = { ok: true; config: ResolvedEngineConfig } | { ok: false; errors: string[] };

function isInt(v: number): boolean {
  return Number.isInteger(v);
}

/** Merge `partial` over the defaults, derive dependent sizes, and validate every field. */
export function resolveEngineConfig(partial: Partial<EngineConfig> = {}): ConfigResult {
  const merged: EngineConfig = { ...BASE_DEFAULTS };
  for (const [key, value] of Object.entries(partial)) {
    if (value !== undefined) (merged as unknown as Record<string, unknown>)[key] = value;
  }
  const mds = merged.maxPacketBytes;
  const config: ResolvedEngineConfig = {
    ...merged,
    initialWindowBytes: merged.initialWindowBytes ?? rfc9002InitialWindow(mds),
    minWindowBytes: merged.minWindowBytes ?? 2 * mds,
    maxChatMessageBytes: merged.maxChatMessageBytes ?? merged.maxMessageBytes,
    maxBulkMessageBytes: merged.maxBulkMessageBytes ?? merged.maxMessageBytes,
  };
  const errors: string[] = [];
  const check = (ok: boolean, message: string): void => {
    if (!ok) errors.push(message);
  };
  const intIn = (name: keyof ResolvedEngineConfig, lo: number, hi: number): void => {
    const v = config[name];
    check(typeof v === 'number' && isInt(v) && v >= lo && v <= hi, `${name} must be an integer in [${lo}, ${hi}], got ${String(v)}`);
  };
  const numIn = (name: keyof ResolvedEngineConfig, lo: number, hi: number): void => {
    const v = config[name];
    check(typeof v === 'number' && Number.isFinite(v) && v >= lo && v <= hi, `${name} must be a number in [${lo}, ${hi}], got ${String(v)}`);
  };
  intIn('maxPacketBytes', MIN_PACKET_BYTES, MAX_PACKET_BYTES);
  intIn('maxMessageBytes', 1, MAX_MESSAGE_BYTES_LIMIT);
  intIn('maxChatMessageBytes', 0, config.maxMessageBytes);
  intIn('maxBulkMessageBytes', 0, config.maxMessageBytes);
  intIn('initialPacketNumber', 0, 2 ** 32 - 1);
  intIn('initialMessageSeq', 0, 2 ** 32 - 1);
  numIn('rtoInitialMs', 1, 60_000);
  numIn('rtoMinMs', 1, 60_000);
  numIn('rtoMaxMs', 1, 600_000);
  intIn('maxBackoffExponent', 0, 16);
  numIn('granularityMs', 0.001, 1_000);
  numIn('maxAckDelayMs', 0, 1_000);
  intIn('ackEveryN', 1, 1_000);
  intIn('maxAckRanges', 1, MAX_ACK_RANGES_LIMIT);
  intIn('packetThreshold', 1, 1_000);
  numIn('timeThreshold', 1, 10);
  intIn('probePackets', 1, 2);
  intIn('tailLossProbes', 0, 10);
  intIn('openPings', 0, 2);
  numIn('persistentCongestionThreshold', 1, 100);
  check(config.congestion === 'newreno' || config.congestion === 'loss-tolerant', `congestion must be 'newreno' or 'loss-tolerant', got ${String(config.congestion)}`);
  intIn('initialWindowBytes', 2 * mds, 2 ** 31);
  intIn('minWindowBytes', mds, 2 ** 31);
  numIn('lossReductionFactor', 0.1, 0.95);
  numIn('lossTolerance', 0, 1);
  numIn('queueDelayFactor', 0, 1_000);
  numIn('queueDelayMinMs', 0, 60_000);
  intIn('receiveWindowBytes', 4 * mds, 2 ** 32 - 1);
  intIn('chatReserveBytes', 0, 2 ** 32 - 1);
  intIn('maxMessagesInFlight', 1, 2 ** 30);
  numIn('keepaliveIntervalMs', 0, 3_600_000);
  numIn('idleTimeoutMs', 0, 86_400_000);
  numIn('peerSilenceTimeoutMs', 0, 86_400_000);
  intIn('deadPeerProbes', 1, 1_000);
  check(config.rtoMinMs <= config.rtoMaxMs, 'rtoMinMs must not exceed rtoMaxMs');
  check(config.minWindowBytes <= config.initialWindowBytes, 'minWindowBytes must not exceed initialWindowBytes');
  check(config.chatReserveBytes + 2 * mds <= config.receiveWindowBytes, 'receiveWindowBytes must exceed chatReserveBytes by at least two packets');
  for (const key of Object.keys(partial)) {
    if (!(key in DEFAULT_ENGINE_CONFIG)) errors.push(`unknown engine option '${key}'`);
  }
  return errors.length === 0 ? { ok: true, config } : { ok: false, errors };
}
