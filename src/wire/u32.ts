// Big-endian u32 read and write on byte arrays, for the per-datagram paths (no DataView: a view
// object per datagram costs more than these four byte moves).

/** The big-endian u32 at `at`, unsigned. */
export function readU32(bytes: Uint8Array, at: number): number {
  return (((bytes[at] as number) << 24) | ((bytes[at + 1] as number) << 16) | ((bytes[at + 2] as number) << 8) | (bytes[at + 3] as number)) >>> 0;
}

/** Writes `v` (taken as u32) big-endian at `at`. */
export function writeU32(out: Uint8Array, at: number, v: number): void {
  out[at] = v >>> 24;
  out[at + 1] = (v >>> 16) & 0xff;
  out[at + 2] = (v >>> 8) & 0xff;
  out[at + 3] = v & 0xff;
}
