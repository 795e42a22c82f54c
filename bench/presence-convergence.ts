/**
 * How fast presence converges across three in-process replicas, per broker: `npm run bench:presence`.
 *
 * - change: a user's socket opens on replica 0; how long until a friend's socket on replica 1 hears
 *   `presence` online (one delta through the broker, plus the Socket.IO hops at both ends);
 * - late joiner: a replica starts with users already online; how long until its `GET /api/users`
 *   lists them (anti-entropy: hello, beat, pull, push);
 * - silent replica: the broker connection of the replica holding a user is cut; how long until the
 *   friend hears `presence` offline (timeout + sweep + offline grace, with the defaults).
 *
 * MongoDB is the wire stand-in unless MONGO_URL is set. Brokers must answer on 127.0.0.1.
 */
import { performance } from 'node:perf_hooks';
import { BROKERS } from '../dev/brokers.js';
import { Browser, nextEvent, request, user } from '../dev/harness.js';
import { startTestMongo } from '../dev/mongo.js';
import { startReplicaCluster } from '../dev/replica-cluster.js';
import { serviceAvailable } from '../dev/services.js';

const SAMPLES = 30;

function summary(values: number[]): string {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!.toFixed(1);
  return `p50 ${at(0.5)} ms, p90 ${at(0.9)} ms, max ${sorted.at(-1)!.toFixed(1)} ms (n=${values.length})`;
}

async function until(check: () => Promise<boolean>): Promise<void> {
  while (!(await check())) await new Promise((resolve) => setTimeout(resolve, 5));
}

const mongo = await startTestMongo();
try {
  for (const setup of BROKERS) {
    if (setup.port && !(await serviceAvailable('127.0.0.1', setup.port))) {
      console.log(`${setup.name}: not answering on 127.0.0.1:${setup.port}, skipped`);
      continue;
    }
    const cluster = await startReplicaCluster(setup, { mongoUrl: mongo.databaseUrl() });
    try {
      const [r0, r1] = cluster.replicas;
      const bob = await user(r1!.url, 'bob');
      const alice = new Browser(r0!.url);
      await alice.signIn('alice');
      await request(bob.socket, 'friends:add', { name: 'alice' });

      const change: number[] = [];
      for (let i = 0; i < SAMPLES; i++) {
        const online = nextEvent(bob.socket, 'presence');
        const started = performance.now();
        const socket = await alice.connect();
        await online;
        change.push(performance.now() - started);
        const offline = nextEvent(bob.socket, 'presence');
        socket.disconnect();
        await offline;
      }
      console.log(`${setup.name}: change (connect on replica 0 -> friend on replica 1 hears it): ${summary(change)}`);

      const aliceSocket = await alice.connect();
      const started = performance.now();
      const late = await cluster.add();
      const viewer = new Browser(late.url);
      viewer.cookie = bob.browser.cookie;
      await until(async () => (await viewer.request('GET', '/api/users')).body.users.length === 2);
      console.log(`${setup.name}: late joiner lists everyone online after ${(performance.now() - started).toFixed(1)} ms (after it started)`);
      aliceSocket.disconnect();

      if (cluster.relay) {
        const carol = new Browser(cluster.replicas[2]!.url);
        await carol.signIn('carol');
        await carol.connect();
        await request(bob.socket, 'friends:add', { name: 'carol' });
        const offline = new Promise<void>((resolve) =>
          bob.socket.on('presence', ({ name, online }: { name: string; online: boolean }) => name === 'carol' && !online && resolve()),
        );
        const cutAt = performance.now();
        cluster.relay.cut();
        await offline;
        console.log(`${setup.name}: silent replica's user announced offline ${(performance.now() - cutAt).toFixed(0)} ms after the cut`);
      }
    } finally {
      await cluster.stop();
    }
  }
} finally {
  await mongo.close();
}
