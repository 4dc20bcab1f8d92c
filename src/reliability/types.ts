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

/** Something the engine tells its owner. */
export type EngineEvent =
  /** A whole message, delivered exactly once and in order within its channel. */
  | { type: 'message'; channel: ChannelId; data: Uint8Array }
  /** The peer stopped answering (dead-peer limit). Reported once; the engine then goes quiet. */
  | { type: 'lost'; reason: 'timeout' };

export type EngineState = 'open' | 'lost' | 'closed';

/** Counters readable at any time. Packet counts include ACK-only packets unless named otherwise. */
export interface EngineStats {
  packetsSent: number;
  packetsReceived: number;
  /** Packets that carried at least one data fragment (first transmissions and retransmissions). */
  dataPacketsSent: number;
  /** Packets that carried only acknowledgements / keepalives. */
  ackPacketsSent: number;
  retransmitsTimeout: number;
  retransmitsFast: number;
  /** Retransmissions later shown unnecessary (the original was acknowledged). */
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
  /** Stop at once: no more packets, buffers freed. */
  close(): void;
}
