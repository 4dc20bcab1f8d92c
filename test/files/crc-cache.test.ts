import { describe, expect, it } from 'vitest';
import { CrcCache } from '../../src/files/crc-cache.ts';

const version = (ino: number, size = 10, mtimeMs = 1000, dev = 2049) => ({ ino, size, mtimeMs, dev });

describe('CrcCache', () => {
  it('computes once per version; another size or mtime of the inode is computed again', async () => {
    const cache = new CrcCache();
    let calls = 0;
    const compute = async (): Promise<number> => ++calls;
    expect(await cache.crcOf(version(7), compute)).toBe(1);
    for (let i = 0; i < 20; i++) expect(await cache.crcOf(version(7), compute)).toBe(1);
    expect(await cache.crcOf(version(7, 11), compute)).toBe(2);
    expect(await cache.crcOf(version(7, 11, 2000), compute)).toBe(3);
    expect(await cache.crcOf(version(7, 11, 2000), compute)).toBe(3);
    expect([calls, cache.computations]).toEqual([3, 3]);
  });

  it('tells the same inode number on two devices apart (a mount inside the shared directory)', async () => {
    const cache = new CrcCache();
    let calls = 0;
    const compute = async (): Promise<number> => ++calls;
    expect(await cache.crcOf(version(7, 10, 1000, 1), compute)).toBe(1);
    expect(await cache.crcOf(version(7, 10, 1000, 2), compute)).toBe(2);
    expect(await cache.crcOf(version(7, 10, 1000, 1), compute)).toBe(1);
    expect(await cache.crcOf(version(7, 10, 1000, 2), compute)).toBe(2);
  });

  it('shares one computation between concurrent requests; a failed one is not kept', async () => {
    const cache = new CrcCache();
    let calls = 0;
    let release: (crc: number) => void = () => undefined;
    const slow = (): Promise<number> => {
      calls++;
      return new Promise((resolve) => (release = resolve));
    };
    const all = Promise.all(Array.from({ length: 5 }, () => cache.crcOf(version(1), slow)));
    release(42);
    expect(await all).toEqual([42, 42, 42, 42, 42]);
    expect(calls).toBe(1);
    await expect(cache.crcOf(version(2), () => Promise.reject(new Error('unreadable')))).rejects.toThrow('unreadable');
    expect(await cache.crcOf(version(2), async () => 9)).toBe(9);
  });

  it('forgets a version found changed, keeps at most its capacity, and keeps nothing without an inode', async () => {
    const cache = new CrcCache(2);
    let calls = 0;
    const compute = async (): Promise<number> => ++calls;
    await cache.crcOf(version(1), compute);
    cache.forget(version(1));
    await cache.crcOf(version(1), compute);
    expect(calls).toBe(2);
    await cache.crcOf(version(2), compute);
    await cache.crcOf(version(1), compute); // 1 is now the most recent
    await cache.crcOf(version(3), compute); // evicts 2
    expect(calls).toBe(4);
    await cache.crcOf(version(1), compute);
    await cache.crcOf(version(2), compute);
    expect(calls).toBe(5);
    await cache.crcOf(version(0), compute);
    await cache.crcOf(version(0), compute);
    expect(calls).toBe(7);
  });
});
