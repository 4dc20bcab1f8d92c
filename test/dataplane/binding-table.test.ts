// The server's binding state machine: hello → bind / repeat / challenge / refuse, response → validated /
// rebind / drop, datagram admission, the anti-amplification bound, counters.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AMPLIFICATION_FACTOR, MAX_PENDING_PATHS } from '../../src/dataplane/constants.ts';
import { BINDING_PROOF, encodeHello, encodeResponse, newToken } from '../../src/udp/binding.ts';
import { BindingTable } from '../../src/dataplane/binding-table.ts';
import type { Address } from '../../src/dataplane/types.ts';

const A: Address = { address: '10.0.0.1', port: 4000 };
const A2: Address = { address: '10.0.0.1', port: 4001 };
const B: Address = { address: '10.0.0.2', port: 4000 };

const CHALLENGE = expect.any(Uint8Array) as Uint8Array;

function table(): { t: BindingTable<string>; token: Uint8Array; hello: (nonce: bigint) => Uint8Array; response: (challenge: Uint8Array) => Uint8Array } {
  const t = new BindingTable<string>(BINDING_PROOF);
  const token = newToken();
  expect(t.offer(7, token, 'alice')).toBe(true);
  return { t, token, hello: (nonce) => encodeHello(token, 7, nonce), response: (challenge) => encodeResponse(token, 7, challenge) };
}

/** The challenge a decision carries (a test failure when it has none). */
function challengeOf(d: { type: string; challenge?: Uint8Array | undefined }): Uint8Array {
  if (d.challenge === undefined) throw new Error(`no challenge in a ${d.type} decision`);
  return d.challenge;
}

describe('BindingTable hellos', () => {
  it('binds on the first valid hello and admits that address only', () => {
    const { t, hello } = table();
    expect(t.admit(7, A)).toEqual({ type: 'drop', reason: 'unbound' });
    expect(t.hello(7, hello(1n), A)).toEqual({ type: 'bind', session: 'alice', challenge: CHALLENGE });
    expect(t.addressOf(7)).toEqual(A);
    expect(t.admit(7, A)).toEqual({ type: 'accept', session: 'alice' });
    expect(t.admit(7, A2)).toEqual({ type: 'drop', reason: 'wrong-address' });
    expect(t.admit(7, B)).toEqual({ type: 'drop', reason: 'wrong-address' });
    expect(t.admit(8, A)).toEqual({ type: 'drop', reason: 'unknown-connection' });
    expect(t.counters).toMatchObject({ bound: 1, droppedUnbound: 1, droppedWrongAddress: 2, droppedUnknownConnection: 1 });
  });

  it('answers a retransmitted hello from the bound address again, refuses it from anywhere else', () => {
    const { t, hello } = table();
    t.hello(7, hello(5n), A);
    expect(t.hello(7, hello(5n), A)).toEqual({ type: 'repeat', session: 'alice', challenge: CHALLENGE });
    expect(t.hello(7, hello(5n), B)).toEqual({ type: 'refuse', reason: 'replayed', session: 'alice' });
    expect(t.addressOf(7)).toEqual(A);
    expect(t.counters).toMatchObject({ bound: 1, repeated: 1, refusedReplayed: 1 });
  });

  it('refuses a stale nonce, even from the bound address', () => {
    const { t, hello } = table();
    t.hello(7, hello(5n), A);
    expect(t.hello(7, hello(4n), A)).toEqual({ type: 'refuse', reason: 'replayed', session: 'alice' });
    expect(t.hello(7, hello(1n), B)).toEqual({ type: 'refuse', reason: 'replayed', session: 'alice' });
  });

  it('moves the binding with a fresh nonce from a new address once that address answers its challenge (NAT rebinding)', () => {
    const { t, hello, response } = table();
    t.hello(7, hello(1n), A);
    const asked = t.hello(7, hello(2n), A2);
    expect(asked).toEqual({ type: 'challenge', session: 'alice', challenge: CHALLENGE });
    // Not moved yet: the new address only proved it saw a hello.
    expect(t.addressOf(7)).toEqual(A);
    expect(t.admit(7, A2)).toEqual({ type: 'drop', reason: 'wrong-address' });
    // The answer must come from the address the challenge went to, and carry the token's MAC.
    expect(t.response(7, response(challengeOf(asked)), B)).toEqual({ type: 'drop', reason: 'unmatched-response' });
    expect(t.response(7, encodeResponse(newToken(), 7, challengeOf(asked)), A2)).toEqual({ type: 'drop', reason: 'bad-response' });
    expect(t.response(7, response(new Uint8Array(8)), A2)).toEqual({ type: 'drop', reason: 'unmatched-response' });
    expect(t.response(7, response(challengeOf(asked)), A2)).toEqual({ type: 'rebind', session: 'alice', previous: A });
    expect(t.admit(7, A2)).toEqual({ type: 'accept', session: 'alice' });
    expect(t.admit(7, A)).toEqual({ type: 'drop', reason: 'wrong-address' });
    // The old address cannot take it back with an old hello.
    expect(t.hello(7, hello(1n), A)).toMatchObject({ type: 'refuse', reason: 'replayed' });
    // Validated: no challenge with the helloOk any more.
    expect(t.hello(7, hello(3n), A2)).toEqual({ type: 'repeat', session: 'alice', challenge: undefined });
    expect(t.counters).toMatchObject({ bound: 1, challenged: 1, rebound: 1, repeated: 1, droppedResponses: 3 });
  });

  it('validates the first address when it answers the challenge that came with its helloOk', () => {
    const { t, hello, response } = table();
    const bind = t.hello(7, hello(1n), A);
    expect(t.isValidated(7)).toBe(false);
    // A response from elsewhere does not validate A, nor move the binding.
    expect(t.response(7, response(challengeOf(bind)), B)).toEqual({ type: 'drop', reason: 'unmatched-response' });
    expect(t.response(7, response(challengeOf(bind)), A)).toEqual({ type: 'validated', session: 'alice' });
    expect(t.isValidated(7)).toBe(true);
    expect(t.response(7, response(challengeOf(bind)), A)).toEqual({ type: 'drop', reason: 'unmatched-response' });
    expect(t.counters).toMatchObject({ bound: 1, validated: 1, droppedResponses: 2 });
  });

  it('sends an address that has not answered at most AMPLIFICATION_FACTOR × what came from it', () => {
    const { t, hello, response } = table();
    const HELLO_BYTES = 34;
    const bind = t.hello(7, hello(1n), A, HELLO_BYTES);
    const budget = AMPLIFICATION_FACTOR * HELLO_BYTES;
    expect(t.maySend(7, A, budget - 10)).toBe(true);
    expect(t.maySend(7, A, 11)).toBe(false);
    expect(t.maySend(7, A, 10)).toBe(true);
    expect(t.maySend(7, A, 1)).toBe(false);
    // More from it, more to it.
    expect(t.admit(7, A, 20)).toMatchObject({ type: 'accept' });
    expect(t.maySend(7, A, AMPLIFICATION_FACTOR * 20)).toBe(true);
    expect(t.maySend(7, A, 1)).toBe(false);
    // Nothing at all to an address the binding does not know, nor for an id not offered.
    expect(t.maySend(7, B, 1)).toBe(false);
    expect(t.maySend(8, A, 1)).toBe(false);
    // A challenged address has its own budget; the bound one, once validated, none.
    const asked = t.hello(7, hello(2n), B, HELLO_BYTES);
    expect(t.maySend(7, B, budget)).toBe(true);
    expect(t.maySend(7, B, 1)).toBe(false);
    t.response(7, response(challengeOf(bind)), A);
    expect(t.maySend(7, A, 1_000_000)).toBe(true);
    expect(t.response(7, response(challengeOf(asked)), B)).toMatchObject({ type: 'rebind' });
    expect(t.maySend(7, B, 1_000_000)).toBe(true);
    expect(t.maySend(7, A, 1)).toBe(false);
    expect(t.counters.amplificationLimited).toBe(7);
  });

  it('a hello copied and sent first from elsewhere binds there unvalidated; the genuine client takes it back by answering a challenge', () => {
    const { t, hello, response } = table();
    // The attacker's copy of nonce 1 arrives first, from B.
    const stolen = t.hello(7, hello(1n), B, 34);
    expect(stolen.type).toBe('bind');
    // The genuine hello (same nonce) from A is refused as replayed; the client sends a fresh one.
    expect(t.hello(7, hello(1n), A, 34)).toMatchObject({ type: 'refuse', reason: 'replayed' });
    const asked = t.hello(7, hello(2n), A, 34);
    expect(asked.type).toBe('challenge');
    // The attacker cannot answer A's challenge (nor its own: no token); the client can, from A.
    expect(t.response(7, encodeResponse(newToken(), 7, challengeOf(stolen)), B)).toMatchObject({ type: 'drop' });
    expect(t.response(7, response(challengeOf(asked)), A)).toEqual({ type: 'rebind', session: 'alice', previous: B });
    expect(t.isValidated(7)).toBe(true);
    // Replaying either hello from B now moves nothing.
    expect(t.hello(7, hello(1n), B)).toMatchObject({ type: 'refuse', reason: 'replayed' });
    expect(t.hello(7, hello(2n), B)).toMatchObject({ type: 'refuse', reason: 'replayed' });
    expect(t.addressOf(7)).toEqual(A);
  });

  it('keeps at most MAX_PENDING_PATHS challenged addresses, forgetting the oldest', () => {
    const { t, hello, response } = table();
    t.hello(7, hello(1n), A);
    const asked: Array<{ from: Address; challenge: Uint8Array }> = [];
    for (let i = 0; i <= MAX_PENDING_PATHS; i++) {
      const from = { address: '10.9.9.9', port: 5000 + i };
      asked.push({ from, challenge: challengeOf(t.hello(7, hello(BigInt(2 + i)), from)) });
    }
    expect(t.response(7, response(asked[0]!.challenge), asked[0]!.from)).toEqual({ type: 'drop', reason: 'unmatched-response' });
    expect(t.response(7, response(asked[1]!.challenge), asked[1]!.from)).toMatchObject({ type: 'rebind' });
  });

  it('refuses unknown ids, wrong tokens and malformed bodies, binding nothing', () => {
    const { t, hello } = table();
    expect(t.hello(8, hello(1n), A)).toEqual({ type: 'refuse', reason: 'unknownConnection', session: undefined });
    expect(t.hello(7, encodeHello(newToken(), 7, 1n), A)).toEqual({ type: 'refuse', reason: 'badMac', session: 'alice' });
    expect(t.hello(7, hello(1n).subarray(0, 10), A)).toEqual({ type: 'refuse', reason: 'malformed', session: 'alice' });
    expect(t.addressOf(7)).toBeUndefined();
    // A refused hello does not burn its nonce: the genuine one still binds.
    expect(t.hello(7, hello(1n), A)).toEqual({ type: 'bind', session: 'alice', challenge: CHALLENGE });
    expect(t.counters).toMatchObject({ refusedUnknownConnection: 1, refusedBadMac: 1, refusedMalformed: 1, bound: 1 });
  });

  it('keeps several ids behind one address apart, and forgets removed ids', () => {
    const t = new BindingTable<string>(BINDING_PROOF);
    const [ta, tb] = [newToken(), newToken()];
    t.offer(1, ta, 'a');
    t.offer(2, tb, 'b');
    expect(t.offer(1, tb, 'c')).toBe(false);
    expect(t.hello(1, encodeHello(ta, 1, 1n), A)).toEqual({ type: 'bind', session: 'a', challenge: CHALLENGE });
    expect(t.hello(2, encodeHello(tb, 2, 1n), A)).toEqual({ type: 'bind', session: 'b', challenge: CHALLENGE });
    // b's token does not open a's id.
    expect(t.hello(1, encodeHello(tb, 1, 9n), B)).toMatchObject({ type: 'refuse', reason: 'badMac' });
    expect(t.admit(1, A)).toEqual({ type: 'accept', session: 'a' });
    expect(t.admit(2, A)).toEqual({ type: 'accept', session: 'b' });
    expect(t.boundCount()).toBe(2);
    t.remove(1);
    expect(t.admit(1, A)).toEqual({ type: 'drop', reason: 'unknown-connection' });
    expect(t.hello(1, encodeHello(ta, 1, 2n), A)).toMatchObject({ type: 'refuse', reason: 'unknownConnection' });
    expect(t.size).toBe(1);
  });
});

describe('BindingTable against a model', () => {
  type Step = { nonce: bigint; from: number; forged: boolean };
  const addresses: Address[] = [A, A2, B];
  const step: fc.Arbitrary<Step> = fc.record({
    nonce: fc.bigInt({ min: 0n, max: 6n }),
    from: fc.nat({ max: addresses.length - 1 }),
    forged: fc.boolean(),
  });

  it('binds only to a proven address, moves only by a challenge, never goes back to a lower nonce, and counts every decision once', () => {
    fc.assert(
      fc.property(fc.array(step, { maxLength: 30 }), (steps) => {
        const { t, token } = table();
        let last: bigint | undefined;
        let bound: Address | undefined;
        for (const s of steps) {
          const from = addresses[s.from]!;
          const body = encodeHello(s.forged ? newToken() : token, 7, s.nonce);
          const d = t.hello(7, body, from);
          if (s.forged) {
            expect(d).toMatchObject({ type: 'refuse', reason: 'badMac' });
          } else if (last !== undefined && (s.nonce < last || (s.nonce === last && bound !== from))) {
            expect(d).toMatchObject({ type: 'refuse', reason: 'replayed' });
          } else if (bound === undefined) {
            expect(d.type).toBe('bind');
          } else if (bound === from) {
            expect(d.type).toBe('repeat');
          } else {
            // A fresh hello from elsewhere is challenged there; the binding stays.
            expect(d.type).toBe('challenge');
          }
          if (d.type !== 'refuse') last = s.nonce;
          if (d.type === 'bind') bound = from;
          expect(t.addressOf(7)).toEqual(bound);
        }
        const c = t.counters;
        const decisions = c.bound + c.challenged + c.repeated + c.refusedBadMac + c.refusedReplayed;
        expect(decisions).toBe(steps.length);
      }),
    );
  });
});
