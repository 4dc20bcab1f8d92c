// A session's control output for tests: the connection's own queue (src/tcp/out-queue.ts) without a
// socket, whose bytes a test reads as the batch would hand them over.
import type { ControlOutput } from '../../src/server/session.ts';
import { OutQueue } from '../../src/tcp/out-queue.ts';

export interface QueueOutput extends ControlOutput {
  /** Every part handed over so far (what is queued now is taken first). */
  parts(): Uint8Array[];
  /** The same as text, cut after each line feed. */
  lines(): string[];
}

export function queueOutput(): QueueOutput {
  const queue = new OutQueue(() => undefined);
  const taken: Uint8Array[] = [];
  const parts = (): Uint8Array[] => {
    taken.push(...queue.take());
    return taken;
  };
  return {
    writeBytes: (bytes) => (queue.push(bytes), true),
    writeShared: (pieces, index) => (queue.pushShared(pieces, index), true),
    follow: (pieces, from) => queue.follow(pieces, from),
    skipShared: (pieces, index) => queue.skipShared(pieces, index),
    skipIfFollowing: (pieces, index) => queue.skipIfFollowing(pieces, index),
    unfollow: (pieces) => queue.unfollow(pieces),
    parts,
    lines: () => parts().flatMap((p) => Buffer.from(p).toString('utf8').split(/(?<=\n)/)),
  };
}
