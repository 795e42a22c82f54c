import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Browser, startReplica, tempDir, type Replica } from '../../dev/harness.js';
import { legacyHash } from '../helpers/legacy-hash.js';

describe('identity and sessions', () => {
  let replica: Replica;
  beforeEach(async () => {
    replica = await startReplica();
  });
  afterEach(() => replica.stop());

  it('claims a free name as a guest with a safe session cookie', async () => {
    const alice = new Browser(replica.url);
    const res = await alice.signIn('  Alice ');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ user: { name: 'Alice', avatarUrl: null } });
    const cookie = res.headers.getSetCookie()[0]!;
    expect(cookie).toMatch(/^chorus\.sid=/);
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Lax/i);
    expect((await alice.request('GET', '/api/me')).body).toEqual({ user: { name: 'Alice', avatarUrl: null } });
  });

  it('answers 401 unauthorized without a session', async () => {
    const stranger = new Browser(replica.url);
    for (const [method, path] of [['GET', '/api/me'], ['GET', '/api/rooms'], ['GET', '/api/users'], ['POST', '/api/password']] as const) {
      const res = await stranger.request(method, path, method === 'POST' ? { password: 'long enough' } : undefined);
      expect(res.status, `${method} ${path}`).toBe(401);
      expect(res.body.error.code).toBe('unauthorized');
    }
  });

  it('refuses a guest name that is online in another session with 409, case-insensitively', async () => {
    const alice = new Browser(replica.url);
    await alice.signIn('alice');
    const socket = await alice.connect();
    const impostor = await new Browser(replica.url).signIn('ALICE');
    expect(impostor.status).toBe(409);
    expect(impostor.body.error.code).toBe('name_in_use');
    // The same session signing in again is not an impostor.
    expect((await alice.signIn('Alice')).status).toBe(200);
    socket.disconnect();
  });

  it('lets anyone take an offline guest name, keeping the case typed first', async () => {
    await new Browser(replica.url).signIn('Bob');
    const res = await new Browser(replica.url).signIn('bob');
    expect(res.status).toBe(200);
    expect(res.body.user.name).toBe('Bob');
  });

  it('protects a name with a password from then on', async () => {
    const carol = new Browser(replica.url);
    await carol.signIn('carol');
    expect((await carol.request('POST', '/api/password', { password: 'short' })).body.error.code).toBe('invalid_input');
    expect((await carol.request('POST', '/api/password', { password: 'correct horse' })).status).toBe(200);

    const other = new Browser(replica.url);
    expect((await other.signIn('carol')).status).toBe(401);
    expect((await other.signIn('carol')).body.error.code).toBe('bad_password');
    expect((await other.signIn('Carol', 'wrong password')).body.error.code).toBe('bad_password');
    expect((await other.signIn('CAROL', 'correct horse')).status).toBe(200);
  });

  it('protects a new name signed in with a password straight away', async () => {
    expect((await new Browser(replica.url).signIn('dave', 'hunter2hunter2')).status).toBe(200);
    expect((await new Browser(replica.url).signIn('dave')).body.error.code).toBe('bad_password');
    expect((await new Browser(replica.url).signIn('erin', 'short')).body.error.code).toBe('invalid_input');
    expect(await replica.store.users.find('erin')).toBeNull();
  });

  it('re-hashes a password stored with the old scrypt parameters on the next successful sign-in', async () => {
    await replica.store.users.claim('ivan');
    const old = legacyHash('ivan-password');
    await replica.store.users.setPasswordHash('ivan', old);
    const passwordHash = async () => (await replica.store.users.find('ivan'))!.passwordHash!;

    expect((await new Browser(replica.url).signIn('ivan', 'not-ivans')).body.error.code).toBe('bad_password');
    expect(await passwordHash()).toBe(old);
    expect((await new Browser(replica.url).signIn('ivan', 'ivan-password')).status).toBe(200);
    expect(await passwordHash()).toMatch(/^scrypt\$131072\$8\$1\$/);
    expect((await new Browser(replica.url).signIn('ivan', 'ivan-password')).status).toBe(200);
    expect((await new Browser(replica.url).signIn('ivan', 'not-ivans')).body.error.code).toBe('bad_password');
  });

  it('regenerates the session on sign-in and ends it on logout', async () => {
    const browser = new Browser(replica.url);
    await browser.signIn('frank');
    const first = browser.cookie;
    await browser.signIn('frank');
    expect(browser.cookie).not.toBe(first);

    const socket = await browser.connect();
    const disconnected = new Promise((resolve) => socket.once('disconnect', resolve));
    expect((await browser.request('DELETE', '/api/session')).status).toBe(204);
    await disconnected;
    expect((await browser.request('GET', '/api/me')).status).toBe(401);
  });

  it('refuses a socket without a session', async () => {
    await expect(new Browser(replica.url).connect()).rejects.toThrow('unauthorized');
  });
});

describe('rotating the session secret', () => {
  const oldSecret = 'old-secret-0123456789abcdef0123456789';
  const newSecret = 'new-secret-0123456789abcdef0123456789';
  const dataDir = tempDir();
  const withSecrets = async (env: Record<string, string>, use: (replica: Replica) => Promise<void>) => {
    const replica = await startReplica({ dataDir, env });
    try {
      await use(replica);
    } finally {
      await replica.stop();
    }
  };
  const me = (replica: Replica, cookie: string) => Object.assign(new Browser(replica.url), { cookie }).request('GET', '/api/me');

  it('keeps sessions signed with the old secret, and signs new ones with the new secret', async () => {
    let before = '';
    let after = '';
    await withSecrets({ SESSION_SECRET: oldSecret }, async (replica) => {
      const browser = new Browser(replica.url);
      await browser.signIn('grace');
      before = browser.cookie;
    });
    await withSecrets({ SESSION_SECRETS: `${newSecret},${oldSecret}` }, async (replica) => {
      expect((await me(replica, before)).body).toEqual({ user: { name: 'grace', avatarUrl: null } });
      const browser = new Browser(replica.url);
      await browser.signIn('heidi');
      after = browser.cookie;
    });
    // Once the old secret is dropped, only cookies signed with the new one still count.
    await withSecrets({ SESSION_SECRET: newSecret }, async (replica) => {
      expect((await me(replica, after)).body).toEqual({ user: { name: 'heidi', avatarUrl: null } });
      expect((await me(replica, before)).status).toBe(401);
    });
  });
});
