// Minimum of a signal over a sliding time window, O(1) amortised per sample and allocation-free:
// the classic monotonic queue (values increasing from front to back; older, larger values can
// never be the minimum again). A fixed ring bounds memory; if it fills, the oldest entry goes —
// the minimum then covers slightly less than the window, which is harmless for its use here
// (telling a standing queue from jitter, and letting the base RTT follow a route change).

const CAPACITY = 64; // power of two

export class WindowedMin {
  private readonly times = new Float64Array(CAPACITY);
  private readonly values = new Float64Array(CAPACITY);
  private head = 0;
  private size = 0;

  /** Add a sample at `now`, forgetting samples older than `now − window`. */
  push(now: number, value: number, window: number): void {
    const mask = CAPACITY - 1;
    // Drop larger-or-equal values at the back: the new sample dominates them.
    while (this.size > 0 && (this.values[(this.head + this.size - 1) & mask] ?? 0) >= value) this.size--;
    if (this.size === CAPACITY) {
      // Drop the runner-up (index 1): shift the front entry up one slot.
      const second = (this.head + 1) & mask;
      this.times[second] = this.times[this.head] ?? 0;
      this.values[second] = this.values[this.head] ?? 0;
      this.head = second;
      this.size--;
    }
    const at = (this.head + this.size) & mask;
    this.times[at] = now;
    this.values[at] = value;
    this.size++;
    this.expire(now, window);
  }

  /** Forget samples older than `now − window` (the newest always stays). */
  expire(now: number, window: number): void {
    const mask = CAPACITY - 1;
    while (this.size > 1 && (this.times[this.head] ?? 0) < now - window) {
      this.head = (this.head + 1) & mask;
      this.size--;
    }
  }

  /** The minimum over the window, or undefined before any sample. */
  get value(): number | undefined {
    return this.size === 0 ? undefined : this.values[this.head];
  }
}
