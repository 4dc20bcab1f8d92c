import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { withFixedShape } from '../../src/reliability/config-shape.ts';
import { DEFAULT_ENGINE_CONFIG, resolveEngineConfig, type EngineConfig, type ResolvedEngineConfig } from '../../src/reliability/config.ts';
import { createConnection } from '../../src/reliability/index.ts';

function resolved(partial: Partial<EngineConfig>): ResolvedEngineConfig {
  const r = resolveEngineConfig(partial);
  if (!r.ok) throw new Error(r.errors.join('; '));
  return r.config;
}

/** Valid partial configs, their keys given in varying orders (spreads then build differently shaped objects). */
const partialConfig: fc.Arbitrary<Partial<EngineConfig>> = fc
  .record(
    {
      maxAckDelayMs: fc.oneof(fc.integer({ min: 0, max: 50 }), fc.double({ min: 0, max: 50, noNaN: true })),
      keepaliveIntervalMs: fc.integer({ min: 0, max: 5_000 }),
      queueDelayMinMs: fc.double({ min: 0, max: 100, noNaN: true }),
      congestion: fc.constantFrom('newreno' as const, 'loss-tolerant' as const),
      maxPacketBytes: fc.integer({ min: 256, max: 9_000 }),
      openPings: fc.integer({ min: 0, max: 2 }),
    },
    { requiredKeys: [] },
  )
  .chain((p) => fc.shuffledSubarray(Object.keys(p), { minLength: Object.keys(p).length }).map((keys) => Object.fromEntries(keys.map((k) => [k, p[k as keyof typeof p]])) as Partial<EngineConfig>));

describe('withFixedShape', () => {
  it('copies every field of the resolved config, values unchanged, keys always in the one order', () => {
    const order = Object.keys(withFixedShape(DEFAULT_ENGINE_CONFIG));
    expect([...order].sort()).toEqual(Object.keys(DEFAULT_ENGINE_CONFIG).sort());
    fc.assert(
      fc.property(partialConfig, (partial) => {
        const c = resolved(partial);
        const fixed = withFixedShape(c);
        expect(fixed).toEqual(c);
        expect(Object.keys(fixed)).toEqual(order);
      }),
    );
  });

  it('is what an engine keeps: its config equals the resolved one, in the fixed key order', () => {
    const partial: Partial<EngineConfig> = { openPings: 1, queueDelayMinMs: 10, maxAckDelayMs: 2 };
    const engine = createConnection(partial, 0);
    expect(engine.config).toEqual(resolved(partial));
    expect(Object.keys(engine.config)).toEqual(Object.keys(withFixedShape(DEFAULT_ENGINE_CONFIG)));
    engine.close();
  });
});
