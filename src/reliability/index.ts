// The reliability engine's public surface: the connection, its config, and the pieces other
// corners may want (packet decoding for logs and the simulator, the controller seam).

export { Connection, createConnection } from './connection.ts';
export {
  DEFAULT_ENGINE_CONFIG,
  resolveEngineConfig,
  rfc9002InitialWindow,
  type CongestionAlgorithm,
  type ConfigResult,
  type EngineConfig,
  type ResolvedEngineConfig,
} from './config.ts';
export { decodePacket, PACKET_HEADER_BYTES, PACKET_VERSION, type DecodedPacket, type PacketDecodeResult, type PacketRejection } from './packet.ts';
export type { CongestionController, RttView } from './congestion/index.ts';
export {
  Channel,
  CHANNEL_COUNT,
  type ChannelId,
  type EngineEvent,
  type EngineState,
  type EngineStats,
  type ReliableConnection,
} from './types.ts';
