// What a node of a cluster does with what the cluster tells it: another node's events fanned out here,
// the users of a node that died leaving their rooms here, notices of the link's state to every user
// here, and the sender of a message that did not reach the other nodes told so.
import type { GoneUser } from '../cluster/replica.ts';
import type { ClusterHooks } from '../cluster/cluster.ts';
import { droppedNotice } from '../cluster/notices.ts';
import type { SessionId } from '../chat/ids.ts';
import type { Delivery } from './delivery.ts';
import type { Session } from './session.ts';

export interface ClusterHookTargets {
  delivery: Delivery;
  /** This node's session of a name. */
  sessionOf(name: string): SessionId | undefined;
  /** This node's named sessions. */
  everyone(): Iterable<Session>;
  now(): number;
}

export function clusterHooks(t: ClusterHookTargets): ClusterHooks {
  return {
    fromBus: (event) => t.delivery.fromBus(event),
    usersGone: (gone: readonly GoneUser[]) => {
      const ts = t.now();
      for (const user of gone) {
        for (const room of user.rooms) t.delivery.fromBus({ type: 'room', from: user.node, room, reply: { kind: 'left', name: user.name, room, ts, reason: 'lost' } });
      }
    },
    tellEveryone: (text) => {
      for (const session of t.everyone()) session.deliver({ kind: 'system', text });
    },
    dropped: (event) => {
      const notice = droppedNotice(event);
      const to = notice === undefined ? undefined : t.sessionOf(notice.sender);
      if (notice !== undefined && to !== undefined) t.delivery.toSession(to, { kind: 'system', text: notice.text });
    },
  };
}
