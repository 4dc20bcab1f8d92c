// The server's binding state machine: hello → bind / repeat / rebind / refuse, datagram admission, counters.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeHello, newToken, verifyHello } from '../../src/udp/binding.ts';
import { BindingTable } from '../../src/dataplane/binding-table.ts';
import type { Address } from '../../src/dataplane/types.ts';

const A: Address = { address: '10.0.0.1', port: 4000 };
const A2: Address = { address: '10.0.0.1', port: 4001 };
const B: Address = { address: '10.0.0.2', port: 4000 };

function table(): { t: BindingTable<string>; token: Uint8Array; hello: (nonce: bigint) => Uint8Array } {
  const t = new BindingTable<string>(verifyHello);
  const token = newToken();
  expect(t.offer(7, token, 'alice')).toBe(true);
  return { t, token, hello: (nonce) => encodeHello(token, 7, nonce) };
}

describe('BindingTable hellos', () => {
  it('binds on the first valid hello and admits that address only', () => {
    const { t, hello } = table();
    expect(t.admit(7, A)).toEqual({ type: 'drop', reason: 'unbound' });
    expect(t.hello(7, hello(1n), A)).toEqual({ type: 'bind', session: 'alice' });
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
    expect(t.hello(7, hello(5n), A)).toEqual({ type: 'repeat', session: 'alice' });
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

  it('moves the binding with a fresh nonce from a new address (NAT rebinding)', () => {
    const { t, hello } = table();
    t.hello(7, hello(1n), A);
    expect(t.hello(7, hello(2n), A2)).toEqual({ type: 'rebind', session: 'alice', previous: A });
    expect(t.admit(7, A2)).toEqual({ type: 'accept', session: 'alice' });
    expect(t.admit(7, A)).toEqual({ type: 'drop', reason: 'wrong-address' });
    // The old address cannot take it back with an old hello.
    expect(t.hello(7, hello(1n), A)).toMatchObject({ type: 'refuse', reason: 'replayed' });
    expect(t.hello(7, hello(3n), A2)).toEqual({ type: 'repeat', session: 'alice' });
    expect(t.counters).toMatchObject({ bound: 1, rebound: 1, repeated: 1 });
  });

  it('refuses unknown ids, wrong tokens and malformed bodies, binding nothing', () => {
    const { t, hello } = table();
    expect(t.hello(8, hello(1n), A)).toEqual({ type: 'refuse', reason: 'unknownConnection', session: undefined });
    expect(t.hello(7, encodeHello(newToken(), 7, 1n), A)).toEqual({ type: 'refuse', reason: 'badMac', session: 'alice' });
    expect(t.hello(7, hello(1n).subarray(0, 10), A)).toEqual({ type: 'refuse', reason: 'malformed', session: 'alice' });
    expect(t.addressOf(7)).toBeUndefined();
    // A refused hello does not burn its nonce: the genuine one still binds.
    expect(t.hello(7, hello(1n), A)).toEqual({ type: 'bind', session: 'alice' });
    expect(t.counters).toMatchObject({ refusedUnknownConnection: 1, refusedBadMac: 1, refusedMalformed: 1, bound: 1 });
  });

  it('keeps several ids behind one address apart, and forgets removed ids', () => {
    const t = new BindingTable<string>(verifyHello);
    const [ta, tb] = [newToken(), newToken()];
    t.offer(1, ta, 'a');
    t.offer(2, tb, 'b');
    expect(t.offer(1, tb, 'c')).toBe(false);
    expect(t.hello(1, encodeHello(ta, 1, 1n), A)).toEqual({ type: 'bind', session: 'a' });
    expect(t.hello(2, encodeHello(tb, 2, 1n), A)).toEqual({ type: 'bind', session: 'b' });
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

  it('binds only to a proven address, never goes back to a lower nonce, and counts every decision once', () => {
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
            expect(d.type).toBe('rebind');
          }
          if (d.type !== 'refuse') {
            last = s.nonce;
            bound = from;
          }
          expect(t.addressOf(7)).toEqual(bound);
        }
        const c = t.counters;
        const decisions = c.bound + c.rebound + c.repeated + c.refusedBadMac + c.refusedReplayed;
        expect(decisions).toBe(steps.length);
      }),
    );
  });
});
