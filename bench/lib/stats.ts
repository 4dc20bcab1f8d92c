// Small statistics for benchmark samples: medians (the figure we report — robust against the odd
// sample slowed by another process on a shared machine), spread, ratios and number formatting.

/** Quantile q (0..1) of the finite values, interpolated linearly between ranks; undefined when none. */
export function quantile(values: readonly number[], q: number): number | undefined {
  const sorted = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return undefined;
  const clamped = Math.min(1, Math.max(0, q));
  const pos = clamped * (sorted.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  const a = sorted[lo] as number;
  const b = sorted[hi] as number;
  return a + (b - a) * (pos - lo);
}

/** The median of the finite values (mean of the middle two for an even count), or undefined. */
export function median(values: readonly number[]): number | undefined {
  return quantile(values, 0.5);
}

/** Smallest and largest finite value, or undefined when none. */
export function range(values: readonly number[]): { min: number; max: number } | undefined {
  let min = Infinity;
  let max = -Infinity;
  for (const v of values) {
    if (!Number.isFinite(v)) continue;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return min === Infinity ? undefined : { min, max };
}

/**
 * Half the min–max spread as a fraction of the median (0.05 = samples within ±5 %), or undefined.
 * Shown next to medians so a noisy figure reads as noisy.
 */
export function relativeSpread(values: readonly number[]): number | undefined {
  const m = median(values);
  const r = range(values);
  if (m === undefined || r === undefined || m === 0) return undefined;
  return (r.max - r.min) / 2 / Math.abs(m);
}

/** value / reference, or undefined when either is missing or the reference is 0. */
export function ratio(value: number | undefined, reference: number | undefined): number | undefined {
  if (value === undefined || reference === undefined || !Number.isFinite(value) || !Number.isFinite(reference) || reference === 0) {
    return undefined;
  }
  return value / reference;
}

/** Summary of one contender's samples. */
export interface SampleSummary {
  n: number;
  median: number | undefined;
  min: number | undefined;
  max: number | undefined;
  spread: number | undefined;
}

export function summarise(values: readonly number[]): SampleSummary {
  const r = range(values);
  return { n: values.length, median: median(values), min: r?.min, max: r?.max, spread: relativeSpread(values) };
}

// --- formatting ------------------------------------------------------------------------------------

const DASH = '–';

/** 1234567 → "1.23M", 4321 → "4.32k", 12.5 → "12.5"; three significant digits. */
export function formatSi(value: number | undefined, unit = ''): string {
  if (value === undefined || !Number.isFinite(value)) return DASH;
  const abs = Math.abs(value);
  const [scaled, prefix] =
    abs >= 1e9 ? [value / 1e9, 'G'] : abs >= 1e6 ? [value / 1e6, 'M'] : abs >= 1e3 ? [value / 1e3, 'k'] : [value, ''];
  return `${significant(scaled, 3)}${prefix}${unit}`;
}

/** A number with `digits` significant digits, trailing zeros dropped ("12.5", "0.0312", "1200"). */
export function significant(value: number, digits = 3): string {
  if (!Number.isFinite(value)) return DASH;
  if (value === 0) return '0';
  const text = value.toPrecision(digits);
  return text.includes('e') ? String(Number(text)) : text.includes('.') ? text.replace(/\.?0+$/, '') : text;
}

/** Fixed decimals, or a dash. */
export function formatFixed(value: number | undefined, decimals: number): string {
  return value === undefined || !Number.isFinite(value) ? DASH : value.toFixed(decimals);
}

/** A ratio as "1.04×". */
export function formatRatio(value: number | undefined, decimals = 2): string {
  return value === undefined || !Number.isFinite(value) ? DASH : `${value.toFixed(decimals)}×`;
}

/** A fraction as a percentage: 0.052 → "5.2%". */
export function formatPercent(value: number | undefined, decimals = 1): string {
  return value === undefined || !Number.isFinite(value) ? DASH : `${(value * 100).toFixed(decimals)}%`;
}

/** Milliseconds, readable: 0.35 → "0.35 ms", 1520 → "1.52 s". */
export function formatMs(value: number | undefined): string {
  if (value === undefined || !Number.isFinite(value)) return DASH;
  if (Math.abs(value) >= 1000) return `${significant(value / 1000, 3)} s`;
  return `${significant(value, 3)} ms`;
}

/** A median with its spread: "1.23M ±4%". */
export function formatWithSpread(s: SampleSummary, format: (v: number | undefined) => string): string {
  const m = format(s.median);
  if (s.n < 2 || s.spread === undefined) return m;
  return `${m} ±${Math.round(s.spread * 100)}%`;
}
