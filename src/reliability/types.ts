// The engine's contract with the shells (UDP endpoint, simulator). The engine is sans-IO: bytes and
// `now` (milliseconds, any monotonic origin) go in; packets to send, delivered messages, events and
// the next wake-up time come out. It never reads a clock, a socket or Math.random.

/** Independent ordered streams: a lost bulk packet never delays a chat message. */
export const Channel = {
  chat: 0,
  bulk: 1,
} as const;
export type ChannelId = (typeof Channel)[keyof typeof Channel];
export const CHANNEL_COUNT = 2;

/**
 * What a peer did that no honest peer does (QUIC's transport errors in spirit); the engine closes on it.
 * flow-control: its data would take the engine past its receive bound (docs/engine.md, "Receive
 * accounting"); message-size: a message larger than its channel's maximum; message-limit: a message
 * further ahead of the next expected one than maxMessagesInFlight.
 */
export type PeerViolation = 'flow-control' | 'message-size' | 'message-limit';

/** Something the engine tells its owner. */
export type EngineEvent =
  /** A whole message, delivered exactly once and in order within its channel. */
  | { type: 'message'; channel: ChannelId; data: Uint8Array }
  /** The peer stopped answering (dead-peer limit). Reported once; the engine then goes quiet. */
  | { type: 'lost'; reason: 'timeout' }
  /**
   * The peer broke the protocol (`detail` says how, for a log). Reported once; the engine has stopped and
   * freed its buffers, and holds nothing more the peer sends.
   */
  | { type: 'lost'; reason: PeerViolation; detail: string };

export type EngineState = 'open' | 'lost' | 'closed';

/** Counters readable at any time. Packet counts include ACK-only packets unless named otherwise. */
export interface EngineStats {
  packetsSent: number;
  packetsReceived: number;
  /** Packets that carried at least one data fragment (first transmissions and retransmissions). */
  dataPacketsSent: number;
  /** Data bytes put in packets, resent bytes included: dataBytesSent − resentBytes are fresh bytes. */
  dataBytesSent: number;
  /**
   * Of dataBytesSent, bytes sent before (retransmissions and probe copies), whether or not their
   * packet also carried new bytes: the like-for-like measure of what loss recovery cost.
   */
  resentBytes: number;
  /** Data packets that carried any resent bytes (a superset of the retransmits below). */
  packetsWithResentData: number;
  /** Packets that carried only acknowledgements / keepalives. */
  ackPacketsSent: number;
  /**
   * Retransmissions, in packets: data packets carrying only bytes sent before (one that also
   * carries new bytes counts as a first transmission, so dataPacketsSent = first transmissions +
   * retransmitsTimeout + retransmitsFast). Timeout: the loss was found after a probe or timer, or
   * an RTO probe resent it; fast: found by arriving ACKs.
   */
  retransmitsTimeout: number;
  retransmitsFast: number;
  /** Data packets acknowledged when every byte they carried already was: copies sent for nothing. */
  retransmitsSpurious: number;
  duplicatesReceived: number;
  messagesSent: number;
  messagesDelivered: number;
  bytesDelivered: number;
  /** Smoothed RTT in ms, undefined before the first sample. */
  srtt: number | undefined;
  rttvar: number | undefined;
  /** Current retransmission timeout in ms (with backoff applied). */
  rto: number;
  /** Congestion window in bytes. */
  cwnd: number;
  bytesInFlight: number;
  /** Messages queued but not yet fully acknowledged, per channel. */
  queuedMessages: number;

  // --- Added by the engine (additive to the original contract) ---
  /** Smallest RTT sample in ms (RFC 9002 §5.2), undefined before the first sample. */
  minRtt: number | undefined;
  /** Packets declared lost (RFC 9002 §6.1 packet or time threshold). */
  packetsLost: number;
  /**
   * The peer's packets that never arrived, below the largest that did (gaps in its packet numbers):
   * the loss of the incoming direction, which ACKs of our own packets cannot show.
   */
  peerPacketsMissing: number;
  /** The peer's packet numbers spanned so far (smallest to largest received), the base of that count. */
  peerPacketsSpanned: number;
  /** Packets that arrived twice (same packet number) and were dropped. */
  duplicatePackets: number;
  /** Packets the decoder rejected (not an engine packet, truncated, bad frames). */
  malformedPackets: number;
  /** Retransmission timeouts that fired (consecutive ones back off exponentially). */
  ptoExpirations: number;
  /** Tail-loss probes sent (the fast, unfloored probe before the retransmission timeout). */
  tailLossProbes: number;
  /** Consecutive unanswered probe timeouts right now (dead-peer counter). */
  ptoCount: number;
  /** PING frames sent (probes and keepalives). */
  pingsSent: number;
  /** Loss episodes that shrank the congestion window. */
  congestionEvents: number;
  /** Slow-start threshold in bytes (Infinity until the first congestion event). */
  ssthresh: number;
  /** Receive window the peer last advertised (bytes it can still buffer). */
  peerWindow: number;
  /** Receive window we would advertise now. */
  receiveWindow: number;
  /** Bytes received and not yet taken by pollEvent (reassembly + undelivered events). */
  bytesBuffered: number;
  /**
   * What the receive side holds, as charged against its bound: data, preallocated buffers, the overhead of
   * every message and piece held, messages delivered and not yet taken (docs/engine.md, "Receive accounting").
   */
  bytesHeld: number;
  /** The bound on bytesHeld: a peer whose data would take it further is closed. */
  receiveBound: number;
  /** Message bytes in unacknowledged packets (what flow control counts against peerWindow). */
  dataBytesInFlight: number;
}

/** The engine, from its owner's side (quinn-proto style). */
export interface ReliableConnection {
  readonly state: EngineState;
  /** Queue a message on a channel. Returns false if the connection is not open. */
  send(channel: ChannelId, data: Uint8Array, now: number): boolean;
  /** A packet from the peer (already stripped of the datagram framing and CRC-checked). */
  handlePacket(packet: Uint8Array, now: number): void;
  /** The next packet to put on the wire now, or undefined when nothing is due. */
  pollTransmit(now: number): Uint8Array | undefined;
  /** Absolute time at which handleTimeout must be called, or undefined when idle for good. */
  pollTimeout(): number | undefined;
  handleTimeout(now: number): void;
  /** Next event for the owner, or undefined. */
  pollEvent(): EngineEvent | undefined;
  stats(): EngineStats;
  /**
   * Messages of `channel` acknowledged in order since the connection opened: the first N messages it was
   * given on that channel have all reached the peer's engine (a later one may be acknowledged already,
   * and is counted once those before it are).
   */
  acknowledgedMessages(channel: ChannelId): number;
  /** Stop at once: no more packets, buffers freed. */
  close(): void;
}
