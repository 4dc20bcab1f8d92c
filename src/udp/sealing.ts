// Sealed datagrams: the AEAD packet protection of a binding whose control connection is TLS
// (docs/protocol.md, "Sealed datagrams"). ChaCha20-Poly1305 (src/udp/aead.ts: libsodium, or node:crypto
// where it cannot load — the same bytes), one key and IV per direction, in place: nothing is allocated
// per datagram. Key schedule: when the binding is offered (and the client when it opens its plane), each end
// takes a binding secret from the TLS exporter (RFC 5705 / RFC 8446 §7.5) with our label and the
// connection id as context; each hello nonce's keys are HKDF-SHA256 (RFC 5869) of that secret with the
// nonce in the info — so a rebind (a fresh hello) changes the keys, and no key needs the TLS socket
// after the offer (it may close while a datagram is still in flight).
//
// data (an engine packet):
//   header[6] ‖ packet version[1] ‖ packet number[4]  — clear, associated data
//   rest of the engine packet (window, frames)          — encrypted
//   tag[16]
//   nonce = IV xor (domain 0 ‖ packet number as u64)
// helloOk, refuse, close, challenge, response (no packet number of their own):
//   header[6]                                           — clear, associated data
//   body                                                — encrypted
//   sequence[8] ‖ tag[16]                               — the sender's count of control datagrams under
//                                                         this key; the receiver refuses one not above
//                                                         the highest it opened ('replayed')
//   nonce = IV xor (domain 1 ‖ sequence)
// hello: not sealed (CRC trailer): it carries its own proof, an HMAC of the token (src/udp/binding.ts).
//
// A nonce never repeats under one key: data nonces are packet numbers, which the engine never reuses
// (each packet, a retransmission too, takes the next) and which stay below 2^31 in a sealed binding
// (SEALED_PACKET_LIMIT, src/dataplane/constants.ts: the machine leaves UDP first); control nonces are
// a counter in another domain. Replayed data packets are refused by the engine's packet-number window
// (src/reliability/ack-tracker.ts), replayed control datagrams here.
import { hkdfSync } from 'node:crypto';
import { AEAD_KEY_BYTES, AEAD_NONCE_BYTES, AEAD_TAG_BYTES, datagramAead, type Aead } from './aead.ts';
import { DatagramType } from '../wire/codec.ts';
import { NULL_PROTECTION, type OpenVerdict, type PacketProtection, type ProtectionLookup } from '../wire/protection.ts';
import { readU32 } from '../wire/u32.ts';

/** The RFC 5705 label (private labels start with "EXPORTER"): what the exported secret is for. */
export const DATAGRAM_KEY_LABEL = 'EXPORTER-dualchat-datagrams';
/** HKDF's info prefix for one hello nonce's keys (the nonce follows, u64). */
const KEYS_INFO = Buffer.from('dualchat datagram keys');
const SECRET_BYTES = 32;
export const SEALED_TAG_BYTES = AEAD_TAG_BYTES;
/** An engine packet's version and packet number stay clear: the receiver builds the nonce from them. */
export const SEALED_CLEAR_PACKET_BYTES = 5;
const CONTROL_SEQUENCE_BYTES = 8;
/** Nonce domains: data nonces (packet numbers, domain 0: packetNonce) and control nonces (sequences) never meet. */
const CONTROL_DOMAIN = 1;

/** What the TLS socket gives (tls.TLSSocket#exportKeyingMaterial). */
export type KeyExporter = (length: number, label: string, context: Buffer) => Buffer;

/** Which end this binding is: it seals with its own direction's key and opens with the other's. */
export type SealingRole = 'client' | 'server';

interface DirectionKey {
  readonly key: Buffer;
  readonly iv: Buffer;
  /** Where this direction's nonce is built for each datagram (no allocation per datagram). */
  readonly nonce: Buffer;
}

/** The keys of one hello nonce, both directions, with the control-datagram counters that go with them. */
interface KeySet {
  readonly helloNonce: bigint;
  readonly seal: DirectionKey;
  readonly open: DirectionKey;
  controlSent: bigint;
  controlHighest: bigint;
}

/** The binding secret: 32 bytes of the TLS exporter, the connection id (u32) as context. */
export function bindingSecret(exporter: KeyExporter, connectionId: number): Buffer {
  const context = Buffer.alloc(4);
  context.writeUInt32BE(connectionId >>> 0, 0);
  return exporter(SECRET_BYTES, DATAGRAM_KEY_LABEL, context);
}

/** Both directions' keys for `helloNonce`: client→server first, then server→client, in one HKDF output. */
export function deriveKeySet(secret: Buffer, role: SealingRole, helloNonce: bigint): KeySet {
  const info = Buffer.alloc(KEYS_INFO.length + 8);
  KEYS_INFO.copy(info, 0);
  info.writeBigUInt64BE(helloNonce, KEYS_INFO.length);
  const okm = Buffer.from(hkdfSync('sha256', secret, Buffer.alloc(0), info, 2 * (AEAD_KEY_BYTES + AEAD_NONCE_BYTES)));
  const direction = (at: number): DirectionKey => ({
    key: Buffer.from(okm.subarray(at, at + AEAD_KEY_BYTES)),
    iv: Buffer.from(okm.subarray(at + AEAD_KEY_BYTES, at + AEAD_KEY_BYTES + AEAD_NONCE_BYTES)),
    nonce: Buffer.alloc(AEAD_NONCE_BYTES),
  });
  const clientToServer = direction(0);
  const serverToClient = direction(AEAD_KEY_BYTES + AEAD_NONCE_BYTES);
  return {
    helloNonce,
    seal: role === 'client' ? clientToServer : serverToClient,
    open: role === 'client' ? serverToClient : clientToServer,
    controlSent: 0n,
    controlHighest: -1n,
  };
}

/** A data nonce, in the direction's nonce buffer: the IV xor the packet number in its last 4 bytes (domain 0, the upper counter bits 0). */
function packetNonce(key: DirectionKey, packetNumber: number): Buffer {
  const { iv, nonce } = key;
  iv.copy(nonce);
  nonce.writeUInt32BE((iv.readUInt32BE(8) ^ packetNumber) >>> 0, 8);
  return nonce;
}

/** The 12-byte nonce, in the direction's nonce buffer: the IV xor (domain in byte 3 ‖ counter in bytes 4–11). */
function nonceOf(key: DirectionKey, domain: number, counter: bigint): Buffer {
  const { iv, nonce } = key;
  iv.copy(nonce);
  nonce[3] = (iv[3] as number) ^ domain;
  const hi = Number(counter >> 32n) >>> 0;
  const lo = Number(counter & 0xffff_ffffn) >>> 0;
  nonce.writeUInt32BE((iv.readUInt32BE(4) ^ hi) >>> 0, 4);
  nonce.writeUInt32BE((iv.readUInt32BE(8) ^ lo) >>> 0, 8);
  return nonce;
}

/**
 * One binding's sealing: its key sets and the two protections (data, control) it hands the endpoint.
 * The server installs keys for each verified hello (`keysForHello`) and seals with the newest at once;
 * the client derives keys for each hello it sends (`keysForHello`), keeps sealing with the ones it had
 * until the server answers under the new ones, then moves. Each end opens with its newest keys, the
 * ones before (packets still in flight across a rebind), and the client with those it is waiting for:
 * at most three key sets per binding.
 */
export class BindingSealing {
  private current: KeySet | undefined;
  private previous: KeySet | undefined;
  /** (client) Keys of a hello sent, not yet heard from the server. */
  private pending: KeySet | undefined;
  readonly data: PacketProtection;
  readonly control: PacketProtection;

  /**
   * `secret`: the binding secret (bindingSecret(), taken while the TLS connection is open); `aead`: the
   * process's ChaCha20-Poly1305 (src/udp/aead.ts) unless a test picks one.
   */
  constructor(
    private readonly secret: Buffer,
    private readonly role: SealingRole,
    readonly connectionId: number,
    private readonly aead: Aead = datagramAead().aead,
  ) {
    this.data = {
      trailerBytes: SEALED_TAG_BYTES,
      seal: (out, start, bodyAt, bodyEnd) => this.sealData(out, start, bodyAt, bodyEnd),
      open: (datagram, bodyAt) => this.openData(datagram, bodyAt),
    };
    this.control = {
      trailerBytes: CONTROL_SEQUENCE_BYTES + SEALED_TAG_BYTES,
      seal: (out, start, bodyAt, bodyEnd) => this.sealControl(out, start, bodyAt, bodyEnd),
      open: (datagram, bodyAt) => this.openControl(datagram, bodyAt),
    };
  }

  /** The hello nonce whose keys seal what this end sends now (undefined before any). */
  get sealingNonce(): bigint | undefined {
    return this.sealKeys()?.helloNonce;
  }

  /** A hello with `helloNonce` was verified (server) or sent (client): its keys come into use. */
  keysForHello(helloNonce: bigint): void {
    if (this.current?.helloNonce === helloNonce || this.pending?.helloNonce === helloNonce) return;
    const keys = deriveKeySet(this.secret, this.role, helloNonce);
    if (this.role === 'client') {
      this.pending = keys;
      return;
    }
    this.previous = this.current;
    this.current = keys;
  }

  /** The protection of a datagram of this binding by its type code (a hello is never sealed). */
  protectionFor(typeCode: number): PacketProtection {
    if (typeCode === DatagramType.data) return this.data;
    return typeCode === DatagramType.hello ? NULL_PROTECTION : this.control;
  }

  private sealKeys(): KeySet | undefined {
    return this.current ?? this.pending;
  }

  /** Opened under `keys`: a client that hears the server under its pending keys moves to them. */
  private heard(keys: KeySet): void {
    if (keys !== this.pending) return;
    this.previous = this.current;
    this.current = keys;
    this.pending = undefined;
  }

  /** The key sets to try, newest first. */
  private openCandidates(): KeySet[] {
    const out: KeySet[] = [];
    if (this.pending !== undefined) out.push(this.pending);
    if (this.current !== undefined) out.push(this.current);
    if (this.previous !== undefined) out.push(this.previous);
    return out;
  }

  private sealData(out: Uint8Array, start: number, bodyAt: number, bodyEnd: number): void {
    const clearEnd = bodyAt + SEALED_CLEAR_PACKET_BYTES;
    const keys = this.sealKeys();
    if (keys === undefined || clearEnd > bodyEnd) {
      // Nothing to seal with (or no packet number): a trailer no key opens; the peer drops it.
      out.fill(0, bodyEnd, bodyEnd + SEALED_TAG_BYTES);
      return;
    }
    this.aead.seal(keys.seal.key, packetNonce(keys.seal, readU32(out, bodyAt + 1)), out.subarray(start, clearEnd), out, clearEnd, bodyEnd, bodyEnd);
  }

  private openData(datagram: Uint8Array, bodyAt: number): OpenVerdict {
    const clearEnd = bodyAt + SEALED_CLEAR_PACKET_BYTES;
    const tagAt = datagram.length - SEALED_TAG_BYTES;
    if (clearEnd > tagAt) return 'auth-failed';
    const packetNumber = readU32(datagram, bodyAt + 1);
    const aad = datagram.subarray(0, clearEnd);
    // Newest keys first (no array per datagram: this runs for every one).
    for (let i = 0; i < 3; i++) {
      const keys = i === 0 ? this.pending : i === 1 ? this.current : this.previous;
      if (keys === undefined) continue;
      if (!this.aead.open(keys.open.key, packetNonce(keys.open, packetNumber), aad, datagram, clearEnd, tagAt, tagAt)) continue;
      this.heard(keys);
      return 'opened';
    }
    return 'auth-failed';
  }

  private sealControl(out: Uint8Array, start: number, bodyAt: number, bodyEnd: number): void {
    const keys = this.sealKeys();
    const tagAt = bodyEnd + CONTROL_SEQUENCE_BYTES;
    if (keys === undefined) {
      out.fill(0, bodyEnd, tagAt + SEALED_TAG_BYTES);
      return;
    }
    const sequence = keys.controlSent++;
    Buffer.from(out.buffer, out.byteOffset, out.byteLength).writeBigUInt64BE(sequence, bodyEnd);
    this.aead.seal(keys.seal.key, nonceOf(keys.seal, CONTROL_DOMAIN, sequence), out.subarray(start, bodyAt), out, bodyAt, bodyEnd, tagAt);
  }

  private openControl(datagram: Uint8Array, bodyAt: number): OpenVerdict {
    const tagAt = datagram.length - SEALED_TAG_BYTES;
    const sequenceAt = tagAt - CONTROL_SEQUENCE_BYTES;
    if (sequenceAt < bodyAt) return 'auth-failed';
    const sequence = Buffer.from(datagram.buffer, datagram.byteOffset, datagram.byteLength).readBigUInt64BE(sequenceAt);
    const aad = datagram.subarray(0, bodyAt);
    for (const keys of this.openCandidates()) {
      if (!this.aead.open(keys.open.key, nonceOf(keys.open, CONTROL_DOMAIN, sequence), aad, datagram, bodyAt, sequenceAt, tagAt)) continue;
      // Authentic, opened in place; a replay is dropped all the same (the caller discards the datagram).
      if (sequence <= keys.controlHighest) return 'replayed';
      keys.controlHighest = sequence;
      this.heard(keys);
      return 'opened';
    }
    return 'auth-failed';
  }
}

/**
 * The endpoint's lookup for a plane with sealed bindings among plain ones: a connection with sealing
 * gets its protection for the datagram's type, every other the null protection (a Map lookup: the
 * plain path allocates nothing more).
 */
export function sealingLookup(sealed: ReadonlyMap<number, BindingSealing>): ProtectionLookup {
  return (connectionId, typeCode) => sealed.get(connectionId)?.protectionFor(typeCode) ?? NULL_PROTECTION;
}
