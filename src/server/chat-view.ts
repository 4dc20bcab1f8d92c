// What a stateful door (IRC) may read of the chat for one of its connections, from the hub: names, rooms,
// members. Read-only; this node's members (a chat of several nodes lists the others' through its presence
// in `users` and `allRooms`, not in `members`).
import type { Hub } from '../chat/hub.ts';
import type { SessionId } from '../chat/ids.ts';
import type { ChatView } from '../doors/door.ts';

export function chatView(hub: Hub, session: SessionId): ChatView {
  return {
    name: () => hub.nameOf(session),
    rooms: () => hub.roomsOf(session),
    users: () => hub.users(),
    allRooms: () => hub.rooms(),
    members: (room) => {
      const names: string[] = [];
      for (const id of hub.localMembers(room)) {
        const name = hub.nameOf(id);
        if (name !== undefined) names.push(name);
      }
      return names;
    },
    user: (name) => {
      const id = hub.sessionOf(name);
      const spelled = id === undefined ? undefined : hub.nameOf(id);
      return id === undefined || spelled === undefined ? undefined : { name: spelled, rooms: hub.roomsOf(id), away: hub.awayOf(id) };
    },
    userCount: () => hub.users().length,
    topic: (room) => hub.topicOf(room),
  };
}
