/**
 * The sign-in rules on their own, against the embedded store in a temporary folder; presence is a set
 * of online names, which is all `signIn` asks of it. The HTTP side (cookies, rate limits) is in
 * test/integration/identity.test.ts and rate-limits.test.ts.
 */
import fs from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AppError } from '../../src/chat/errors.js';
import { nameKey } from '../../src/identity/name-key.js';
import { verifyPassword } from '../../src/identity/passwords.js';
import { setPassword, signIn, type SignInDeps } from '../../src/identity/sign-in.js';
import { createEmbeddedStore } from '../../src/store/embedded/embedded-store.js';
import type { Store } from '../../src/store/port.js';
import { tempDir } from '../../dev/harness.js';

describe('signIn', () => {
  let dataDir: string;
  let store: Store;
  let online: Set<string>;
  let deps: SignInDeps;

  beforeEach(async () => {
    dataDir = tempDir('chorus-sign-in-');
    store = await createEmbeddedStore({ dataDir, historyMax: 0 });
    online = new Set();
    // Presence answers case-insensitively, as ClusterPresence does.
    deps = { users: store.users, presence: { isOnline: (name) => online.has(nameKey(name)) } };
  });
  afterEach(async () => {
    await store.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  const refusal = (attempt: Promise<unknown>) => attempt.then(() => 'signed in', (err: unknown) => (err instanceof AppError ? err.code : err));

  it('claims a free name as a guest, keeping the case first typed', async () => {
    expect(await signIn(deps, { name: 'Alice' })).toMatchObject({ name: 'Alice', nameKey: 'alice', passwordHash: null });
    expect(await signIn(deps, { name: 'ALICE' })).toMatchObject({ name: 'Alice' });
  });

  it('refuses a guest name online in another session, but not in the session signed in as it', async () => {
    await signIn(deps, { name: 'alice' });
    online.add('alice');
    expect(await refusal(signIn(deps, { name: 'Alice' }))).toBe('name_in_use');
    expect(await refusal(signIn(deps, { name: 'Alice', sessionUser: 'bob' }))).toBe('name_in_use');
    expect(await signIn(deps, { name: 'Alice', sessionUser: 'ALICE' })).toMatchObject({ name: 'alice' });
  });

  it('protects a guest name offered with a password, and then asks for it even when nobody is online', async () => {
    await signIn(deps, { name: 'carol', password: 'long enough' });
    const carol = await store.users.find('carol');
    expect(await verifyPassword('long enough', carol!.passwordHash!)).toBe(true);
    expect(await refusal(signIn(deps, { name: 'Carol' }))).toBe('bad_password');
    expect(await refusal(signIn(deps, { name: 'Carol', password: 'wrong one' }))).toBe('bad_password');
    expect(await signIn(deps, { name: 'CAROL', password: 'long enough', sessionUser: 'someone else' })).toMatchObject({ name: 'carol' });
  });

  it('checks a new password before claiming, so a refused sign-in leaves no user behind', async () => {
    expect(await refusal(signIn(deps, { name: 'dave', password: 'short' }))).toBe('invalid_input');
    expect(await store.users.find('dave')).toBeNull();
  });

  it('lets setPassword protect a name and replace its password', async () => {
    await signIn(deps, { name: 'erin' });
    await setPassword(store.users, 'erin', 'first password');
    await setPassword(store.users, 'Erin', 'second password');
    expect(await refusal(signIn(deps, { name: 'erin', password: 'first password' }))).toBe('bad_password');
    expect(await signIn(deps, { name: 'erin', password: 'second password' })).toMatchObject({ name: 'erin' });
  });
});
