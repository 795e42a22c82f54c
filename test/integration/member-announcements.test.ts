/**
 * `member:join` / `member:leave` announce real arrivals and departures only: a user who reconnects
 * within the grace (a reload, a dropped connection, a hop to another replica) is announced neither
 * way, and a real departure is announced once the grace is over. Each test ends with a real leave by
 * someone else: it is scheduled after the reconnect, so by the time it arrives a leave for the
 * reconnecting user would have arrived too.
 */
import type { Socket } from 'socket.io-client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { BROKERS } from '../../dev/brokers.js';
import { requireBroker } from '../helpers/requirements.js';
import { Browser, collect, nextEvent, request, startReplica, user, type Replica } from '../../dev/harness.js';
import { startTestMongo, type TestMongo } from '../../dev/mongo.js';
import { startReplicaCluster, type ReplicaCluster } from '../../dev/replica-cluster.js';

/** Long enough that a reconnect on a loaded machine is surely within it. */
const GRACE_MS = 3_000;
const LEAVE_WAIT_MS = GRACE_MS + 10_000;

interface Announcement {
  room: string;
  user: { name: string };
}

const names = (events: Announcement[]) => events.map((e) => e.user.name);

/** How many people `browser`'s replica counts in `room`, as GET /api/rooms says. */
async function onlineIn(browser: Browser, room: string): Promise<number | undefined> {
  const { body } = await browser.request<{ rooms: { name: string; online: number }[] }>('GET', '/api/rooms');
  return body.rooms.find((r) => r.name === room)?.online;
}

/** Joins `room` with each socket, in turn. */
async function joinAll(room: string, sockets: Socket[]): Promise<void> {
  for (const socket of sockets) expect(await request(socket, 'room:join', { room })).toMatchObject({ ok: true });
}

/** `watcher` joins `room`, then each of `others`, each announced to `watcher` before the next (so none is still on its way later). */
async function gather(room: string, watcher: Socket, others: Socket[]): Promise<void> {
  await joinAll(room, [watcher]);
  for (const socket of others) {
    const announced = nextEvent(watcher, 'member:join');
    await joinAll(room, [socket]);
    await announced;
  }
}

/** Closes `socket` and resolves with when, and the leave announced for it. */
async function leaveFor(watcher: Socket, socket: Socket): Promise<{ left: Announcement; waitedMs: number }> {
  const left = nextEvent<Announcement>(watcher, 'member:leave', LEAVE_WAIT_MS);
  const start = Date.now();
  socket.disconnect();
  return { left: await left, waitedMs: Date.now() - start };
}

describe('member announcements on one replica', () => {
  let replica: Replica;
  beforeAll(async () => {
    replica = await startReplica({ offlineGraceMs: GRACE_MS });
  });
  afterAll(() => replica.stop());

  it('stays silent about a reconnect within the grace, and announces a real leave after it', { timeout: 30_000 }, async () => {
    const [alice, bob, carol] = await Promise.all(['alice', 'bob', 'carol'].map((name) => user(replica.url, name)));
    await gather('general', alice!.socket, [bob!.socket, carol!.socket]);
    const joins = collect<Announcement>(alice!.socket, 'member:join');
    const leaves = collect<Announcement>(alice!.socket, 'member:leave');

    bob!.socket.disconnect();
    const bobAgain = await bob!.browser.connect();
    await joinAll('general', [bobAgain]);

    const { left, waitedMs } = await leaveFor(alice!.socket, carol!.socket);
    expect(left).toEqual({ room: 'general', user: { name: 'carol', avatarUrl: null } });
    // Never before the grace: a return would have cancelled it until then.
    expect(waitedMs).toBeGreaterThanOrEqual(GRACE_MS - 50);
    expect(names(joins)).toEqual([]);
    expect(names(leaves)).toEqual(['carol']);

    // A real arrival is still announced at once.
    const joined = nextEvent<Announcement>(alice!.socket, 'member:join');
    const dave = await user(replica.url, 'dave');
    await joinAll('general', [dave.socket]);
    expect(names([await joined])).toEqual(['dave']);
    for (const s of [alice!.socket, bobAgain, dave.socket]) s.disconnect();
  });

  it('stays silent when a member leaves a room and joins it again within the grace', { timeout: 30_000 }, async () => {
    const [erin, frank, gina] = await Promise.all(['erin', 'frank', 'gina'].map((name) => user(replica.url, name)));
    await gather('lobby', erin!.socket, [frank!.socket, gina!.socket]);
    const joins = collect<Announcement>(erin!.socket, 'member:join');
    const leaves = collect<Announcement>(erin!.socket, 'member:leave');

    expect(await request(frank!.socket, 'room:leave', { room: 'lobby' })).toMatchObject({ ok: true });
    await joinAll('lobby', [frank!.socket]);
    await leaveFor(erin!.socket, gina!.socket);
    expect(names(joins)).toEqual([]);
    expect(names(leaves)).toEqual(['gina']);
    for (const s of [erin!.socket, frank!.socket]) s.disconnect();
  });
});

let mongo: TestMongo;
beforeAll(async () => {
  mongo = await startTestMongo();
});
afterAll(() => mongo.close());

for (const setup of BROKERS) {
  describe(`member announcements across two replicas over ${setup.name}`, () => {
    let cluster: ReplicaCluster | undefined;
    afterEach(async () => {
      await cluster?.stop();
      cluster = undefined;
    });

    it('stays silent about a member who reconnects to the other replica within the grace', { timeout: 45_000 }, async (ctx) => {
      await requireBroker(setup, ctx);
      cluster = await startReplicaCluster(setup, { mongoUrl: mongo.databaseUrl(), size: 2, offlineGraceMs: GRACE_MS });
      const [first, second] = cluster.replicas;
      const alice = await user(first!.url, 'alice');
      const bob = await user(first!.url, 'bob');
      const carol = await user(second!.url, 'carol');
      await gather('general', alice.socket, [bob.socket, carol.socket]);
      const joins = collect<Announcement>(alice.socket, 'member:join');
      const leaves = collect<Announcement>(alice.socket, 'member:leave');

      // Bob's page loses the first replica and comes back through the second (the proxy moved him).
      bob.socket.disconnect();
      // The second replica has seen him go (its room counts come from the same occupancy).
      await expect.poll(() => onlineIn(carol.browser, 'general'), { timeout: 15_000 }).toBe(2);
      const elsewhere = new Browser(second!.url);
      elsewhere.cookie = bob.browser.cookie;
      const bobAgain = await elsewhere.connect();
      await joinAll('general', [bobAgain]);

      const { left } = await leaveFor(alice.socket, carol.socket);
      expect(left.user.name).toBe('carol');
      expect(names(joins)).toEqual([]);
      expect(names(leaves)).toEqual(['carol']);

      // Bob really leaves, from the second replica: announced on the first.
      const { left: bobLeft } = await leaveFor(alice.socket, bobAgain);
      expect(bobLeft.user.name).toBe('bob');
      alice.socket.disconnect();
    });
  });
}
