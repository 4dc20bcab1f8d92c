// Variable-length integers in QUIC's layout (RFC 9000 §16), limited to the 1-, 2- and 4-byte
// forms: the two top bits of the first byte give the length, values run up to 2^30 − 1.
// The 8-byte form (prefix 0b11) is rejected by the decoder; the encoder never produces it.

export const VARINT_MAX = 2 ** 30 - 1;

/** Bytes needed for v (0 ≤ v ≤ VARINT_MAX). */
export function varintSize(v: number): number {
  return v < 64 ? 1 : v < 16_384 ? 2 : 4;
}

/** Write v at `at`; returns the offset after it. Caller guarantees room and range. */
export function writeVarint(buf: Uint8Array, at: number, v: number): number {
  if (v < 64) {
    buf[at] = v;
    return at + 1;
  }
  if (v < 16_384) {
    buf[at] = 0x40 | (v >>> 8);
    buf[at + 1] = v & 0xff;
    return at + 2;
  }
  buf[at] = 0x80 | (v >>> 24);
  buf[at + 1] = (v >>> 16) & 0xff;
  buf[at + 2] = (v >>> 8) & 0xff;
  buf[at + 3] = v & 0xff;
  return at + 4;
}

/**
 * A cursor over bytes that never throws: every read past the end or of a bad form sets `bad`
 * and returns 0, so a decoder can read a whole frame and check `bad` once.
 */
export class ByteReader {
  bytes: Uint8Array = new Uint8Array(0);
  pos = 0;
  end = 0;
  bad = false;

  reset(bytes: Uint8Array): void {
    this.bytes = bytes;
    this.pos = 0;
    this.end = bytes.length;
    this.bad = false;
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  u8(): number {
    if (this.pos >= this.end) {
      this.bad = true;
      return 0;
    }
    return this.bytes[this.pos++] ?? 0;
  }

  u32(): number {
    if (this.pos + 4 > this.end) {
      this.bad = true;
      this.pos = this.end;
      return 0;
    }
    const b = this.bytes;
    const p = this.pos;
    this.pos = p + 4;
    return (((b[p] ?? 0) << 24) | ((b[p + 1] ?? 0) << 16) | ((b[p + 2] ?? 0) << 8) | (b[p + 3] ?? 0)) >>> 0;
  }

  varint(): number {
    if (this.pos >= this.end) {
      this.bad = true;
      return 0;
    }
    const b = this.bytes;
    const first = b[this.pos] ?? 0;
    const prefix = first >>> 6;
    if (prefix === 0) {
      this.pos += 1;
      return first;
    }
    if (prefix === 1) {
      if (this.pos + 2 > this.end) {
        this.bad = true;
        this.pos = this.end;
        return 0;
      }
      const v = ((first & 0x3f) << 8) | (b[this.pos + 1] ?? 0);
      this.pos += 2;
      return v;
    }
    if (prefix === 2) {
      if (this.pos + 4 > this.end) {
        this.bad = true;
        this.pos = this.end;
        return 0;
      }
      const p = this.pos;
      const v = (((first & 0x3f) << 24) | ((b[p + 1] ?? 0) << 16) | ((b[p + 2] ?? 0) << 8) | (b[p + 3] ?? 0)) >>> 0;
      this.pos += 4;
      return v;
    }
    this.bad = true;
    return 0;
  }

  /** Skip n bytes (the caller reads them in place). */
  skip(n: number): void {
    if (n < 0 || this.pos + n > this.end) {
      this.bad = true;
      this.pos = this.end;
      return;
    }
    this.pos += n;
  }
}
