// Password hashing: scrypt from node:crypto, asynchronous (libuv's thread pool, never the event loop),
// a random salt per account, compared in constant time. Nothing here logs or keeps a password.
import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { HASH_BYTES, SALT_BYTES, SCRYPT_BLOCK_SIZE, SCRYPT_COST, SCRYPT_MAX_MEMORY, SCRYPT_PARALLELISM } from './constants.ts';

/** scrypt's cost parameters, kept with each hash. */
export interface ScryptCost {
  cost: number;
  block: number;
  par: number;
}

export const DEFAULT_SCRYPT: ScryptCost = Object.freeze({ cost: SCRYPT_COST, block: SCRYPT_BLOCK_SIZE, par: SCRYPT_PARALLELISM });

export interface PasswordHash extends ScryptCost {
  salt: Buffer;
  hash: Buffer;
}

function derive(password: string, salt: Buffer, cost: ScryptCost): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFC'), salt, HASH_BYTES, { N: cost.cost, r: cost.block, p: cost.par, maxmem: SCRYPT_MAX_MEMORY }, (error, key) =>
      error === null ? resolve(key) : reject(error),
    );
  });
}

/** A new salt and the hash of `password` under it. */
export async function hashPassword(password: string, cost: ScryptCost = DEFAULT_SCRYPT): Promise<PasswordHash> {
  const salt = randomBytes(SALT_BYTES);
  return { ...cost, salt, hash: await derive(password, salt, cost) };
}

/** Is `password` the one `stored` was made from? Constant-time comparison of the hashes. */
export async function verifyPassword(password: string, stored: PasswordHash): Promise<boolean> {
  const key = await derive(password, stored.salt, stored);
  return key.length === stored.hash.length && timingSafeEqual(key, stored.hash);
}
