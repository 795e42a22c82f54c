/**
 * A rolling restart of the local cluster (scripts/cluster: three replica processes over Redis behind
 * haproxy), with the default drain settings, while every user keeps sending: each replica in turn is
 * told SIGTERM, exits 0, is started again on its port and waited for until haproxy counts it up, and
 * then the next one goes. The users (test/helpers/cluster-chat-client.ts) behave like browsers behind
 * the sticky proxy and reconnect as the page does.
 *
 * - Every message sent was acknowledged, after resends with the same clientId where a connection went
 *   under it, and every acknowledged one is in history exactly once, in seq order, with its seq.
 * - Every user was moved at least once, each time by a closed transport (which the client retries by
 *   itself), and recovered every time: it ends connected, having seen exactly the room's history.
 * - The time from each SIGTERM to the moment each of that replica's users lost its connection is
 *   printed (min / median / max): the drain's delay, then its spread. Only printed: timings on this
 *   shared machine are not asserted.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, expect, it, onTestFinished } from 'vitest';
import { startCluster, type Cluster } from '../../scripts/cluster/launch-cluster.js';
import { startTestMongo, type TestMongo } from '../../dev/mongo.js';
import { ChatClient, readHistory, serverStatuses } from '../helpers/cluster-chat-client.js';
import { describeWhen, missingProgram, missingService } from '../helpers/requirements.js';

const CLIENTS = 6;
/** Between one client's messages: steady traffic (about 30 a second in all) that never stops during the restart. */
const PACE_MS = 200;

const run = randomBytes(3).toString('hex');

describeWhen('a rolling restart behind haproxy over Redis', [missingProgram('haproxy', 'haproxy'), await missingService('Redis', 6379)], () => {
  let mongo: TestMongo;
  let cluster: Cluster;
  beforeAll(async () => {
    mongo = await startTestMongo();
    cluster = await startCluster({ replicas: 3, broker: 'redis', mongoUrl: mongo.databaseUrl() });
  }, 30_000);
  afterAll(async () => {
    await cluster?.stop();
    await mongo?.close();
  });

  it('moves every user to the other replicas with no message lost, repeated or left unanswered', async () => {
    const room = `rolling-${run}`;
    const clients: ChatClient[] = [];
    onTestFinished(() => clients.forEach((client) => client.close()));
    for (let i = 0; i < CLIENTS; i++) clients.push(await ChatClient.join(cluster.url, `rolling-${i}-${run}`, room));
    let restarted = false;
    const sending = Promise.all(clients.map((client) => client.sendUntil(() => restarted, PACE_MS)));

    const sigterms = new Map<string, number>();
    for (const replica of cluster.replicas) {
      sigterms.set(replica.name, Date.now());
      expect(await replica.process.stop('SIGTERM'), `${replica.name}'s exit code`).toBe(0);
      await cluster.startAgain(replica.name);
      await expect.poll(() => serverStatuses(cluster.url, [replica.name]), { timeout: 20_000 }).toEqual(['UP']);
    }
    restarted = true;
    const sentCounts = await sending;

    // Every send was answered, and every answer holds: once each, in seq order, with its seq.
    const history = await readHistory(clients[0]!.browser, room);
    const seqs = history.map((m) => m.seq);
    const acked = clients.flatMap((c) => [...c.acked.keys()]);
    expect(acked).toHaveLength(sentCounts.reduce((a, b) => a + b, 0));
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(new Set(seqs).size).toBe(seqs.length);
    expect(history.map((m) => m.clientId).sort()).toEqual([...acked].sort());
    for (const client of clients) for (const [clientId, seq] of client.acked) expect(history.find((m) => m.clientId === clientId)?.seq).toBe(seq);

    // Every user was moved by a closed transport, came back each time, and saw exactly the history.
    for (const client of clients) {
      expect(client.disconnects.length, client.name).toBeGreaterThanOrEqual(1);
      expect(client.disconnects.map((d) => d.reason)).toEqual(client.disconnects.map(() => 'transport close'));
      expect(client.sids).toHaveLength(client.disconnects.length + 1);
      expect(client.connected, client.name).toBe(true);
      await expect.poll(() => [...client.seen.keys()].sort((a, b) => a - b), { timeout: 10_000 }).toEqual(seqs);
      for (const live of client.liveSeqs) expect(live).toEqual([...new Set(live)].sort((a, b) => a - b));
    }

    const spread = clients.flatMap((c) => c.disconnects.map((d) => d.at - sigterms.get(d.replica)!));
    const away = clients.flatMap((c) => c.disconnects.map((d, i) => c.connectedAt[i + 1]! - d.at));
    const failures = clients.flatMap((c) => c.failures);
    console.log(
      `rolling restart: ${acked.length} messages acknowledged; ${spread.length} reconnections; ` +
        `SIGTERM → disconnect ${minMedianMax(spread)}; disconnect → connected again ${minMedianMax(away)}; ` +
        `${failures.length} attempts tried again${failures.length ? `: ${failures.join('; ')}` : ''}`,
    );
  }, 120_000);
});

function minMedianMax(values: number[]): string {
  const sorted = [...values].sort((a, b) => a - b);
  return `min ${sorted[0]} ms, median ${sorted[Math.floor(sorted.length / 2)]} ms, max ${sorted.at(-1)} ms`;
}
