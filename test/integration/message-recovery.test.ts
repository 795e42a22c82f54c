/**
 * How the message path recovers what the broker loses, and what duplicates must not do: two Chorus
 * replicas in one process, sharing a MongoDB (the wire stand-in, or MONGO_URL), over each broker in
 * turn. A lost publish is made with a hook (test/helpers/publish-faults.ts), so it is lost for sure
 * and exactly once, on every broker.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { BROKERS } from '../../dev/brokers.js';
import { requireBroker } from '../helpers/requirements.js';
import { collect, request, user, type Replica } from '../../dev/harness.js';
import { startTestMongo, type TestMongo } from '../../dev/mongo.js';
import { dropNextChatMessage, stripRoomSeqsFromBeats } from '../helpers/publish-faults.js';
import { startReplicaCluster, type ReplicaCluster } from '../../dev/replica-cluster.js';

interface Received {
  seq: number;
  text: string;
}

/** Steady traffic: a message more often than the sequencer's 250 ms gap timeout. */
const STEADY_PAUSE_MS = 50;
/** Where steady traffic gives up: far longer than a gap timeout at that pace. */
const STEADY_MAX_MESSAGES = 100;

let mongo: TestMongo;
beforeAll(async () => {
  mongo = await startTestMongo();
});
afterAll(() => mongo.close());

for (const setup of BROKERS) {
  describe(`message recovery over ${setup.name}`, () => {
    let cluster: ReplicaCluster | undefined;
    let replicas: Replica[];

    beforeEach(async (ctx) => {
      await requireBroker(setup, ctx);
      cluster = await startReplicaCluster(setup, { mongoUrl: mongo.databaseUrl(), size: 2 });
      ({ replicas } = cluster);
    });

    afterEach(async () => {
      await cluster?.stop();
      cluster = undefined;
    });

    /** alice on the first replica, bob on the second, both in `room`; what bob receives. */
    async function twoMembers(room: string) {
      const alice = await user(replicas[0]!.url, 'alice');
      const bob = await user(replicas[1]!.url, 'bob');
      for (const u of [alice, bob]) await request(u.socket, 'room:join', { room });
      return { alice, bob, atBob: collect<Received>(bob.socket, 'message') };
    }

    it('answers a repeat racing on both replicas with one message, and takes no seq for it', async () => {
      const { alice, atBob } = await twoMembers('racing');
      const aliceElsewhere = await alice.browser.connect();
      await request(aliceElsewhere, 'room:join', { room: 'racing' });
      const rounds = 5;
      for (let round = 1; round <= rounds; round++) {
        const send = { room: 'racing', text: `round ${round}`, clientId: `r${round}` };
        const [here, there] = await Promise.all([request(alice.socket, 'message:send', send), request(aliceElsewhere, 'message:send', send)]);
        expect(here).toEqual(there);
      }
      const contiguous = Array.from({ length: rounds }, (_, i) => i + 1);
      await expect.poll(() => atBob.map((m) => m.seq)).toEqual(contiguous);
      const history = await request(alice.socket, 'room:join', { room: 'racing', sinceSeq: 0 });
      expect(history.history.map((m: Received) => m.seq)).toEqual(contiguous);
      expect((await alice.browser.request('GET', '/api/rooms')).body.rooms).toContainEqual(expect.objectContaining({ name: 'racing', lastSeq: rounds }));
    });

    it("publishes a repeat again, so a lost publish in a quiet room reaches the others on the sender's retry", async () => {
      const { alice, atBob } = await twoMembers('quiet');
      // Alice's replica's heartbeats carry no rooms' last seqs (the next test's way of finding the
      // message), so only the republish can bring it to Bob's.
      stripRoomSeqsFromBeats(replicas[0]!.app.io);
      const dropped = dropNextChatMessage(replicas[0]!.app.io);
      const first = await request(alice.socket, 'message:send', { room: 'quiet', text: 'lost', clientId: 'lost' });
      await dropped;
      // The sender's retry, as a page that reconnected to the other replica would send it.
      const retrying = await alice.browser.connect();
      await request(retrying, 'room:join', { room: 'quiet' });
      expect(await request(retrying, 'message:send', { room: 'quiet', text: 'lost', clientId: 'lost' })).toEqual(first);
      await expect.poll(() => atBob.map((m) => m.text)).toEqual(['lost']);
      // A repeat of a message already delivered is not delivered twice.
      await request(alice.socket, 'message:send', { room: 'quiet', text: 'lost', clientId: 'lost' });
      await request(alice.socket, 'message:send', { room: 'quiet', text: 'next', clientId: 'next' });
      await expect.poll(() => atBob.map((m) => m.text)).toEqual(['lost', 'next']);
    });

    it("finds a lost message in a quiet room from the last seqs in the other replica's heartbeat", async () => {
      // Beats every second rather than every 5 s, so the test need not wait long for one.
      await cluster!.stop();
      cluster = await startReplicaCluster(setup, { mongoUrl: mongo.databaseUrl(), size: 2, env: { REPLICA_TIMEOUT_MS: '3000' } });
      ({ replicas } = cluster);
      const { alice, atBob } = await twoMembers('silent');
      const dropped = dropNextChatMessage(replicas[0]!.app.io);
      await request(alice.socket, 'message:send', { room: 'silent', text: 'lost', clientId: 'lost' });
      await dropped;
      // Nothing else is sent, and nobody retries.
      await expect.poll(() => atBob.map((m) => m.text), { timeout: 10_000 }).toEqual(['lost']);
    });

    it('fills a lost message within the gap timeout while the room stays busy', async () => {
      const { alice, atBob } = await twoMembers('busy');
      const dropped = dropNextChatMessage(replicas[0]!.app.io);
      await request(alice.socket, 'message:send', { room: 'busy', text: 'lost', clientId: 'lost' });
      await dropped;
      // Keep the room busy until bob has the lost message: the traffic must not postpone the fill.
      let sent = 0;
      while (!atBob.some((m) => m.text === 'lost') && sent < STEADY_MAX_MESSAGES) {
        await request(alice.socket, 'message:send', { room: 'busy', text: `steady ${sent}`, clientId: `steady-${sent}` });
        sent += 1;
        await sleep(STEADY_PAUSE_MS); // the pace of the traffic, not a wait for a result
      }
      expect(sent).toBeLessThan(STEADY_MAX_MESSAGES);
      await expect.poll(() => atBob.length).toBe(sent + 1);
      expect(atBob.map((m) => m.seq)).toEqual(Array.from({ length: sent + 1 }, (_, i) => i + 1));
      const gaps = await replicas[1]!.app.metrics.sequencerGaps.get();
      expect(gaps.values).toContainEqual(expect.objectContaining({ labels: { outcome: 'filled' }, value: 1 }));
    });
  });
}
