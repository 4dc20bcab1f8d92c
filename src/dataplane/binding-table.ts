// The server's binding table, pure (no socket, no clock, no crypto: the proofs are checked, and challenges
// drawn, by the BindingProof handed in, src/udp/binding.ts's BINDING_PROOF): which connection ids are
// offered to which sessions, which source address each is bound to, which new addresses are being
// validated, and what to do with a hello, a response, a datagram, or a datagram the server wants to send.
//
// - offer(id, token, session): after `<connect>`, the session's connection id and token (told over TCP).
// - hello(id, body, from, bytes): the client proves the token (nonce + HMAC). Decisions:
//     unknown id                         → refuse unknownConnection
//     body not a hello / wrong MAC       → refuse malformed / badMac
//     nonce below the last accepted one  → refuse replayed (stale)
//     nonce equal to the last accepted:  same address → repeat (a retransmission: helloOk again)
//                                        other address → refuse replayed (a captured hello replayed)
//     nonce above the last accepted:     unbound → bind (the address is not validated yet: challenged)
//                                        same address → repeat
//                                        other address → challenge it; the binding stays where it is
//   A hello proves the token, not the address (behind a NAT the client does not know its own), so a
//   binding moves only once the new address answers a challenge:
// - response(id, body, from, bytes): the challenge sent to `from`, answered with the token's MAC →
//     the bound address's own challenge → validated;   a new address's → rebind (the binding moves there).
//     Anything else is dropped and counted.
// - admit(id, from, bytes, now): a data or close datagram. Accepted only for a bound id from its bound
//   address; otherwise dropped and counted: unknown id, not bound yet, or from another address (spoofed,
//   or a client whose address changed and has not been validated there yet). While the bound address has
//   not answered, an accepted datagram brings its challenge again at most every CHALLENGE_RETRY_MS (the
//   first challenge or its response may be lost).
// - maySend(id, to, bytes): before the server sends to an address that has not answered a challenge, it
//   may send there at most AMPLIFICATION_FACTOR × the bytes it received from there (RFC 9000 §8); a
//   validated bound address has no such bound.
// - remove(id): the session ended or fell back to TCP; later hellos for the id are refused as unknown.
//
// Several connection ids may be bound to one address (clients behind one NAT): ids are the key.
import { AMPLIFICATION_FACTOR, CHALLENGE_RETRY_MS, MAX_PENDING_PATHS } from './constants.ts';
import type { BindingProof, RefuseReasonName } from './hello.ts';
import { sameAddress, type Address } from './types.ts';

export type HelloDecision<S> =
  /** First successful hello: bind the id to `from` (and challenge it: `challenge` goes there). */
  | { type: 'bind'; session: S; challenge: Uint8Array }
  /** A hello from the bound address (retransmitted, or a fresh nonce): answer helloOk again (and the challenge, while unvalidated). */
  | { type: 'repeat'; session: S; challenge: Uint8Array | undefined }
  /** A fresh hello from a new address: `challenge` goes to `from`; the binding moves when it is answered. */
  | { type: 'challenge'; session: S; challenge: Uint8Array }
  | { type: 'refuse'; reason: RefuseReasonName; session: S | undefined };

export type ResponseDecision<S> =
  /** The bound address answered its challenge: no bound on what is sent there from now on. */
  | { type: 'validated'; session: S }
  /** A new address answered its challenge: the binding moves there (NAT rebinding). */
  | { type: 'rebind'; session: S; previous: Address }
  | { type: 'drop'; reason: 'unknown-connection' | 'bad-response' | 'unmatched-response' };

export type AdmitDecision<S> =
  /** `challenge`: the bound address has not answered yet; send it its challenge again. */
  | { type: 'accept'; session: S; challenge?: Uint8Array }
  | { type: 'drop'; reason: 'unknown-connection' | 'unbound' | 'wrong-address' };

export interface BindingCounters {
  /** Hellos that bound an id for the first time. */
  bound: number;
  /** Responses that moved a binding to a new address. */
  rebound: number;
  /** Hellos answered again from the bound address (retransmissions, refreshes). */
  repeated: number;
  /** Fresh hellos from a new address, answered with a challenge there. */
  challenged: number;
  /** Responses that validated the address an id was first bound to. */
  validated: number;
  refusedUnknownConnection: number;
  refusedMalformed: number;
  refusedBadMac: number;
  refusedReplayed: number;
  droppedUnknownConnection: number;
  droppedUnbound: number;
  droppedWrongAddress: number;
  /** Responses with a wrong MAC, or answering no challenge out to where they came from. */
  droppedResponses: number;
  /** Datagrams not sent: to an address not validated, over AMPLIFICATION_FACTOR × what came from it. */
  amplificationLimited: number;
}

/** What was received from and sent to an address that has not answered its challenge. */
interface Unvalidated {
  address: Address;
  challenge: Uint8Array;
  received: number;
  sent: number;
  /** (the bound address) When an admitted datagram last brought the challenge again. */
  resentAt?: number;
}

interface Entry<S> {
  session: S;
  token: Uint8Array;
  /** Highest nonce accepted so far. */
  nonce: bigint | undefined;
  address: Address | undefined;
  /** The bound address while it has not answered its challenge (undefined: validated, or unbound). */
  boundUnvalidated: Unvalidated | undefined;
  /** New addresses challenged, oldest first (at most MAX_PENDING_PATHS). */
  pending: Unvalidated[];
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

export class BindingTable<S> {
  readonly counters: BindingCounters = {
    bound: 0,
    rebound: 0,
    repeated: 0,
    challenged: 0,
    validated: 0,
    refusedUnknownConnection: 0,
    refusedMalformed: 0,
    refusedBadMac: 0,
    refusedReplayed: 0,
    droppedUnknownConnection: 0,
    droppedUnbound: 0,
    droppedWrongAddress: 0,
    droppedResponses: 0,
    amplificationLimited: 0,
  };
  private readonly entries = new Map<number, Entry<S>>();

  constructor(private readonly proof: BindingProof) {}

  /** Offer `connectionId` to `session`; false if the id is taken (pick another). */
  offer(connectionId: number, token: Uint8Array, session: S): boolean {
    if (this.entries.has(connectionId)) return false;
    this.entries.set(connectionId, { session, token, nonce: undefined, address: undefined, boundUnvalidated: undefined, pending: [] });
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

  /** Whether `connectionId`'s bound address has answered a challenge (false when unbound). */
  isValidated(connectionId: number): boolean {
    const entry = this.entries.get(connectionId);
    return entry?.address !== undefined && entry.boundUnvalidated === undefined;
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

  /** A hello of `bytes` bytes (the whole datagram) from `from`. */
  hello(connectionId: number, body: Uint8Array, from: Address, bytes = 0): HelloDecision<S> {
    const entry = this.entries.get(connectionId);
    if (entry === undefined) {
      this.counters.refusedUnknownConnection++;
      return { type: 'refuse', reason: 'unknownConnection', session: undefined };
    }
    const check = this.proof.verifyHello(entry.token, connectionId, body);
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
    const fromBound = bound !== undefined && sameAddress(bound, from);
    if (last !== undefined && check.nonce === last && !fromBound) {
      this.counters.refusedReplayed++;
      return { type: 'refuse', reason: 'replayed', session: entry.session };
    }
    entry.nonce = check.nonce;
    const here = { address: from.address, port: from.port };
    if (bound === undefined) {
      entry.address = here;
      const challenge = this.proof.newChallenge();
      entry.boundUnvalidated = { address: here, challenge, received: bytes, sent: 0 };
      this.counters.bound++;
      return { type: 'bind', session: entry.session, challenge };
    }
    if (fromBound) {
      if (entry.boundUnvalidated !== undefined) entry.boundUnvalidated.received += bytes;
      this.counters.repeated++;
      return { type: 'repeat', session: entry.session, challenge: entry.boundUnvalidated?.challenge };
    }
    let path = entry.pending.find((p) => sameAddress(p.address, from));
    if (path === undefined) {
      path = { address: here, challenge: this.proof.newChallenge(), received: 0, sent: 0 };
      entry.pending.push(path);
      if (entry.pending.length > MAX_PENDING_PATHS) entry.pending.shift();
    }
    path.received += bytes;
    this.counters.challenged++;
    return { type: 'challenge', session: entry.session, challenge: path.challenge };
  }

  /** A response of `bytes` bytes from `from`. */
  response(connectionId: number, body: Uint8Array, from: Address, bytes = 0): ResponseDecision<S> {
    const entry = this.entries.get(connectionId);
    if (entry === undefined) {
      this.counters.droppedUnknownConnection++;
      return { type: 'drop', reason: 'unknown-connection' };
    }
    const challenge = this.proof.verifyResponse(entry.token, connectionId, body);
    if (challenge === undefined) {
      this.counters.droppedResponses++;
      return { type: 'drop', reason: 'bad-response' };
    }
    const own = entry.boundUnvalidated;
    if (own !== undefined && sameAddress(own.address, from) && sameBytes(own.challenge, challenge)) {
      entry.boundUnvalidated = undefined;
      this.counters.validated++;
      return { type: 'validated', session: entry.session };
    }
    const path = entry.pending.find((p) => sameAddress(p.address, from) && sameBytes(p.challenge, challenge));
    if (path === undefined || entry.address === undefined) {
      this.counters.droppedResponses++;
      return { type: 'drop', reason: 'unmatched-response' };
    }
    path.received += bytes;
    const previous = entry.address;
    entry.address = path.address;
    entry.boundUnvalidated = undefined;
    entry.pending = [];
    this.counters.rebound++;
    return { type: 'rebind', session: entry.session, previous };
  }

  /** A data or close datagram of `bytes` bytes from `from`, at `now`. */
  admit(connectionId: number, from: Address, bytes = 0, now?: number): AdmitDecision<S> {
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
    const own = entry.boundUnvalidated;
    if (own === undefined) return { type: 'accept', session: entry.session };
    own.received += bytes;
    if (now === undefined || (own.resentAt !== undefined && now - own.resentAt < CHALLENGE_RETRY_MS)) return { type: 'accept', session: entry.session };
    own.resentAt = now;
    return { type: 'accept', session: entry.session, challenge: own.challenge };
  }

  /**
   * Whether `bytes` more may go to `to` for `connectionId` now (and if so, they are counted): always to a
   * validated bound address; to one not validated (the bound one, or one being challenged) while within
   * AMPLIFICATION_FACTOR × what came from it; never for an id not offered or an address it does not know.
   */
  maySend(connectionId: number, to: Address, bytes: number): boolean {
    const entry = this.entries.get(connectionId);
    let budget: Unvalidated | undefined;
    if (entry !== undefined && entry.address !== undefined && sameAddress(entry.address, to)) {
      budget = entry.boundUnvalidated;
      if (budget === undefined) return true;
    } else {
      budget = entry?.pending.find((p) => sameAddress(p.address, to));
    }
    if (budget === undefined || budget.sent + bytes > AMPLIFICATION_FACTOR * budget.received) {
      this.counters.amplificationLimited++;
      return false;
    }
    budget.sent += bytes;
    return true;
  }
}
