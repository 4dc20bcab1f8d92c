// The largest message each channel of a session's UDP engine carries, set by what the channel is for
// (docs/engine.md, "Receive accounting"): a client announcing a larger one is closed by its engine.
import { CHUNK_HEADER_BYTES } from '../files/chunk-codec.ts';
import { CHUNK_BYTES } from '../files/limits.ts';
import type { EngineConfig } from '../reliability/config.ts';

/** UTF-8 takes at most 4 bytes per code point (RFC 3629): the hub's text limit counts code points. */
const UTF8_MAX_BYTES_PER_CODE_POINT = 4;

/**
 * A chat line's bytes beside its text: the verb (`<set_msg_all>`, `<set_msg>`, `/msg`: ≤ 16 bytes), a user
 * or room name (≤ 32 code points: 128 bytes of UTF-8, up to three times that where a field escapes
 * characters), separators and a terminator. 1 KiB covers every one with room to spare; it is a bound on
 * memory, not a line-length rule (the hub words those).
 */
export const CHAT_LINE_FRAMING_BYTES = 1024;

/** A file chunk message: the chunk codec's header and a chunk (src/files/limits.ts, CHUNK_BYTES). */
export const BULK_MESSAGE_MAX_BYTES = CHUNK_HEADER_BYTES + CHUNK_BYTES;

/** The engine options that bound a session's messages, for a hub whose text limit is `maxTextLength` code points. */
export function sessionMessageLimits(maxTextLength: number): Pick<EngineConfig, 'maxChatMessageBytes' | 'maxBulkMessageBytes'> {
  return {
    maxChatMessageBytes: UTF8_MAX_BYTES_PER_CODE_POINT * maxTextLength + CHAT_LINE_FRAMING_BYTES,
    maxBulkMessageBytes: BULK_MESSAGE_MAX_BYTES,
  };
}
