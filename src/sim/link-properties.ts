// The link's properties as users name them — in flags (`--delay 20ms`), scenario files (`"delay": "20ms"`)
// and sweeps (`--sweep delay=0,20ms,100ms`) — with one parser each, mapped onto LinkSettings.
import type { LinkSettings } from './link.ts';
import { parseBitRate, parseByteSize, parseDuration, parseNumber, parseProbability, type Parsed } from './units.ts';

export const LINK_PROPERTIES = [
  'loss',
  'burst',
  'delay',
  'jitter',
  'dup',
  'reorder',
  'corrupt',
  'rate',
  'queue',
  'partition',
] as const;
export type LinkProperty = (typeof LINK_PROPERTIES)[number];

export function isLinkProperty(name: string): name is LinkProperty {
  return (LINK_PROPERTIES as readonly string[]).includes(name);
}

/** What each property means and its unit, for help texts, docs and chart axes. */
export const LINK_PROPERTY_INFO: Readonly<Record<LinkProperty, { unit: string; help: string }>> = {
  loss: { unit: 'fraction', help: 'average fraction of datagrams lost, 0..1 or a percentage (0.1, 10%)' },
  burst: { unit: 'datagrams', help: 'mean loss-burst length (1 = independent losses; longer = Gilbert–Elliott bursts, same average loss)' },
  delay: { unit: 'ms', help: 'one-way delay (20ms, 1.5s; a bare number is ms)' },
  jitter: { unit: 'ms', help: 'delay varies uniformly by ± this much (in order: jitter alone never reorders)' },
  dup: { unit: 'fraction', help: 'probability a datagram arrives twice' },
  reorder: { unit: 'fraction', help: 'probability a datagram is held back 1–10 ms so later ones overtake it' },
  corrupt: { unit: 'fraction', help: 'probability a datagram gets 1–3 bits flipped' },
  rate: { unit: 'bit/s', help: 'bandwidth limit (10mbit, 500kbit, 2mbyte = bytes/s; "none" for no limit)' },
  queue: { unit: 'bytes', help: 'bottleneck queue behind the rate limit, tail drop beyond (64kib, 100kb)' },
  partition: { unit: 'boolean', help: 'true: every datagram is lost' },
};

const NO_LIMIT = new Set(['none', 'off', 'unlimited']);

/** Parses one property's value into the settings it sets. */
export function parseLinkProperty(property: LinkProperty, value: unknown): Parsed<Partial<LinkSettings>> {
  const ok = (settings: Partial<LinkSettings>): Parsed<Partial<LinkSettings>> => ({ ok: true, value: settings });
  const map = <T>(r: Parsed<T>, f: (v: T) => Partial<LinkSettings>): Parsed<Partial<LinkSettings>> =>
    r.ok ? ok(f(r.value)) : r;
  switch (property) {
    case 'loss':
      return map(parseProbability(value, 'loss'), (loss) => ({ loss }));
    case 'burst':
      return map(parseNumber(value, 'burst', { min: 1 }), (burst) => ({ burst }));
    case 'delay':
      return map(parseDuration(value, 'delay'), (delayMs) => ({ delayMs }));
    case 'jitter':
      return map(parseDuration(value, 'jitter'), (jitterMs) => ({ jitterMs }));
    case 'dup':
      return map(parseProbability(value, 'dup'), (dup) => ({ dup }));
    case 'reorder':
      return map(parseProbability(value, 'reorder'), (reorder) => ({ reorder }));
    case 'corrupt':
      return map(parseProbability(value, 'corrupt'), (corrupt) => ({ corrupt }));
    case 'rate':
      if (value === null || (typeof value === 'string' && NO_LIMIT.has(value.trim().toLowerCase()))) {
        return ok({ rateBps: undefined });
      }
      return map(parseBitRate(value, 'rate'), (rateBps) => ({ rateBps }));
    case 'queue':
      return map(parseByteSize(value, 'queue'), (queueBytes) => ({ queueBytes }));
    case 'partition':
      if (typeof value === 'boolean') return ok({ partition: value });
      if (value === 'true' || value === 'false') return ok({ partition: value === 'true' });
      return { ok: false, error: `partition must be true or false (got ${JSON.stringify(value)})` };
  }
}

/** A property's current value as a number (for chart axes): rate in bit/s (0 = no limit), partition 0/1. */
export function linkPropertyNumber(settings: LinkSettings, property: LinkProperty): number {
  switch (property) {
    case 'loss':
      return settings.loss;
    case 'burst':
      return settings.burst;
    case 'delay':
      return settings.delayMs;
    case 'jitter':
      return settings.jitterMs;
    case 'dup':
      return settings.dup;
    case 'reorder':
      return settings.reorder;
    case 'corrupt':
      return settings.corrupt;
    case 'rate':
      return settings.rateBps ?? 0;
    case 'queue':
      return settings.queueBytes;
    case 'partition':
      return settings.partition ? 1 : 0;
  }
}
