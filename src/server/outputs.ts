// The hub's outputs carried out: replies to the delivery, closes to the session table, file commands to
// the file plane, `<stats>` answered, log events written, and outputs a port answers later awaited. One
// place, so every path into the hub (a TCP line, a UDP line, a connection going) ends the same way.
import type { Logger } from 'pino';
import type { FileCommand, HubLogEvent, HubOutput } from '../chat/hub.ts';
import type { SessionId } from '../chat/ids.ts';
import type { Delivery } from './delivery.ts';
import { inputLogOf } from './throttle.ts';

/**
 * Log events written through the per-second throttle (src/server/throttle.ts): refusals, whose number the
 * sender chooses. A line said (`message`, `private`) is an action like any other and is always written: an
 * operator must be able to tell who spoke when (the metadata only, never the text).
 */
const THROTTLED_EVENTS: ReadonlySet<HubLogEvent['type']> = new Set<HubLogEvent['type']>(['refused', 'name-refused']);

export interface OutputTargets {
  delivery: Delivery;
  /** Close the session's connection after what was sent to it (`<disconnect>`). */
  close(session: SessionId): void;
  /** A file command; its promise settles once it is answered (the session's next lines wait). */
  files(session: SessionId, command: FileCommand): Promise<void>;
  /** The `<stats>` answer's lines for an operator: the whole server. */
  statsLines(): string[];
  /** The `<stats>` answer's lines for anyone else: their own link. */
  linkLines(session: SessionId): string[];
  /** The peer address of a session, for log lines. */
  remote(session: SessionId): string | undefined;
  logger: Logger;
  /** A lost session's name is held until `until`: the hub is to be woken then (HoldTimer). */
  held?: (until: number) => void;
}

export class HubOutputs {
  constructor(private readonly targets: OutputTargets) {}

  /** Carry out `outputs`; a promise while part of them is still being answered (files, a port). */
  dispatch(outputs: readonly HubOutput[]): Promise<void> | undefined {
    const t = this.targets;
    let pending: Promise<void> | undefined;
    for (const output of outputs) {
      switch (output.type) {
        case 'reply':
          t.delivery.toSession(output.to, output.reply);
          break;
        case 'room':
          t.delivery.toRoom(output.room, output.reply, output.except);
          break;
        case 'user':
          t.delivery.toUser(output.to, output.reply);
          break;
        case 'close':
          t.close(output.session);
          break;
        case 'files':
          pending = both(pending, t.files(output.session, output.command));
          break;
        case 'stats':
          for (const text of output.operator ? t.statsLines() : t.linkLines(output.session)) t.delivery.toSession(output.session, { kind: 'system', text });
          break;
        case 'log': {
          // The remote address too, where the event names a session (connect, refusals, requests).
          const event = output.event;
          const remote = 'session' in event ? t.remote(event.session) : undefined;
          const fields = remote === undefined ? { event } : { event, remote };
          // A refusal is one per input the sender chooses (a flood of chat over the rate, of wrong names): throttled.
          if (THROTTLED_EVENTS.has(event.type)) inputLogOf(t.logger).info(fields, event.type);
          else t.logger.info(fields, event.type);
          if (event.type === 'held') t.held?.(event.until);
          break;
        }
        case 'await':
          pending = both(pending, output.outputs.then((later) => this.dispatch(later)));
          break;
      }
    }
    return pending;
  }
}

function both(a: Promise<void> | undefined, b: Promise<void> | undefined): Promise<void> | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return Promise.all([a, b]).then(() => undefined);
}
