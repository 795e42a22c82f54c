/**
 * Password hashing with node's scrypt. The stored form carries its parameters, so they can be raised
 * without breaking existing hashes: an older hash still verifies, and `needsRehash` says when to
 * replace it (on the next successful sign-in, the only time the password is known).
 */
import { randomBytes, scrypt as scryptCallback, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import pLimit from 'p-limit';

export interface ScryptParams {
  /** CPU/memory cost, a power of two. */
  N: number;
  /** Block size. */
  r: number;
  /** Parallelisation. */
  p: number;
}

/** OWASP's minimum for scrypt: N=2^17, r=8, p=1 (128 MiB and ~100-400 ms per hash). */
export const SCRYPT_PARAMS: Readonly<ScryptParams> = { N: 2 ** 17, r: 8, p: 1 };

const KEY_LENGTH = 64;
/**
 * scrypt needs about 128·N·r bytes, and node refuses more than `maxmem` (32 MiB by default). Twice
 * today's need leaves headroom; a stored hash asking for more fails instead of exhausting memory.
 */
const MAX_MEM = 2 * 128 * SCRYPT_PARAMS.N * SCRYPT_PARAMS.r;
/**
 * The async scrypt runs on libuv's thread pool (4 threads by default), off the event loop. At most two
 * at once: each holds 128 MiB, and the pool also serves file and DNS work that must not queue behind
 * a burst of sign-ins.
 */
const hashing = pLimit(2);

function scrypt(password: string, salt: Buffer, keylen: number, options: ScryptOptions): Promise<Buffer> {
  return hashing(
    () =>
      new Promise<Buffer>((resolve, reject) =>
        scryptCallback(password, salt, keylen, { ...options, maxmem: MAX_MEM }, (err, key) => (err ? reject(err) : resolve(key))),
      ),
  );
}

/** `scrypt$N$r$p$salt$hash`, base64 parts. */
export async function hashPassword(password: string): Promise<string> {
  const { N, r, p } = SCRYPT_PARAMS;
  const salt = randomBytes(16);
  const key = await scrypt(password, salt, KEY_LENGTH, { N, r, p });
  return ['scrypt', N, r, p, salt.toString('base64'), key.toString('base64')].join('$');
}

interface StoredHash {
  params: ScryptParams;
  salt: Buffer;
  hash: Buffer;
}

function parse(stored: string): StoredHash | undefined {
  const [scheme, n, r, p, salt, hash, ...rest] = stored.split('$');
  if (scheme !== 'scrypt' || !n || !r || !p || !salt || !hash || rest.length > 0) return undefined;
  const params = { N: Number(n), r: Number(r), p: Number(p) };
  if (!Object.values(params).every((v) => Number.isSafeInteger(v) && v > 0)) return undefined;
  return { params, salt: Buffer.from(salt, 'base64'), hash: Buffer.from(hash, 'base64') };
}

/** Constant-time check, with the parameters the hash was made with; a malformed hash never matches. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parsed = parse(stored);
  if (!parsed || parsed.hash.length === 0) return false;
  const actual = await scrypt(password, parsed.salt, parsed.hash.length, parsed.params);
  return timingSafeEqual(actual, parsed.hash);
}

/** True when `stored` was made with other parameters than today's (so it should be hashed again). */
export function needsRehash(stored: string): boolean {
  const params = parse(stored)?.params;
  return !params || params.N !== SCRYPT_PARAMS.N || params.r !== SCRYPT_PARAMS.r || params.p !== SCRYPT_PARAMS.p;
}
