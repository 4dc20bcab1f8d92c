import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../src/sim/clock.ts';
import { TimeHeap } from '../../src/sim/heap.ts';

describe('TimeHeap', () => {
  it('pops in time order, ties in insertion order', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 20 }), fc.boolean()), { maxLength: 300 }), (entries) => {
        const heap = new TimeHeap<number>();
        const popped: number[] = [];
        entries.forEach(([t, popNow], i) => {
          heap.push(t, i);
          if (popNow) popped.push(heap.pop() as number);
        });
        for (let x = heap.pop(); x !== undefined; x = heap.pop()) popped.push(x);
        expect(popped).toHaveLength(entries.length);
        expect(heap.size).toBe(0);
        expect(heap.peekTime()).toBeUndefined();
        // Without interleaved pops the order is exactly a stable sort by time.
        const all = new TimeHeap<number>();
        entries.forEach(([t], i) => all.push(t, i));
        const out: number[] = [];
        for (let x = all.pop(); x !== undefined; x = all.pop()) out.push(x);
        const expected = entries.map(([t], i) => ({ t, i })).sort((a, b) => a.t - b.t || a.i - b.i).map((e) => e.i);
        expect(out).toEqual(expected);
      }),
    );
  });
});

describe('VirtualClock', () => {
  it('advances to each timer in order and only then', () => {
    const clock = new VirtualClock<string>(0);
    clock.schedule(30, 'c');
    clock.schedule(10, 'a');
    clock.schedule(20, 'b');
    expect(clock.now).toBe(0);
    expect(clock.advance()).toBe('a');
    expect(clock.now).toBe(10);
    expect(clock.advance(15)).toBeUndefined();
    expect(clock.now).toBe(10);
    expect(clock.advance(20)).toBe('b');
    expect(clock.now).toBe(20);
    expect(clock.peek()).toBe(30);
    expect(clock.advance()).toBe('c');
    expect(clock.advance()).toBeUndefined();
    expect(clock.pending).toBe(0);
  });

  it('never goes back: a timer in the past fires now', () => {
    const clock = new VirtualClock<number>(100);
    clock.schedule(5, 1);
    expect(clock.peek()).toBe(100);
    expect(clock.advance()).toBe(1);
    expect(clock.now).toBe(100);
  });
});
