// Where a client line goes, decided once. The door reads the line (one parse: src/commands/client-line.ts)
// and the router routes on what it asks: a chat command into the hub, whose outputs go straight out
// (src/server/outputs.ts); a file-transfer line to the file plane; `<transport>` and `<udp>` to the UDP
// data plane; a refusal back as an error. Lines that came over UDP take the same path, limited to chat.
// A stateful door (IRC) reads a line into steps, carried out in order: hub commands (and what follows
// each once its outputs are out), bytes of the door's own, an end.
import type { Logger } from 'pino';
import type { Hub, HubCommand } from '../chat/hub.ts';
import type { ClientLine, ParseError, TransferCommand, TransportCommand } from '../commands/types.ts';
import type { DoorStep } from '../doors/door.ts';
import type { ErrorCode } from '../commands/types.ts';
import { MAX_LINE_BYTES } from '../tcp/constants.ts';
import { UDP_CHAT_ONLY } from './constants.ts';
import { inputLogOf } from './throttle.ts';
import type { HubOutputs } from './outputs.ts';
import type { Session } from './session.ts';

/** What the router needs of the UDP data plane (src/server/udp-plane.ts). */
export interface RouterDataPlane {
  offer(session: Session): { ok: true; reply: Parameters<Session['sendControl']>[0] } | { ok: false; why: string };
  transportFromClient(session: Session, command: TransportCommand): void;
}

export interface RouterConfig {
  hub: Hub;
  outputs: HubOutputs;
  /** A file-transfer line; a promise while the session's disk is behind (its next lines wait). */
  transfer(session: Session, command: TransferCommand): Promise<void> | undefined;
  udp: RouterDataPlane;
  logger: Logger;
  /** The hub's clock (ms since the epoch). */
  now(): number;
  /** The session just got its name (its connect deadline no longer applies). */
  named(session: Session): void;
  /** Close the session's connection after what was sent (a door's `end` step). */
  end(session: Session, detail: string): void;
}

export class LineRouter {
  constructor(private readonly config: RouterConfig) {}

  /** A line from the session's control connection. A promise while it is still being answered. */
  controlLine(session: Session, remote: string, text: string): Promise<void> | undefined {
    const input = session.read(text, this.config.now());
    if (input.type === 'steps') return this.steps(session, remote, input.steps, 0);
    return this.clientLine(session, remote, input);
  }

  private clientLine(session: Session, remote: string, line: ClientLine): Promise<void> | undefined {
    switch (line.type) {
      case 'command':
        return this.command(session, line.command);
      case 'transfer':
        return this.config.transfer(session, line.command);
      case 'transport':
        if (this.requireName(session, remote)) this.config.udp.transportFromClient(session, line.command);
        return undefined;
      case 'udp-request':
        if (this.requireName(session, remote)) this.offerUdp(session, remote);
        return undefined;
      case 'refused':
        this.refuse(session, remote, 'tcp', line.error);
        return undefined;
    }
  }

  /** A chat line the client sent over its UDP binding (undefined: not UTF-8), `bytes` long. */
  datagramLine(session: Session, remote: string, text: string | undefined, bytes: number): Promise<void> | undefined {
    // Errors about a line that came over UDP go back over TCP (Session.deliver: errors are not chat).
    if (text === undefined) {
      this.reject(session, remote, 'udp', 'bad-encoding', 'a chat line over UDP was not valid UTF-8 and was ignored', bytes);
      return undefined;
    }
    if (bytes > MAX_LINE_BYTES) {
      this.reject(session, remote, 'udp', 'line-too-long', `a line is at most ${MAX_LINE_BYTES} bytes; ignored`, bytes);
      return undefined;
    }
    const line = session.read(text, this.config.now());
    if (line.type === 'steps') {
      this.reject(session, remote, 'udp', 'refused', UDP_CHAT_ONLY, bytes);
      return undefined;
    }
    if (line.type === 'refused') {
      this.refuse(session, remote, 'udp', line.error, bytes);
      return undefined;
    }
    if (line.type !== 'command' || (line.command.kind !== 'broadcast' && line.command.kind !== 'private')) {
      this.reject(session, remote, 'udp', 'refused', UDP_CHAT_ONLY, bytes);
      return undefined;
    }
    return this.command(session, line.command);
  }

  /** A stateful door's steps from `from` on, in order: a step still being answered holds the rest. */
  private steps(session: Session, remote: string, steps: readonly DoorStep[], from: number): Promise<void> | undefined {
    for (let i = from; i < steps.length; i++) {
      const step = steps[i]!;
      let pending: Promise<void> | undefined;
      switch (step.type) {
        case 'hub': {
          const door = session.door;
          door.asking?.(step);
          pending = this.command(session, step.command);
          // Once answered (now, or when a port answers), refusals are no longer this step's.
          if (door.asking !== undefined) {
            if (pending === undefined) door.asking(undefined);
            else pending = pending.then(() => door.asking?.(undefined));
          }
          const then = step.then;
          if (then !== undefined) {
            pending = pending === undefined ? this.steps(session, remote, then(), 0) : pending.then(() => this.steps(session, remote, then(), 0));
          }
          break;
        }
        case 'send':
          session.writeBytes(step.bytes);
          break;
        case 'end':
          session.writeBytes(step.bytes);
          this.config.end(session, step.detail);
          return undefined;
        default:
          pending = this.clientLine(session, remote, step);
      }
      if (pending !== undefined) return pending.then(() => this.steps(session, remote, steps, i + 1));
    }
    return undefined;
  }

  /** A command into the hub and its outputs out: the one pass of a chat line. */
  command(session: Session, command: HubCommand): Promise<void> | undefined {
    const { hub, outputs } = this.config;
    const pending = outputs.dispatch(hub.handle(session.id, command, this.config.now()));
    // The session's name changes on its sign-in and on a rename (a door's: IRC NICK).
    if (session.name !== undefined && command.kind !== 'rename') return pending;
    if (pending === undefined) {
      this.noteName(session);
      return undefined;
    }
    return pending.then(() => this.noteName(session));
  }

  /** A refusal the session hears as an error line, logged as rejected input. */
  reject(session: Session, remote: string, via: 'tcp' | 'udp', code: ErrorCode, message: string, bytes?: number): void {
    session.deliver({ kind: 'error', code, message });
    inputLogOf(this.config.logger).info({ session: session.id, name: session.name, remote, via, code, bytes }, 'input rejected');
  }

  private refuse(session: Session, remote: string, via: 'tcp' | 'udp', error: ParseError, bytes?: number): void {
    this.reject(session, remote, via, error.code, error.message, bytes);
  }

  private requireName(session: Session, remote: string): boolean {
    if (session.name !== undefined) return true;
    this.reject(session, remote, 'tcp', 'not-connected', 'send <connect>NAME first');
    return false;
  }

  /** `<udp>` from a dualchat client after its welcome: where and how to bind the UDP data plane. */
  private offerUdp(session: Session, remote: string): void {
    const offer = this.config.udp.offer(session);
    if (offer.ok) session.sendControl(offer.reply);
    else this.reject(session, remote, 'tcp', 'refused', offer.why);
  }

  private noteName(session: Session): void {
    const name = this.config.hub.nameOf(session.id);
    if (name === undefined) return;
    session.name = name;
    this.config.named(session);
  }
}
