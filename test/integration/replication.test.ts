/**
 * Presence and friends replicated as CRDTs between three in-process replicas, over each real broker
 * (and the memory bus), sharing a MongoDB (the wire stand-in, or MONGO_URL). The last replica reaches
 * the broker through a relay the test cuts to make it silent, or to partition it.
 */
import type { Socket } from 'socket.io-client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { BROKERS } from '../../dev/brokers.js';
import { requireBroker } from '../helpers/requirements.js';
import { Browser, collect, nextEvent, request, user } from '../../dev/harness.js';
import { startTestMongo, type TestMongo } from '../../dev/mongo.js';
import { startReplicaCluster, type ClusterOptions, type ReplicaCluster } from '../../dev/replica-cluster.js';

/** Short enough that a silent replica is dropped within a test, long enough that a busy CI machine does not drop live ones. */
const REPLICA_TIMEOUT_MS = 2_000;
const OFFLINE_GRACE_MS = 300;

interface FriendView {
  name: string;
  online: boolean;
}

let mongo: TestMongo;
beforeAll(async () => {
  mongo = await startTestMongo();
});
afterAll(() => mongo.close());

/** Another tab of the same signed-in browser, on `url` (any replica accepts any session). */
async function tab(browser: Browser, url: string): Promise<Socket> {
  const other = new Browser(url);
  other.cookie = browser.cookie;
  return other.connect();
}

async function friendsOf(socket: Socket): Promise<FriendView[]> {
  return (await request<{ friends: FriendView[] }>(socket, 'friends:list', {})).friends;
}

/** Who `GET /api/users` on `url` lists as online, asked with `browser`'s session. */
async function onlineAt(browser: Browser, url: string): Promise<string[]> {
  const res = await fetch(new URL('/api/users', url), { headers: { cookie: browser.cookie } });
  expect(res.status).toBe(200);
  return ((await res.json()) as { users: { name: string }[] }).users.map((u) => u.name).sort();
}

for (const setup of BROKERS) {
  describe(`presence and friends over ${setup.name}`, () => {
    let cluster: ReplicaCluster | undefined;
    const start = async (ctx: Parameters<typeof requireBroker>[1], options: Partial<ClusterOptions> = {}) => {
      await requireBroker(setup, ctx);
      cluster = await startReplicaCluster(setup, {
        mongoUrl: mongo.databaseUrl(),
        env: { REPLICA_TIMEOUT_MS: String(REPLICA_TIMEOUT_MS) },
        offlineGraceMs: OFFLINE_GRACE_MS,
        ...options,
      });
      return cluster;
    };

    afterEach(async () => {
      await cluster?.stop();
      cluster = undefined;
    });

    it('converges presence on every replica, and tells friends once per real change', async (ctx) => {
      const { replicas } = await start(ctx);
      const [r0, r1, r2] = replicas.map((r) => r.url) as [string, string, string];
      const alice = await user(r0, 'alice');
      const bob = await user(r1, 'bob');
      await expect.poll(() => request(bob.socket, 'friends:add', { name: 'ALICE' }).then((a) => a.friends)).toEqual([{ name: 'alice', online: true }]);
      for (const url of [r0, r1, r2]) await expect.poll(() => onlineAt(bob.browser, url)).toEqual(['alice', 'bob']);
      // The guest-name rule sees alice online although she has no socket on r2.
      expect((await new Browser(r2).signIn('Alice')).status).toBe(409);

      const heard = collect<{ name: string; online: boolean }>(bob.socket, 'presence');
      // alice moves to a tab on another replica: the old one closes, no flap reaches bob.
      const aliceElsewhere = await tab(alice.browser, r2);
      alice.socket.disconnect();
      aliceElsewhere.disconnect();
      await expect.poll(() => heard).toEqual([{ name: 'alice', online: false }]);
      for (const url of [r0, r1, r2]) await expect.poll(() => onlineAt(bob.browser, url)).toEqual(['bob']);
      const back = await tab(alice.browser, r1);
      await expect.poll(() => heard).toEqual([
        { name: 'alice', online: false },
        { name: 'alice', online: true },
      ]);
      back.disconnect();
    });

    it("keeps a user's tabs on every replica in step with the friends list", async (ctx) => {
      const { replicas } = await start(ctx);
      const alice = await user(replicas[0]!.url, 'alice');
      await user(replicas[1]!.url, 'bob');
      const otherTab = await tab(alice.browser, replicas[2]!.url);
      // Every replica knows bob is online before the list is checked for it.
      for (const replica of replicas) await expect.poll(() => onlineAt(alice.browser, replica.url)).toEqual(['alice', 'bob']);
      const update = nextEvent<{ friends: FriendView[] }>(otherTab, 'friends');
      const added = await request(alice.socket, 'friends:add', { name: 'bob' });
      expect(added).toEqual({ ok: true, friends: [{ name: 'bob', online: true }] });
      expect((await update).friends).toEqual([{ name: 'bob', online: true }]);

      const removal = nextEvent<{ friends: FriendView[] }>(otherTab, 'friends');
      expect(await request(alice.socket, 'friends:remove', { name: 'Bob' })).toEqual({ ok: true, friends: [] });
      expect((await removal).friends).toEqual([]);
    });

    it('answers bad friends requests with contract codes', async (ctx) => {
      const { replicas } = await start(ctx, { size: 1 });
      const alice = await user(replicas[0]!.url, 'alice');
      expect(await request(alice.socket, 'friends:add', { name: 'nobody' })).toMatchObject({ ok: false, error: { code: 'not_found' } });
      expect(await request(alice.socket, 'friends:add', { name: 'Alice' })).toMatchObject({ ok: false, error: { code: 'invalid_input' } });
      for (const payload of [{}, { name: '' }, { name: 'x'.repeat(33) }, { name: 'bob', extra: 1 }, 'bob', null]) {
        expect(await request(alice.socket, 'friends:add', payload)).toMatchObject({ ok: false, error: { code: 'invalid_input' } });
      }
      expect(await request(alice.socket, 'friends:list', { all: true })).toMatchObject({ ok: false, error: { code: 'invalid_input' } });
      expect(await request(alice.socket, 'friends:remove', { name: 'nobody' })).toEqual({ ok: true, friends: [] });
    });

    it('lets a replica that starts late catch up on presence from its peers', async (ctx) => {
      const { replicas, add } = await start(ctx, { size: 2 });
      const alice = await user(replicas[0]!.url, 'alice');
      await user(replicas[1]!.url, 'bob');
      // The newcomer missed every delta: only anti-entropy can tell it who is online.
      const late = await add();
      await expect.poll(() => onlineAt(alice.browser, late.url), { timeout: 10_000 }).toEqual(['alice', 'bob']);
    });

    it('keeps friends lists through a restart of every replica', async (ctx) => {
      const mongoUrl = mongo.databaseUrl();
      const first = await start(ctx, { mongoUrl });
      const alice = await user(first.replicas[0]!.url, 'alice');
      await user(first.replicas[1]!.url, 'bob');
      await user(first.replicas[2]!.url, 'carol');
      await request(alice.socket, 'friends:add', { name: 'bob' });
      await request(alice.socket, 'friends:add', { name: 'carol' });
      await request(alice.socket, 'friends:remove', { name: 'bob' });
      await first.stop();

      const second = await start(ctx, { mongoUrl });
      for (const replica of second.replicas) {
        expect(await friendsOf(await tab(alice.browser, replica.url))).toEqual([{ name: 'carol', online: false }]);
      }
    });

    // The memory bus has no connection to cut: silence and partitions need a broker behind a relay.
    if (setup.port) {
      it("drops a silent replica's users everywhere within the timeout, and takes them back when it is heard again", async (ctx) => {
        const { replicas, relay } = await start(ctx);
        const bob = await user(replicas[0]!.url, 'bob');
        await user(replicas[2]!.url, 'carol');
        await expect.poll(() => request(bob.socket, 'friends:add', { name: 'carol' }).then((a) => a.friends)).toEqual([{ name: 'carol', online: true }]);
        const heard = collect<{ name: string; online: boolean }>(bob.socket, 'presence');

        relay!.cut();
        await expect.poll(() => heard, { timeout: REPLICA_TIMEOUT_MS * 4 }).toEqual([{ name: 'carol', online: false }]);
        expect(await onlineAt(bob.browser, replicas[1]!.url)).toEqual(['bob']);

        relay!.restore();
        await expect.poll(() => heard, { timeout: 15_000 }).toEqual([
          { name: 'carol', online: false },
          { name: 'carol', online: true },
        ]);
        // As long as the presence event above: the third replica learns both back by the same anti-entropy.
        await expect.poll(() => onlineAt(bob.browser, replicas[1]!.url), { timeout: 15_000 }).toEqual(['bob', 'carol']);
      });

      it("drops a silent replica's room members within the timeout, and counts them again when it is heard", async (ctx) => {
        const { replicas, relay } = await start(ctx);
        const bob = await user(replicas[0]!.url, 'bob');
        const carol = await user(replicas[2]!.url, 'carol');
        await request(bob.socket, 'room:join', { room: 'lobby' });
        await request(carol.socket, 'room:join', { room: 'lobby' });
        const lobbyOnline = async () => {
          const rooms = await bob.browser.request('GET', '/api/rooms');
          return (rooms.body.rooms as { name: string; online: number }[]).find((r) => r.name === 'lobby')?.online;
        };
        await expect.poll(lobbyOnline).toBe(2);

        relay!.cut();
        await expect.poll(lobbyOnline, { timeout: REPLICA_TIMEOUT_MS * 4 }).toBe(1);
        expect((await request(bob.socket, 'room:join', { room: 'lobby' })).online).toEqual([{ name: 'bob', avatarUrl: null }]);
        expect((await replicas[0]!.app.metrics.occupancyReplicasDropped.get()).values[0]?.value).toBe(1);

        relay!.restore();
        await expect.poll(lobbyOnline, { timeout: 15_000 }).toBe(2);
      });

      it('converges a concurrent add and remove on two replicas to the add', async (ctx) => {
        const { replicas, relay } = await start(ctx);
        const alice = await user(replicas[0]!.url, 'alice');
        await user(replicas[1]!.url, 'bob');
        const partitioned = await tab(alice.browser, replicas[2]!.url);
        await expect.poll(() => friendsOf(partitioned)).toEqual([]);

        relay!.cut();
        // r2 adds bob; r0, not hearing of it, then adds and removes bob. The remove comes last in time
        // but did not observe r2's add, so the add wins (a last-writer-wins set would lose bob).
        expect((await request(partitioned, 'friends:add', { name: 'bob' })).friends.map((f: FriendView) => f.name)).toEqual(['bob']);
        await request(alice.socket, 'friends:add', { name: 'bob' });
        expect(await request(alice.socket, 'friends:remove', { name: 'bob' })).toEqual({ ok: true, friends: [] });
        relay!.restore();

        for (const replica of replicas) {
          const socket = replica === replicas[2] ? partitioned : await tab(alice.browser, replica.url);
          await expect.poll(() => friendsOf(socket).then((list) => list.map((f) => f.name)), { timeout: 15_000 }).toEqual(['bob']);
        }
      });
    }
  });
}
