// Small readers over hub outputs, shared by the chat tests.

import type { Reply } from '../../src/commands/types.ts';
import { Hub, type HubLogEvent, type HubOptions, type HubOutput, type SessionId } from '../../src/chat/hub.ts';

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
