// Engine packets made by hand, as a peer that does not follow the protocol would make them: stream frames
// with any message number, size, offset and length (the engine's own writer only writes what it sends).
import { FrameType, PACKET_HEADER_BYTES, PACKET_VERSION, STREAM_FLAG_BULK, STREAM_FLAG_FRAGMENT } from '../../src/reliability/packet.ts';
import { Channel, type ChannelId } from '../../src/reliability/types.ts';
import { varintSize, writeVarint } from '../../src/reliability/varint.ts';

/** One stream frame: bytes [offset, offset + data.length) of message `seq` (32-bit), `total` bytes long. */
export interface CraftedFrame {
  channel: ChannelId;
  seq: number;
  total: number;
  offset: number;
  data: Uint8Array;
}

/** A packet numbered `pn` advertising `window`, carrying `frames` (always written as fragments). */
export function craftPacket(pn: number, frames: readonly CraftedFrame[], window = 1 << 20): Uint8Array {
  let size = PACKET_HEADER_BYTES;
  for (const f of frames) size += 1 + 4 + varintSize(f.total) + varintSize(f.offset) + varintSize(f.data.length) + f.data.length;
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  out[0] = PACKET_VERSION;
  view.setUint32(1, pn >>> 0);
  view.setUint32(5, window >>> 0);
  let p = PACKET_HEADER_BYTES;
  for (const f of frames) {
    out[p++] = FrameType.stream | STREAM_FLAG_FRAGMENT | (f.channel === Channel.bulk ? STREAM_FLAG_BULK : 0);
    view.setUint32(p, f.seq >>> 0);
    p += 4;
    p = writeVarint(out, p, f.total);
    p = writeVarint(out, p, f.offset);
    p = writeVarint(out, p, f.data.length);
    out.set(f.data, p);
    p += f.data.length;
  }
  return out;
}
