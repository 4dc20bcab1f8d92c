// A bump allocator for byte arrays. Allocating a typed array gives V8 a new ArrayBuffer with its
// own backing store — costly per packet or per message, and a heavy load on the garbage collector
// (every backing store is external memory it must track). Here arrays are views carved out of a
// shared slab (as Node's Buffer pool does for Buffer.allocUnsafe); a slab is never written twice,
// and is freed once no view of it is alive. Two sizes of slab: small arrays (packets, chat lines)
// come from 32 KiB slabs, medium ones (a file's chunks, reassembled messages) from 256 KiB slabs;
// arrays larger than that get their own buffer.

/** Small slab size: large enough to amortise, small enough that a lingering view pins little. */
export const SLAB_BYTES = 32 * 1024;
/** Arrays up to this come from the small slabs. */
export const SLAB_MAX_ALLOCATION = 2 * 1024;
/** Medium slab size: a lingering view pins at most this much. */
export const MEDIUM_SLAB_BYTES = 256 * 1024;
/** Arrays up to this come from the medium slabs; larger ones get a dedicated buffer. */
export const MEDIUM_SLAB_MAX_ALLOCATION = 64 * 1024;
/**
 * Bytes of returned buffers kept for reuse (copyReusable / recycle). A sender's copies of a file's
 * chunks are all the same size and its own until acknowledged: reusing them takes fresh memory and
 * the collector's work out of every chunk sent. The bound keeps an idle connection small.
 */
export const REUSE_POOL_BYTES = 4 * 1024 * 1024;

export class ByteSlab {
  /** Returned dedicated buffers by length (copyReusable / recycle). */
  private readonly pool = new Map<number, Uint8Array[]>();
  private pooledBytes = 0;
  private slab = new Uint8Array(0);
  private pos = 0;
  private medium = new Uint8Array(0);
  private mediumPos = 0;

  /** A fresh zeroed array of n bytes, owned by the caller. */
  alloc(n: number): Uint8Array {
    if (n > SLAB_MAX_ALLOCATION) return this.allocMedium(n);
    if (this.pos + n > this.slab.length) {
      this.slab = new Uint8Array(SLAB_BYTES);
      this.pos = 0;
    }
    // subarray makes a view faster than new Uint8Array(buffer, offset, length) does in V8.
    const view = this.slab.subarray(this.pos, this.pos + n);
    // Keep views 8-byte aligned so a DataView or wider typed array over them stays cheap.
    this.pos = (this.pos + n + 7) & ~7;
    return view;
  }

  private allocMedium(n: number): Uint8Array {
    if (n > MEDIUM_SLAB_MAX_ALLOCATION) return new Uint8Array(n);
    if (this.mediumPos + n > this.medium.length) {
      this.medium = new Uint8Array(MEDIUM_SLAB_BYTES);
      this.mediumPos = 0;
    }
    const view = this.medium.subarray(this.mediumPos, this.mediumPos + n);
    this.mediumPos = (this.mediumPos + n + 7) & ~7;
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
    return this.slab.subarray(at, at + len);
  }

  /**
   * A copy of src[start, end) that the caller may hand back with recycle() once it is sure nothing
   * reads it any more (small copies come from the slab and are simply dropped then).
   */
  copyReusable(src: Uint8Array, start: number, end: number): Uint8Array {
    const n = end - start;
    if (n <= SLAB_MAX_ALLOCATION) return this.copy(src, start, end);
    let out = this.pool.get(n)?.pop();
    if (out === undefined) out = new Uint8Array(n);
    else this.pooledBytes -= n;
    out.set(src.subarray(start, end));
    return out;
  }

  /** Take back a buffer from copyReusable (ignored for anything else, and beyond the pool's bound). */
  recycle(buf: Uint8Array): void {
    const n = buf.length;
    // Only whole dedicated buffers: a slab view shares its buffer with other live arrays.
    if (n <= SLAB_MAX_ALLOCATION || buf.byteOffset !== 0 || buf.buffer.byteLength !== n) return;
    if (this.pooledBytes + n > REUSE_POOL_BYTES) return;
    let free = this.pool.get(n);
    if (free === undefined) {
      free = [];
      this.pool.set(n, free);
    }
    free.push(buf);
    this.pooledBytes += n;
  }

  /** A copy of src[start, end). */
  copy(src: Uint8Array, start: number, end: number): Uint8Array {
    const n = end - start;
    if (n > MEDIUM_SLAB_MAX_ALLOCATION) return src.slice(start, end);
    const out = this.alloc(n);
    out.set(src.subarray(start, end));
    return out;
  }
}
