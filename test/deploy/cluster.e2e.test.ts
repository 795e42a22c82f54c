/**
 * The local cluster (`npm run cluster`: scripts/cluster) end to end, over each broker: three replica
 * processes behind haproxy, configured like the Traefik setup of the compose files. Clients behave
 * like browsers behind a sticky proxy (test/helpers/proxied-browser.ts): they start on HTTP
 * long-polling and upgrade to WebSocket, always carrying the proxy's affinity cookie.
 *
 * - A client stays on the replica its cookie names: the proxy's own log shows every Engine.IO request
 *   of its session, polling and upgrade, served by that replica. Without the cookie it cannot connect.
 * - No spelling of `/metrics` answers with metrics through the proxy; each replica's metrics port does.
 * - With the broker cut off from every replica (they reach it through a relay), each stays ready, saying
 *   the broker is down, haproxy keeps all of them in rotation, and users are still served through it.
 * - One replica is SIGKILLed while every client is sending. Every acknowledged message is in history
 *   once, in seq order; the killed replica's clients come back through the proxy on another replica
 *   and, with `room:join { sinceSeq }`, end up having seen exactly the room's history, like everyone else.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, expect, it, onTestFinished } from 'vitest';
import { AFFINITY_COOKIE } from '../../scripts/cluster/haproxy-config.js';
import { startCluster, type Cluster, type ClusterBroker } from '../../scripts/cluster/launch-cluster.js';
import { Browser, request } from '../../dev/harness.js';
import { ChatClient, readHistory, serverStatuses } from '../helpers/cluster-chat-client.js';
import { looksLikeMetrics, METRICS_PATH_VARIANTS, rawGet, sampleValue } from '../helpers/metrics-paths.js';
import { startTestMongo, type TestMongo } from '../../dev/mongo.js';
import { ProxiedBrowser } from '../helpers/proxied-browser.js';
import { describeWhen, missingProgram, missingService } from '../helpers/requirements.js';
import { startRelay, type Relay } from '../../dev/tcp-relay.js';

const brokers: { broker: ClusterBroker; name: string; port: number; url: (port: number) => string }[] = [
  { broker: 'redis', name: 'Redis', port: 6379, url: (port) => `redis://127.0.0.1:${port}` },
  { broker: 'rabbit', name: 'RabbitMQ', port: 5672, url: (port) => `amqp://guest:guest@127.0.0.1:${port}` },
  { broker: 'nats', name: 'NATS', port: 4222, url: (port) => `nats://127.0.0.1:${port}` },
];
/**
 * Readiness probes each replica must have answered with the broker down before haproxy's verdict
 * counts: it checks every second and takes a replica out after two failed checks (`fall 2`).
 */
const PROBES_WITH_BROKER_DOWN = 3;
const CLIENTS = 6;
const MESSAGES_PER_CLIENT = 25;
/** The replica dies once this many messages are acknowledged, while every client still has more to send. */
const KILL_AFTER_ACKS = 40;

const run = randomBytes(3).toString('hex');
const haproxy = missingProgram('haproxy', 'haproxy');

let mongo: TestMongo;
beforeAll(async () => {
  mongo = await startTestMongo();
});
afterAll(() => mongo?.close());

for (const { broker, name, port, url } of brokers) {
  describeWhen(`three replicas behind haproxy over ${name}`, [haproxy, await missingService(name, port)], () => {
    let cluster: Cluster;
    // Every replica reaches the broker through it, so one cut takes the broker from all of them.
    let brokerRelay: Relay;
    beforeAll(async () => {
      brokerRelay = await startRelay(port);
      cluster = await startCluster({ replicas: 3, broker, brokerUrl: url(brokerRelay.port), mongoUrl: mongo.databaseUrl() });
    }, 30_000);
    afterAll(async () => {
      brokerRelay?.restore();
      await cluster?.stop();
      await brokerRelay?.close();
    });

    it('publishes no spelling of /metrics through the proxy, while each replica serves them on its metrics port', async () => {
      for (const variant of METRICS_PATH_VARIANTS) {
        const { status, body } = await rawGet(cluster.url, variant);
        expect({ variant, status: status >= 400, metrics: looksLikeMetrics(body) }).toEqual({ variant, status: true, metrics: false });
      }
      for (const { process: replica } of cluster.replicas) {
        const res = await fetch(new URL('/metrics', replica.metricsUrl));
        expect(res.status).toBe(200);
        expect(looksLikeMetrics(await res.text())).toBe(true);
      }
    });

    it('keeps a client that starts on long-polling and upgrades on the replica its cookie names', async () => {
      const browser = new ProxiedBrowser(cluster.url);
      expect((await browser.signIn(`sticky-${run}`)).status).toBe(200);
      const replica = browser.cookieValue(AFFINITY_COOKIE);
      expect(cluster.replicas.map((r) => r.name)).toContain(replica);

      const socket = await browser.connectAndUpgrade();
      expect((await request(socket, 'room:join', { room: `sticky-${run}` })).ok).toBe(true);
      const sessionRequests = cluster.proxyLog.filter((entry) => entry.uri.includes(`sid=${socket.io.engine.id}`));
      socket.disconnect();

      expect(sessionRequests.filter((entry) => entry.uri.includes('transport=polling')).length).toBeGreaterThan(0);
      expect(sessionRequests.filter((entry) => entry.uri.includes('transport=websocket'))).toEqual([
        expect.objectContaining({ server: replica, method: 'GET', status: 101 }),
      ]);
      expect(new Set(sessionRequests.map((entry) => entry.server))).toEqual(new Set([replica]));
    });

    it('cannot keep a long-polling session without the affinity cookie (why the proxy must be sticky)', async () => {
      // Browser keeps only the session cookie: each request is balanced on its own, and the next replica
      // does not know the Engine.IO session the first one opened.
      const browser = new Browser(cluster.url);
      expect((await browser.signIn(`unsticky-${run}`)).status).toBe(200);
      await expect(browser.connect({ transports: ['polling', 'websocket'] })).rejects.toThrow();
    });

    it('loses no acknowledged message when a replica is SIGKILLed under load', async () => {
      const room = `load-${run}`;
      const clients: ChatClient[] = [];
      onTestFinished(() => clients.forEach((client) => client.close()));
      for (let i = 0; i < CLIENTS; i++) clients.push(await ChatClient.join(cluster.url, `load-${i}-${run}`, room));
      // Round robin spreads the sign-ins over the replicas haproxy's health check counts up (under load
      // one may be out of the rotation for a moment); the victim is the first client's replica, and
      // clients elsewhere show that nobody else moves.
      const victim = clients[0]!.replicas[0]!;
      const victims = clients.filter((c) => c.replicas[0] === victim);
      expect(new Set(clients.map((c) => c.replicas[0])).size).toBeGreaterThanOrEqual(2);

      let acks = 0;
      let killed: Promise<unknown> | undefined;
      const onAck = () => {
        acks += 1;
        if (acks === KILL_AFTER_ACKS) killed = cluster.replicas.find((r) => r.name === victim)!.process.stop('SIGKILL');
      };
      await Promise.all(clients.map((c) => c.sendAll(MESSAGES_PER_CLIENT, onAck)));
      expect(await killed).toBe(null); // killed by the signal, not exited

      const history = await readHistory(clients[1]!.browser, room);
      const seqs = history.map((m) => m.seq);
      const sent = clients.flatMap((c) => [...c.acked.keys()]);
      expect(sent).toHaveLength(CLIENTS * MESSAGES_PER_CLIENT);
      // Every message is stored once, in seq order, with the seq its sender was given.
      expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
      expect(new Set(seqs).size).toBe(seqs.length);
      expect(history.map((m) => m.clientId).sort()).toEqual([...sent].sort());
      for (const client of clients) for (const [clientId, seq] of client.acked) expect(history.find((m) => m.clientId === clientId)?.seq).toBe(seq);

      // Every client, moved or not, has seen exactly the room's history, each connection in seq order.
      for (const client of clients) {
        await expect.poll(() => [...client.seen.keys()].sort((a, b) => a - b), { timeout: 10_000 }).toEqual(seqs);
        for (const live of client.liveSeqs) expect(live).toEqual([...new Set(live)].sort((a, b) => a - b));
      }

      // The killed replica's clients came back on another replica, and stayed there; nobody else moved.
      for (const client of clients) {
        if (victims.includes(client)) {
          expect(client.replicas).toHaveLength(2);
          expect(client.replicas[1]).not.toBe(victim);
          const again = cluster.proxyLog.filter((entry) => entry.uri.includes(`sid=${client.sids[1]}`));
          expect(new Set(again.map((entry) => entry.server))).toEqual(new Set([client.replicas[1]]));
        } else {
          expect(client.replicas).toEqual([client.replicas[0]]);
        }
      }
    }, 90_000);

    // Last: the SIGKILL test above left two replicas, and both share the broker that is cut here.
    it('keeps every replica ready and in rotation, and users served, while the broker is cut off', async () => {
      const live = cluster.replicas.filter(({ process }) => process.child.exitCode === null && process.child.signalCode === null);
      expect(live.length).toBeGreaterThanOrEqual(2);
      const readiness = async (replicaUrl: string) => {
        const res = await fetch(new URL('/readyz', replicaUrl));
        return { http: res.status, ...((await res.json()) as { broker: string }) };
      };
      for (const { process } of live) await expect.poll(() => readiness(process.url), { timeout: 20_000 }).toMatchObject({ http: 200, broker: 'up' });

      brokerRelay.cut();
      onTestFinished(() => brokerRelay.restore());
      for (const { process } of live) {
        await expect.poll(() => readiness(process.url), { timeout: 20_000 }).toMatchObject({ http: 200, status: 'ready', store: 'up', broker: 'down' });
      }
      // haproxy has asked every replica often enough since to have taken it out, were it answering 503.
      const readyProbes = async (metricsUrl: string | undefined) =>
        sampleValue(await (await fetch(new URL('/metrics', metricsUrl))).text(), 'chorus_readiness_probes_total{status="ready"}');
      const before = await Promise.all(live.map(({ process }) => readyProbes(process.metricsUrl)));
      for (const [i, { process }] of live.entries()) {
        await expect.poll(() => readyProbes(process.metricsUrl), { timeout: 30_000 }).toBeGreaterThanOrEqual(before[i]! + PROBES_WITH_BROKER_DOWN);
      }
      const notReady = await Promise.all(
        live.map(async ({ process }) => sampleValue(await (await fetch(new URL('/metrics', process.metricsUrl))).text(), 'chorus_readiness_probes_total{status="unavailable"}')),
      );
      expect(notReady).toEqual(live.map(() => 0));
      expect(await serverStatuses(cluster.url, live.map((r) => r.name))).toEqual(live.map(() => 'UP'));

      // A user arriving now is served through the proxy: signed in, connected, acknowledged, stored.
      const browser = new ProxiedBrowser(cluster.url);
      expect((await browser.signIn(`outage-${run}`)).status).toBe(200);
      expect(live.map((r) => r.name)).toContain(browser.cookieValue(AFFINITY_COOKIE));
      const socket = await browser.connectAndUpgrade();
      onTestFinished(() => void socket.disconnect());
      const room = `outage-${run}`;
      // Generous: on RabbitMQ and NATS a join still asks the unreachable peers who is in the room and
      // waits out the adapter's request timeout (5 s) before answering from this replica alone.
      const ackTimeoutMs = 20_000;
      expect((await socket.timeout(ackTimeoutMs).emitWithAck('room:join', { room })).ok).toBe(true);
      const ack = await socket.timeout(ackTimeoutMs).emitWithAck('message:send', { room, text: 'during the broker outage', clientId: 'outage-1' });
      expect(ack).toMatchObject({ ok: true, message: { seq: 1 } });
      expect((await readHistory(browser, room)).map((m) => m.clientId)).toEqual(['outage-1']);
      const proxied = await browser.request('GET', '/readyz');
      expect(proxied).toMatchObject({ status: 200, body: { status: 'ready', broker: 'down' } });
    }, 90_000);
  });
}
