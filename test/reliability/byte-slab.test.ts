import { describe, expect, it } from 'vitest';
import { ByteSlab, MEDIUM_SLAB_BYTES, MEDIUM_SLAB_MAX_ALLOCATION, REUSE_POOL_BYTES, SLAB_BYTES, SLAB_MAX_ALLOCATION } from '../../src/reliability/byte-slab.ts';

describe('ByteSlab', () => {
  it('hands out zeroed, disjoint, 8-byte-aligned views of every size class', () => {
    const slab = new ByteSlab();
    const sizes = [0, 1, 7, 100, SLAB_MAX_ALLOCATION, SLAB_MAX_ALLOCATION + 1, 16_384, MEDIUM_SLAB_MAX_ALLOCATION, MEDIUM_SLAB_MAX_ALLOCATION + 1];
    const views: Uint8Array[] = [];
    for (let round = 0; round < 40; round++) {
      for (const n of sizes) {
        const v = slab.alloc(n);
        expect(v.length).toBe(n);
        expect(v.every((b) => b === 0)).toBe(true);
        expect(v.byteOffset % 8).toBe(0);
        v.fill(round + 1);
        views.push(v);
      }
    }
    // Writing one view never touched another.
    let i = 0;
    for (let round = 0; round < 40; round++) for (const n of sizes) expect(views[i++]!.every((b) => b === round + 1) && views[i - 1]!.length === n).toBe(true);
  });

  it('carves small arrays from small slabs, medium ones from medium slabs, and gives large ones their own buffer', () => {
    const slab = new ByteSlab();
    expect(slab.alloc(100).buffer.byteLength).toBe(SLAB_BYTES);
    expect(slab.alloc(SLAB_MAX_ALLOCATION + 1).buffer.byteLength).toBe(MEDIUM_SLAB_BYTES);
    expect(slab.alloc(MEDIUM_SLAB_MAX_ALLOCATION + 1).buffer.byteLength).toBe(MEDIUM_SLAB_MAX_ALLOCATION + 1);
  });

  it('copies: the copy does not change with the source', () => {
    const slab = new ByteSlab();
    for (const n of [10, 5000, MEDIUM_SLAB_MAX_ALLOCATION + 10]) {
      const src = new Uint8Array(n + 20).map((_, k) => k & 0xff);
      const c = slab.copy(src, 10, 10 + n);
      src.fill(0);
      expect(c.length).toBe(n);
      expect(c.every((b, k) => b === ((k + 10) & 0xff))).toBe(true);
    }
  });

  it('reserve/commit write a packet in place and keep later allocations after it', () => {
    const slab = new ByteSlab();
    const buf = slab.reserve(1200);
    const at = slab.reservedAt;
    buf[at] = 7;
    buf[at + 39] = 9;
    const pkt = slab.commit(40);
    expect(pkt.length).toBe(40);
    expect(pkt[0]).toBe(7);
    expect(pkt[39]).toBe(9);
    const next = slab.alloc(8);
    next.fill(1);
    expect(pkt[39]).toBe(9);
  });

  it('draws from one process-wide arena by default (engines share slabs), from its own when isolated', () => {
    const a = new ByteSlab();
    const b = new ByteSlab();
    const x = a.alloc(16);
    const y = b.alloc(16);
    expect(y.buffer).toBe(x.buffer);
    expect(y.byteOffset).toBeGreaterThanOrEqual(x.byteOffset + 16);
    const own = ByteSlab.isolated();
    const z = own.alloc(16);
    expect(z.buffer).not.toBe(x.buffer);
    // Reservations and commits of two handles on the shared arena never overlap.
    const buf = a.reserve(1200);
    const at = a.reservedAt;
    buf[at] = 5;
    const pkt = a.commit(40);
    const after = b.alloc(8);
    after.fill(9);
    expect(pkt[0]).toBe(5);
    expect(after.buffer !== pkt.buffer || after.byteOffset >= pkt.byteOffset + 40).toBe(true);
  });

  it('reuses buffers handed back by their owner; never a slab view, never beyond the bound', () => {
    const slab = ByteSlab.isolated();
    const src = new Uint8Array(16_384).fill(3);
    const a = slab.copyReusable(src, 0, src.length);
    slab.recycle(a);
    const b = slab.copyReusable(new Uint8Array(16_384).fill(4), 0, 16_384);
    expect(b).toBe(a); // the same buffer, rewritten
    expect(b.every((x) => x === 4)).toBe(true);
    // Small copies are slab views: recycling them is a no-op (other views share the buffer).
    const small = slab.copyReusable(src, 0, 100);
    slab.recycle(small);
    expect(slab.copyReusable(src, 0, 100)).not.toBe(small);
    // A view into another array is never taken.
    const foreign = new Uint8Array(40_000).subarray(0, 16_384);
    slab.recycle(foreign);
    expect(slab.copyReusable(src, 0, 16_384)).not.toBe(foreign);
    // Bounded: only REUSE_POOL_BYTES worth is kept.
    const many = Array.from({ length: REUSE_POOL_BYTES / 16_384 + 10 }, () => slab.copyReusable(src, 0, 16_384));
    for (const m of many) slab.recycle(m);
    const back = new Set(Array.from({ length: many.length }, () => slab.copyReusable(src, 0, 16_384)));
    const reused = many.filter((m) => back.has(m)).length;
    expect(reused).toBe(REUSE_POOL_BYTES / 16_384);
  });
});
