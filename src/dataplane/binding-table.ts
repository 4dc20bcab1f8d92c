// The server's binding table, pure (no socket, no clock, no crypto: the hello proof is checked by the
// HelloVerifier handed in, src/udp/binding.ts's verifyHello): which connection ids are offered to which
// sessions, which source address each is bound to, and what to do with a hello or a datagram.
//
// - offer(id, token, session): after `<connect>`, the session's connection id and token (told over TCP).
// - hello(id, body, from): the client proves the token (nonce + HMAC, checked by the verifier). Decisions:
//     unknown id                         → refuse unknownConnection
//     body not a hello / wrong MAC       → refuse malformed / badMac
//     nonce below the last accepted one  → refuse replayed (stale)
//     nonce equal to the last accepted:  same address → repeat (a retransmission: helloOk again)
//                                        other address → refuse replayed (a captured hello replayed)
//     nonce above the last accepted:     unbound → bind; same address → repeat; other address → rebind
//   So an attacker who sees a hello cannot use it from elsewhere, and a client whose NAT mapping changed
//   proves itself with a fresh nonce and moves its binding to the new address.
// - admit(id, from): a data or close datagram. Accepted only for a bound id from its bound address;
//   otherwise dropped and counted: unknown id, not bound yet, or from another address (spoofed, or a
//   client whose address changed and has not sent a fresh hello yet).
// - remove(id): the session ended or fell back to TCP; later hellos for the id are refused as unknown.
//
// Several connection ids may be bound to one address (clients behind one NAT): ids are the key.
import type { HelloVerifier, RefuseReasonName } from './hello.ts';
import { sameAddress, type Address } from './types.ts';

export type HelloDecision<S> =
  /** First successful hello: bind the id to `from`. */
  | { type: 'bind'; session: S }
  /** A fresh hello from a new address: the binding moves there (NAT rebinding). */
  | { type: 'rebind'; session: S; previous: Address }
  /** A hello from the bound address (retransmitted, or a fresh nonce): answer helloOk again. */
  | { type: 'repeat'; session: S }
  | { type: 'refuse'; reason: RefuseReasonName; session: S | undefined };

export type AdmitDecision<S> =
  | { type: 'accept'; session: S }
  | { type: 'drop'; reason: 'unknown-connection' | 'unbound' | 'wrong-address' };

export interface BindingCounters {
  /** Hellos that bound an id for the first time. */
  bound: number;
  /** Hellos that moved a binding to a new address. */
  rebound: number;
  /** Hellos answered again from the bound address (retransmissions, refreshes). */
  repeated: number;
  refusedUnknownConnection: number;
  refusedMalformed: number;
  refusedBadMac: number;
  refusedReplayed: number;
  droppedUnknownConnection: number;
  droppedUnbound: number;
  droppedWrongAddress: number;
}

interface Entry<S> {
  session: S;
  token: Uint8Array;
  /** Highest nonce accepted so far. */
  nonce: bigint | undefined;
  address: Address | undefined;
}

export class BindingTable<S> {
  readonly counters: BindingCounters = {
    bound: 0,
    rebound: 0,
    repeated: 0,
    refusedUnknownConnection: 0,
    refusedMalformed: 0,
    refusedBadMac: 0,
    refusedReplayed: 0,
    droppedUnknownConnection: 0,
    droppedUnbound: 0,
    droppedWrongAddress: 0,
  };
  private readonly entries = new Map<number, Entry<S>>();

  constructor(private readonly verifyHello: HelloVerifier) {}

  /** Offer `connectionId` to `session`; false if the id is taken (pick another). */
  offer(connectionId: number, token: Uint8Array, session: S): boolean {
    if (this.entries.has(connectionId)) return false;
    this.entries.set(connectionId, { session, token, nonce: undefined, address: undefined });
    return true;
  }

  has(connectionId: number): boolean {
    return this.entries.has(connectionId);
  }

  remove(connectionId: number): void {
    this.entries.delete(connectionId);
  }

  /** The address `connectionId` is bound to, if it is. */
  addressOf(connectionId: number): Address | undefined {
    return this.entries.get(connectionId)?.address;
  }

  /** Offered ids (bound or not). */
  get size(): number {
    return this.entries.size;
  }

  /** Ids bound to an address. */
  boundCount(): number {
    let n = 0;
    for (const e of this.entries.values()) if (e.address !== undefined) n++;
    return n;
  }

  hello(connectionId: number, body: Uint8Array, from: Address): HelloDecision<S> {
    const entry = this.entries.get(connectionId);
    if (entry === undefined) {
      this.counters.refusedUnknownConnection++;
      return { type: 'refuse', reason: 'unknownConnection', session: undefined };
    }
    const check = this.verifyHello(entry.token, connectionId, body);
    if (!check.ok) {
      if (check.reason === 'malformed') this.counters.refusedMalformed++;
      else this.counters.refusedBadMac++;
      return { type: 'refuse', reason: check.reason, session: entry.session };
    }
    const last = entry.nonce;
    const bound = entry.address;
    if (last !== undefined && check.nonce < last) {
      this.counters.refusedReplayed++;
      return { type: 'refuse', reason: 'replayed', session: entry.session };
    }
    if (last !== undefined && check.nonce === last) {
      if (bound !== undefined && sameAddress(bound, from)) {
        this.counters.repeated++;
        return { type: 'repeat', session: entry.session };
      }
      this.counters.refusedReplayed++;
      return { type: 'refuse', reason: 'replayed', session: entry.session };
    }
    entry.nonce = check.nonce;
    const here = { address: from.address, port: from.port };
    if (bound === undefined) {
      entry.address = here;
      this.counters.bound++;
      return { type: 'bind', session: entry.session };
    }
    if (sameAddress(bound, from)) {
      this.counters.repeated++;
      return { type: 'repeat', session: entry.session };
    }
    entry.address = here;
    this.counters.rebound++;
    return { type: 'rebind', session: entry.session, previous: bound };
  }

  admit(connectionId: number, from: Address): AdmitDecision<S> {
    const entry = this.entries.get(connectionId);
    if (entry === undefined) {
      this.counters.droppedUnknownConnection++;
      return { type: 'drop', reason: 'unknown-connection' };
    }
    if (entry.address === undefined) {
      this.counters.droppedUnbound++;
      return { type: 'drop', reason: 'unbound' };
    }
    if (!sameAddress(entry.address, from)) {
      this.counters.droppedWrongAddress++;
      return { type: 'drop', reason: 'wrong-address' };
    }
    return { type: 'accept', session: entry.session };
  }
}
