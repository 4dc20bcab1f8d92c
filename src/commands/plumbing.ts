// Which replies the client's transport and file machinery consume rather than show to the user.
import type { PlumbingReply, Reply } from './types.ts';

const PLUMBING_KINDS: ReadonlySet<Reply['kind']> = new Set<PlumbingReply['kind']>([
  'udp',
  'transport',
  'chunk',
  'sending',
  'queued',
  'ready',
  'stored',
  'offer',
  'delivered',
  'aborted',
  'refused',
]);

export function isPlumbingReply(r: Reply): r is PlumbingReply {
  return PLUMBING_KINDS.has(r.kind);
}
