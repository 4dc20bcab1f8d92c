import { describe, expect, it } from 'vitest';
import { SharedPieces, WriteBatch, type Batched } from '../../src/tcp/write-batch.ts';

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

describe('SharedPieces', () => {
  it('gives a part as it is, and a range of parts as a view of one joined copy', () => {
    const pieces = new SharedPieces();
    const parts = ['<a>1\n', '<b>22\n', '<c>333\n'].map((t) => Buffer.from(t));
    expect(parts.map((p) => pieces.add(p))).toEqual([0, 1, 2]);
    expect(pieces.view(1, 2)).toBe(parts[1]);
    const all = pieces.view(0, 3);
    expect(Buffer.from(all).toString()).toBe('<a>1\n<b>22\n<c>333\n');
    const tail = pieces.view(1, 3);
    expect(Buffer.from(tail).toString()).toBe('<b>22\n<c>333\n');
    expect(tail.buffer).toBe(all.buffer);
    expect(pieces.bytes(0, 2)).toBe(11);
    // A part added after the join is seen by later views.
    pieces.add(Buffer.from('<d>\n'));
    expect(Buffer.from(pieces.view(2, 4)).toString()).toBe('<c>333\n<d>\n');
  });

  it('hands out new pieces after each flush, the same ones within an iteration', async () => {
    const batch = new WriteBatch();
    const owner = {};
    const first = batch.sharedFor(owner, 'lobby');
    expect(batch.sharedFor(owner, 'lobby')).toBe(first);
    expect(batch.sharedFor(owner, 'dev')).not.toBe(first);
    expect(batch.sharedFor({}, 'lobby')).not.toBe(first);
    await nextIteration();
    expect(batch.sharedFor(owner, 'lobby')).not.toBe(first);
  });
});
