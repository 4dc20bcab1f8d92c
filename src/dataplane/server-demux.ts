// The server's many bindings on one socket, pure: which connection id belongs to which session (the
// binding table: tokens, nonces, bound and challenged addresses), hellos and responses decided and
// answered, and data and close datagrams admitted only from a session's bound address and handed to that
// session's machine.
//
//   hello       → the table decides (binding-table.ts): bind / repeat go to the machine (handleVerifiedHello:
//                 it binds and answers helloOk), with the address's challenge while it is not validated;
//                 a hello from a new address is answered here with a challenge; a refusal is answered here.
//   response    → the table decides: the bound address validated, or a rebind (the machine moves and
//                 answers helloOk there); a response that answers nothing is dropped.
//   data, close → admitted (bound id, bound address) → the machine; otherwise dropped and counted.
//   helloOk, refuse, challenge → a type only a client receives: counted as unexpected by the shell.
//
// The shell sends what pollTransmit gives after each datagram — a challenge, like the machine's own
// datagrams, only as far as maySend allows (anti-amplification) — logs the outcome, and services the
// session's machine.
import type { Datagram } from '../wire/codec.ts';
import { BindingTable, type AdmitDecision, type BindingCounters, type HelloDecision, type ResponseDecision } from './binding-table.ts';
import { encodeRefuse, type BindingProof } from './hello.ts';
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
  /** A response to a challenge, decided (a rebind answered helloOk by the machine). */
  | { type: 'response'; decision: ResponseDecision<S> }
  /** A well-formed datagram of a type the server never accepts (helloOk, refuse, challenge). */
  | { type: 'unexpected' };

const UNEXPECTED = Object.freeze({ type: 'unexpected' as const });

/** The destination of an answer: a copy of where the datagram came from, made only when one is sent (not per datagram). */
function copyOf(from: Address): Address {
  return { address: from.address, port: from.port };
}

export class ServerDemux<S extends DemuxedSession> {
  private readonly table: BindingTable<S>;
  private readonly outgoing: OutgoingDatagram[] = [];

  /** `proof` checks hellos and responses and draws challenges (src/udp/binding.ts: node:crypto). */
  constructor(proof: BindingProof) {
    this.table = new BindingTable<S>(proof);
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

  /** Whether `connectionId`'s bound address has answered its challenge: BindingTable.isValidated. */
  isValidated(connectionId: number): boolean {
    return this.table.isValidated(connectionId);
  }

  /** Whether `bytes` more may be sent to `to` for `connectionId` now (counted if so): BindingTable.maySend. */
  maySend(connectionId: number, to: Address, bytes: number): boolean {
    return this.table.maySend(connectionId, to, bytes);
  }

  /** A datagram of `bytes` bytes (its whole length on the wire) from `from`. */
  handleDatagram(datagram: Datagram, from: Address, now: number, bytes: number): DemuxOutcome<S> {
    const { connectionId } = datagram;
    switch (datagram.type) {
      case 'hello': {
        const decision = this.table.hello(connectionId, datagram.body, from, bytes);
        switch (decision.type) {
          case 'refuse':
            this.outgoing.push({ type: 'refuse', connectionId, body: encodeRefuse(decision.reason), to: copyOf(from) });
            break;
          case 'challenge':
            this.outgoing.push({ type: 'challenge', connectionId, body: decision.challenge, to: copyOf(from) });
            break;
          case 'bind':
          case 'repeat':
            decision.session.machine.handleVerifiedHello(from, now, decision.type === 'repeat' && decision.challenge === undefined);
            if (decision.challenge !== undefined) this.outgoing.push({ type: 'challenge', connectionId, body: decision.challenge, to: copyOf(from) });
            break;
        }
        return { type: 'hello', decision };
      }
      case 'response': {
        const decision = this.table.response(connectionId, datagram.body, from, bytes);
        // Validated (the binding stays) or moved there: either way the helloOk says so, and the client stops probing.
        if (decision.type === 'rebind' || decision.type === 'validated') decision.session.machine.handleVerifiedHello(from, now, true);
        return { type: 'response', decision };
      }
      case 'data':
      case 'close': {
        const decision = this.table.admit(connectionId, from, bytes, now);
        if (decision.type === 'accept') {
          decision.session.machine.handleDatagram(datagram, from, now);
          if (decision.challenge !== undefined) this.outgoing.push({ type: 'challenge', connectionId, body: decision.challenge, to: copyOf(from) });
        }
        return decision;
      }
      case 'helloOk':
      case 'refuse':
      case 'challenge':
        return UNEXPECTED;
    }
  }

  /** A refusal or a challenge to send (a challenge through maySend), or undefined. */
  pollTransmit(): OutgoingDatagram | undefined {
    return this.outgoing.shift();
  }
}
