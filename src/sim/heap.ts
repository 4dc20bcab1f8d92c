// A binary min-heap of items keyed by time, ties broken by insertion order, so that two things due at
// the same instant always come out in the order they were put in (determinism). Parallel arrays keep the
// hot path free of per-entry allocations.

export class TimeHeap<T> {
  private readonly times: number[] = [];
  private readonly order: number[] = [];
  private readonly items: T[] = [];
  private counter = 0;

  get size(): number {
    return this.items.length;
  }

  /** Time of the earliest item, or undefined when empty. */
  peekTime(): number | undefined {
    return this.times[0];
  }

  push(time: number, item: T): void {
    let i = this.items.length;
    const seq = this.counter++;
    this.times.push(time);
    this.order.push(seq);
    this.items.push(item);
    // Sift up.
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.before(time, seq, parent)) break;
      this.move(parent, i);
      i = parent;
    }
    this.times[i] = time;
    this.order[i] = seq;
    this.items[i] = item;
  }

  /** Removes and returns the earliest item. */
  pop(): T | undefined {
    const n = this.items.length;
    if (n === 0) return undefined;
    const top = this.items[0];
    const lastTime = this.times.pop() as number;
    const lastSeq = this.order.pop() as number;
    const lastItem = this.items.pop() as T;
    const size = n - 1;
    if (size > 0) {
      // Sift the former last entry down from the root.
      let i = 0;
      for (;;) {
        const left = 2 * i + 1;
        if (left >= size) break;
        const right = left + 1;
        const child = right < size && this.lessAt(right, left) ? right : left;
        if (!this.afterAt(lastTime, lastSeq, child)) break;
        this.move(child, i);
        i = child;
      }
      this.times[i] = lastTime;
      this.order[i] = lastSeq;
      this.items[i] = lastItem;
    }
    return top;
  }

  clear(): void {
    this.times.length = 0;
    this.order.length = 0;
    this.items.length = 0;
  }

  /** (time, seq) sorts before the entry at index j. */
  private before(time: number, seq: number, j: number): boolean {
    const t = this.times[j] as number;
    return time < t || (time === t && seq < (this.order[j] as number));
  }

  /** (time, seq) sorts after the entry at index j. */
  private afterAt(time: number, seq: number, j: number): boolean {
    const t = this.times[j] as number;
    return time > t || (time === t && seq > (this.order[j] as number));
  }

  private lessAt(i: number, j: number): boolean {
    return this.before(this.times[i] as number, this.order[i] as number, j);
  }

  private move(from: number, to: number): void {
    this.times[to] = this.times[from] as number;
    this.order[to] = this.order[from] as number;
    this.items[to] = this.items[from] as T;
  }
}
