import { describe, expect, it } from 'vitest';
import { SCRYPT_PARAMS, hashPassword, needsRehash, verifyPassword } from '../../src/identity/passwords.js';
import { legacyHash } from '../helpers/legacy-hash.js';

describe('passwords', () => {
  it("hashes at OWASP's minimum (N=2^17, r=8, p=1), storing the parameters with the hash", async () => {
    expect(SCRYPT_PARAMS).toEqual({ N: 131072, r: 8, p: 1 });
    const stored = await hashPassword('correct horse');
    expect(stored).toMatch(/^scrypt\$131072\$8\$1\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/);
    expect(await verifyPassword('correct horse', stored)).toBe(true);
    expect(await verifyPassword('correct horsf', stored)).toBe(false);
    expect(needsRehash(stored)).toBe(false);
  });

  it('still verifies a hash made with the old parameters, and says it needs hashing again', async () => {
    const old = legacyHash('battery staple');
    expect(await verifyPassword('battery staple', old)).toBe(true);
    expect(await verifyPassword('battery stapler', old)).toBe(false);
    expect(needsRehash(old)).toBe(true);
  });

  it('never matches a malformed hash', async () => {
    for (const stored of ['', 'bcrypt$x', 'scrypt$16384$8$1$c2FsdA==', 'scrypt$abc$8$1$c2FsdA==$aGFzaA==', 'scrypt$16384$8$1$c2FsdA==$']) {
      expect(await verifyPassword('anything', stored), stored).toBe(false);
      expect(needsRehash(stored)).toBe(true);
    }
  });

  it('hashes off the event loop, which keeps turning meanwhile', async () => {
    let turns = 0;
    let hashing = true;
    const spin = () => {
      if (!hashing) return;
      turns += 1;
      setImmediate(spin);
    };
    setImmediate(spin);
    await hashPassword('off the main thread');
    hashing = false;
    // A synchronous hash would have held the loop for its whole run: not one turn in between.
    expect(turns).toBeGreaterThan(1);
  });
});
