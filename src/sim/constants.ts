// Every constant of the link model, simulator and workload, each with its reason.

/**
 * Bottleneck queue when a rate limit is set and no size is given: 64 KiB, a modest router buffer —
 * about 50 ms of backlog at 10 Mbit/s, 0.5 s at 1 Mbit/s (where bufferbloat starts to show).
 */
export const DEFAULT_QUEUE_BYTES = 64 * 1024;

/**
 * A reordered datagram is held back by an extra delay drawn uniformly from this range, so that the
 * datagrams sent in the next few milliseconds overtake it (netem's reordering does the same by sending
 * the others early). Long enough to overtake several chat packets, short against any sane RTO.
 */
export const REORDER_HOLD_MIN_MS = 1;
export const REORDER_HOLD_MAX_MS = 10;

/** A duplicate arrives this much after its original at most (uniform): copies made close together on the path. */
export const DUPLICATE_SPREAD_MS = 1;

/** Corruption flips between 1 and this many distinct bits of a datagram (CRC-32 catches all of these). */
export const CORRUPT_MAX_BITS = 3;

/** Connection id written in the datagram header of simulated traffic (any value works; this one reads "5117"). */
export const SIM_CONNECTION_ID = 0x5117;

/**
 * Workload message header: index u32, payload length u32, send time f64 (virtual ms), channel u8, three
 * zero bytes, CRC-32 u32 over everything before it and the payload. 24 bytes, 8-byte aligned send time.
 */
export const MESSAGE_HEADER_BYTES = 24;

/**
 * One-way delay of the path when a run is described by flags alone (no scenario, no --delay): 20 ms, a
 * typical Internet path (40 ms RTT). With no delay at all latency would be ~0 ms at every loss rate
 * and a sweep's latency plot flat; scenario files keep the link model's 0 default and say what they mean.
 */
export const COMMAND_LINE_DELAY_MS = 20;

/** Default workload when none is given: 1000 chat lines of 100 bytes at 100 lines/s (10 s of chat). */
export const DEFAULT_MESSAGES = 1000;
export const DEFAULT_MESSAGE_BYTES = 100;
export const DEFAULT_MESSAGE_RATE = 100;

/**
 * File transfers are cut into messages of this size on the bulk channel. 16 KiB keeps each message a
 * handful of datagrams and lets the receiver's progress (and latency per chunk) be seen.
 */
export const DEFAULT_FILE_CHUNK_BYTES = 16 * 1024;

/**
 * Bounds of one run. Ten virtual minutes is far beyond any scenario we ship (the longest needs ~1 min);
 * 20 M events is ~10–20 s of wall time at the target speed, so a runaway run still ends quickly.
 */
export const DEFAULT_MAX_DURATION_MS = 10 * 60_000;
export const DEFAULT_MAX_EVENTS = 20_000_000;

/**
 * Packets drained from one engine in one go before the runner gives up on it: an engine that never
 * stops returning packets is a bug, and the run must still end.
 */
export const MAX_PACKETS_PER_PUMP = 1_000_000;

/**
 * After the last message is delivered the run continues until the sender has nothing in flight (its
 * last retransmissions and ACKs are counted), but no longer than this.
 */
export const DRAIN_GRACE_MS = 60_000;

/** A sweep grid larger than this is refused: at seconds per run, more would take hours. */
export const MAX_SWEEP_RUNS = 1000;

/** A single run's timeline chart shows at most this many points, so its SVG stays a few hundred kB. */
export const MAX_TIMELINE_POINTS = 4000;
