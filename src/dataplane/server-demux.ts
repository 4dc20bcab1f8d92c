// The server's many bindings on one socket, pure: which connection id belongs to which session (the
// binding table: tokens, nonces, bound addresses), hellos decided and answered, and data and close
// datagrams admitted only from a session's bound address and handed to that session's machine.
//
//   hello       → the table decides (binding-table.ts): bind / rebind / repeat go to the machine
//                 (handleVerifiedHello: it binds or moves and answers helloOk); a refusal is answered here.
//   data, close → admitted (bound id, bound address) → the machine; otherwise dropped and counted.
//   helloOk, refuse → a type only a client receives: counted as unexpected by the shell.
//
// The shell sends what pollTransmit gives after each datagram, logs the outcome, and services the
// session's machine.
import type { Datagram } from '../wire/codec.ts';
import { BindingTable, type AdmitDecision, type BindingCounters, type HelloDecision } from './binding-table.ts';
import { encodeRefuse, type HelloVerifier } from './hello.ts';
import type { DataPlaneMachine } from './machine.ts';
import type { Address, OutgoingDatagram } from './types.ts';

/** What the demultiplexer needs of a session: its machine's datagram and hello inputs (whatever it carries as chat). */
export interface DemuxedSession {
  readonly machine: Pick<DataPlaneMachine<unknown>, 'handleDatagram' | 'handleVerifiedHello'>;
}

export type DemuxOutcome<S> =
  /** A data or close datagram: handed to the session's machine, or dropped (with the reason). */
  | AdmitDecision<S>
  /** A hello, decided (and answered: helloOk by the machine, a refusal by the demultiplexer). */
  | { type: 'hello'; decision: HelloDecision<S> }
  /** A well-formed datagram of a type the server never accepts (helloOk, refuse). */
  | { type: 'unexpected' };

const UNEXPECTED = Object.freeze({ type: 'unexpected' as const });

export class ServerDemux<S extends DemuxedSession> {
  private readonly table: BindingTable<S>;
  private readonly outgoing: OutgoingDatagram[] = [];

  /** `verifyHello` checks a hello's proof (src/udp/binding.ts: the HMAC needs node:crypto). */
  constructor(verifyHello: HelloVerifier) {
    this.table = new BindingTable<S>(verifyHello);
  }

  /** Whether `connectionId` is offered now (bound or not). */
  has(connectionId: number): boolean {
    return this.table.has(connectionId);
  }

  /** Hello decisions and dropped datagrams, by kind. */
  get counters(): Readonly<BindingCounters> {
    return this.table.counters;
  }

  /** Offer `connectionId` (and its token) to `session`; false if the id is taken (pick another). */
  offer(connectionId: number, token: Uint8Array, session: S): boolean {
    return this.table.offer(connectionId, token, session);
  }

  /** The session ended or left UDP: its id is forgotten (later hellos for it are refused as unknown). */
  remove(connectionId: number): void {
    this.table.remove(connectionId);
  }

  handleDatagram(datagram: Datagram, from: Address, now: number): DemuxOutcome<S> {
    switch (datagram.type) {
      case 'hello': {
        const decision = this.table.hello(datagram.connectionId, datagram.body, from);
        if (decision.type === 'refuse') {
          const to = { address: from.address, port: from.port };
          this.outgoing.push({ type: 'refuse', connectionId: datagram.connectionId, body: encodeRefuse(decision.reason), to });
        } else decision.session.machine.handleVerifiedHello(from, now);
        return { type: 'hello', decision };
      }
      case 'data':
      case 'close': {
        const decision = this.table.admit(datagram.connectionId, from);
        if (decision.type === 'accept') decision.session.machine.handleDatagram(datagram, from, now);
        return decision;
      }
      case 'helloOk':
      case 'refuse':
        return UNEXPECTED;
    }
  }

  /** A refusal to send, or undefined. */
  pollTransmit(): OutgoingDatagram | undefined {
    return this.outgoing.shift();
  }
}
