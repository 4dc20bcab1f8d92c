// The AEAD under sealed datagrams: ChaCha20-Poly1305 (RFC 8439, the IETF variant: 32-byte key, 12-byte
// nonce, 16-byte tag), in place, from one of two backends that give the same bytes:
//
//   - libsodium, through sodium-native (a maintained binding whose npm package ships prebuilt binaries,
//     libsodium linked in: nothing is compiled or fetched at install). One native call per seal or open,
//     no object per datagram: ~2 µs each way for a 1,200-byte packet here.
//   - node:crypto, the fallback when sodium-native cannot load (a platform without a prebuilt binary, a
//     broken install). node:crypto has no one-shot AEAD: each datagram needs its own createCipheriv or
//     createDecipheriv, a fixed cost of ~5–7 µs per call whatever the size, which is what made sealing
//     cost a third of the download goodput (docs/benchmarks.md, "Sealed datagrams").
//
// Which one runs is chosen once per process (datagramAead()) and said at start-up; the wire is the same
// either way, so the two ends need not agree.
import { createCipheriv, createDecipheriv } from 'node:crypto';
import { createRequire } from 'node:module';

export const AEAD_KEY_BYTES = 32;
export const AEAD_NONCE_BYTES = 12;
export const AEAD_TAG_BYTES = 16;
/** The largest datagram payload (IPv4 UDP): no sealed body is longer, so one scratch buffer serves every open. */
const MAX_SEALED_BYTES = 65_507;

export type AeadBackend = 'libsodium' | 'node:crypto';

/** ChaCha20-Poly1305 in place over a range of one buffer. Keys and nonces are the caller's, checked in length by it. */
export interface Aead {
  readonly backend: AeadBackend;
  /** Encrypts buf[from, to) in place and writes the tag to buf[tagAt, tagAt + 16); `aad` is authenticated alone. */
  seal(key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, buf: Uint8Array, from: number, to: number, tagAt: number): void;
  /**
   * Opens buf[from, to) against the tag at buf[tagAt, tagAt + 16): true with the plaintext in place, or false
   * with every byte unchanged (the caller may try another key). Never throws.
   */
  open(key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, buf: Uint8Array, from: number, to: number, tagAt: number): boolean;
}

const NODE_CIPHER = 'chacha20-poly1305';

/** node:crypto: a cipher object per call (its fixed cost), the output copied back in place. */
export const NODE_CRYPTO_AEAD: Aead = {
  backend: 'node:crypto',
  seal(key, nonce, aad, buf, from, to, tagAt) {
    const cipher = createCipheriv(NODE_CIPHER, key, nonce, { authTagLength: AEAD_TAG_BYTES });
    cipher.setAAD(aad, { plaintextLength: to - from });
    const encrypted = cipher.update(buf.subarray(from, to));
    cipher.final();
    buf.set(encrypted, from);
    buf.set(cipher.getAuthTag(), tagAt);
  },
  open(key, nonce, aad, buf, from, to, tagAt) {
    try {
      const decipher = createDecipheriv(NODE_CIPHER, key, nonce, { authTagLength: AEAD_TAG_BYTES });
      decipher.setAAD(aad, { plaintextLength: to - from });
      decipher.setAuthTag(buf.subarray(tagAt, tagAt + AEAD_TAG_BYTES));
      const plain = decipher.update(buf.subarray(from, to));
      decipher.final(); // throws when the tag does not match: `plain` is then discarded
      buf.set(plain, from);
      return true;
    } catch {
      return false;
    }
  },
};

/** The two functions of sodium-native used here (it ships no types); checked to be functions when loaded. */
interface SodiumAeadFunctions {
  crypto_aead_chacha20poly1305_ietf_encrypt_detached(c: Uint8Array, mac: Uint8Array, m: Uint8Array, ad: Uint8Array | null, nsec: null, npub: Uint8Array, k: Uint8Array): number;
  /** Throws when the tag does not match (and then zeroes `m`: hence a scratch `m`, never the datagram). */
  crypto_aead_chacha20poly1305_ietf_decrypt_detached(m: Uint8Array, nsec: null, c: Uint8Array, mac: Uint8Array, ad: Uint8Array | null, npub: Uint8Array, k: Uint8Array): void;
}

function isSodium(module: unknown): module is SodiumAeadFunctions {
  if (typeof module !== 'object' || module === null) return false;
  const m = module as Record<string, unknown>;
  return typeof m['crypto_aead_chacha20poly1305_ietf_encrypt_detached'] === 'function' && typeof m['crypto_aead_chacha20poly1305_ietf_decrypt_detached'] === 'function';
}

/** libsodium: one call each way; libsodium encrypts in place, opens into a scratch buffer copied back on success. */
function sodiumAead(sodium: SodiumAeadFunctions): Aead {
  const scratch = new Uint8Array(MAX_SEALED_BYTES);
  return {
    backend: 'libsodium',
    seal(key, nonce, aad, buf, from, to, tagAt) {
      const text = buf.subarray(from, to);
      sodium.crypto_aead_chacha20poly1305_ietf_encrypt_detached(text, buf.subarray(tagAt, tagAt + AEAD_TAG_BYTES), text, aad, null, nonce, key);
    },
    open(key, nonce, aad, buf, from, to, tagAt) {
      const plain = scratch.subarray(0, to - from);
      try {
        sodium.crypto_aead_chacha20poly1305_ietf_decrypt_detached(plain, null, buf.subarray(from, to), buf.subarray(tagAt, tagAt + AEAD_TAG_BYTES), aad, nonce, key);
      } catch {
        return false;
      }
      buf.set(plain, from);
      return true;
    },
  };
}

/**
 * Whether `candidate` gives node:crypto's bytes and opens them back, on a fixed input: a binary that loads
 * but computes something else (a broken build) is refused rather than trusted with the wire.
 */
function agreesWithNodeCrypto(candidate: Aead): boolean {
  const key = Uint8Array.from({ length: AEAD_KEY_BYTES }, (_, i) => i);
  const nonce = Uint8Array.from({ length: AEAD_NONCE_BYTES }, (_, i) => 0xa0 + i);
  const aad = Uint8Array.from([1, 2, 3, 4, 5, 6, 7]);
  const text = Uint8Array.from({ length: 100 }, (_, i) => (i * 7) & 0xff);
  const expected = Uint8Array.from([...text, ...new Uint8Array(AEAD_TAG_BYTES)]);
  NODE_CRYPTO_AEAD.seal(key, nonce, aad, expected, 0, text.length, text.length);
  const got = Uint8Array.from([...text, ...new Uint8Array(AEAD_TAG_BYTES)]);
  candidate.seal(key, nonce, aad, got, 0, text.length, text.length);
  if (!got.every((byte, i) => byte === expected[i])) return false;
  got[0] = (got[0] as number) ^ 1;
  if (candidate.open(key, nonce, aad, got, 0, text.length, text.length)) return false;
  got[0] = (got[0] as number) ^ 1;
  return candidate.open(key, nonce, aad, got, 0, text.length, text.length) && got.subarray(0, text.length).every((byte, i) => byte === text[i]);
}

export type AeadLoad = { readonly ok: true; readonly aead: Aead } | { readonly ok: false; readonly reason: string };

/** Loads sodium-native through `load` (a module loader: `require`), checks it, or says why not. */
export function loadSodiumAead(load: (id: string) => unknown = createRequire(import.meta.url)): AeadLoad {
  let module: unknown;
  try {
    module = load('sodium-native');
  } catch (error) {
    const message = error instanceof Error ? error.message.split('\n')[0] : String(error);
    return { ok: false, reason: `sodium-native did not load (${message})` };
  }
  if (!isSodium(module)) return { ok: false, reason: 'sodium-native lacks ChaCha20-Poly1305 (IETF)' };
  const aead = sodiumAead(module);
  if (!agreesWithNodeCrypto(aead)) return { ok: false, reason: 'sodium-native gave other bytes than node:crypto on a known input' };
  return { ok: true, aead };
}

/** The process's AEAD: libsodium when it loads and checks, else node:crypto with the reason. */
export interface AeadChoice {
  readonly aead: Aead;
  /** Why libsodium is not used (only with the node:crypto fallback): for a warning at start-up. */
  readonly fallbackReason?: string;
}

let chosen: AeadChoice | undefined;

/** Chooses once (the first sealed binding, or the start-up line that reports it), then the same every call. */
export function datagramAead(): AeadChoice {
  if (chosen === undefined) {
    const loaded = loadSodiumAead();
    chosen = loaded.ok ? { aead: loaded.aead } : { aead: NODE_CRYPTO_AEAD, fallbackReason: loaded.reason };
  }
  return chosen;
}
