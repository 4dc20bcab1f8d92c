// A bump allocator for small byte arrays. Allocating a typed array gives V8 a new ArrayBuffer
// with its own backing store — costly per packet, and a heavy load on the garbage collector.
// Here small arrays are views carved out of a shared slab (as Node's Buffer pool does for
// Buffer.allocUnsafe); a slab is never written twice, and is freed once no view of it is alive.
// Large arrays get their own buffer.

/** Slab size: large enough to amortise, small enough that a lingering view pins little. */
export const SLAB_BYTES = 32 * 1024;
/** Arrays above this get a dedicated buffer. */
export const SLAB_MAX_ALLOCATION = 2 * 1024;

export class ByteSlab {
  private slab = new Uint8Array(0);
  private pos = 0;

  /** A fresh zeroed array of n bytes, owned by the caller. */
  alloc(n: number): Uint8Array {
    if (n > SLAB_MAX_ALLOCATION) return new Uint8Array(n);
    if (this.pos + n > this.slab.length) {
      this.slab = new Uint8Array(SLAB_BYTES);
      this.pos = 0;
    }
    const view = new Uint8Array(this.slab.buffer, this.slab.byteOffset + this.pos, n);
    // Keep views 8-byte aligned so a DataView or wider typed array over them stays cheap.
    this.pos = (this.pos + n + 7) & ~7;
    return view;
  }

  /**
   * Reserve up to n contiguous bytes (n ≤ SLAB_MAX_ALLOCATION) for writing in place: returns the
   * slab and sets `reservedAt`; `commit(len)` then hands out the first len bytes as a view.
   */
  reserve(n: number): Uint8Array {
    if (this.pos + n > this.slab.length) {
      this.slab = new Uint8Array(SLAB_BYTES);
      this.pos = 0;
    }
    this.reservedAt = this.pos;
    return this.slab;
  }

  /** Offset of the last reservation in the slab returned by reserve(). */
  reservedAt = 0;

  /** Keep the first len bytes of the last reservation. */
  commit(len: number): Uint8Array {
    const at = this.reservedAt;
    this.pos = (at + len + 7) & ~7;
    return new Uint8Array(this.slab.buffer, this.slab.byteOffset + at, len);
  }

  /** A copy of src[start, end). */
  copy(src: Uint8Array, start: number, end: number): Uint8Array {
    const n = end - start;
    if (n > SLAB_MAX_ALLOCATION) return src.slice(start, end);
    const out = this.alloc(n);
    out.set(src.subarray(start, end));
    return out;
  }
}
