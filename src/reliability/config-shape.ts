// The engine's resolved config as an object of one fixed shape (V8 hidden class), whoever made it.
//
// Every engine reads its config on the hot path (keepaliveDue, flowRoom, armTimers, the RTT estimator's
// timeouts, …), and the optimised code of those functions is shared by all engines of the process: it is
// fast only while every config object it meets has the same hidden class. resolveEngineConfig builds
// its result with object spreads, and a spread's result class is cached in the feedback of the function
// that spreads — which V8 throws away when that function has not run for a while (bytecode flushing
// at a major GC). The next config then gets a brand-new class, and every engine function that reads a
// config deoptimises ("wrong map") and turns polymorphic, then megamorphic. Measured: in one process
// running the simulator's chat case repeatedly, each run after the first major GC took 1.5–2.4× the
// CPU of the runs before (a server creating engines for new sessions over hours is in the same place).
// An object literal's class comes from its own allocation site and never changes.
import type { ResolvedEngineConfig } from './config.ts';

/** A copy of `c` with the one hidden class every engine's config has (see above). */
export function withFixedShape(c: Readonly<ResolvedEngineConfig>): ResolvedEngineConfig {
  return {
    maxPacketBytes: c.maxPacketBytes,
    maxMessageBytes: c.maxMessageBytes,
    maxChatMessageBytes: c.maxChatMessageBytes,
    maxBulkMessageBytes: c.maxBulkMessageBytes,
    initialPacketNumber: c.initialPacketNumber,
    initialMessageSeq: c.initialMessageSeq,
    rtoInitialMs: c.rtoInitialMs,
    rtoMinMs: c.rtoMinMs,
    rtoMaxMs: c.rtoMaxMs,
    maxBackoffExponent: c.maxBackoffExponent,
    granularityMs: c.granularityMs,
    maxAckDelayMs: c.maxAckDelayMs,
    ackEveryN: c.ackEveryN,
    maxAckRanges: c.maxAckRanges,
    packetThreshold: c.packetThreshold,
    timeThreshold: c.timeThreshold,
    probePackets: c.probePackets,
    tailLossProbes: c.tailLossProbes,
    openPings: c.openPings,
    persistentCongestionThreshold: c.persistentCongestionThreshold,
    congestion: c.congestion,
    initialWindowBytes: c.initialWindowBytes,
    minWindowBytes: c.minWindowBytes,
    lossReductionFactor: c.lossReductionFactor,
    lossTolerance: c.lossTolerance,
    queueDelayFactor: c.queueDelayFactor,
    queueDelayMinMs: c.queueDelayMinMs,
    receiveWindowBytes: c.receiveWindowBytes,
    chatReserveBytes: c.chatReserveBytes,
    maxMessagesInFlight: c.maxMessagesInFlight,
    keepaliveIntervalMs: c.keepaliveIntervalMs,
    idleTimeoutMs: c.idleTimeoutMs,
    peerSilenceTimeoutMs: c.peerSilenceTimeoutMs,
    deadPeerProbes: c.deadPeerProbes,
  };
}
