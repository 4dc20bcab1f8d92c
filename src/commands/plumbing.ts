// Which replies the client's transport and file machinery consume rather than show to the user.
import type { FileReply, PlumbingReply, Reply } from './types.ts';

const FILE_REPLY_KINDS: ReadonlySet<Reply['kind']> = new Set<FileReply['kind']>([
  'sending',
  'queued',
  'ready',
  'stored',
  'offer',
  'delivered',
  'aborted',
  'refused',
]);

export function isFileReply(r: Reply): r is FileReply {
  return FILE_REPLY_KINDS.has(r.kind);
}

export function isPlumbingReply(r: Reply): r is PlumbingReply {
  return r.kind === 'udp' || r.kind === 'transport' || r.kind === 'chunk' || isFileReply(r);
}
