// A set of non-negative integers kept as sorted, disjoint, non-adjacent half-open ranges
// [start, end). Used for SACK (packet numbers received / acknowledged) and for byte coverage of
// a message. Appending at the top — the common case for packet numbers — is O(1); other inserts
// are a binary search plus a splice. Dropping from the bottom is O(1) amortised.

export class RangeSet {
  private starts: number[] = [];
  private ends: number[] = [];
  /** Index of the first live range in the arrays (ranges below were dropped). */
  private head = 0;

  /** Number of ranges. */
  get count(): number {
    return this.starts.length - this.head;
  }

  get isEmpty(): boolean {
    return this.starts.length === this.head;
  }

  /** Start of the i-th range (0 = lowest). */
  start(i: number): number {
    return this.starts[this.head + i] ?? 0;
  }

  /** End (exclusive) of the i-th range. */
  end(i: number): number {
    return this.ends[this.head + i] ?? 0;
  }

  /** Smallest member, or undefined when empty. */
  min(): number | undefined {
    return this.isEmpty ? undefined : this.start(0);
  }

  /** Largest member, or undefined when empty. */
  max(): number | undefined {
    return this.isEmpty ? undefined : this.end(this.count - 1) - 1;
  }

  /** Total number of integers covered. */
  size(): number {
    let n = 0;
    for (let i = this.head; i < this.starts.length; i++) n += (this.ends[i] ?? 0) - (this.starts[i] ?? 0);
    return n;
  }

  clear(): void {
    // pop() is cheap where `length = 0` is not (it runs on every emptying of an ACK set).
    const starts = this.starts;
    const ends = this.ends;
    if (starts.length <= 16) {
      while (starts.length > 0) {
        starts.pop();
        ends.pop();
      }
    } else {
      this.starts = [];
      this.ends = [];
    }
    this.head = 0;
  }

  /** Index (0-based) of the first range whose end is > v, or count if none. */
  indexAfter(v: number): number {
    let lo = this.head;
    let hi = this.starts.length;
    const ends = this.ends;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((ends[mid] ?? 0) > v) hi = mid;
      else lo = mid + 1;
    }
    return lo - this.head;
  }

  has(v: number): boolean {
    const i = this.indexAfter(v);
    return i < this.count && this.start(i) <= v;
  }

  /** True when every integer of [start, end) is in the set (an empty range is always contained). */
  containsRange(start: number, end: number): boolean {
    if (end <= start) return true;
    const i = this.indexAfter(start);
    return i < this.count && this.start(i) <= start && this.end(i) >= end;
  }

  /** True when some integer of [start, end) is in the set. */
  intersects(start: number, end: number): boolean {
    if (end <= start) return false;
    const i = this.indexAfter(start);
    return i < this.count && this.start(i) < end;
  }

  /**
   * First integer ≥ v that is not in the set (v itself if v is not covered).
   */
  firstGapAtOrAfter(v: number): number {
    const i = this.indexAfter(v);
    if (i < this.count && this.start(i) <= v) return this.end(i);
    return v;
  }

  /**
   * Add [start, end). Returns how many integers were newly added (0 if all were present).
   */
  insert(start: number, end: number): number {
    if (end <= start) return 0;
    const starts = this.starts;
    const ends = this.ends;
    const n = starts.length;
    // Fast paths at the top.
    if (n === this.head) {
      starts.push(start);
      ends.push(end);
      return end - start;
    }
    const lastEnd = ends[n - 1] ?? 0;
    const lastStart = starts[n - 1] ?? 0;
    if (start > lastEnd) {
      starts.push(start);
      ends.push(end);
      return end - start;
    }
    if (start >= lastStart) {
      if (end <= lastEnd) return 0;
      ends[n - 1] = end;
      return end - lastEnd;
    }
    // General case: ranges [i, j) touch or overlap [start, end) (adjacent ranges merge too).
    const i = this.head + this.indexAfter(start - 1); // first range with end ≥ start
    let covered = 0;
    let newStart = start;
    let newEnd = end;
    let j = i;
    while (j < n && (starts[j] ?? 0) <= end) {
      const s = starts[j] ?? 0;
      const e = ends[j] ?? 0;
      const overlap = Math.min(e, end) - Math.max(s, start);
      if (overlap > 0) covered += overlap;
      if (s < newStart) newStart = s;
      if (e > newEnd) newEnd = e;
      j++;
    }
    const added = end - start - covered;
    if (j === i) {
      starts.splice(i, 0, newStart);
      ends.splice(i, 0, newEnd);
    } else {
      starts[i] = newStart;
      ends[i] = newEnd;
      if (j - i > 1) {
        starts.splice(i + 1, j - i - 1);
        ends.splice(i + 1, j - i - 1);
      }
    }
    return added;
  }

  /** Smallest member ≥ v, or Infinity when there is none. */
  firstMemberAtOrAfter(v: number): number {
    const i = this.indexAfter(v);
    if (i >= this.count) return Infinity;
    const s = this.start(i);
    return s > v ? s : v;
  }

  /** Remove [start, end). Returns how many integers were removed. */
  remove(start: number, end: number): number {
    if (end <= start || this.isEmpty) return 0;
    const starts = this.starts;
    const ends = this.ends;
    const first = this.head + this.indexAfter(start); // first range with end > start
    let removed = 0;
    let j = first;
    const keepStarts: number[] = [];
    const keepEnds: number[] = [];
    while (j < starts.length && (starts[j] ?? 0) < end) {
      const s = starts[j] ?? 0;
      const e = ends[j] ?? 0;
      removed += Math.min(e, end) - Math.max(s, start);
      if (s < start) {
        keepStarts.push(s);
        keepEnds.push(start);
      }
      if (e > end) {
        keepStarts.push(end);
        keepEnds.push(e);
      }
      j++;
    }
    if (j > first || keepStarts.length > 0) {
      starts.splice(first, j - first, ...keepStarts);
      ends.splice(first, j - first, ...keepEnds);
    }
    if (this.head === starts.length) this.clear();
    return removed;
  }

  /** Remove every integer < v. */
  removeBelow(v: number): void {
    const starts = this.starts;
    const ends = this.ends;
    while (this.head < starts.length && (ends[this.head] ?? 0) <= v) this.head++;
    if (this.head < starts.length && (starts[this.head] ?? 0) < v) starts[this.head] = v;
    this.compact();
  }

  /** Drop the lowest ranges until at most `n` remain. */
  keepHighest(n: number): void {
    const excess = this.count - n;
    if (excess > 0) {
      this.head += excess;
      this.compact();
    }
  }

  private compact(): void {
    if (this.head === this.starts.length) {
      this.clear();
      return;
    }
    if (this.head >= 32 && this.head * 2 >= this.starts.length) {
      this.starts.splice(0, this.head);
      this.ends.splice(0, this.head);
      this.head = 0;
    }
  }

  /** The ranges as [start, end) pairs, lowest first (tests and debugging). */
  toArray(): Array<[number, number]> {
    const out: Array<[number, number]> = [];
    for (let i = 0; i < this.count; i++) out.push([this.start(i), this.end(i)]);
    return out;
  }
}
