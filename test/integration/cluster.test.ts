/**
 * Three Chorus replicas in one process, sharing a MongoDB (the wire stand-in, or MONGO_URL) and joined
 * by each broker in turn: they behave as one server. One replica reaches the broker through a relay
 * the test can cut, to show what an outage does to delivery and readiness.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { BROKERS } from '../../dev/brokers.js';
import { requireBroker } from '../helpers/requirements.js';
import { Browser, collect, nextEvent, request, user, type Replica } from '../../dev/harness.js';
import { startTestMongo, type TestMongo } from '../../dev/mongo.js';
import { startReplicaCluster, type ReplicaCluster } from '../../dev/replica-cluster.js';
import type { Relay } from '../../dev/tcp-relay.js';

let mongo: TestMongo;
beforeAll(async () => {
  mongo = await startTestMongo();
});
afterAll(() => mongo.close());

for (const setup of BROKERS) {
  describe(`three replicas over ${setup.name}`, () => {
    let cluster: ReplicaCluster | undefined;
    let replicas: Replica[];
    let relay: Relay | undefined;

    beforeEach(async (ctx) => {
      await requireBroker(setup, ctx);
      // The third replica reaches the broker through the relay.
      cluster = await startReplicaCluster(setup, { mongoUrl: mongo.databaseUrl() });
      ({ replicas, relay } = cluster);
    });

    afterEach(async () => {
      await cluster?.stop();
      cluster = undefined;
    });

    it('delivers every message to every member, in seq order, once, under concurrent senders', async () => {
      const users = await Promise.all(replicas.map((r, i) => user(r.url, `user${i}`)));
      for (const u of users) await request(u.socket, 'room:join', { room: 'general' });
      const received = users.map((u) => collect<{ seq: number; text: string }>(u.socket, 'message'));
      const perSender = 15;
      const acks = await Promise.all(
        users.flatMap((u, i) =>
          Array.from({ length: perSender }, (_, n) => request(u.socket, 'message:send', { room: 'general', text: `${i}/${n}`, clientId: `u${i}-${n}` })),
        ),
      );
      expect(acks.every((a) => a.ok)).toBe(true);
      const total = perSender * users.length;
      for (const seen of received) await expect.poll(() => seen.length, { timeout: 10_000 }).toBeGreaterThanOrEqual(total);
      const expected = Array.from({ length: total }, (_, i) => i + 1);
      for (const seen of received) expect(seen.map((m) => m.seq)).toEqual(expected);
    });

    it('drops a malformed chat:message from another replica and goes on delivering', async () => {
      const alice = await user(replicas[0]!.url, 'alice');
      const bob = await user(replicas[1]!.url, 'bob');
      for (const u of [alice, bob]) await request(u.socket, 'room:join', { room: 'forged' });
      const atBob = collect<{ text: string }>(bob.socket, 'message');
      // The room's next seq, with every field a hand-written guard once checked but without clientId and
      // ts: taken, it would reach bob in place of the real seq 1.
      replicas[0]!.app.io.serverSideEmit('chat:message', { id: 'forged', room: 'forged', seq: 1, text: 'forged', user: { name: 'mallory' } });
      replicas[0]!.app.io.serverSideEmit('chat:message', 'not a message');
      expect((await request(alice.socket, 'message:send', { room: 'forged', text: 'real', clientId: 'r1' })).ok).toBe(true);
      // Published after the forgeries by the same replica, so it arrives after them.
      await expect.poll(() => atBob.map((m) => m.text), { timeout: 10_000 }).toEqual(['real']);
    });

    it('sees members, typing and room occupancy across replicas', async () => {
      const alice = await user(replicas[0]!.url, 'alice');
      const bob = await user(replicas[1]!.url, 'bob');
      await request(alice.socket, 'room:join', { room: 'lobby' });
      const joined = nextEvent(alice.socket, 'member:join');
      // Occupancy is replicated state: alice's join may reach bob's replica just after bob joins, and
      // then bob hears of her with member:join instead of in his join's online list.
      const joinsAtBob = collect<{ user: { name: string } }>(bob.socket, 'member:join');
      const bobJoin = await request(bob.socket, 'room:join', { room: 'lobby' });
      const seenByBob = () => [...bobJoin.online.map((u: { name: string }) => u.name), ...joinsAtBob.map((e) => e.user.name)].sort();
      await expect.poll(seenByBob).toEqual(['alice', 'bob']);
      expect(await joined).toEqual({ room: 'lobby', user: { name: 'bob', avatarUrl: null } });

      const typing = nextEvent(alice.socket, 'typing');
      await request(bob.socket, 'typing', { room: 'lobby', typing: true });
      expect(await typing).toMatchObject({ room: 'lobby', user: { name: 'bob' }, typing: true });

      const rooms = await alice.browser.request('GET', '/api/rooms');
      expect(rooms.body.rooms).toEqual(expect.arrayContaining([{ name: 'lobby', online: 2, lastSeq: 0, unread: 0, mentions: 0 }]));

      const left = nextEvent(alice.socket, 'member:leave');
      bob.socket.disconnect();
      expect(await left).toEqual({ room: 'lobby', user: { name: 'bob', avatarUrl: null } });
    });

    it('accepts a session on any replica and ends it everywhere on logout', async () => {
      const alice = await user(replicas[0]!.url, 'alice');
      const elsewhere = new Browser(replicas[1]!.url);
      elsewhere.cookie = alice.browser.cookie;
      expect((await elsewhere.request('GET', '/api/me')).body.user.name).toBe('alice');
      const tab = await elsewhere.connect();
      const closed = new Promise((resolve) => tab.once('disconnect', resolve));
      expect((await alice.browser.request('DELETE', '/api/session')).status).toBe(204);
      await closed;
    });

    // The memory bus has no connection to cut.
    if (setup.port) it('keeps local delivery through a broker outage and recovers what was missed', async () => {
      const cutOff = replicas[2]!;
      const alice = await user(replicas[0]!.url, 'alice');
      const carol = await user(cutOff.url, 'carol');
      const dave = await user(cutOff.url, 'dave');
      for (const u of [alice, carol, dave]) await request(u.socket, 'room:join', { room: 'general' });
      // Delivered live to the replica about to be cut off before the cut, or it would come late (and
      // rightly so) through the gap fill, among the messages the test follows there.
      const beforeAtDave = nextEvent<{ text: string }>(dave.socket, 'message');
      await request(alice.socket, 'message:send', { room: 'general', text: 'before', clientId: 'm1' });
      expect((await beforeAtDave).text).toBe('before');
      await expect.poll(() => request(carol.socket, 'room:join', { room: 'general', sinceSeq: 0 }).then((a) => a.history.length)).toBe(1);

      relay!.cut();
      // Joins go on while the silent replica is still counted: occupancy is read from the replicated state.
      expect(await request(alice.socket, 'room:join', { room: 'during-outage' })).toMatchObject({ ok: true, room: 'during-outage' });
      // Still ready (it serves its own users), with the broker reported down.
      const readiness = async () => {
        const res = await fetch(new URL('/readyz', cutOff.url));
        return { http: res.status, ...((await res.json()) as { broker: string; store: string }) };
      };
      await expect.poll(readiness, { timeout: 10_000 }).toMatchObject({ http: 200, status: 'ready', store: 'up', broker: 'down' });

      // Stored and acked while the broker is away from carol's replica.
      const missed = await request(alice.socket, 'message:send', { room: 'general', text: 'during', clientId: 'm2' });
      expect(missed.ok).toBe(true);
      // Local delivery on the cut-off replica goes on; seeing seq 3 without seq 2, its sequencer reads
      // the missing one from the store, so dave gets both, in order, before the broker is back.
      const atDave = collect<{ text: string }>(dave.socket, 'message');
      await request(carol.socket, 'message:send', { room: 'general', text: 'local', clientId: 'm3' });
      await expect.poll(() => atDave.map((m) => m.text)).toEqual(['during', 'local']);

      relay!.restore();
      await expect.poll(readiness, { timeout: 15_000 }).toMatchObject({ http: 200, broker: 'up' });
      const recovered = await request(carol.socket, 'room:join', { room: 'general', sinceSeq: 1 });
      expect(recovered.history.map((m: { text: string }) => m.text)).toEqual(['during', 'local']);
      // Cross-replica delivery resumes.
      await expect
        .poll(
          async () => {
            const next = nextEvent(alice.socket, 'message', 2000).catch(() => undefined);
            await request(carol.socket, 'message:send', { room: 'general', text: 'back', clientId: `m-${Date.now()}` });
            return (await next)?.text;
          },
          { timeout: 15_000 },
        )
        .toBe('back');
    });
  });
}
