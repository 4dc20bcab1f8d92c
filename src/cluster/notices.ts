// What the users of a node are told about the cluster, in one place.
import type { BusEvent } from '../chat/ports.ts';

export const LINK_LOST_NOTICE =
  'the link between this server and the rest of the chat is down: you can still chat with the users on this server; users on other servers are out of reach until it is back';

export const LINK_BACK_NOTICE = 'the link to the rest of the chat is back: users on other servers hear you again';

/** Whom to tell, and what, when `event` did not reach the other nodes; undefined when it was not somebody's chat. */
export function droppedNotice(event: BusEvent): { sender: string; text: string } | undefined {
  const reply = event.reply;
  if (event.type === 'user') {
    if (reply.kind !== 'private') return undefined;
    return { sender: reply.from, text: `not delivered to ${reply.to}: they are on another server, and the link between the servers is down` };
  }
  if (reply.kind !== 'message' && reply.kind !== 'action') return undefined;
  return { sender: reply.from, text: `not delivered to the members of #${event.room} on other servers: the link between the servers is down` };
}
