import net from 'node:net';
import { promisify } from 'node:util';
import { BSON } from 'bson';
import MongoStore from 'connect-mongo';
import type { SessionData } from 'express-session';
import { Long, MongoClient, MongoServerError, type Db } from 'mongodb';
import mongoose from 'mongoose';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startMongoWireServer, type MongoWireServer } from '../../dev/mongo-wire-server.js';

let server: MongoWireServer;
let client: MongoClient;
let db: Db;

beforeAll(async () => {
  server = await startMongoWireServer();
  client = await MongoClient.connect(server.url, { serverSelectionTimeoutMS: 2000 });
  db = client.db('chorus_test');
});

afterAll(async () => {
  await client?.close();
  await server?.close();
});

beforeEach(() => server.reset());

async function serverError(promise: Promise<unknown>): Promise<MongoServerError> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(MongoServerError);
  return error as MongoServerError;
}

describe('mongo wire server: driver basics', () => {
  it('inserts and finds with sort, skip, limit and projection', async () => {
    const rooms = db.collection('rooms');
    await rooms.insertMany([1, 2, 3, 4, 5].map((n) => ({ n, name: `room-${n}`, at: new Date(n * 1000) })));
    const page = await rooms.find({ n: { $gte: 2 } }, { projection: { _id: 0, name: 1 } }).sort({ n: -1 }).skip(1).limit(2).toArray();
    expect(page).toEqual([{ name: 'room-4' }, { name: 'room-3' }]);
    const one = await rooms.findOne({ name: 'room-2' });
    expect(one?.at).toEqual(new Date(2000));
    expect(one?._id.toHexString()).toMatch(/^[0-9a-f]{24}$/);
  });

  it('serves getMore batches under one stable cursor id', async () => {
    await db.collection('msgs').insertMany([1, 2, 3, 4, 5].map((seq) => ({ seq })));
    // promoteLongs: false shows the wire type: cursor ids must be int64, not doubles.
    const run = (cmd: Record<string, unknown>) => db.command(cmd, { promoteLongs: false });
    const first = await run({ find: 'msgs', sort: { seq: 1 }, batchSize: 2 });
    const id = first.cursor.id as Long;
    expect(id).toBeInstanceOf(Long);
    expect(first.cursor.firstBatch.map((d: { seq: number }) => d.seq)).toEqual([1, 2]);
    expect(id.isZero()).toBe(false);
    const second = await run({ getMore: id, collection: 'msgs', batchSize: 2 });
    expect(second.cursor.id.toString()).toBe(id.toString());
    expect(second.cursor.nextBatch.map((d: { seq: number }) => d.seq)).toEqual([3, 4]);
    const third = await run({ getMore: id, collection: 'msgs', batchSize: 2 });
    expect(third.cursor.id.isZero()).toBe(true);
    expect(third.cursor.nextBatch.map((d: { seq: number }) => d.seq)).toEqual([5]);
    // The driver's own cursor drives the same getMore loop.
    expect(await db.collection('msgs').find().batchSize(2).toArray()).toHaveLength(5);
  });

  it('enforces unique compound indexes with code 11000 and keyValue', async () => {
    const msgs = db.collection('messages');
    await msgs.createIndex({ room: 1, seq: 1 }, { unique: true });
    await msgs.createIndex({ room: 1, clientId: 1 }, { unique: true, partialFilterExpression: { clientId: { $exists: true } } });
    await msgs.createIndex({ room: 1, seq: 1 }, { unique: true }); // idempotent
    await msgs.insertOne({ room: 'r1', seq: 1, clientId: 'c1' });
    await msgs.insertOne({ room: 'r1', seq: 2 }); // no clientId: outside the partial index
    await msgs.insertOne({ room: 'r1', seq: 3 });

    const dup = await serverError(msgs.insertOne({ room: 'r1', seq: 1 }));
    expect(dup.code).toBe(11000);
    expect(dup.keyValue).toEqual({ room: 'r1', seq: 1 });
    expect(dup.message).toMatch(/E11000 duplicate key error collection: chorus_test.messages index: room_1_seq_1/);

    const upsertDup = await serverError(
      msgs.findOneAndUpdate({ room: 'r1', clientId: 'c1', seq: 9 }, { $set: { body: 'x' } }, { upsert: true }),
    );
    expect(upsertDup.code).toBe(11000);
    expect(upsertDup.keyValue).toEqual({ room: 'r1', clientId: 'c1' });
    expect(await msgs.countDocuments()).toBe(3);

    const indexes = await msgs.listIndexes().toArray();
    expect(indexes.map((i) => i.name)).toEqual(['_id_', 'room_1_seq_1', 'room_1_clientId_1']);
    await expect(msgs.createIndex({ seq: 1 }, { unique: true })).resolves.toBe('seq_1');
    expect((await serverError(msgs.createIndex({ room: 1 }, { unique: true }))).code).toBe(11000);
  });

  it('keeps $inc upserts atomic under concurrency', async () => {
    const counters = db.collection<{ _id: string; seq: number }>('counters');
    const results = await Promise.all(
      Array.from({ length: 50 }, () =>
        counters.findOneAndUpdate({ _id: 'room-1' }, { $inc: { seq: 1 } }, { upsert: true, returnDocument: 'after' }),
      ),
    );
    const seqs = results.map((d) => d?.seq).sort((a, b) => (a ?? 0) - (b ?? 0));
    expect(seqs).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
  });

  it('applies $setOnInsert only when an upsert inserts, and $set of the same _id', async () => {
    const users = db.collection<{ _id: string; name?: string; createdAt?: Date }>('users');
    const created = new Date('2024-01-01T00:00:00Z');
    const first = await users.updateOne({ _id: 'u1' }, { $set: { _id: 'u1', name: 'Ann' }, $setOnInsert: { createdAt: created } }, { upsert: true });
    expect(first.upsertedId).toBe('u1');
    const second = await users.updateOne({ _id: 'u1' }, { $set: { name: 'Bo' }, $setOnInsert: { createdAt: new Date() } }, { upsert: true });
    expect(second).toMatchObject({ matchedCount: 1, modifiedCount: 1, upsertedCount: 0 });
    expect(await users.findOne({ _id: 'u1' })).toEqual({ _id: 'u1', name: 'Bo', createdAt: created });
  });

  it('supports updateMany, deleteMany, countDocuments, distinct and aggregate', async () => {
    const msgs = db.collection<{ room: string; n: number; tags: string[] }>('msgs');
    await msgs.insertMany([
      { room: 'a', n: 1, tags: ['x'] },
      { room: 'a', n: 2, tags: ['y'] },
      { room: 'b', n: 3, tags: ['x', 'z'] },
    ]);
    const updated = await msgs.updateMany({ room: 'a' }, { $inc: { n: 10 }, $push: { tags: 'edited' } });
    expect(updated).toMatchObject({ matchedCount: 2, modifiedCount: 2 });
    expect(await msgs.countDocuments({ n: { $gt: 10 } })).toBe(2);
    expect(await msgs.estimatedDocumentCount()).toBe(3);
    expect((await msgs.distinct('tags')).sort()).toEqual(['edited', 'x', 'y', 'z']);
    const grouped = await msgs.aggregate([{ $group: { _id: '$room', total: { $sum: '$n' } } }, { $sort: { _id: 1 } }]).toArray();
    expect(grouped).toEqual([{ _id: 'a', total: 23 }, { _id: 'b', total: 3 }]);
    expect(await msgs.aggregate([{ $match: { room: 'a' } }, { $count: 'c' }]).toArray()).toEqual([{ c: 2 }]);
    expect((await msgs.deleteMany({ room: 'a' })).deletedCount).toBe(2);
    expect((await msgs.deleteOne({ room: 'nope' })).deletedCount).toBe(0);
    expect(await msgs.countDocuments()).toBe(1);
  });

  it('runs pipeline updates: field references, upserts, unique indexes, and only the update stages', async () => {
    const msgs = db.collection<{ _id: string; room: string; seq?: number; updatedSeq?: number }>('msgs');
    await msgs.createIndex({ room: 1, updatedSeq: 1 }, { unique: true, partialFilterExpression: { updatedSeq: { $exists: true } } });
    await msgs.insertMany([
      { _id: 'm1', room: 'a', seq: 1 },
      { _id: 'm2', room: 'a', seq: 2, updatedSeq: 5 },
      { _id: 'claim', room: 'a' },
    ]);
    const backfill = await msgs.updateMany({ updatedSeq: { $exists: false }, seq: { $exists: true } }, [{ $set: { updatedSeq: '$seq' } }]);
    expect(backfill).toMatchObject({ matchedCount: 1, modifiedCount: 1 });
    expect(await msgs.find().sort({ _id: 1 }).toArray()).toEqual([
      { _id: 'claim', room: 'a' },
      { _id: 'm1', room: 'a', seq: 1, updatedSeq: 1 },
      { _id: 'm2', room: 'a', seq: 2, updatedSeq: 5 },
    ]);
    // Each stage sees what the one before left; the partial unique index checks the result.
    const dup = await serverError(msgs.updateOne({ _id: 'm2' }, [{ $set: { updatedSeq: 0 } }, { $set: { updatedSeq: { $add: ['$updatedSeq', 1] } } }]));
    expect(dup.code).toBe(11000);
    const after = await msgs.findOneAndUpdate({ _id: 'm2' }, [{ $set: { updatedSeq: { $add: ['$updatedSeq', 1] } } }, { $unset: 'seq' }], { returnDocument: 'after' });
    expect(after).toEqual({ _id: 'm2', room: 'a', updatedSeq: 6 });
    // An upsert starts from the query's equality fields, as an operator update does; a stage sees none of its own fields.
    const upsert = await msgs.updateOne({ _id: 'm3', room: 'b' }, [{ $set: { seq: 1, updatedSeq: '$$ROOT.seq' } }], { upsert: true });
    expect(upsert.upsertedId).toBe('m3');
    expect(await msgs.findOne({ _id: 'm3' })).toEqual({ _id: 'm3', room: 'b', seq: 1 });
    expect((await serverError(msgs.updateOne({ _id: 'm1' }, [{ $match: { room: 'a' } }]))).code).toBe(72);
    expect((await serverError(msgs.updateOne({ _id: 'm1' }, [{ $set: { _id: 'other' } }]))).code).toBe(66);
    expect(await msgs.findOne({ _id: 'm1' })).toEqual({ _id: 'm1', room: 'a', seq: 1, updatedSeq: 1 });
  });

  it('sends no reply to unacknowledged (w:0) writes', async () => {
    // One pooled connection: a stray reply to the w:0 insert would be read as the answer to findOne.
    const single = await MongoClient.connect(server.url, { maxPoolSize: 1 });
    try {
      const coll = single.db('chorus_test').collection('fire');
      await coll.insertOne({ k: 'v' }, { writeConcern: { w: 0 } });
      expect(await coll.findOne({ k: 'v' }, { projection: { _id: 0 } })).toEqual({ k: 'v' });
      expect(await single.db('admin').command({ ping: 1 })).toEqual({ ok: 1 });
    } finally {
      await single.close();
    }
  });

  it('lists collections, by filter and by name only', async () => {
    await db.collection('a').insertOne({ x: 1 });
    await db.createCollection('b');
    expect((await db.listCollections().toArray()).map((c) => c.name).sort()).toEqual(['a', 'b']);
    expect(await db.listCollections({ name: 'b' }, { nameOnly: true }).toArray()).toEqual([{ name: 'b', type: 'collection' }]);
    expect(await db.listCollections({ name: 'a' }).toArray()).toEqual([expect.objectContaining({ name: 'a', type: 'collection', options: {} })]);
    expect((await db.collections()).map((c) => c.collectionName).sort()).toEqual(['a', 'b']);
    expect(await client.db('chorus_empty').listCollections().toArray()).toEqual([]);
  });

  it('answers unknown commands with CommandNotFound and drop of a missing collection with NamespaceNotFound', async () => {
    const unknown = await serverError(db.command({ frobnicate: 1 }));
    expect(unknown.code).toBe(59);
    expect(unknown.message).toBe("no such command: 'frobnicate'");
    expect((await serverError(db.command({ drop: 'missing' }))).code).toBe(26);
    expect((await db.admin().command({ buildInfo: 1 })).version).toBe('7.0.0');
  });

  it('lazily expires documents through TTL indexes', async () => {
    const coll = db.collection('ttl');
    await coll.createIndex({ expires: 1 }, { expireAfterSeconds: 0 });
    await coll.createIndex({ seenAt: 1 }, { expireAfterSeconds: 60 });
    await coll.insertMany([
      { k: 'past', expires: new Date(Date.now() - 1000) },
      { k: 'future', expires: new Date(Date.now() + 60_000) },
      { k: 'stale', seenAt: new Date(Date.now() - 61_000) },
      { k: 'fresh', seenAt: new Date(Date.now() - 1000) },
    ]);
    expect((await coll.find({}).toArray()).map((d) => d.k)).toEqual(['future', 'fresh']);
  });

  it('reassembles split frames and ignores an OP_MSG checksum', async () => {
    const body = BSON.serialize({ ping: 1, $db: 'admin' });
    const msg = Buffer.alloc(16 + 4 + 1 + body.length + 4);
    msg.writeInt32LE(msg.length, 0);
    msg.writeInt32LE(42, 4);
    msg.writeInt32LE(2013, 12);
    msg.writeUInt32LE(1, 16); // checksumPresent
    Buffer.from(body).copy(msg, 21);
    const socket = net.connect(server.port, '127.0.0.1');
    const reply = new Promise<Buffer>((resolve) => socket.once('data', resolve));
    socket.write(msg.subarray(0, 7));
    await new Promise((r) => setTimeout(r, 20));
    socket.write(msg.subarray(7));
    const answer = await reply;
    socket.destroy();
    expect(answer.readInt32LE(8)).toBe(42); // responseTo
    expect(BSON.deserialize(answer.subarray(21))).toEqual({ ok: 1 });
  });
});

describe('mongo wire server: mongoose', () => {
  it('builds unique indexes and runs model operations', async () => {
    const conn = await mongoose.createConnection(`${server.url}/chorus_mongoose`).asPromise();
    try {
      const schema = new mongoose.Schema({ handle: { type: String, unique: true }, karma: { type: Number, default: 0 } });
      const User = conn.model('User', schema);
      await User.init();
      await User.syncIndexes();
      await User.create({ handle: 'ann' });
      const dup = await User.create({ handle: 'ann' }).then(() => undefined, (e: { code?: number }) => e);
      expect(dup?.code).toBe(11000);
      expect(await User.find({ handle: 'ann' }).lean()).toHaveLength(1);
      const bumped = await User.findOneAndUpdate({ handle: 'ann' }, { $inc: { karma: 2 } }, { returnDocument: 'after' }).lean();
      expect(bumped?.karma).toBe(2);
      const indexes = await User.listIndexes();
      expect(indexes.find((i) => i.name === 'handle_1')?.unique).toBe(true);
    } finally {
      await conn.close();
    }
  });
});

describe('mongo wire server: connect-mongo', () => {
  const session = (expires: Date, user: string) =>
    ({ cookie: { originalMaxAge: expires.getTime() - Date.now(), expires }, user }) as unknown as SessionData;

  it('sets, gets, touches and destroys sessions; expired ones are not returned', async () => {
    const store = MongoStore.create({ client, dbName: 'chorus_sessions', collectionName: 'sessions' });
    const get = promisify(store.get.bind(store));
    const set = promisify(store.set.bind(store));
    const touch = promisify(store.touch.bind(store));
    const destroy = promisify(store.destroy.bind(store));

    const later = new Date(Date.now() + 60_000);
    await set('sid-1', session(later, 'ann'));
    expect(await get('sid-1')).toMatchObject({ user: 'ann' });
    await set('sid-1', session(later, 'bob'));
    expect(await get('sid-1')).toMatchObject({ user: 'bob' });
    await touch('sid-1', session(new Date(Date.now() + 120_000), 'bob'));
    const stored = await client.db('chorus_sessions').collection('sessions').findOne({});
    expect(stored?.expires.getTime()).toBeGreaterThan(later.getTime());
    await destroy('sid-1');
    expect(await get('sid-1')).toBeNull();

    await set('sid-2', session(new Date(Date.now() - 1000), 'old'));
    expect(await get('sid-2')).toBeNull();
    // The TTL index connect-mongo creates ({expires: 1}, expireAfterSeconds 0) purged it as well.
    expect(await client.db('chorus_sessions').collection('sessions').countDocuments()).toBe(0);
  });
});
