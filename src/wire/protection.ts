// Packet protection: what guards one datagram between its clear header and the wire. The codec
// (codec.ts) writes the header and body and asks a protection to seal them; on the way in, the shell
// reads the clear header, finds that connection's protection and asks it to open the datagram before
// anything in the body is trusted. Pure: no sockets, no clock.
//
// NULL_PROTECTION is the CRC-32 trailer, against corruption, with no secrecy and no authentication —
// the bytes on the wire are exactly the protocol's (docs/protocol.md). A binding whose control
// connection is TLS is sealed instead (src/udp/sealing.ts: ChaCha20-Poly1305, the clear header and the
// engine packet's number as associated data, the rest encrypted in place); a datagram that fails to
// open is rejected as 'auth-failed' (or 'replayed'): counted by the shell, never handed to the engine.
import { crc32 } from './crc32.ts';
import { readU32, writeU32 } from './u32.ts';

/**
 * Why a protection refused to open a datagram: corruption caught by the CRC, or (AEAD) a failed tag, or
 * an authentic control datagram seen before (src/udp/sealing.ts).
 */
export type ProtectionRejection = 'bad-crc' | 'auth-failed' | 'replayed';

/** What open() says: the datagram may go on, or why not. */
export type OpenVerdict<R extends ProtectionRejection = ProtectionRejection> = 'opened' | R;

export interface PacketProtection<R extends ProtectionRejection = ProtectionRejection> {
  /** Bytes it appends after the body (the CRC-32's 4; an AEAD's 16-byte tag). */
  readonly trailerBytes: number;
  /**
   * Protects one datagram in place: `out[start, bodyAt)` is the clear header, `out[bodyAt, bodyEnd)` the
   * body (which it may transform in place, same length), and it writes its trailer to
   * `out[bodyEnd, bodyEnd + trailerBytes)` — room the caller has checked. Allocates nothing of its own
   * for the null protection.
   */
  seal(out: Uint8Array, start: number, bodyAt: number, bodyEnd: number): void;
  /**
   * Checks one datagram — `datagram` holds exactly its bytes: clear header at [0, bodyAt), body, then
   * trailerBytes of trailer; the caller guarantees the length — and restores its body in place.
   * Total: never throws.
   */
  open(datagram: Uint8Array, bodyAt: number): OpenVerdict<R>;
}

/**
 * The protection of the connection a datagram names, chosen from its clear header before anything is
 * trusted (`typeCode` unvalidated: a binding `hello` carries its own proof and may stay unprotected).
 * Total: a shell with nothing for a connection returns a protection that refuses it.
 */
export type ProtectionLookup<R extends ProtectionRejection = ProtectionRejection> = (connectionId: number, typeCode: number) => PacketProtection<R>;

/** Bytes of the CRC-32 trailer. */
const CRC_TRAILER_BYTES = 4;

/** No secrecy, no authentication: a big-endian CRC-32 over header and body, against corruption. */
export const NULL_PROTECTION: PacketProtection<'bad-crc'> = {
  trailerBytes: CRC_TRAILER_BYTES,
  seal(out, start, _bodyAt, bodyEnd) {
    writeU32(out, bodyEnd, crc32(out.subarray(start, bodyEnd)));
  },
  open(datagram) {
    const crcAt = datagram.length - CRC_TRAILER_BYTES;
    return readU32(datagram, crcAt) === crc32(datagram.subarray(0, crcAt)) ? 'opened' : 'bad-crc';
  },
};

/** Every connection under the null protection: what the planes use until keys exist. */
export const nullProtectionLookup: ProtectionLookup<'bad-crc'> = () => NULL_PROTECTION;
