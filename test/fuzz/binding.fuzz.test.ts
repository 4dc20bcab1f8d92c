// Fuzzing the UDP binding table — the first thing any datagram from the internet meets after the
// codec: arbitrary hello bodies never bind anything, and against a model, arbitrary sequences of
// genuine, forged, replayed and stale hellos, responses to challenges and data from two addresses bind,
// challenge, move and admit exactly as the rules in src/dataplane/binding-table.ts say.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BindingTable } from '../../src/dataplane/binding-table.ts';
import { decodeRefuse } from '../../src/dataplane/hello.ts';
import type { Address } from '../../src/dataplane/types.ts';
import { BINDING_PROOF, encodeHello, encodeResponse, tokenFromHex, verifyHello } from '../../src/udp/binding.ts';
import { BINDING_TOKEN_BYTES } from '../../src/udp/constants.ts';

const A: Address = { address: '127.0.0.1', port: 40_001 };
const B: Address = { address: '127.0.0.2', port: 40_002 };
const tokenOf = (id: number): Uint8Array => Uint8Array.from({ length: BINDING_TOKEN_BYTES }, (_, i) => (id * 31 + i * 7) & 0xff);

describe('binding table on arbitrary input', () => {
  it('never binds on a hello it cannot verify, and never throws', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ id: fc.integer({ min: 0, max: 5 }), body: fc.uint8Array({ maxLength: 40 }), from: fc.constantFrom(A, B) }), { maxLength: 80 }),
        (hellos) => {
          const table = new BindingTable<string>(BINDING_PROOF);
          for (let id = 1; id <= 3; id++) table.offer(id, tokenOf(id), `s${id}`);
          for (const h of hellos) {
            const d = table.hello(h.id, h.body, h.from);
            expect(d.type).toBe('refuse');
            expect(table.admit(h.id, h.from).type).toBe('drop');
          }
          expect(table.boundCount()).toBe(0);
          const c = table.counters;
          expect(c.refusedUnknownConnection + c.refusedMalformed + c.refusedBadMac + c.refusedReplayed).toBe(hellos.length);
        },
      ),
    );
  });

  it('helpers are total: verifyHello, decodeRefuse, tokenFromHex', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), fc.integer({ min: 0, max: 0xffff_ffff }), fc.string({ maxLength: 40 }), (bytes, id, hex) => {
        const check = verifyHello(tokenOf(1), id, bytes);
        expect(check.ok === false || bytes.length === 24).toBe(true);
        const reason = decodeRefuse(bytes);
        expect(reason === undefined || typeof reason === 'string').toBe(true);
        const token = tokenFromHex(hex);
        expect(token === undefined || token.length === BINDING_TOKEN_BYTES).toBe(true);
      }),
    );
  });
});

type Op =
  | { op: 'hello'; id: number; key: 'right' | 'wrong'; nonce: number; from: Address }
  | { op: 'data'; id: number; from: Address }
  | { op: 'respond'; id: number; from: Address }
  | { op: 'remove'; id: number };

const op: fc.Arbitrary<Op> = fc.oneof(
  {
    arbitrary: fc
      .record({ id: fc.integer({ min: 1, max: 3 }), key: fc.constantFrom<'right' | 'wrong'>('right', 'right', 'right', 'wrong'), nonce: fc.integer({ min: 1, max: 6 }), from: fc.constantFrom(A, B) })
      .map((r): Op => ({ op: 'hello', ...r })),
    weight: 5,
  },
  { arbitrary: fc.record({ id: fc.integer({ min: 1, max: 4 }), from: fc.constantFrom(A, B) }).map((r): Op => ({ op: 'data', ...r })), weight: 4 },
  { arbitrary: fc.record({ id: fc.integer({ min: 1, max: 4 }), from: fc.constantFrom(A, B) }).map((r): Op => ({ op: 'respond', ...r })), weight: 3 },
  { arbitrary: fc.integer({ min: 1, max: 3 }).map((id): Op => ({ op: 'remove', id })), weight: 1 },
);

interface ModelEntry {
  nonce: number | undefined;
  address: Address | undefined;
  /** The bound address's own challenge while it has not answered it. */
  own: Uint8Array | undefined;
  /** Challenges out to other addresses, by address. */
  pending: Map<string, Uint8Array>;
}

const keyOf = (a: Address): string => `${a.address}:${a.port}`;

describe('binding table against a model', () => {
  it('binds, moves, repeats, refuses and admits as the rules say', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 60 }), (ops) => {
        const table = new BindingTable<number>(BINDING_PROOF);
        const model = new Map<number, ModelEntry>();
        for (let id = 1; id <= 3; id++) {
          table.offer(id, tokenOf(id), id);
          model.set(id, { nonce: undefined, address: undefined, own: undefined, pending: new Map() });
        }
        for (const o of ops) {
          const entry = model.get(o.id);
          if (o.op === 'remove') {
            table.remove(o.id);
            model.delete(o.id);
            continue;
          }
          if (o.op === 'respond') {
            const ownHere = entry?.own !== undefined && entry.address !== undefined && same(entry.address, o.from) ? entry.own : undefined;
            const challenge = entry?.pending.get(keyOf(o.from)) ?? ownHere ?? new Uint8Array(8);
            const d = table.response(o.id, encodeResponse(tokenOf(o.id), o.id, challenge), o.from);
            if (entry === undefined) expect(d).toEqual({ type: 'drop', reason: 'unknown-connection' });
            else if (entry.pending.has(keyOf(o.from))) {
              expect(d.type).toBe('rebind');
              entry.address = o.from;
              entry.own = undefined;
              entry.pending.clear();
            } else if (ownHere !== undefined) {
              expect(d.type).toBe('validated');
              entry.own = undefined;
            } else expect(d).toEqual({ type: 'drop', reason: 'unmatched-response' });
            expect(table.addressOf(o.id)).toEqual(model.get(o.id)?.address);
            continue;
          }
          if (o.op === 'data') {
            const d = table.admit(o.id, o.from);
            const expected = entry === undefined ? 'unknown-connection' : entry.address === undefined ? 'unbound' : same(entry.address, o.from) ? 'accept' : 'wrong-address';
            expect(d.type === 'accept' ? 'accept' : d.reason).toBe(expected);
            continue;
          }
          const token = o.key === 'right' ? tokenOf(o.id) : tokenOf(o.id + 100);
          const d = table.hello(o.id, encodeHello(token, o.id, BigInt(o.nonce)), o.from);
          if (entry === undefined) {
            expect(d).toMatchObject({ type: 'refuse', reason: 'unknownConnection' });
          } else if (o.key === 'wrong') {
            expect(d).toMatchObject({ type: 'refuse', reason: 'badMac' });
          } else if (entry.nonce !== undefined && o.nonce < entry.nonce) {
            expect(d).toMatchObject({ type: 'refuse', reason: 'replayed' });
          } else if (entry.nonce !== undefined && o.nonce === entry.nonce) {
            expect(d.type).toBe(entry.address !== undefined && same(entry.address, o.from) ? 'repeat' : 'refuse');
          } else {
            const before = entry.address;
            entry.nonce = o.nonce;
            expect(d.type).toBe(before === undefined ? 'bind' : same(before, o.from) ? 'repeat' : 'challenge');
            // A new address is only challenged: the binding moves when it answers (the respond op).
            if (d.type === 'bind') {
              entry.address = o.from;
              entry.own = d.challenge;
            } else if (d.type === 'challenge') entry.pending.set(keyOf(o.from), d.challenge);
          }
          expect(table.addressOf(o.id)).toEqual(model.get(o.id)?.address);
        }
        expect(table.boundCount()).toBe([...model.values()].filter((e) => e.address !== undefined).length);
      }),
    );
  });
});

function same(a: Address, b: Address): boolean {
  return a.address === b.address && a.port === b.port;
}
