/**
 * A password hash in the stored form, made with the parameters Chorus used before N=2^17 (N=2^14),
 * as an older database would hold it.
 */
import { randomBytes, scryptSync } from 'node:crypto';

export const LEGACY_PARAMS = { N: 2 ** 14, r: 8, p: 1 } as const;

export function legacyHash(password: string): string {
  const salt = randomBytes(16);
  const key = scryptSync(password, salt, 64, LEGACY_PARAMS);
  return ['scrypt', LEGACY_PARAMS.N, LEGACY_PARAMS.r, LEGACY_PARAMS.p, salt.toString('base64'), key.toString('base64')].join('$');
}
