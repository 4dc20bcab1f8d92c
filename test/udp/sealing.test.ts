// Sealed datagrams: what a binding whose control connection is TLS puts on the wire. The exporter here is
// a stand-in with the TLS exporter's shape (a function of label and context over a shared secret); the
// real one is tested end to end (test/e2e/tls.test.ts). Every case runs under both AEAD backends
// (src/udp/aead.ts), and the two ends of a binding may use different ones.
import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadSodiumAead, NODE_CRYPTO_AEAD, type Aead } from '../../src/udp/aead.ts';
import { BindingSealing, bindingSecret, DATAGRAM_KEY_LABEL, deriveKeySet, sealingLookup, type KeyExporter } from '../../src/udp/sealing.ts';
import { DatagramType, decodeDatagram, encodeDatagram, type Datagram } from '../../src/wire/codec.ts';
import { NULL_PROTECTION } from '../../src/wire/protection.ts';

const CONN = 0x0102_0304;
const sodium = loadSodiumAead();
if (!sodium.ok) throw new Error(sodium.reason);
/** Each case's backends: both ends libsodium, both node:crypto, and one of each. */
const ENDS: ReadonlyArray<readonly [string, { client: Aead; server: Aead }]> = [
  ['libsodium', { client: sodium.aead, server: sodium.aead }],
  ['node:crypto', { client: NODE_CRYPTO_AEAD, server: NODE_CRYPTO_AEAD }],
  ['a libsodium client and a node:crypto server', { client: sodium.aead, server: NODE_CRYPTO_AEAD }],
];

function exporterOf(secret: string): KeyExporter {
  return (length, label, context) => {
    const out = Buffer.alloc(length);
    for (let at = 0, block = 0; at < length; block++) {
      const piece = createHmac('sha256', secret).update(label).update(context).update(Buffer.of(block)).digest();
      at += piece.copy(out, at);
    }
    return out;
  };
}

/** An engine packet: version 1, packet number `pn`, then window and frames (here: text). */
function packet(pn: number, text: string): Uint8Array {
  const body = Buffer.alloc(9 + Buffer.byteLength(text));
  body[0] = 1;
  body.writeUInt32BE(pn, 1);
  body.writeUInt32BE(65_536, 5);
  body.write(text, 9);
  return body;
}

function seal(from: BindingSealing, d: Datagram): Uint8Array {
  return encodeDatagram(d, from.protectionFor(DatagramType[d.type]));
}

function open(at: BindingSealing, bytes: Uint8Array): ReturnType<typeof decodeDatagram> {
  return decodeDatagram(Uint8Array.from(bytes), sealingLookup(new Map([[CONN, at]])));
}

describe.each(ENDS)('sealed datagrams (%s)', (_name, aeads) => {
  function pairOf(secret = 'shared'): { client: BindingSealing; server: BindingSealing } {
    const client = new BindingSealing(bindingSecret(exporterOf(secret), CONN), 'client', CONN, aeads.client);
    const server = new BindingSealing(bindingSecret(exporterOf(secret), CONN), 'server', CONN, aeads.server);
    client.keysForHello(1n);
    server.keysForHello(1n);
    return { client, server };
  }

  /** The binding completed: the client heard the server's helloOk under the keys of its hello. */
  function boundPairOf(): { client: BindingSealing; server: BindingSealing } {
    const { client, server } = pairOf();
    expect(open(client, seal(server, { type: 'helloOk', connectionId: CONN, body: new Uint8Array(0) })).ok).toBe(true);
    return { client, server };
  }

  it('round-trips a data packet with its header and packet number clear and the rest encrypted', () => {
    const { client, server } = pairOf();
    const text = 'hello bob, the secret is 42';
    const body = packet(7, text);
    const wire = seal(client, { type: 'data', connectionId: CONN, body });
    expect(wire.length).toBe(6 + body.length + 16);
    expect(Buffer.from(wire).includes(text)).toBe(false);
    expect(Buffer.from(wire.subarray(6, 11))).toEqual(Buffer.from(body.subarray(0, 5)));
    const got = open(server, wire);
    expect(got.ok && Buffer.from(got.datagram.body)).toEqual(Buffer.from(body));
  });

  it('refuses a datagram with any one bit flipped (header, packet number, ciphertext or tag)', () => {
    const { client, server } = pairOf();
    const wire = seal(client, { type: 'data', connectionId: CONN, body: packet(9, 'some chat line') });
    fc.assert(
      fc.property(fc.integer({ min: 0, max: wire.length * 8 - 1 }), (bit) => {
        const bad = Uint8Array.from(wire);
        bad[bit >> 3] = (bad[bit >> 3] as number) ^ (1 << (bit & 7));
        const got = decodeDatagram(bad, (id, type) => (id === CONN ? server.protectionFor(type) : NULL_PROTECTION));
        // A flipped connection id or type finds another protection: refused all the same.
        return !got.ok;
      }),
      { numRuns: 300 },
    );
  });

  it('keys differ by direction, by binding and by TLS session: nothing opens with the wrong ones', () => {
    const { client } = pairOf();
    const wire = seal(client, { type: 'data', connectionId: CONN, body: packet(1, 'x') });
    expect(open(client, wire)).toEqual({ ok: false, reason: 'auth-failed' }); // its own direction
    const other = new BindingSealing(bindingSecret(exporterOf('another TLS session'), CONN), 'server', CONN, aeads.server);
    other.keysForHello(1n);
    expect(open(other, wire)).toEqual({ ok: false, reason: 'auth-failed' });
    const secret = bindingSecret(exporterOf('s'), CONN);
    const a = deriveKeySet(secret, 'client', 1n);
    const b = deriveKeySet(secret, 'client', 2n);
    expect(bindingSecret(exporterOf('s'), CONN + 1).equals(secret)).toBe(false);
    expect(a.seal.key.equals(b.seal.key)).toBe(false);
  });

  it('seals control datagrams with their own sequence and refuses a replayed one', () => {
    const { client, server } = pairOf();
    const close = seal(server, { type: 'close', connectionId: CONN, body: new Uint8Array(0) });
    const close2 = seal(server, { type: 'close', connectionId: CONN, body: new Uint8Array(0) });
    expect(close.length).toBe(6 + 8 + 16);
    expect(Buffer.from(close).equals(Buffer.from(close2))).toBe(false);
    expect(open(client, close).ok).toBe(true);
    expect(open(client, close)).toEqual({ ok: false, reason: 'replayed' });
    expect(open(client, close2).ok).toBe(true);
    const refuse = seal(server, { type: 'refuse', connectionId: CONN, body: Uint8Array.of(3) });
    const got = open(client, refuse);
    expect(got.ok && Array.from(got.datagram.body)).toEqual([3]);
  });

  it('leaves the hello unsealed (its HMAC is its proof) and plain connections under the CRC', () => {
    const { client } = pairOf();
    expect(client.protectionFor(2)).toBe(NULL_PROTECTION);
    expect(sealingLookup(new Map([[CONN, client]]))(CONN + 1, 1)).toBe(NULL_PROTECTION);
  });

  it('changes keys on a rebind: the server seals with the new ones at once, the client once it hears them', () => {
    const { client, server } = boundPairOf();
    client.keysForHello(2n); // the client's rebind hello (nonce 2) goes out
    expect(client.sealingNonce).toBe(1n);
    const oldKey = seal(client, { type: 'data', connectionId: CONN, body: packet(20, 'before') });
    server.keysForHello(2n); // verified at the server
    expect(server.sealingNonce).toBe(2n);
    expect(open(server, oldKey).ok).toBe(true); // in flight across the rebind: the previous keys open it
    const helloOk = seal(server, { type: 'helloOk', connectionId: CONN, body: new Uint8Array(0) });
    expect(open(client, helloOk).ok).toBe(true);
    expect(client.sealingNonce).toBe(2n);
    const newKey = seal(client, { type: 'data', connectionId: CONN, body: packet(21, 'after') });
    expect(open(server, newKey).ok).toBe(true);
    expect(DATAGRAM_KEY_LABEL.startsWith('EXPORTER')).toBe(true);
  });

  it('never reuses a nonce: the same packet number under a new key gives other bytes', () => {
    const { client, server } = boundPairOf();
    const a = seal(client, { type: 'data', connectionId: CONN, body: packet(5, 'same') });
    client.keysForHello(2n);
    server.keysForHello(2n);
    open(client, seal(server, { type: 'helloOk', connectionId: CONN, body: new Uint8Array(0) }));
    const b = seal(client, { type: 'data', connectionId: CONN, body: packet(5, 'same') });
    expect(Buffer.from(a.subarray(11)).equals(Buffer.from(b.subarray(11)))).toBe(false);
  });

  it('opens a datagram under the keys before after failing under the pending ones: a failed try changes no byte', () => {
    const { client, server } = boundPairOf();
    const text = 'sent by the server before it saw the rebind hello';
    const wire = seal(server, { type: 'data', connectionId: CONN, body: packet(30, text) });
    client.keysForHello(2n); // pending keys, tried first: they fail on this datagram
    const got = open(client, wire);
    expect(got.ok && Buffer.from(got.datagram.body).includes(text)).toBe(true);
    expect(client.sealingNonce).toBe(1n);
  });
});
