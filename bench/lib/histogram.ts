// A latency histogram with logarithmic buckets: constant memory whatever the sample count (the fanout
// suite records millions of deliveries per client process), mergeable across processes, and exact to
// a stated relative precision. A bucket i ≥ 1 holds values in (MIN·g^(i−1), MIN·g^i] with
// g = 1 + PRECISION, so a quantile read back is at least the true one and at most (1 + PRECISION)
// times it (values at or below MIN share bucket 0). The largest value is also kept exactly.

/** Relative width of a bucket: quantiles are read back to within 1 %. */
export const HISTOGRAM_PRECISION = 0.01;
/** Smallest value told apart (ms): 1 µs — below any socket round trip. */
export const HISTOGRAM_MIN_MS = 0.001;
/** Values above this (ms) are clamped into the last bucket: 1,000,000 s is no latency. */
export const HISTOGRAM_MAX_MS = 1e9;

const GROWTH = Math.log1p(HISTOGRAM_PRECISION);
const BUCKETS = Math.ceil(Math.log(HISTOGRAM_MAX_MS / HISTOGRAM_MIN_MS) / GROWTH) + 1;

/** A histogram as JSON: non-empty buckets as [index, count] pairs. */
export interface HistogramJson {
  precision: number;
  minMs: number;
  count: number;
  max: number;
  sum: number;
  buckets: Array<[number, number]>;
}

export class LatencyHistogram {
  private readonly counts = new Float64Array(BUCKETS);
  private n = 0;
  private maxValue = -Infinity;
  private total = 0;

  /** Records one value (ms); non-finite and negative values are ignored (returns false). */
  record(ms: number): boolean {
    if (!Number.isFinite(ms) || ms < 0) return false;
    const i = bucketOf(ms);
    this.counts[i] = (this.counts[i] ?? 0) + 1;
    this.n++;
    this.total += ms;
    if (ms > this.maxValue) this.maxValue = ms;
    return true;
  }

  get count(): number {
    return this.n;
  }

  /** The largest value recorded, exactly; undefined when empty. */
  get max(): number | undefined {
    return this.n === 0 ? undefined : this.maxValue;
  }

  get mean(): number | undefined {
    return this.n === 0 ? undefined : this.total / this.n;
  }

  /**
   * The nearest-rank q-quantile (the value at rank ⌈q·n⌉, at least rank 1) to within the precision:
   * never below the true value, at most (1 + precision) times it, never above the maximum.
   */
  quantile(q: number): number | undefined {
    if (this.n === 0 || !Number.isFinite(q)) return undefined;
    const rank = Math.max(1, Math.ceil(Math.min(1, Math.max(0, q)) * this.n));
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.counts[i] ?? 0;
      if (seen >= rank) return Math.min(upperBound(i), this.maxValue);
    }
    return this.maxValue;
  }

  /** Adds every value of `other` to this one. */
  merge(other: LatencyHistogram): void {
    for (let i = 0; i < BUCKETS; i++) this.counts[i] = (this.counts[i] ?? 0) + (other.counts[i] ?? 0);
    this.n += other.n;
    this.total += other.total;
    if (other.n > 0 && other.maxValue > this.maxValue) this.maxValue = other.maxValue;
  }

  toJSON(): HistogramJson {
    const buckets: Array<[number, number]> = [];
    for (let i = 0; i < BUCKETS; i++) {
      const c = this.counts[i] ?? 0;
      if (c > 0) buckets.push([i, c]);
    }
    return { precision: HISTOGRAM_PRECISION, minMs: HISTOGRAM_MIN_MS, count: this.n, max: this.n === 0 ? 0 : this.maxValue, sum: this.total, buckets };
  }

  /** Rebuilds a histogram from toJSON()'s output (from another process); an error message if it is not one. */
  static fromJSON(value: unknown): LatencyHistogram | string {
    if (typeof value !== 'object' || value === null) return 'a histogram must be an object';
    const v = value as Partial<Record<keyof HistogramJson, unknown>>;
    if (v.precision !== HISTOGRAM_PRECISION || v.minMs !== HISTOGRAM_MIN_MS) return 'the histogram was made with other bucket settings';
    if (typeof v.max !== 'number' || typeof v.sum !== 'number' || typeof v.count !== 'number' || !Array.isArray(v.buckets)) {
      return 'a histogram needs count, max, sum and buckets';
    }
    const h = new LatencyHistogram();
    let n = 0;
    for (const entry of v.buckets as unknown[]) {
      if (!Array.isArray(entry) || entry.length !== 2) return 'a bucket must be an [index, count] pair';
      const [i, c] = entry as unknown[];
      if (!Number.isSafeInteger(i) || (i as number) < 0 || (i as number) >= BUCKETS) return `bucket index ${String(i)} is out of range`;
      if (!Number.isSafeInteger(c) || (c as number) < 0) return `bucket count ${String(c)} is not a count`;
      h.counts[i as number] = (h.counts[i as number] ?? 0) + (c as number);
      n += c as number;
    }
    if (n !== v.count) return `the buckets hold ${n} values, not ${v.count}`;
    h.n = n;
    h.total = v.sum;
    h.maxValue = n === 0 ? -Infinity : v.max;
    return h;
  }
}

function bucketOf(ms: number): number {
  if (ms <= HISTOGRAM_MIN_MS) return 0;
  let i = Math.ceil(Math.log(ms / HISTOGRAM_MIN_MS) / GROWTH);
  // Guard the float rounding at bucket edges so that lower < ms ≤ upper holds exactly.
  if (i > 0 && ms <= upperBound(i - 1)) i--;
  else if (ms > upperBound(i)) i++;
  return Math.min(BUCKETS - 1, Math.max(0, i));
}

function upperBound(i: number): number {
  return HISTOGRAM_MIN_MS * Math.exp(i * GROWTH);
}
