/**
 * Three real replica processes (`dist/app/main.js`, what `npm start` runs) per broker, sharing one
 * store: MongoDB (the wire stand-in, or MONGO_URL), or the embedded store in one DATA_DIR
 * (DATA_DIR_SHARED, replicas on one host). A message sent on any replica reaches clients on all of
 * them, in seq order, without duplicates, while every client sends at once.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { BROKERS, uniquePrefix } from '../../dev/brokers.js';
import { requireBroker } from '../helpers/requirements.js';
import { collect, request, user } from '../../dev/harness.js';
import { startTestMongo, type TestMongo } from '../../dev/mongo.js';
import { startReplicaProcess, type ReplicaProcess } from '../../dev/processes.js';

let mongo: TestMongo;
beforeAll(async () => {
  mongo = await startTestMongo();
});
afterAll(() => mongo.close());

/** The store the three replicas share: its environment, and what to remove afterwards. */
const STORES = [
  { name: 'MongoDB', open: () => ({ env: { MONGO_URL: mongo.databaseUrl() }, remove: () => {} }) },
  {
    name: 'the embedded store in one DATA_DIR',
    open: () => {
      const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'chorus-shared-'));
      return { env: { DATA_DIR: dataDir, DATA_DIR_SHARED: 'true' }, remove: () => fs.rmSync(dataDir, { recursive: true, force: true }) };
    },
  },
];

describe.each(BROKERS.filter((setup) => setup.port))('three replica processes over $name', (setup) => {
  let processes: ReplicaProcess[] = [];
  let removeStore = () => {};
  afterEach(async () => {
    await Promise.all(processes.map((p) => p.stop()));
    processes = [];
    removeStore();
  });

  // Room occupancy is replicated state: a join delta a replica missed while it was still subscribing
  // arrives with the next anti-entropy pull (a heartbeat or two, 5 s each), hence the longer timeout.
  it.for(STORES)('behave as one server on $name', { timeout: 45_000 }, async (store, ctx) => {
    await requireBroker(setup, ctx);
    const opened = store.open();
    removeStore = opened.remove;
    const shared = { ...opened.env, SESSION_SECRET: 'multi-process-test', BROKER_PREFIX: uniquePrefix(), ...setup.env(setup.port) };
    processes = await Promise.all([1, 2, 3].map(() => startReplicaProcess(shared)));

    const users = await Promise.all(processes.map((p, i) => user(p.url, `proc-user-${i}`)));
    for (const u of users) await request(u.socket, 'room:join', { room: 'general' });
    // Every replica has formed the cluster once each sees the others' members in the room.
    await expect
      .poll(async () => (await request(users[0]!.socket, 'room:join', { room: 'general' })).online.length, { timeout: 30_000 })
      .toBe(3);

    const received = users.map((u) => collect<{ seq: number }>(u.socket, 'message'));
    const perSender = 20;
    const acks = await Promise.all(
      users.flatMap((u, i) =>
        Array.from({ length: perSender }, (_, n) => request(u.socket, 'message:send', { room: 'general', text: `${i}:${n}`, clientId: `p${i}-${n}` })),
      ),
    );
    expect(acks.every((a) => a.ok)).toBe(true);
    const total = perSender * users.length;
    const expected = Array.from({ length: total }, (_, i) => i + 1);
    for (const seen of received) await expect.poll(() => seen.map((m) => m.seq), { timeout: 15_000 }).toEqual(expected);
    for (const u of users) u.socket.disconnect();
  });

  it('answers joins and the room list promptly while another replica is frozen', { timeout: 45_000 }, async (ctx) => {
    await requireBroker(setup, ctx);
    // A minute before a silent replica counts as dead: the frozen one stays a member throughout.
    const shared = { MONGO_URL: mongo.databaseUrl(), SESSION_SECRET: 'multi-process-test', BROKER_PREFIX: uniquePrefix(), REPLICA_TIMEOUT_MS: '60000', ...setup.env(setup.port) };
    processes = await Promise.all([1, 2].map(() => startReplicaProcess(shared)));
    const [healthy, frozen] = processes as [ReplicaProcess, ReplicaProcess];
    const alice = await user(healthy.url, 'alice');
    const bob = await user(frozen.url, 'bob');
    await request(bob.socket, 'room:join', { room: 'frozen' });
    await expect.poll(async () => (await request(alice.socket, 'room:join', { room: 'frozen' })).online.length, { timeout: 20_000 }).toBe(2);

    frozen.child.kill('SIGSTOP');
    try {
      // Answered from what this replica holds, not by asking the frozen one: bob, whose replica is
      // frozen but not yet counted dead, is still in the room.
      const carol = await user(healthy.url, 'carol');
      const joined = await request(carol.socket, 'room:join', { room: 'frozen' });
      expect(joined.online.map((u: { name: string }) => u.name).sort()).toEqual(['alice', 'bob', 'carol']);
      const rooms = await carol.browser.request('GET', '/api/rooms');
      expect(rooms.body.rooms).toContainEqual({ name: 'frozen', online: 3, lastSeq: 0, unread: 0, mentions: 0 });
      carol.socket.disconnect();
    } finally {
      frozen.child.kill('SIGCONT');
    }
    alice.socket.disconnect();
    bob.socket.disconnect();
  });
});
