// Picks the congestion controller named in the engine config.

import type { ResolvedEngineConfig } from '../config.ts';
import { LossTolerant } from './loss-tolerant.ts';
import { NewReno } from './newreno.ts';
import type { CongestionController, RttView } from './types.ts';

export type { CongestionController, CongestionParams, RttView } from './types.ts';
export { NewReno } from './newreno.ts';
export { LossTolerant, LOSS_EWMA_GAIN } from './loss-tolerant.ts';

// The parameter objects are literals, not spreads: the controllers read them on every ACK, and a spread's
// hidden class can change over a process's life (see ../config-shape.ts), making that code polymorphic.
export function createCongestionController(config: ResolvedEngineConfig, rtt: RttView): CongestionController {
  switch (config.congestion) {
    case 'newreno':
      return new NewReno({
        maxDatagramBytes: config.maxPacketBytes,
        initialWindowBytes: config.initialWindowBytes,
        minWindowBytes: config.minWindowBytes,
        lossReductionFactor: config.lossReductionFactor,
      });
    case 'loss-tolerant':
      return new LossTolerant(lossTolerantParams(config), rtt);
  }
}

/** The loss-tolerant controller's parameters from an engine config (a literal: see above). */
export function lossTolerantParams(config: ResolvedEngineConfig): ConstructorParameters<typeof LossTolerant>[0] {
  return {
    maxDatagramBytes: config.maxPacketBytes,
    initialWindowBytes: config.initialWindowBytes,
    minWindowBytes: config.minWindowBytes,
    lossReductionFactor: config.lossReductionFactor,
    lossTolerance: config.lossTolerance,
    queueDelayFactor: config.queueDelayFactor,
    queueDelayMinMs: config.queueDelayMinMs,
  };
}
