import { describe, expect, it } from 'vitest';
import { WriteBatch, type Batched } from '../../src/tcp/write-batch.ts';

function target(log: string[], name: string): Batched {
  return { batched: false, flush: () => void log.push(name) };
}

const nextIteration = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('WriteBatch', () => {
  it('flushes each target once per event-loop iteration, in the order they were first added', async () => {
    const batch = new WriteBatch();
    const log: string[] = [];
    const a = target(log, 'a');
    const b = target(log, 'b');
    batch.add(a);
    batch.add(b);
    batch.add(a);
    expect(log).toEqual([]);
    await nextIteration();
    expect(log).toEqual(['a', 'b']);
    expect(a.batched).toBe(false);
    batch.add(b);
    await nextIteration();
    expect(log).toEqual(['a', 'b', 'b']);
  });

  it('a target added while the batch flushes goes out in the next iteration', async () => {
    const batch = new WriteBatch();
    const log: string[] = [];
    const late = target(log, 'late');
    const first: Batched = {
      batched: false,
      flush: () => {
        log.push('first');
        batch.add(late);
      },
    };
    batch.add(first);
    await nextIteration();
    expect(log).toEqual(['first']);
    await nextIteration();
    expect(log).toEqual(['first', 'late']);
  });
});
