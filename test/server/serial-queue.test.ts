import { describe, expect, it } from 'vitest';
import { SerialQueue } from '../../src/server/serial-queue.ts';

function deferred(): { promise: Promise<void>; resolve: () => void; reject: (e: unknown) => void } {
  let resolve!: () => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe('SerialQueue', () => {
  it('runs synchronous tasks at once, in order', () => {
    const log: string[] = [];
    const q = new SerialQueue(() => log.push('busy?'), () => log.push('error'));
    q.push(() => void log.push('a'));
    q.push(() => void log.push('b'));
    expect(log).toEqual(['a', 'b']);
    expect(q.length).toBe(0);
  });

  it('holds later tasks behind an asynchronous one and reports busy/idle', async () => {
    const log: string[] = [];
    const gate = deferred();
    const idle = deferred();
    const q = new SerialQueue(
      (busy) => {
        log.push(busy ? 'busy' : 'idle');
        if (!busy) idle.resolve();
      },
      () => log.push('error'),
    );
    q.push(() => gate.promise.then(() => void log.push('slow done')));
    q.push(() => void log.push('after'));
    expect(log).toEqual(['busy']);
    expect(q.length).toBe(1);
    gate.resolve();
    await idle.promise;
    expect(log).toEqual(['busy', 'slow done', 'idle', 'after']);
  });

  it('reports a throwing or rejecting task and goes on', async () => {
    const errors: unknown[] = [];
    const done = deferred();
    const q = new SerialQueue(() => {}, (e) => errors.push(e));
    q.push(() => {
      throw new Error('boom');
    });
    q.push(() => Promise.reject(new Error('later boom')));
    q.push(() => done.resolve());
    await done.promise;
    expect(errors.map((e) => (e as Error).message)).toEqual(['boom', 'later boom']);
  });

  it('drops waiting tasks and refuses new ones once closed', async () => {
    const log: string[] = [];
    const gate = deferred();
    const q = new SerialQueue(() => {}, () => {});
    q.push(() => gate.promise);
    q.push(() => void log.push('dropped'));
    q.close();
    q.push(() => void log.push('refused'));
    gate.resolve();
    await gate.promise;
    await Promise.resolve();
    expect(log).toEqual([]);
    expect(q.length).toBe(0);
  });
});
