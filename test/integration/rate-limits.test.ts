import { afterEach, describe, expect, it } from 'vitest';
import { HTTP_RATE_LIMITS } from '../../src/http/rate-limits.js';
import { Browser, startReplica, type HttpResult, type Replica } from '../../dev/harness.js';

/** Sends `count` requests, none of which may be limited, then one more, which must be. */
async function exhaust(count: number, send: (i: number) => Promise<HttpResult>): Promise<HttpResult> {
  const answers = await Promise.all(Array.from({ length: count }, (_, i) => send(i)));
  expect(answers.map((a) => a.status).filter((s) => s === 429)).toEqual([]);
  const limited = await send(count);
  expectLimited(limited);
  return limited;
}

function expectLimited(res: HttpResult): void {
  expect(res.status).toBe(429);
  expect(res.body).toEqual({ error: { code: 'rate_limited', message: expect.stringMatching(/^Too many .+; try again in \d+ s\.$/) } });
  const retryAfter = Number(res.headers.get('retry-after'));
  expect(retryAfter).toBeGreaterThan(0);
}

const from = (address: string) => ({ headers: { 'x-forwarded-for': address } });

describe('HTTP rate limits', () => {
  let replica: Replica;
  afterEach(() => replica.stop());

  describe('sign-in by client address', () => {
    it('counts the address a trusted proxy forwards, so one address cannot slow down the next', async () => {
      replica = await startReplica({ env: { TRUST_PROXY: 'loopback', SIGN_IN_LIMIT_PER_ADDRESS: '5' } });
      const signIn = (name: string, address: string) => new Browser(replica.url).request('POST', '/api/session', { name }, from(address));
      const limited = await exhaust(5, (i) => signIn(`guest${i}`, '203.0.113.7'));
      expect(Number(limited.headers.get('retry-after'))).toBeLessThanOrEqual(60);
      expect((await signIn('another', '203.0.113.8')).status).toBe(200);
    });

    it('ignores X-Forwarded-For from a client that is not a trusted proxy', async () => {
      replica = await startReplica({ env: { SIGN_IN_LIMIT_PER_ADDRESS: '5' } });
      const signIn = (i: number) => new Browser(replica.url).request('POST', '/api/session', { name: `spoof${i}` }, from(`198.51.100.${i}`));
      await exhaust(5, signIn);
    });
  });

  it('limits failed sign-ins per name across addresses, case-insensitively, leaving other names alone', async () => {
    replica = await startReplica({ env: { TRUST_PROXY: 'loopback' } });
    const alice = new Browser(replica.url);
    await alice.signIn('Alice');
    const socket = await alice.connect();
    const { limit } = HTTP_RATE_LIMITS.signInFailuresPerName;
    const attempts: HttpResult[] = [];
    await exhaust(limit, async (i) => {
      const res = await new Browser(replica.url).request('POST', '/api/session', { name: i % 2 ? 'ALICE' : ' alice ' }, from(`192.0.2.${i + 1}`));
      attempts.push(res);
      return res;
    });
    expect(attempts.slice(0, limit).map((a) => a.body.error.code)).toEqual(Array(limit).fill('name_in_use'));
    expect((await new Browser(replica.url).request('POST', '/api/session', { name: 'bob' }, from('192.0.2.1'))).status).toBe(200);
    socket.disconnect();
  });

  it('does not count successful sign-ins against the name', async () => {
    replica = await startReplica();
    const carol = new Browser(replica.url);
    for (let i = 0; i <= HTTP_RATE_LIMITS.signInFailuresPerName.limit; i++) expect((await carol.signIn('carol')).status).toBe(200);
  });

  describe('password', () => {
    it('limits changes per user', async () => {
      replica = await startReplica();
      const dave = new Browser(replica.url);
      await dave.signIn('dave');
      // Too short: refused before any hashing, and still counted.
      await exhaust(HTTP_RATE_LIMITS.passwordPerUser.limit, () => dave.request('POST', '/api/password', { password: 'short' }));
      const erin = new Browser(replica.url);
      await erin.signIn('erin');
      expect((await erin.request('POST', '/api/password', { password: 'short' })).status).toBe(400);
    });

    it('limits requests per address, signed in or not', async () => {
      replica = await startReplica();
      const stranger = new Browser(replica.url);
      await exhaust(HTTP_RATE_LIMITS.passwordPerAddress.limit, () => stranger.request('POST', '/api/password', { password: 'long enough' }));
    });
  });

  describe('avatar', () => {
    it('limits uploads per user', async () => {
      replica = await startReplica();
      const frank = new Browser(replica.url);
      await frank.signIn('frank');
      await exhaust(HTTP_RATE_LIMITS.avatarPerUser.limit, () => frank.request('POST', '/api/avatar', new FormData()));
    });

    it('limits uploads per address, signed in or not', async () => {
      replica = await startReplica();
      const stranger = new Browser(replica.url);
      await exhaust(HTTP_RATE_LIMITS.avatarPerAddress.limit, () => stranger.request('POST', '/api/avatar', new FormData()));
    });
  });
});
