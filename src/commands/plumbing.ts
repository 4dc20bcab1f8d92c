// Which replies the client's transport and file machinery consume rather than show to the user.
import { isFileReplyKind } from './transfer-syntax.ts';
import type { FileReply, PlumbingReply, Reply } from './types.ts';

/** A file transfer's reply (`<chunk>`, file data, is plumbing of its own). */
export function isFileReply(r: Reply): r is FileReply {
  return r.kind !== 'chunk' && isFileReplyKind(r.kind);
}

export function isPlumbingReply(r: Reply): r is PlumbingReply {
  return r.kind === 'udp' || r.kind === 'hold' || r.kind === 'transport' || r.kind === 'chunk' || isFileReply(r);
}
