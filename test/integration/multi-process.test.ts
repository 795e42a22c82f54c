/**
 * Three real replica processes (`dist/app/main.js`, what `npm start` runs) per broker, sharing one
 * MongoDB (the wire stand-in, or MONGO_URL): a message sent on any replica reaches clients on all of
 * them, in seq order, without duplicates, while every client sends at once.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { collect, request, user } from '../helpers/harness.js';
import { startTestMongo, type TestMongo } from '../helpers/mongo.js';
import { startReplicaProcess, type ReplicaProcess } from '../helpers/processes.js';
import { serviceAvailable } from '../helpers/services.js';

const brokers: { name: string; port: number; env: Record<string, string> }[] = [
  { name: 'redis', port: 6379, env: { REDIS_URL: 'redis://127.0.0.1:6379' } },
  { name: 'rabbit', port: 5672, env: { AMQP_URL: 'amqp://guest:guest@127.0.0.1:5672' } },
  { name: 'nats', port: 4222, env: { NATS_URL: 'nats://127.0.0.1:4222' } },
];

let mongo: TestMongo;
beforeAll(async () => {
  mongo = await startTestMongo();
});
afterAll(() => mongo.close());

describe.each(brokers)('three replica processes over $name', ({ name, port, env }) => {
  let processes: ReplicaProcess[] = [];
  afterEach(async () => {
    await Promise.all(processes.map((p) => p.stop()));
    processes = [];
  });

  it('behave as one server', async (ctx) => {
    if (!(await serviceAvailable('127.0.0.1', port))) {
      if (process.env.CI === 'true') throw new Error(`${name} does not answer on ${port}; CI must have it`);
      console.warn(`[SKIPPED] ${name} does not answer on 127.0.0.1:${port}`);
      return ctx.skip();
    }
    const shared = { MONGO_URL: mongo.databaseUrl(), SESSION_SECRET: 'multi-process-test', BROKER: name, ...env };
    processes = await Promise.all([1, 2, 3].map(() => startReplicaProcess(shared)));

    const users = await Promise.all(processes.map((p, i) => user(p.url, `proc-user-${i}`)));
    for (const u of users) await request(u.socket, 'room:join', { room: 'general' });
    // Every replica has formed the cluster once each sees the others' members in the room.
    await expect
      .poll(async () => (await request(users[0]!.socket, 'room:join', { room: 'general' })).online.length, { timeout: 20_000 })
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
});
