// The engine packet: encode and decode. The decoder is total — any bytes give either a decoded
// packet or a typed rejection, never an exception — and validates the whole packet before the
// connection acts on any of it. The shells wrap packets in the datagram codec (CRC, connection id).
//
// Packet (all integers big-endian; "varint" = RFC 9000 §16 1/2/4-byte form, see varint.ts)
//   offset size  field
//   0      1     version            PACKET_VERSION
//   1      4     packet number      u32, wraps (full number = closest to expected, serial.ts)
//   5      4     receive window     u32, bytes the sender of this packet can still buffer
//   9      …     frames, at least one
//
// Frames
//   ACK    0x01  largest u32 · ack delay varint (µs) · extra range count varint ·
//                first range varint (packets below largest) · { gap varint · length varint }*
//                (RFC 9000 §19.3.1 layout: next largest = previous smallest − gap − 2,
//                 next smallest = next largest − length)
//   PING   0x02  (nothing; makes the packet ack-eliciting)
//   STREAM 0x10 | F | C   C (0x01) = channel bit (0 chat, 1 bulk), F (0x02) = fragment
//                message seq u32 · [F: message length varint · offset varint] · length varint · data
//                Without F the frame is a whole message of `length` bytes (possibly 0).

import { ByteReader, VARINT_MAX, varintSize, writeVarint } from './varint.ts';
import { MAX_ACK_RANGES_LIMIT } from './config.ts';
import type { RangeSet } from './range-set.ts';
import { type ByteSlab, SLAB_MAX_ALLOCATION } from './byte-slab.ts';
import { toWire } from './serial.ts';

export const PACKET_VERSION = 1;
export const PACKET_HEADER_BYTES = 9;

export const FrameType = {
  ack: 0x01,
  ping: 0x02,
  /** Base of the four stream frame types 0x10–0x13. */
  stream: 0x10,
} as const;
export const STREAM_FLAG_BULK = 0x01;
export const STREAM_FLAG_FRAGMENT = 0x02;

/** Bytes of an ACK frame before its ranges, at most: type, u32, 4-byte delay, 2-byte count. */
const ACK_FIXED_MAX = 1 + 4 + 4 + 2;

export type PacketRejection =
  | 'truncated' // shorter than the header, or a frame runs past the end
  | 'bad-version'
  | 'no-frames'
  | 'unknown-frame'
  | 'bad-varint' // 8-byte varint form
  | 'duplicate-ack' // two ACK frames in one packet
  | 'bad-ack' // ranges that run below zero / beyond one wrap, or too many
  | 'bad-stream'; // fragment outside its message, oversize message

/**
 * A decoded packet, reused across calls (no per-packet allocation). ACK ranges are offsets below
 * `ackLargest` (inclusive): range i covers [largest − ackLo[i], largest − ackHi[i]], highest first.
 * Stream data stays in `bytes` at [streamDataAt[i], streamDataAt[i] + streamLength[i]).
 */
export class PacketView {
  bytes: Uint8Array = new Uint8Array(0);
  packetNumber = 0;
  window = 0;
  ackEliciting = false;
  hasAck = false;
  ackLargest = 0;
  ackDelayUs = 0;
  ackRangeCount = 0;
  readonly ackHi: number[] = [];
  readonly ackLo: number[] = [];
  pings = 0;
  streamCount = 0;
  readonly streamChannel: number[] = [];
  readonly streamSeq: number[] = [];
  readonly streamFragment: boolean[] = [];
  readonly streamTotal: number[] = [];
  readonly streamOffset: number[] = [];
  readonly streamLength: number[] = [];
  readonly streamDataAt: number[] = [];
}

const reader = new ByteReader();

/**
 * Decode `bytes` into `view`. Returns undefined on success or why the packet was rejected
 * (then `view` holds garbage and must not be used). Never throws.
 */
export function decodePacketInto(bytes: Uint8Array, view: PacketView, maxMessageBytes: number): PacketRejection | undefined {
  if (bytes.length < PACKET_HEADER_BYTES) return 'truncated';
  if (bytes[0] !== PACKET_VERSION) return 'bad-version';
  const r = reader;
  r.reset(bytes);
  r.skip(1);
  view.bytes = bytes;
  view.packetNumber = r.u32();
  view.window = r.u32();
  view.ackEliciting = false;
  view.hasAck = false;
  view.ackRangeCount = 0;
  view.pings = 0;
  view.streamCount = 0;
  let frames = 0;
  while (r.remaining > 0) {
    const type = r.u8();
    frames++;
    if (type === FrameType.ack) {
      if (view.hasAck) return 'duplicate-ack';
      view.hasAck = true;
      view.ackLargest = r.u32();
      view.ackDelayUs = r.varint();
      const extra = r.varint();
      const first = r.varint();
      if (r.bad) return r.pos >= r.end ? 'truncated' : 'bad-varint';
      if (extra + 1 > MAX_ACK_RANGES_LIMIT) return 'bad-ack';
      view.ackHi[0] = 0;
      view.ackLo[0] = first;
      let lo = first;
      for (let i = 1; i <= extra; i++) {
        const gap = r.varint();
        const len = r.varint();
        if (r.bad) return r.pos >= r.end ? 'truncated' : 'bad-varint';
        const hi = lo + gap + 2;
        lo = hi + len;
        view.ackHi[i] = hi;
        view.ackLo[i] = lo;
      }
      // Every acknowledged number must lie within one wrap below the largest.
      if (lo >= 2 ** 32) return 'bad-ack';
      view.ackRangeCount = extra + 1;
    } else if (type === FrameType.ping) {
      view.pings++;
      view.ackEliciting = true;
    } else if ((type & 0xfc) === FrameType.stream) {
      const fragment = (type & STREAM_FLAG_FRAGMENT) !== 0;
      const seq = r.u32();
      let total = 0;
      let offset = 0;
      if (fragment) {
        total = r.varint();
        offset = r.varint();
      }
      const length = r.varint();
      if (r.bad) return r.pos >= r.end ? 'truncated' : 'bad-varint';
      const dataAt = r.pos;
      r.skip(length);
      if (r.bad) return 'truncated';
      if (!fragment) total = length;
      if (total > maxMessageBytes) return 'bad-stream';
      if (fragment && (offset + length > total || (length === 0 && total !== 0))) return 'bad-stream';
      const i = view.streamCount++;
      view.streamChannel[i] = type & STREAM_FLAG_BULK;
      view.streamSeq[i] = seq;
      view.streamFragment[i] = fragment;
      view.streamTotal[i] = total;
      view.streamOffset[i] = offset;
      view.streamLength[i] = length;
      view.streamDataAt[i] = dataAt;
      view.ackEliciting = true;
    } else {
      return 'unknown-frame';
    }
  }
  if (frames === 0) return 'no-frames';
  return undefined;
}

/** A decoded packet as plain data (tests, tools, the simulator's packet log). */
export interface DecodedPacket {
  packetNumber: number;
  window: number;
  ackEliciting: boolean;
  ack?: { largest: number; delayUs: number; ranges: Array<{ largest: number; smallest: number }> };
  pings: number;
  streams: Array<{ channel: number; seq: number; fragment: boolean; total: number; offset: number; data: Uint8Array }>;
}

export type PacketDecodeResult = { ok: true; packet: DecodedPacket } | { ok: false; reason: PacketRejection };

/**
 * Allocating convenience decoder. ACK range numbers are given modulo 2^32 as on the wire
 * (largest − offset, wrapped).
 */
export function decodePacket(bytes: Uint8Array, maxMessageBytes = 2 ** 30 - 1): PacketDecodeResult {
  const view = new PacketView();
  const reason = decodePacketInto(bytes, view, maxMessageBytes);
  if (reason !== undefined) return { ok: false, reason };
  const packet: DecodedPacket = {
    packetNumber: view.packetNumber,
    window: view.window,
    ackEliciting: view.ackEliciting,
    pings: view.pings,
    streams: [],
  };
  if (view.hasAck) {
    const ranges: Array<{ largest: number; smallest: number }> = [];
    for (let i = 0; i < view.ackRangeCount; i++) {
      ranges.push({ largest: toWire(view.ackLargest - (view.ackHi[i] ?? 0)), smallest: toWire(view.ackLargest - (view.ackLo[i] ?? 0)) });
    }
    packet.ack = { largest: view.ackLargest, delayUs: view.ackDelayUs, ranges };
  }
  for (let i = 0; i < view.streamCount; i++) {
    const at = view.streamDataAt[i] ?? 0;
    packet.streams.push({
      channel: view.streamChannel[i] ?? 0,
      seq: view.streamSeq[i] ?? 0,
      fragment: view.streamFragment[i] ?? false,
      total: view.streamTotal[i] ?? 0,
      offset: view.streamOffset[i] ?? 0,
      data: bytes.slice(at, at + (view.streamLength[i] ?? 0)),
    });
  }
  return { ok: true, packet };
}

/** Bytes of a stream frame header (everything but the data). */
export function streamFrameOverhead(fragment: boolean, total: number, offset: number, length: number): number {
  return 1 + 4 + (fragment ? varintSize(total) + varintSize(offset) : 0) + varintSize(length);
}

/**
 * Builds one packet in a scratch buffer; `finish` copies it out. The caller checks `room`
 * before each frame: the writer itself does not bounds-check the hot path.
 */
export class PacketWriter {
  private readonly scratch: Uint8Array;
  /** Where the packet is being written: a slab reservation, or the scratch buffer. */
  private buf: Uint8Array;
  private start = 0;
  private pos = 0;
  private limit = 0;
  private readonly capacity: number;
  private slab: ByteSlab | undefined = undefined;
  /** Frames written since begin(). */
  frames = 0;

  constructor(maxPacketBytes: number) {
    this.capacity = maxPacketBytes;
    this.scratch = new Uint8Array(maxPacketBytes);
    this.buf = this.scratch;
  }

  /**
   * Start a packet. With a slab (and a packet size the slab serves) it is written in place —
   * finish() then costs no copy; otherwise into scratch, copied out by finish().
   */
  begin(packetNumber: number, window: number, slab?: ByteSlab): void {
    if (slab !== undefined && this.capacity <= SLAB_MAX_ALLOCATION) {
      this.buf = slab.reserve(this.capacity);
      this.start = slab.reservedAt;
      this.slab = slab;
    } else {
      this.buf = this.scratch;
      this.start = 0;
      this.slab = undefined;
    }
    const b = this.buf;
    const at = this.start;
    b[at] = PACKET_VERSION;
    writeU32(b, at + 1, toWire(packetNumber));
    writeU32(b, at + 5, Math.min(Math.max(Math.floor(window), 0), 0xffff_ffff));
    this.pos = at + PACKET_HEADER_BYTES;
    this.limit = at + this.capacity;
    this.frames = 0;
  }

  get length(): number {
    return this.pos - this.start;
  }

  get room(): number {
    return this.limit - this.pos;
  }

  ping(): void {
    this.buf[this.pos++] = FrameType.ping;
    this.frames++;
  }

  /**
   * ACK frame for the newest ranges of `received` (full packet numbers) that fit in `room`
   * bytes, at most `maxRanges`. Returns the largest packet number reported, or −1 if nothing
   * was written (empty set, or not even the first range fits).
   */
  ack(received: RangeSet, ackDelayUs: number, maxRanges: number, room: number): number {
    const count = received.count;
    if (count === 0 || room < ACK_FIXED_MAX + 1) return -1;
    const top = count - 1;
    const largest = received.end(top) - 1;
    let firstLen = largest - received.start(top);
    let truncatedFirst = false;
    if (firstLen > VARINT_MAX) {
      firstLen = VARINT_MAX;
      truncatedFirst = true;
    }
    const delay = Math.min(Math.max(Math.round(ackDelayUs), 0), VARINT_MAX);
    // How many further ranges fit?
    let size = 1 + 4 + varintSize(delay) + 2 + varintSize(firstLen);
    if (size > room) return -1;
    let extra = 0;
    if (!truncatedFirst) {
      const limit = Math.min(maxRanges, count) - 1;
      let prevStart = received.start(top);
      for (let k = top - 1; k >= 0 && extra < limit; k--) {
        const gap = prevStart - received.end(k) - 1;
        const len = received.end(k) - 1 - received.start(k);
        if (gap > VARINT_MAX || len > VARINT_MAX) break;
        const add = varintSize(gap) + varintSize(len);
        if (size + add > room) break;
        size += add;
        extra++;
        prevStart = received.start(k);
      }
    }
    const b = this.buf;
    let p = this.pos;
    b[p++] = FrameType.ack;
    writeU32(b, p, toWire(largest));
    p += 4;
    p = writeVarint(b, p, delay);
    p = writeVarint(b, p, extra);
    p = writeVarint(b, p, firstLen);
    let prevStart = received.start(top);
    for (let k = top - 1, n = 0; n < extra; k--, n++) {
      const gap = prevStart - received.end(k) - 1;
      const len = received.end(k) - 1 - received.start(k);
      p = writeVarint(b, p, gap);
      p = writeVarint(b, p, len);
      prevStart = received.start(k);
    }
    this.pos = p;
    this.frames++;
    return largest;
  }

  /**
   * A stream frame carrying data[start, end) of a message of `total` bytes with sequence `seq`.
   * Whole messages (start 0, end total) use the short form.
   */
  stream(channel: number, seq: number, data: Uint8Array, start: number, end: number): void {
    const total = data.length;
    const fragment = !(start === 0 && end === total);
    const length = end - start;
    const b = this.buf;
    let p = this.pos;
    b[p++] = FrameType.stream | (fragment ? STREAM_FLAG_FRAGMENT : 0) | (channel & STREAM_FLAG_BULK);
    writeU32(b, p, toWire(seq));
    p += 4;
    if (fragment) {
      p = writeVarint(b, p, total);
      p = writeVarint(b, p, start);
    }
    p = writeVarint(b, p, length);
    if (length > 0) b.set(length === total ? data : data.subarray(start, end), p);
    this.pos = p + length;
    this.frames++;
  }

  /** The packet built since begin(), as its own array (a slab view or a copy of scratch). */
  finish(): Uint8Array {
    if (this.slab !== undefined) return this.slab.commit(this.pos - this.start);
    return this.buf.slice(this.start, this.pos);
  }
}

function writeU32(b: Uint8Array, at: number, v: number): void {
  b[at] = v >>> 24;
  b[at + 1] = (v >>> 16) & 0xff;
  b[at + 2] = (v >>> 8) & 0xff;
  b[at + 3] = v & 0xff;
}
