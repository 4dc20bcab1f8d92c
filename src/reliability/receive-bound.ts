// The receive side's bound: what an engine may hold of what its peer sent, and what each thing held
// costs against it (docs/engine.md, "Receive accounting"). The reassemblers charge by these figures,
// the connection closes a peer whose frame would take it past the bound (QUIC's FLOW_CONTROL_ERROR).
import type { ResolvedEngineConfig } from './config.ts';

/**
 * What holding one message costs beyond its bytes, whatever its size (an empty one too): its record
 * and coverage set, its entry in the map of pending messages, or — delivered and not yet taken — its
 * event and its slot in the event queue. Measured with Node 20 (`--expose-gc`, heap and array buffers
 * after full collections, ten engines each holding 1,023 empty messages ahead of a missing one): ~370
 * bytes a message, the packet that brought it included; 512 leaves room for V8's other layouts.
 * Charged so that a peer sending empty messages cannot hold memory for free.
 */
export const MESSAGE_OVERHEAD_BYTES = 512;

/**
 * What one stored piece costs beyond its bytes: its array view (8-byte aligned in its slab) and the two
 * slots that keep it and its offset, or (a preallocated message) one more range in the message's
 * coverage set. Measured the same way: ~150 bytes a one-byte piece of a large message, ~25 a range of a
 * preallocated one; 192 covers both.
 */
export const PIECE_OVERHEAD_BYTES = 192;

/**
 * The bound, as a multiple of the advertised window. An honest sender keeps its new data within the
 * window it last heard of, but data it declared lost may still arrive beside the data that replaced
 * it in the window: up to about one more window. Twice the window is what no honest peer exceeds.
 */
export const RECEIVE_HARD_LIMIT_FACTOR = 2;

/** Channels (chat, bulk): each has a message at the head of its line and one being sent. */
const CHANNELS = 2;

/**
 * The most an engine with `config` holds of what its peer sent, everything counted (data, preallocated
 * buffers, overheads, messages delivered and not yet taken): RECEIVE_HARD_LIMIT_FACTOR windows; plus,
 * per channel, two messages of the channel's largest size (the head of the line is exempt from the
 * window, so that a message larger than the window completes, and the message being sent has its
 * whole buffer allocated at its first fragment); plus the overhead of a full line of messages held
 * out of order (the window counts bytes, and a line of empty messages has none).
 */
export function receiveBoundBytes(config: Readonly<ResolvedEngineConfig>): number {
  const largest = config.maxChatMessageBytes + config.maxBulkMessageBytes;
  return (
    RECEIVE_HARD_LIMIT_FACTOR * config.receiveWindowBytes +
    2 * largest +
    CHANNELS * config.maxMessagesInFlight * MESSAGE_OVERHEAD_BYTES
  );
}
