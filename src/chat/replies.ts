// What the hub says, before a door words it. Most replies are the wire's own (src/commands/types.ts);
// those that carry prose — the greeting, the help, a rename, away states — leave the hub as facts, and
// each door turns them into its own words (src/doors/bracket/prose.ts, src/doors/irc/).
import type { ChatRateLimits, Reply } from '../commands/types.ts';

/** The limits a help text quotes. */
export interface HelpLimits {
  defaultRoom: string;
  roomCapacity: number;
  maxTextLength: number;
}

export type HubReply =
  | Extract<Reply, { kind: 'message' | 'private' | 'users' | 'rooms' | 'joined' | 'left' | 'error' | 'system' | 'history' | 'action' | 'topic' | 'whois' | 'disconnected' | 'hold' }>
  /**
   * Signed in as `name`, placed in `room`; `online` users in the chat, the newcomer included; `limits`:
   * the chat rate this session may send at (a client paces its lines by it).
   */
  | { kind: 'greeting'; name: string; room: string; online: number; limits: ChatRateLimits }
  /** The command list, with the limits in force. */
  | { kind: 'help'; limits: HelpLimits }
  /** `from` is now called `to` (a door's rename: IRC NICK), told to each of its rooms. */
  | { kind: 'renamed'; from: string; to: string; ts: number }
  /** The session's away state was set (`text`) or cleared (undefined). */
  | { kind: 'away-set'; text: string | undefined }
  /** `name`, whom the session just messaged, is away: `text`. */
  | { kind: 'away'; name: string; text: string };

/** The hub replies that are facts a door puts into its own words (no wire form of their own). */
export type ProseReply = Extract<HubReply, { kind: 'greeting' | 'help' | 'renamed' | 'away-set' | 'away' }>;

export function isProseReply(reply: Outbound): reply is ProseReply {
  return reply.kind === 'greeting' || reply.kind === 'help' || reply.kind === 'renamed' || reply.kind === 'away-set' || reply.kind === 'away';
}

/** Everything a session may be sent: the hub's replies and those of the other shells (files, data plane). */
export type Outbound = HubReply | Reply;

/** Chat that a UDP data plane may carry (every other reply travels on the control connection). */
export type ChatReply = Extract<Reply, { kind: 'message' | 'private' }>;

export function isChatReply(reply: Outbound): reply is ChatReply {
  return reply.kind === 'message' || reply.kind === 'private';
}
