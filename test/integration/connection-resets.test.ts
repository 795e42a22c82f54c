/**
 * A replica process (`dist/app/main.js`, as in production) whose every connection is aborted with a
 * TCP RST mid-traffic: its broker clients, its MongoDB connections (the store's, connect-mongo's and
 * GridFS uploads') and its clients' websockets and HTTP requests each run through a relay that resets
 * them all at once. A socket without an 'error'
 * listener would end the process with an uncaught ECONNRESET; the replica must stay up and serve again.
 */
import type { Socket } from 'socket.io-client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { BROKERS, uniquePrefix } from '../../dev/brokers.js';
import { requireBroker } from '../helpers/requirements.js';
import { collect, request, user } from '../../dev/harness.js';
import { PNG_1x1, imageForm } from '../helpers/images.js';
import { startTestMongo, type TestMongo } from '../../dev/mongo.js';
import { startReplicaProcess, type ReplicaProcess } from '../../dev/processes.js';
import { startRelay, type Relay } from '../../dev/tcp-relay.js';

const RESET_ROUNDS = 3;
/** Acked sends between two resets, so each reset lands on live traffic. */
const SENDS_PER_ROUND = 10;

let mongo: TestMongo;
beforeAll(async () => {
  mongo = await startTestMongo();
});
afterAll(() => mongo.close());

/** `url` (a single-host MongoDB URL) pointed at a relay on 127.0.0.1:`port`. */
function throughRelay(url: string, port: number): string {
  const parsed = new URL(url);
  parsed.hostname = '127.0.0.1';
  parsed.port = String(port);
  return parsed.toString();
}

/**
 * Users signing in, joining and sending until stopped; every failure (a reset socket, a refused
 * request) just starts a new user. Counts acked sends, so the test can wait for traffic.
 */
function startTraffic(url: string) {
  let stopped = false;
  let acked = 0;
  const sockets: Socket[] = [];
  const sender = async (n: number) => {
    for (let attempt = 0; !stopped; attempt++) {
      try {
        const { browser, socket } = await user(url, `sender${n}x${attempt}`);
        sockets.push(socket);
        await request(socket, 'room:join', { room: 'general' });
        for (let i = 0; !stopped && socket.connected; i++) {
          const ack = await request(socket, 'message:send', { room: 'general', text: `m${i}`, clientId: `s${n}-${attempt}-${i}` });
          if (ack.ok) acked += 1;
          // HTTP in flight too, for the resets to catch: an avatar into GridFS and back out.
          const { avatarUrl } = (await browser.request('POST', '/api/avatar', imageForm(PNG_1x1))).body;
          if (avatarUrl) await browser.request('GET', avatarUrl);
        }
      } catch {
        // Reset mid-request: a new user on a new connection.
      }
    }
  };
  const running = Promise.all([1, 2, 3].map(sender));
  return {
    acked: () => acked,
    async stop() {
      stopped = true;
      await running;
      sockets.forEach((socket) => socket.disconnect());
    },
  };
}

describe.each(BROKERS.filter((setup) => setup.port))('a replica process over $name', (setup) => {
  let replica: ReplicaProcess | undefined;
  const relays: Relay[] = [];
  afterEach(async () => {
    await replica?.stop();
    replica = undefined;
    await Promise.all(relays.splice(0).map((relay) => relay.close()));
  });

  it('stays up when its broker, MongoDB and client connections are reset mid-traffic, and serves after', async (ctx) => {
    await requireBroker(setup, ctx);
    const mongoUrl = mongo.databaseUrl();
    const brokerRelay = await startRelay(setup.port!);
    const mongoRelay = await startRelay(Number(new URL(mongoUrl).port));
    relays.push(brokerRelay, mongoRelay);
    replica = await startReplicaProcess({
      MONGO_URL: throughRelay(mongoUrl, mongoRelay.port),
      // Its own MongoDB client, so one more kind of connection.
      UPLOAD_STORE: 'mongodb',
      SESSION_SECRET: 'connection-resets-test',
      BROKER_PREFIX: uniquePrefix(),
      ...setup.env(brokerRelay.port),
    });
    const clientRelay = await startRelay(Number(new URL(replica.url).port));
    relays.push(clientRelay);
    const url = `http://127.0.0.1:${clientRelay.port}`;
    let stderr = '';
    replica.child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<never>((_, reject) =>
      replica!.child.once('exit', (code, signal) => reject(new Error(`the replica exited with ${code ?? signal}:\n${stderr}`))),
    );
    // A crash fails the test at once, with the replica's stderr, rather than as a wait that times out.
    const whileAlive = <T>(work: Promise<T>) => Promise.race([work, exited]);

    const traffic = startTraffic(url);
    for (let round = 1; round <= RESET_ROUNDS; round++) {
      const target = traffic.acked() + SENDS_PER_ROUND;
      await whileAlive(expect.poll(traffic.acked, { timeout: 30_000 }).toBeGreaterThanOrEqual(target));
      for (const relay of relays) relay.reset();
    }
    await whileAlive(expect.poll(traffic.acked, { timeout: 30_000 }).toBeGreaterThanOrEqual(traffic.acked() + SENDS_PER_ROUND));
    await traffic.stop();

    // Ready again on both dependencies, and serving: a message reaches another user, an avatar is stored and served.
    await whileAlive(
      expect
        .poll(async () => {
          const { store, broker } = (await (await fetch(new URL('/readyz', replica!.url))).json()) as { store: string; broker: string };
          return { store, broker };
        }, { timeout: 30_000 })
        .toEqual({ store: 'up', broker: 'up' }),
    );
    const alice = await user(url, 'alice');
    const bob = await user(url, 'bob');
    await request(alice.socket, 'room:join', { room: 'general' });
    await request(bob.socket, 'room:join', { room: 'general' });
    const heard = collect<{ text: string }>(bob.socket, 'message');
    expect(await request(alice.socket, 'message:send', { room: 'general', text: 'still here', clientId: 'after-resets' })).toMatchObject({ ok: true });
    // A seq a reset left taken but never stored holds the room until the sequencer moves past it (2 s).
    await expect.poll(() => heard.map((message) => message.text), { timeout: 10_000 }).toContain('still here');
    const { avatarUrl } = (await alice.browser.request('POST', '/api/avatar', imageForm(PNG_1x1))).body;
    expect((await bob.browser.request('GET', avatarUrl)).status).toBe(200);
    alice.socket.disconnect();
    bob.socket.disconnect();

    const uncaught = replica.logs.filter((entry) => /uncaught|unhandled/i.test(String(entry.msg)));
    expect(uncaught).toEqual([]);
    expect(replica.child.exitCode).toBeNull();
  }, 180_000);
});
