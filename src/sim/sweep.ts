// Sweeps: `--sweep loss=0,0.05,0.1` runs the same simulation once per value of a link property; several
// sweeps run the whole grid (every combination). Each point sets the property on both directions' base
// settings; phases still apply on top. Every point keeps the seed, so runs differ only by the property.
import { MAX_SWEEP_RUNS } from './constants.ts';
import { mergeLinkSettings, type LinkSettings } from './link.ts';
import { isLinkProperty, LINK_PROPERTIES, parseLinkProperty, type LinkProperty } from './link-properties.ts';
import type { SimulationSpec } from './scenario.ts';
import type { Parsed } from './units.ts';

/** Properties that can be swept (a partition is a phase, not a setting to sweep). */
export const SWEEPABLE_PROPERTIES: readonly LinkProperty[] = LINK_PROPERTIES.filter((p) => p !== 'partition');

export interface SweepValue {
  /** As written, for tables and labels. */
  text: string;
  settings: Partial<LinkSettings>;
}

export interface SweepDimension {
  property: LinkProperty;
  values: SweepValue[];
}

export interface SweepPoint {
  /** property → value as written. */
  parameters: Record<string, string>;
  spec: SimulationSpec;
}

/** Parses `PROPERTY=V1,V2,…`. */
export function parseSweep(arg: string): Parsed<SweepDimension> {
  const eq = arg.indexOf('=');
  if (eq < 0) return { ok: false, error: `"${arg}" must look like PROPERTY=V1,V2,… (e.g. loss=0,0.05,0.1)` };
  const property = arg.slice(0, eq).trim();
  if (!isLinkProperty(property) || !SWEEPABLE_PROPERTIES.includes(property)) {
    return { ok: false, error: `cannot sweep "${property}": choose one of ${SWEEPABLE_PROPERTIES.join(', ')}` };
  }
  const texts = arg
    .slice(eq + 1)
    .split(',')
    .map((t) => t.trim());
  if (texts.length === 0 || texts.some((t) => t === '')) {
    return { ok: false, error: `${property}: give a comma-separated list of values without empty entries (got "${arg.slice(eq + 1)}")` };
  }
  const values: SweepValue[] = [];
  for (const text of texts) {
    const parsed = parseLinkProperty(property, text);
    if (!parsed.ok) return { ok: false, error: parsed.error };
    values.push({ text, settings: parsed.value });
  }
  return { ok: true, value: { property, values } };
}

/** Every combination of the dimensions, first dimension varying slowest. */
export function expandSweep(base: SimulationSpec, dims: readonly SweepDimension[]): Parsed<SweepPoint[]> {
  const seen = new Set<LinkProperty>();
  for (const d of dims) {
    if (seen.has(d.property)) return { ok: false, error: `${d.property} is swept twice: give its values in one --sweep` };
    seen.add(d.property);
  }
  const total = dims.reduce((n, d) => n * d.values.length, 1);
  if (total > MAX_SWEEP_RUNS) {
    return { ok: false, error: `the sweep grid has ${total} runs, more than the ${MAX_SWEEP_RUNS} allowed: use fewer values` };
  }
  let points: SweepPoint[] = [{ parameters: {}, spec: base }];
  for (const d of dims) {
    const next: SweepPoint[] = [];
    for (const p of points) {
      for (const v of d.values) {
        next.push({
          parameters: { ...p.parameters, [d.property]: v.text },
          spec: {
            ...p.spec,
            forward: mergeLinkSettings(p.spec.forward, v.settings),
            reverse: mergeLinkSettings(p.spec.reverse, v.settings),
          },
        });
      }
    }
    points = next;
  }
  return { ok: true, value: points };
}
