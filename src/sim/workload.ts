// What the simulated sender sends and how the receiver checks it. Every message carries a header —
// index, payload length, virtual send time, channel, CRC-32 of all that and the payload — so the
// receiver can tell, without any shared state, whether each message arrived exactly once, in order and
// intact, and how long it took (deliver time − send time, in virtual ms).
//
//  offset size field
//  0      4    index within its channel (u32, big-endian)
//  4      4    payload length (u32)
//  8      8    send time, virtual ms (f64)
//  16     1    channel id
//  17     3    zero
//  20     4    CRC-32 over bytes 0..19 and the payload
//  24     n    payload (seeded random bytes)
import { ByteSlab } from '../reliability/byte-slab.ts';
import { Channel, type ChannelId } from '../reliability/types.ts';
import { MESSAGE_HEADER_BYTES } from './constants.ts';
import { crc32 } from '../wire/crc32.ts';
import type { Rng } from './rng.ts';

export interface WorkloadSpec {
  /** Chat lines to send on Channel.chat. */
  messages: number;
  /** Payload bytes per chat line (the header comes on top). */
  messageBytes: number;
  /** Chat lines per second; 0 sends them all at once. */
  messageRate: number;
  /** Bytes of a file sent on Channel.bulk at the start; 0 for none. */
  fileBytes: number;
  /** The file goes as messages of this many payload bytes (the last one shorter). */
  chunkBytes: number;
}

export type ChannelName = 'chat' | 'bulk';
export const CHANNEL_NAMES: readonly ChannelName[] = ['chat', 'bulk'];

/** How many messages each channel carries. */
export function messageCounts(spec: WorkloadSpec): Record<ChannelName, number> {
  return {
    chat: spec.messages,
    bulk: spec.fileBytes > 0 ? Math.ceil(spec.fileBytes / spec.chunkBytes) : 0,
  };
}

/** Problems with a workload, each naming its field; empty when valid. */
export function checkWorkload(spec: WorkloadSpec): string[] {
  const errors: string[] = [];
  const whole = (v: number, min: number): boolean => Number.isSafeInteger(v) && v >= min;
  if (!whole(spec.messages, 0)) errors.push(`messages must be a whole number ≥ 0 (got ${spec.messages})`);
  if (!whole(spec.messageBytes, 0)) errors.push(`size must be a whole number of bytes ≥ 0 (got ${spec.messageBytes})`);
  if (!Number.isFinite(spec.messageRate) || spec.messageRate < 0) {
    errors.push(`rate must be a number of messages per second ≥ 0 (0 = all at once) (got ${spec.messageRate})`);
  }
  if (!whole(spec.fileBytes, 0)) errors.push(`file must be a whole number of bytes ≥ 0 (got ${spec.fileBytes})`);
  if (!whole(spec.chunkBytes, 1)) errors.push(`chunk must be a whole number of bytes ≥ 1 (got ${spec.chunkBytes})`);
  if (errors.length === 0 && spec.messages === 0 && spec.fileBytes === 0) {
    errors.push('the workload is empty: give messages > 0, a file > 0 bytes, or both');
  }
  return errors;
}

/** Builds one message: header + `payload`. */
export function encodeMessage(index: number, channel: ChannelId, sendTime: number, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(MESSAGE_HEADER_BYTES + payload.length);
  out.set(payload, MESSAGE_HEADER_BYTES);
  return sealMessage(out, index, channel, sendTime);
}

/** Scratch for writing a big-endian f64 without a DataView per message. */
const F64_SCRATCH = new DataView(new ArrayBuffer(8));

function writeU32(out: Uint8Array, at: number, v: number): void {
  out[at] = v >>> 24;
  out[at + 1] = (v >>> 16) & 0xff;
  out[at + 2] = (v >>> 8) & 0xff;
  out[at + 3] = v & 0xff;
}

/** Writes the header of a message whose payload is already in place after it. */
function sealMessage(out: Uint8Array, index: number, channel: ChannelId, sendTime: number): Uint8Array {
  writeU32(out, 0, index >>> 0);
  writeU32(out, 4, out.length - MESSAGE_HEADER_BYTES);
  F64_SCRATCH.setFloat64(0, sendTime);
  for (let i = 0; i < 8; i++) out[8 + i] = F64_SCRATCH.getUint8(i);
  out[16] = channel;
  out[17] = 0;
  out[18] = 0;
  out[19] = 0;
  writeU32(out, 20, messageCrc(out));
  return out;
}

/**
 * A message of `payloadBytes` seeded-random bytes, built in one allocation: a view carved from `slab`
 * for chat-sized messages (a typed array of its own costs more than filling and sealing it).
 */
function randomMessage(index: number, channel: ChannelId, sendTime: number, payloadBytes: number, rng: Rng, slab: ByteSlab): Uint8Array {
  const out = slab.alloc(MESSAGE_HEADER_BYTES + payloadBytes);
  rng.fill(out, MESSAGE_HEADER_BYTES);
  return sealMessage(out, index, channel, sendTime);
}

function messageCrc(message: Uint8Array): number {
  return crc32(message.subarray(MESSAGE_HEADER_BYTES), crc32(message.subarray(0, 20)));
}

function readU32(data: Uint8Array, at: number): number {
  return (((data[at] as number) << 24) | ((data[at + 1] as number) << 16) | ((data[at + 2] as number) << 8) | (data[at + 3] as number)) >>> 0;
}

export type MessageCheck =
  | { ok: true; index: number; sendTime: number; payloadBytes: number }
  | { ok: false; reason: 'short' | 'length' | 'checksum' | 'channel' };

/** Reads and verifies a delivered message. Total: never throws. */
export function decodeMessage(data: Uint8Array, channel: ChannelId): MessageCheck {
  if (data.length < MESSAGE_HEADER_BYTES) return { ok: false, reason: 'short' };
  const payloadBytes = readU32(data, 4);
  if (payloadBytes !== data.length - MESSAGE_HEADER_BYTES) return { ok: false, reason: 'length' };
  if (readU32(data, 20) !== messageCrc(data)) return { ok: false, reason: 'checksum' };
  if (data[16] !== channel) return { ok: false, reason: 'channel' };
  for (let i = 0; i < 8; i++) F64_SCRATCH.setUint8(i, data[8 + i] as number);
  return { ok: true, index: readU32(data, 0), sendTime: F64_SCRATCH.getFloat64(0), payloadBytes };
}

export interface OutgoingMessage {
  channel: ChannelId;
  data: Uint8Array;
}

/**
 * The sender's schedule: chat line i at start + i·1000/rate, the whole file (in chunks) at start.
 * Payload bytes come from the given generator, so a seed fixes every byte.
 */
export class WorkloadSource {
  private chatSent = 0;
  private bulkSent = 0;
  private fileLeft: number;
  private readonly counts: Record<ChannelName, number>;
  private readonly slab = new ByteSlab();

  constructor(
    private readonly spec: WorkloadSpec,
    private readonly rng: Rng,
    private readonly start = 0,
  ) {
    this.counts = messageCounts(spec);
    this.fileLeft = spec.fileBytes;
  }

  /** When the next message is due, or undefined when everything has been handed out. */
  nextAt(): number | undefined {
    if (this.bulkSent < this.counts.bulk) return this.start;
    if (this.chatSent < this.counts.chat) return this.chatTime(this.chatSent);
    return undefined;
  }

  /** The next message due at or before `now` (its header stamped with `now`), or undefined. */
  take(now: number): OutgoingMessage | undefined {
    const chatDue = this.chatSent < this.counts.chat && this.chatTime(this.chatSent) <= now;
    // A chat line due now goes before the file's chunks: the file is queued at once, chat trickles.
    if (chatDue) {
      return { channel: Channel.chat, data: randomMessage(this.chatSent++, Channel.chat, now, this.spec.messageBytes, this.rng, this.slab) };
    }
    if (this.bulkSent < this.counts.bulk && this.start <= now) {
      const size = Math.min(this.spec.chunkBytes, this.fileLeft);
      this.fileLeft -= size;
      return { channel: Channel.bulk, data: randomMessage(this.bulkSent++, Channel.bulk, now, size, this.rng, this.slab) };
    }
    return undefined;
  }

  private chatTime(i: number): number {
    return this.spec.messageRate > 0 ? this.start + (i * 1000) / this.spec.messageRate : this.start;
  }
}

/** The receiver's account of one channel. */
export interface ChannelTally {
  /** Messages the sender handed to its engine. */
  sent: number;
  /** Messages the sender's engine refused (it was no longer open). */
  refused: number;
  /** Distinct, intact messages received. */
  delivered: number;
  /** Intact messages received again. */
  duplicated: number;
  /** Intact first deliveries that skipped past a message not yet delivered. */
  outOfOrder: number;
  /** Messages that failed the header, length, checksum or channel check, or had an impossible index. */
  corrupted: number;
  payloadBytesDelivered: number;
  /** Latency of each distinct delivery, virtual ms, in delivery order. */
  latencies: number[];
  /** Send time of each distinct delivery, virtual ms, parallel to `latencies`. */
  sendTimes: number[];
  /** Virtual time of the first send and the last distinct delivery. */
  firstSendAt: number | undefined;
  lastDeliveryAt: number | undefined;
}

function emptyTally(): ChannelTally {
  return {
    sent: 0,
    refused: 0,
    delivered: 0,
    duplicated: 0,
    outOfOrder: 0,
    corrupted: 0,
    payloadBytesDelivered: 0,
    latencies: [],
    sendTimes: [],
    firstSendAt: undefined,
    lastDeliveryAt: undefined,
  };
}

class ChannelChecker {
  readonly tally = emptyTally();
  private readonly seen: Uint8Array;
  /** Lowest index not yet delivered. */
  private nextExpected = 0;

  constructor(private readonly expected: number) {
    this.seen = new Uint8Array(expected);
  }

  receive(check: MessageCheck, now: number): void {
    const t = this.tally;
    if (!check.ok || check.index >= this.expected) {
      t.corrupted++;
      return;
    }
    if (this.seen[check.index] === 1) {
      t.duplicated++;
      return;
    }
    this.seen[check.index] = 1;
    if (check.index !== this.nextExpected) t.outOfOrder++;
    while (this.nextExpected < this.expected && this.seen[this.nextExpected] === 1) this.nextExpected++;
    t.delivered++;
    t.payloadBytesDelivered += check.payloadBytes;
    t.latencies.push(now - check.sendTime);
    t.sendTimes.push(check.sendTime);
    t.lastDeliveryAt = now;
  }

  complete(): boolean {
    return this.tally.delivered === this.expected;
  }
}

/** Tallies both channels: what was sent (told by the runner) and what arrived. */
export class DeliveryVerifier {
  private readonly chat: ChannelChecker;
  private readonly bulk: ChannelChecker;

  constructor(spec: WorkloadSpec) {
    const counts = messageCounts(spec);
    this.chat = new ChannelChecker(counts.chat);
    this.bulk = new ChannelChecker(counts.bulk);
  }

  private checker(channel: ChannelId): ChannelChecker {
    return channel === Channel.chat ? this.chat : this.bulk;
  }

  /** The sender handed a message to its engine (accepted = the engine took it). */
  sent(channel: ChannelId, now: number, accepted: boolean): void {
    const t = this.checker(channel).tally;
    if (!accepted) {
      t.refused++;
      return;
    }
    t.sent++;
    if (t.firstSendAt === undefined) t.firstSendAt = now;
  }

  /** The receiver's engine delivered `data` on `channel` at `now`. */
  received(channel: ChannelId, data: Uint8Array, now: number): void {
    this.checker(channel).receive(decodeMessage(data, channel), now);
  }

  /** Every message of every channel delivered (duplicates and corruption are judged separately). */
  allDelivered(): boolean {
    return this.chat.complete() && this.bulk.complete();
  }

  tallies(): Record<ChannelName, ChannelTally> {
    return { chat: this.chat.tally, bulk: this.bulk.tally };
  }
}
