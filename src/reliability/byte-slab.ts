// A bump allocator for byte arrays. Allocating a typed array gives V8 a new ArrayBuffer with its
// own backing store — costly per packet or per message, and a heavy load on the garbage collector
// (every backing store is external memory it must track). Here arrays are views carved out of a
// shared slab (as Node's Buffer pool does for Buffer.allocUnsafe); a slab is never written twice,
// and is freed once no view of it is alive. Two sizes of slab: small arrays (packets, chat lines)
// come from 32 KiB slabs, medium ones (a file's chunks, reassembled messages) from 256 KiB slabs;
// arrays larger than that get their own buffer.
//
// The slabs (and the pool of reusable buffers) belong to an arena, and every ByteSlab of the process
// draws from one arena unless given its own. Views are independent arrays whichever engine asked
// for them, and an engine's work (a packet reserved, written and committed) runs to its end before
// another engine's starts, so engines need no slab of their own — and a slab per engine cost every
// bound session 32 KiB, resident as soon as its first packet was written (10,000 idle sessions:
// 320 MiB of slabs holding a few hundred bytes each). Shared, a quiet engine holds no slab at all.

/** Small slab size: large enough to amortise, small enough that a lingering view pins little. */
export const SLAB_BYTES = 32 * 1024;
/** Arrays up to this come from the small slabs. */
export const SLAB_MAX_ALLOCATION = 2 * 1024;
/** Medium slab size: a lingering view pins at most this much. */
export const MEDIUM_SLAB_BYTES = 256 * 1024;
/** Arrays up to this come from the medium slabs; larger ones get a dedicated buffer. */
export const MEDIUM_SLAB_MAX_ALLOCATION = 64 * 1024;
/**
 * Bytes of returned buffers kept for reuse (copyReusable / recycle), per arena. A sender's copies of a
 * file's chunks are all the same size and its own until acknowledged: reusing them takes fresh memory
 * and the collector's work out of every chunk sent. The bound keeps the process (all its engines) small.
 */
export const REUSE_POOL_BYTES = 4 * 1024 * 1024;

/** Slabs, their fill levels and the pool of reusable buffers: the state ByteSlabs draw from. */
export class SlabArena {
  /** Returned dedicated buffers by length (copyReusable / recycle), created on first use. */
  pool: Map<number, Uint8Array[]> | undefined = undefined;
  pooledBytes = 0;
  slab = EMPTY;
  pos = 0;
  medium = EMPTY;
  mediumPos = 0;
  /** Offset of the last reservation in the small slab. */
  reservedAt = 0;
}

const EMPTY = new Uint8Array(0);
/** The arena of every ByteSlab made without one. */
const PROCESS_ARENA = new SlabArena();

export class ByteSlab {
  /** `arena`: where the slabs come from (default: the process's, shared by every engine). */
  constructor(private readonly arena: SlabArena = PROCESS_ARENA) {}

  /** A ByteSlab with an arena of its own (tests; a component that must not share). */
  static isolated(): ByteSlab {
    return new ByteSlab(new SlabArena());
  }

  /** A fresh zeroed array of n bytes, owned by the caller. */
  alloc(n: number): Uint8Array {
    if (n > SLAB_MAX_ALLOCATION) return this.allocMedium(n);
    const a = this.arena;
    if (a.pos + n > a.slab.length) {
      a.slab = new Uint8Array(SLAB_BYTES);
      a.pos = 0;
    }
    // subarray makes a view faster than new Uint8Array(buffer, offset, length) does in V8.
    const view = a.slab.subarray(a.pos, a.pos + n);
    // Keep views 8-byte aligned so a DataView or wider typed array over them stays cheap.
    a.pos = (a.pos + n + 7) & ~7;
    return view;
  }

  private allocMedium(n: number): Uint8Array {
    if (n > MEDIUM_SLAB_MAX_ALLOCATION) return new Uint8Array(n);
    const a = this.arena;
    if (a.mediumPos + n > a.medium.length) {
      a.medium = new Uint8Array(MEDIUM_SLAB_BYTES);
      a.mediumPos = 0;
    }
    const view = a.medium.subarray(a.mediumPos, a.mediumPos + n);
    a.mediumPos = (a.mediumPos + n + 7) & ~7;
    return view;
  }

  /**
   * Reserve up to n contiguous bytes (n ≤ SLAB_MAX_ALLOCATION) for writing in place: returns the
   * slab and sets `reservedAt`; `commit(len)` then hands out the first len bytes as a view. Nothing
   * may be allocated from the arena between the two (the packet writer's begin … finish).
   */
  reserve(n: number): Uint8Array {
    const a = this.arena;
    if (a.pos + n > a.slab.length) {
      a.slab = new Uint8Array(SLAB_BYTES);
      a.pos = 0;
    }
    a.reservedAt = a.pos;
    return a.slab;
  }

  /** Offset of the last reservation in the slab returned by reserve(). */
  get reservedAt(): number {
    return this.arena.reservedAt;
  }

  /** Keep the first len bytes of the last reservation. */
  commit(len: number): Uint8Array {
    const a = this.arena;
    const at = a.reservedAt;
    a.pos = (at + len + 7) & ~7;
    return a.slab.subarray(at, at + len);
  }

  /**
   * A copy of src[start, end) that the caller may hand back with recycle() once it is sure nothing
   * reads it any more (small copies come from the slab and are simply dropped then).
   */
  copyReusable(src: Uint8Array, start: number, end: number): Uint8Array {
    const n = end - start;
    if (n <= SLAB_MAX_ALLOCATION) return this.copy(src, start, end);
    const a = this.arena;
    let out = a.pool?.get(n)?.pop();
    if (out === undefined) out = new Uint8Array(n);
    else a.pooledBytes -= n;
    out.set(src.subarray(start, end));
    return out;
  }

  /** Take back a buffer from copyReusable (ignored for anything else, and beyond the pool's bound). */
  recycle(buf: Uint8Array): void {
    const n = buf.length;
    // Only whole dedicated buffers: a slab view shares its buffer with other live arrays.
    if (n <= SLAB_MAX_ALLOCATION || buf.byteOffset !== 0 || buf.buffer.byteLength !== n) return;
    const a = this.arena;
    if (a.pooledBytes + n > REUSE_POOL_BYTES) return;
    a.pool ??= new Map();
    let free = a.pool.get(n);
    if (free === undefined) {
      free = [];
      a.pool.set(n, free);
    }
    free.push(buf);
    a.pooledBytes += n;
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
