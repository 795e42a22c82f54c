/**
 * `room:join`'s history epoch on both stores: every ack names the store's epoch, a `sinceSeq` of the same
 * epoch (or of none) recovers by merge as before, and one of another epoch is answered as a fresh join
 * with `resync: true`. What a restore does to the epoch is in backup-restore.test.ts.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { request, startReplica, user, type Replica } from '../../dev/harness.js';
import { startTestMongo, type TestMongo } from '../../dev/mongo.js';
import { STORES } from '../helpers/stores.js';

let mongo: TestMongo;
beforeAll(async () => {
  mongo = await startTestMongo();
});
afterAll(() => mongo.close());

describe.each(Object.keys(STORES))('the history epoch on the %s store', (kind) => {
  let replica: Replica;
  beforeEach(async () => {
    replica = await startReplica({ env: STORES[kind]!(mongo) });
  });
  afterEach(() => replica.stop());

  /** alice in room `r` with `count` posts (stored directly: more than the send rate limit allows at once), and what her join said. */
  async function roomWithPosts(count: number) {
    const alice = await user(replica.url, 'alice');
    for (let i = 1; i <= count; i++) {
      await replica.store.messages.append({ room: 'r', clientId: `c${i}`, author: 'alice', text: `post ${i}`, ts: Date.now() });
    }
    const joined = await request(alice.socket, 'room:join', { room: 'r' });
    return { socket: alice.socket, joined };
  }

  it('names the store epoch in every join, and merges from a sinceSeq of that epoch or of none', async () => {
    const { socket, joined } = await roomWithPosts(3);
    expect(joined).toMatchObject({ ok: true, epoch: replica.store.historyEpoch, resync: false });
    const same = await request(socket, 'room:join', { room: 'r', sinceSeq: 2, epoch: joined.epoch });
    expect(same).toMatchObject({ ok: true, epoch: joined.epoch, resync: false, hasMore: false });
    expect(same.history.map((m: { text: string }) => m.text)).toEqual(['post 3']);
    const unnamed = await request(socket, 'room:join', { room: 'r', sinceSeq: 2 });
    expect(unnamed).toMatchObject({ ok: true, resync: false, history: same.history });
  });

  it('answers a sinceSeq of another epoch as a fresh join, the last 50 by seq, with resync', async () => {
    const { socket } = await roomWithPosts(52);
    const fresh = await request(socket, 'room:join', { room: 'r' });
    const other = await request(socket, 'room:join', { room: 'r', sinceSeq: 60, epoch: 'an-older-history' });
    expect(other).toMatchObject({ ok: true, resync: true, epoch: replica.store.historyEpoch, hasMore: true });
    expect(other.history).toEqual(fresh.history);
    expect(other.history.map((m: { seq: number }) => m.seq)).toEqual(Array.from({ length: 50 }, (_, i) => i + 3));
    // Without a sinceSeq there is nothing to merge: an epoch alone changes nothing.
    expect(await request(socket, 'room:join', { room: 'r', epoch: 'an-older-history' })).toMatchObject({ resync: false, history: fresh.history });
  });

  it.each<[string, unknown]>([
    ['a number', 7],
    ['an empty string', ''],
    ['65 characters', 'e'.repeat(65)],
    ['a slash', 'a/b'],
  ])('refuses an epoch that is %s', async (_label, epoch) => {
    const { socket } = await roomWithPosts(0);
    const ack = await request(socket, 'room:join', { room: 'r', sinceSeq: 0, epoch });
    expect(ack).toMatchObject({ ok: false, error: { code: 'invalid_input', message: expect.stringMatching(/^epoch/) } });
  });
});
