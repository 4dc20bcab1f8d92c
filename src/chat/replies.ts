// What the hub says, before a door words it. Most replies are the wire's own (src/commands/types.ts);
// the two that carry prose — the greeting and the help — leave the hub as facts, and each door turns
// them into its own words (src/doors/bracket/prose.ts).
import type { Reply } from '../commands/types.ts';

/** The limits a help text quotes. */
export interface HelpLimits {
  defaultRoom: string;
  roomCapacity: number;
  maxTextLength: number;
}

export type HubReply =
  | Extract<Reply, { kind: 'message' | 'private' | 'users' | 'rooms' | 'joined' | 'left' | 'error' | 'system' | 'history' | 'disconnected' }>
  /** Signed in as `name`, placed in `room`; `online` users in the chat, the newcomer included. */
  | { kind: 'greeting'; name: string; room: string; online: number }
  /** The command list, with the limits in force. */
  | { kind: 'help'; limits: HelpLimits };

/** Everything a session may be sent: the hub's replies and those of the other shells (files, data plane). */
export type Outbound = HubReply | Reply;

/** Chat that a UDP data plane may carry (every other reply travels on the control connection). */
export type ChatReply = Extract<Reply, { kind: 'message' | 'private' }>;

export function isChatReply(reply: Outbound): reply is ChatReply {
  return reply.kind === 'message' || reply.kind === 'private';
}
