// Picks the congestion controller named in the engine config.

import type { ResolvedEngineConfig } from '../config.ts';
import { LossTolerant } from './loss-tolerant.ts';
import { NewReno } from './newreno.ts';
import type { CongestionController, RttView } from './types.ts';

export type { CongestionController, CongestionParams, RttView } from './types.ts';
export { NewReno } from './newreno.ts';
export { LossTolerant, LOSS_EWMA_GAIN } from './loss-tolerant.ts';

export function createCongestionController(config: ResolvedEngineConfig, rtt: RttView): CongestionController {
  const params = {
    maxDatagramBytes: config.maxPacketBytes,
    initialWindowBytes: config.initialWindowBytes,
    minWindowBytes: config.minWindowBytes,
    lossReductionFactor: config.lossReductionFactor,
  };
  switch (config.congestion) {
    case 'newreno':
      return new NewReno(params);
    case 'loss-tolerant':
      return new LossTolerant({
        ...params,
        lossTolerance: config.lossTolerance,
        queueDelayFactor: config.queueDelayFactor,
        queueDelayMinMs: config.queueDelayMinMs,
      }, rtt);
  }
}
