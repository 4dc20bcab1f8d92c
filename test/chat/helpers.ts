// Small readers over hub outputs, shared by the chat tests, and the hub as its tests see it: every output
// addressed to a room is expanded into one reply per member on this node (as src/server/delivery.ts
// delivers it: the members then, but the `except`, one shared object), and every reply is what the
// bracket door puts on the wire (the hub's greeting and help in its words).

import type { Reply } from '../../src/commands/types.ts';
import {
  Hub as RealHub,
  type HubCommand,
  type HubLogEvent,
  type HubOptions,
  type HubOutput as RealOutput,
  type HubPorts,
  type SessionId,
} from '../../src/chat/hub.ts';
import { bracketReplies } from '../../src/doors/bracket/door.ts';

export { DEFAULT_HUB_OPTIONS, type HubCommand, type HubLogEvent, type HubOptions, type SessionId } from '../../src/chat/hub.ts';

/** A hub output with rooms expanded to their members and replies in wire form. */
export type HubOutput = Exclude<RealOutput, { type: 'reply' | 'room' }> | { type: 'reply'; to: SessionId; reply: Reply };

/** The real hub, its outputs expanded (see the header). */
export class Hub {
  readonly real: RealHub;

  constructor(options: Partial<HubOptions> = {}, ports: Partial<HubPorts> = {}) {
    this.real = new RealHub(options, ports);
  }

  open(session: SessionId, now: number): HubOutput[] {
    return this.expand(this.real.open(session, now));
  }

  handle(session: SessionId, command: HubCommand, now: number): HubOutput[] {
    return this.expand(this.real.handle(session, command, now));
  }

  close(session: SessionId, now: number, reason: 'disconnect' | 'lost'): HubOutput[] {
    return this.expand(this.real.close(session, now, reason));
  }

  nameOf(session: SessionId): string | undefined {
    return this.real.nameOf(session);
  }
  roomOf(session: SessionId): string | undefined {
    return this.real.roomOf(session);
  }
  roomsOf(session: SessionId): string[] {
    return this.real.roomsOf(session);
  }
  sessionOf(name: string): SessionId | undefined {
    return this.real.sessionOf(name);
  }
  users(): ReturnType<RealHub['users']> {
    return this.real.users();
  }
  rooms(): ReturnType<RealHub['rooms']> {
    return this.real.rooms();
  }
  sessionCount(): number {
    return this.real.sessionCount();
  }
  userCount(): number {
    return this.real.userCount();
  }

  /** Expand room outputs against the membership right after the call, as the delivery does. */
  expand(outputs: readonly RealOutput[]): HubOutput[] {
    const out: HubOutput[] = [];
    for (const o of outputs) {
      if (o.type === 'reply') {
        for (const reply of bracketReplies(o.reply)) out.push({ type: 'reply', to: o.to, reply });
      } else if (o.type === 'room') {
        const replies = bracketReplies(o.reply);
        for (const member of this.real.localMembers(o.room)) {
          if (member === o.except) continue;
          for (const reply of replies) out.push({ type: 'reply', to: member, reply });
        }
      } else {
        out.push(o);
      }
    }
    return out;
  }
}

/** The replies addressed to `to`, in order. */
export function repliesTo(out: HubOutput[], to: SessionId): Reply[] {
  const replies: Reply[] = [];
  for (const o of out) if (o.type === 'reply' && o.to === to) replies.push(o.reply);
  return replies;
}

/** Every session that got a reply, in order (with repeats). */
export function recipients(out: HubOutput[]): SessionId[] {
  const ids: SessionId[] = [];
  for (const o of out) if (o.type === 'reply') ids.push(o.to);
  return ids;
}

export function logs(out: HubOutput[]): HubLogEvent[] {
  const events: HubLogEvent[] = [];
  for (const o of out) if (o.type === 'log') events.push(o.event);
  return events;
}

/** The single error reply to `to`; fails the test if there is not exactly one reply and it is no error. */
export function errorTo(out: HubOutput[], to: SessionId): Extract<Reply, { kind: 'error' }> {
  const replies = repliesTo(out, to);
  const only = replies.length === 1 ? replies[0] : undefined;
  if (only?.kind !== 'error') throw new Error(`expected one error reply, got ${JSON.stringify(replies)}`);
  return only;
}

/** A hub with sessions 1..n opened and connected under `names`. */
export function hubWith(names: string[], options: Partial<HubOptions> = {}): Hub {
  const hub = new Hub(options);
  names.forEach((name, i) => {
    hub.open(i + 1, 0);
    const out = hub.handle(i + 1, { kind: 'connect', name }, 0);
    if (repliesTo(out, i + 1)[0]?.kind !== 'welcome') throw new Error(`could not connect ${name}`);
  });
  return hub;
}
