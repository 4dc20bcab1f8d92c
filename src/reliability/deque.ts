// A growable ring buffer: O(1) push at the back, shift at the front and random access by index.
// The engine's queues (messages, retransmissions, sent packets, events) all use it, so the hot
// path never pays for Array.prototype.shift.

export class Deque<T> {
  private items: Array<T | undefined>;
  private mask: number;
  private headIndex = 0;
  private size = 0;

  constructor(initialCapacity = 16) {
    let cap = 4;
    while (cap < initialCapacity) cap *= 2;
    this.items = new Array<T | undefined>(cap);
    this.mask = cap - 1;
  }

  get length(): number {
    return this.size;
  }

  push(item: T): void {
    if (this.size === this.items.length) this.grow();
    this.items[(this.headIndex + this.size) & this.mask] = item;
    this.size++;
  }

  /** Remove and return the front item. */
  shift(): T | undefined {
    if (this.size === 0) return undefined;
    const item = this.items[this.headIndex];
    this.items[this.headIndex] = undefined;
    this.headIndex = (this.headIndex + 1) & this.mask;
    this.size--;
    return item;
  }

  /** The front item without removing it. */
  peek(): T | undefined {
    return this.size === 0 ? undefined : this.items[this.headIndex];
  }

  /** The back item without removing it. */
  peekLast(): T | undefined {
    return this.size === 0 ? undefined : this.items[(this.headIndex + this.size - 1) & this.mask];
  }

  /** The i-th item from the front, or undefined out of range. */
  get(i: number): T | undefined {
    if (i < 0 || i >= this.size) return undefined;
    return this.items[(this.headIndex + i) & this.mask];
  }

  clear(): void {
    this.items.fill(undefined);
    this.headIndex = 0;
    this.size = 0;
  }

  private grow(): void {
    const old = this.items;
    const cap = old.length * 2;
    const next = new Array<T | undefined>(cap);
    for (let i = 0; i < this.size; i++) next[i] = old[(this.headIndex + i) & this.mask];
    this.items = next;
    this.mask = cap - 1;
    this.headIndex = 0;
  }
}
