/**
 * The store contract for the MongoDB driver: against a real MongoDB when MONGO_URL is set, otherwise
 * against the in-process wire server. Every `open` gets a database of its own.
 */
import { MongoClient, type Db } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMongoStore } from '../../src/store/mongo/mongo-store.js';
import type { Store } from '../../src/store/port.js';
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
    async rawContains(text) {
      const client = await MongoClient.connect(url, { serverSelectionTimeoutMS: 5000 });
      try {
        const collections = await client.db().collections();
        for (const collection of collections) {
          const documents = await collection.find().toArray();
          if (documents.some((document) => holds(document, text))) return true;
        }
        return false;
      } finally {
        await client.close();
      }
    },
  };
});

/** Whether any string in `value`, at any depth, contains `text`. */
function holds(value: unknown, text: string): boolean {
  if (typeof value === 'string') return value.includes(text);
  if (value && typeof value === 'object') return Object.values(value).some((v) => holds(v, text));
  return false;
}

describe('mongo store history epoch', () => {
  it('is one epoch for replicas opening a fresh database at once', async () => {
    const url = mongo.databaseUrl();
    const stores = await Promise.all(Array.from({ length: 4 }, () => createMongoStore({ url, historyMax: 0 })));
    try {
      expect(new Set(stores.map((s) => s.historyEpoch)).size).toBe(1);
    } finally {
      await Promise.all(stores.map((s) => s.close()));
    }
  });
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

describe('mongo store room log', () => {
  it('gives messages from before the room log their updatedSeq and rooms their message count, once', async () => {
    const url = mongo.databaseUrl();
    const client = await MongoClient.connect(url, { serverSelectionTimeoutMS: 5000 });
    try {
      const db = client.db();
      await db.collection('rooms').insertOne({ _id: 'a' as never, seq: 3, createdAt: 0 });
      await db.collection('messages').insertMany(
        [1, 2, 3].map((seq) => ({ _id: `m${seq}` as never, room: 'a', seq, clientId: `c${seq}`, author: 'alice', text: `old ${seq}`, ts: seq })),
      );
      const store = await createMongoStore({ url, historyMax: 3 });
      try {
        expect((await store.messages.since('a', 1, 10)).messages.map((m) => [m.id, m.updatedSeq])).toEqual([['m2', 2], ['m3', 3]]);
        expect(await db.collection('rooms').findOne({ _id: 'a' as never })).toMatchObject({ messages: 3 });
        // The count is what trimming goes by: a fourth message pushes out the first, not more, not less.
        await store.messages.append({ room: 'a', clientId: 'c4', author: 'alice', text: 'new', ts: 4 });
        expect((await store.messages.before('a', undefined, 10)).messages.map((m) => m.id)).toEqual(['m2', 'm3', expect.any(String)]);
      } finally {
        await store.close();
      }
      // A second start finds nothing left to migrate.
      await (await createMongoStore({ url, historyMax: 3 })).close();
      expect(await db.collection('messages').countDocuments({ updatedSeq: { $exists: false } })).toBe(0);
    } finally {
      await client.close();
    }
  });

  it('takes over the change lease of a replica that died holding it, once the lease is over', async () => {
    const url = mongo.databaseUrl();
    const store = await createMongoStore({ url, historyMax: 0 });
    const client = await MongoClient.connect(url, { serverSelectionTimeoutMS: 5000 });
    try {
      const { message } = await store.messages.append({ room: 'a', clientId: 'c1', author: 'alice', text: 'hi', ts: 0 });
      // What a replica leaves when it dies in the middle of a change: a lease, already over.
      await client.db().collection('messages').updateOne({ _id: message.id as never }, { $set: { changeLease: 'dead', changeLeaseUntil: Date.now() - 1 } });
      const result = await store.messages.change('a', message.id, { kind: 'react', emoji: '👍', user: 'bob', on: true });
      expect(result).toMatchObject({ changed: true, message: { updatedSeq: 2, reactions: [{ emoji: '👍', users: ['bob'] }] } });
      const raw = await client.db().collection('messages').findOne({ _id: message.id as never });
      expect(raw).not.toHaveProperty('changeLease');
      expect(await store.messages.find('a', message.id)).toEqual(result!.message);
    } finally {
      await client.close();
      await store.close();
    }
  });
});

describe('mongo store conversations migration', () => {
  it('makes old rooms public and old messages searchable and counted as unread, once', async () => {
    const url = mongo.databaseUrl();
    const client = await MongoClient.connect(url, { serverSelectionTimeoutMS: 5000 });
    try {
      const db = client.db();
      await db.collection('users').insertOne({ name: 'Eve', nameKey: 'eve', passwordHash: null, avatarUrl: null, createdAt: 0 });
      await db.collection('rooms').insertOne({ _id: 'old' as never, seq: 2, messages: 2, createdAt: 0 });
      await db.collection('messages').insertMany([
        { _id: 'm1' as never, room: 'old', seq: 1, updatedSeq: 1, clientId: 'c1', author: 'Alice', text: 'Déploiement demain', ts: 1 },
        { _id: 'm2' as never, room: 'old', seq: 2, updatedSeq: 2, clientId: 'c2', author: 'bob', text: 'deployed', ts: 2 },
      ]);
      const store = await createMongoStore({ url, historyMax: 0 });
      try {
        expect(await store.rooms.find('old')).toEqual({ name: 'old', lastSeq: 2, kind: 'public', owner: null });
        expect((await store.rooms.listFor('carol')).map((r) => r.name)).toEqual(['old']);
        const found = await store.messages.search({ terms: ['deploie'], rooms: ['old'], limit: 10 });
        expect(found.messages.map((m) => [m.id, m.mentions])).toEqual([['m1', []]]);
        // A user from before bans is not banned: unbanning changes nothing, banning does.
        expect(await store.users.setBanned('eve', false)).toBe(false);
        expect(await store.users.setBanned('eve', true)).toBe(true);
        // Her own post does not count, whatever the case of her name.
        expect((await store.messages.unread('alice', [{ room: 'old', after: 0 }])).get('old')).toEqual({ unread: 1, mentions: 0 });
      } finally {
        await store.close();
      }
      await (await createMongoStore({ url, historyMax: 0 })).close();
      expect(await db.collection('messages').countDocuments({ words: { $exists: false } })).toBe(0);
      expect(await db.collection('messages').findOne({ _id: 'm1' as never })).toMatchObject({ authorKey: 'alice', words: ['deploiement', 'demain'] });
    } finally {
      await client.close();
    }
  });
});

/** Runs `work` on `replicas` stores sharing one fresh database, with a plain client on it to look underneath. */
async function onOneDatabase(options: { replicas?: number }, work: (stores: Store[], db: Db) => Promise<void>): Promise<void> {
  const url = mongo.databaseUrl();
  const client = await MongoClient.connect(url, { serverSelectionTimeoutMS: 5000 });
  const stores: Store[] = [];
  try {
    for (let i = 0; i < (options.replicas ?? 1); i++) stores.push(await createMongoStore({ url, historyMax: 0 }));
    await work(stores, client.db());
  } finally {
    await Promise.all(stores.map((s) => s.close()));
    await client.close();
  }
}

describe('mongo store: replies racing their original', () => {
  const original = { room: 'r', clientId: 'o1', author: 'alice', text: 'the secret plan', ts: 0 };

  it('re-quotes a reply that quoted its original before a delete whose re-quoting missed it', async () => {
    await onOneDatabase({}, async ([store], db) => {
      const { message: posted } = await store!.messages.append(original);
      // What a replica leaves that quoted the original, claimed the reply, and stalled before its seq.
      await db.collection('messages').insertOne({
        _id: 'stalled' as never, room: 'r', clientId: 'c1', author: 'bob', text: 'yes!', ts: 1,
        editedAt: null, deleted: false, replyTo: { id: posted.id, author: 'alice', excerpt: 'the secret plan' }, reactions: [],
      });
      const deleted = await store!.messages.change('r', posted.id, { kind: 'delete' });
      expect(deleted).toMatchObject({ changed: true, requoted: [] });
      // The sender repeats; the claim is finished here, and its quote follows the original it missed.
      const { message, created, requoted } = await store!.messages.append({ room: 'r', clientId: 'c1', author: 'bob', text: 'yes!', ts: 2 });
      expect(created).toBe(true);
      // The post at its seq, then the re-quote as a change of its own.
      expect(message).toMatchObject({ id: 'stalled', seq: 3, updatedSeq: 3 });
      expect(requoted).toEqual([{ ...message, updatedSeq: 4, replyTo: { id: posted.id, author: 'alice', excerpt: null } }]);
      expect(await store!.messages.find('r', 'stalled')).toEqual(requoted[0]);
      expect(await db.collection('messages').countDocuments({ 'replyTo.excerpt': 'the secret plan' })).toBe(0);
    });
  });

  it('never keeps a quote of a deleted original, however replies on two replicas race the delete', async () => {
    await onOneDatabase({ replicas: 2 }, async (stores, db) => {
      const { message: posted } = await stores[0]!.messages.append(original);
      const replies = Array.from({ length: 30 }, (_, i) =>
        stores[i % 2]!.messages.append({ room: 'r', clientId: `c${i}`, author: 'bob', text: `reply ${i}`, ts: 1, replyTo: posted.id }),
      );
      const [, ...appended] = await Promise.all([stores[1]!.messages.change('r', posted.id, { kind: 'delete' }), ...replies]);
      // Whichever came last, the reply's own look at its original or the delete's scan of its replies, saw the other.
      for (const { message, requoted } of appended) {
        const latest = [message, ...requoted].at(-1)!;
        expect(message.updatedSeq).toBe(message.seq);
        expect(latest.replyTo).toEqual({ id: posted.id, author: 'alice', excerpt: null });
        expect(await stores[0]!.messages.find('r', message.id)).toEqual(latest);
      }
      expect(await db.collection('messages').countDocuments({ 'replyTo.excerpt': { $ne: null } })).toBe(0);
    });
  });

  it('quotes the original as it is when the re-quote gets its turn, not as it was when asked', async () => {
    await onOneDatabase({}, async ([store], db) => {
      const { message: posted } = await store!.messages.append({ ...original, text: 'plan 0' });
      const { message: reply } = await store!.messages.append({ room: 'r', clientId: 'c1', author: 'bob', text: 'ok', ts: 1, replyTo: posted.id });
      const messages = db.collection<{ _id: string; text: string }>('messages');
      // Another change holds the reply, so the edit's re-quote of it waits its turn.
      await messages.updateOne({ _id: reply.id }, { $set: { changeLease: 'other', changeLeaseUntil: Date.now() + 60_000 } });
      const editing = store!.messages.change('r', posted.id, { kind: 'edit', text: 'plan 1', at: 1 });
      await expect.poll(async () => (await messages.findOne({ _id: posted.id }))?.text).toBe('plan 1');
      // Meanwhile another replica deletes the original, and its own re-quote of the reply has yet to come.
      await messages.updateOne({ _id: posted.id }, { $set: { text: '', deleted: true } });
      await messages.updateOne({ _id: reply.id }, { $unset: { changeLease: 1, changeLeaseUntil: 1 } });
      const edited = await editing;
      const final = await store!.messages.find('r', reply.id);
      // The deleted text did not come back through the edit's late re-quote.
      expect(final?.replyTo).toEqual({ id: posted.id, author: 'alice', excerpt: null });
      expect(edited?.requoted).toEqual([final]);
    });
  });
});
