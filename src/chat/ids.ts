// Who a session is: a local number the server picks (unique while the connection is open) and, across the
// nodes of a chat, that number with the node's id.

/** The shell's handle for one connection on this node: any number, unique while it is open. */
export type SessionId = number;

/** A server process in a chat of several (`--node-id`, or random at start). */
export type NodeId = string;

/** A session anywhere in the chat. */
export interface SessionAddress {
  readonly node: NodeId;
  readonly session: SessionId;
}

/** The node id a hub uses when none is given: a chat of one node. */
export const LOCAL_NODE: NodeId = 'local';

export function sameAddress(a: SessionAddress, b: SessionAddress): boolean {
  return a.session === b.session && a.node === b.node;
}
