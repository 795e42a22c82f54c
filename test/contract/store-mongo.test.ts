/**
 * The store contract for the MongoDB driver: against a real MongoDB when MONGO_URL is set, otherwise
 * against the in-process wire server. Every `open` gets a database of its own.
 */
import { MongoClient } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMongoStore } from '../../src/store/mongo/mongo-store.js';
import { startTestMongo, type TestMongo } from '../../dev/mongo.js';
import { storeContract } from './store-suite.js';

let mongo: TestMongo;
beforeAll(async () => {
  mongo = await startTestMongo();
});
afterAll(() => mongo.close());

storeContract('mongo', () => {
  let url = '';
  return {
    open({ historyMax }) {
      url = mongo.databaseUrl();
      return createMongoStore({ url, historyMax });
    },
    reopen: ({ historyMax }) => createMongoStore({ url, historyMax }),
    // Databases are dropped once, when the file's server closes.
    cleanup: async () => {},
  };
});

describe('mongo store index migrations', () => {
  it('replaces the unique indexes on (room, clientId) and on every (room, seq)', async () => {
    const url = mongo.databaseUrl();
    const client = await MongoClient.connect(url, { serverSelectionTimeoutMS: 5000 });
    try {
      const messages = client.db().collection('messages');
      await messages.createIndex({ room: 1, clientId: 1 }, { unique: true });
      await messages.createIndex({ room: 1, seq: 1 }, { unique: true });
      await messages.insertOne({ _id: 'm1' as never, room: 'a', seq: 1, clientId: 'shared', author: 'alice', text: 'from alice', ts: 0 });
      await client.db().collection('rooms').insertOne({ _id: 'a' as never, seq: 1, createdAt: 0 });

      const store = await createMongoStore({ url, historyMax: 0 });
      try {
        const names = (await messages.listIndexes().toArray()).map((i) => i.name);
        expect(names).not.toContain('room_1_clientId_1');
        expect(names).not.toContain('room_1_seq_1');
        expect(names).toContain('room_1_author_1_clientId_1');
        const bobs = await store.messages.append({ room: 'a', clientId: 'shared', author: 'bob', text: 'from bob', ts: 1 });
        expect(bobs).toMatchObject({ created: true, message: { seq: 2, author: 'bob' } });
      } finally {
        await store.close();
      }
      // A second start finds nothing left to drop.
      await (await createMongoStore({ url, historyMax: 0 })).close();
    } finally {
      await client.close();
    }
  });
});

describe('mongo store claims', () => {
  it('finishes a claim whose replica died before giving it a seq, when the sender repeats it', async () => {
    const url = mongo.databaseUrl();
    const store = await createMongoStore({ url, historyMax: 0 });
    const client = await MongoClient.connect(url, { serverSelectionTimeoutMS: 5000 });
    try {
      await store.messages.append({ room: 'a', clientId: 'before', author: 'alice', text: 'first', ts: 0 });
      // What a replica leaves when it dies between claiming a message and taking its seq.
      await client.db().collection('messages').insertOne({ _id: 'orphan' as never, room: 'a', clientId: 'c1', author: 'alice', text: 'claimed', ts: 1 });
      const repeat = await store.messages.append({ room: 'a', clientId: 'c1', author: 'alice', text: 'claimed', ts: 2 });
      expect(repeat).toMatchObject({ created: true, message: { id: 'orphan', seq: 2, text: 'claimed' } });
      expect((await store.messages.before('a', undefined, 10)).messages.map((m) => m.seq)).toEqual([1, 2]);
    } finally {
      await client.close();
      await store.close();
    }
  });
});
