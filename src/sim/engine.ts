// The engine the simulator runs by default: the real reliability engine, one per end, with the
// scenario's engine options.
import { Connection } from '../reliability/connection.ts';
import type { EngineFactory } from './runner.ts';

export const defaultEngineFactory: EngineFactory = (_role, now, config) => new Connection(config, now);
