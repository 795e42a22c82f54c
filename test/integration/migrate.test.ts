/**
 * `npm run migrate` end to end: an embedded store filled through the store's own port is migrated into
 * MongoDB (the wire stand-in, or MONGO_URL), and the MongoDB store, a replica on it and the command
 * itself are held to what the embedded store said.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { MongoClient } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Browser, request, startReplica, tempDir, user } from '../../dev/harness.js';
import { startTestMongo, type TestMongo } from '../../dev/mongo.js';
import { verifyPassword } from '../../src/identity/passwords.js';
import { migrate, type MigrateIo, type MigrateOptions, type MigrationReport } from '../../src/ops/migrate.js';
import { MigrationRefused } from '../../src/ops/refusal.js';
import { createEmbeddedStore } from '../../src/store/embedded/embedded-store.js';
import { createMongoStore } from '../../src/store/mongo/mongo-store.js';
import { createGridFsUploads } from '../../src/uploads/gridfs-uploads.js';
import { createVolumeUploads } from '../../src/uploads/volume-uploads.js';
import { PNG_1x1 as PNG } from '../helpers/images.js';
import { fillStore, HISTORY_MAX, PASSWORD, snapshot } from '../helpers/store-snapshot.js';

const run = promisify(execFile);
const MAIN = path.resolve('dist/ops/migrate-main.js');

let mongo: TestMongo;
let sourceDir: string;
let uploadDir: string;
let avatar: string;
let expected: Awaited<ReturnType<typeof snapshot>>;
let lastSeqOfGeneral: number;

beforeAll(async () => {
  mongo = await startTestMongo();
  sourceDir = tempDir('chorus-migrate-');
  uploadDir = path.join(sourceDir, 'uploads');
  avatar = await (await createVolumeUploads(uploadDir)).save(PNG, 'image/png');
  const source = await createEmbeddedStore({ dataDir: sourceDir, historyMax: HISTORY_MAX });
  try {
    await fillStore(source, `/uploads/${avatar}`);
    expected = await snapshot(source);
    lastSeqOfGeneral = (await source.rooms.find('general'))!.lastSeq;
  } finally {
    await source.close();
  }
});
afterAll(async () => {
  await mongo.close();
  fs.rmSync(sourceDir, { recursive: true, force: true });
});

const quiet: MigrateIo = { progress: { start: () => ({ advance() {}, finish() {} }) }, say() {} };

/** Migrates the filled source into `to`, in batches of 3 so every collection takes several. */
function migrateInto(to: string, options: Partial<MigrateOptions> = {}, io: Partial<MigrateIo> = {}): Promise<MigrationReport> {
  return migrate({ from: sourceDir, to, uploads: 'volume', uploadDir, force: false, verifyOnly: false, batchSize: 3, ...options }, { ...quiet, ...io });
}

async function onMongoStore<T>(url: string, work: (store: Awaited<ReturnType<typeof createMongoStore>>) => Promise<T>): Promise<T> {
  const store = await createMongoStore({ url, historyMax: HISTORY_MAX });
  try {
    return await work(store);
  } finally {
    await store.close();
  }
}

async function onDatabase<T>(url: string, work: (db: ReturnType<MongoClient['db']>) => Promise<T>): Promise<T> {
  const client = await MongoClient.connect(url, { serverSelectionTimeoutMS: 5000 });
  try {
    return await work(client.db());
  } finally {
    await client.close();
  }
}

const written = (report: MigrationReport) => Object.fromEntries(report.written);

describe('migrate', () => {
  it('copies everything, so the MongoDB store answers as the embedded store did', async () => {
    const url = mongo.databaseUrl();
    const report = await migrateInto(url);
    expect(report.ok).toBe(true);
    expect(report.verification.map((row) => row.collection)).toEqual(['users', 'messages', 'rooms', 'friends', 'reads', 'meta']);
    expect(report.verification.find((row) => row.collection === 'messages')!.target.count).toBeGreaterThan(3);
    await onMongoStore(url, async (store) => {
      expect(await snapshot(store)).toEqual(expected);
      const alice = await store.users.find('ALICE');
      expect(await verifyPassword(PASSWORD, alice!.passwordHash!)).toBe(true);
      expect(await store.users.find('mallory')).toMatchObject({ banned: true });
    });
  });

  it('changes nothing when run a second time', async () => {
    const url = mongo.databaseUrl();
    const first = await migrateInto(url);
    const second = await migrateInto(url);
    expect(second.ok).toBe(true);
    for (const counts of second.written.values()) expect(counts).toMatchObject({ inserted: 0, updated: 0 });
    expect(written(second).messages!.unchanged).toBe(written(first).messages!.inserted);
    expect(second.verification).toEqual(first.verification);
  });

  it('resumes a run that stopped half-way, ending as an uninterrupted run does', async () => {
    const whole = await migrateInto(mongo.databaseUrl());
    const url = mongo.databaseUrl();
    const fault = new Error('the network went away');
    const stopping = migrateInto(url, {}, { afterBatch: (collection, copied) => { if (collection === 'messages' && copied >= 6) throw fault; } });
    await expect(stopping).rejects.toBe(fault);
    const partial = await onDatabase(url, (db) => db.collection('messages').countDocuments());
    expect(partial).toBe(6);
    expect(await onDatabase(url, (db) => db.collection('rooms').countDocuments())).toBe(0);

    const resumed = await migrateInto(url);
    expect(resumed.ok).toBe(true);
    expect(written(resumed).messages).toMatchObject({ unchanged: 6, updated: 0 });
    expect(resumed.verification).toEqual(whole.verification);
    await onMongoStore(url, async (store) => expect(await snapshot(store)).toEqual(expected));
  });

  it('refuses a target that holds another history, unless forced', async () => {
    const url = mongo.databaseUrl();
    await migrateInto(url);
    // A replica ran on the target meanwhile: general's counter is past the source's.
    await onMongoStore(url, (store) => store.messages.append({ room: 'general', clientId: 'new', author: 'Bob', text: 'said on MongoDB', ts: 1 }));
    const refused = migrateInto(url);
    await expect(refused).rejects.toBeInstanceOf(MigrationRefused);
    await expect(refused).rejects.toThrow(/messages: [0-9a-f-]+: not in the source\n {2}- rooms: general: at seq \d+, ahead of the source's \d+/);

    const forced = await migrateInto(url, { force: true });
    expect(forced.ok).toBe(true);
    await onMongoStore(url, async (store) => expect(await snapshot(store)).toEqual(expected));
  });

  it('finds a tampered target in its verification', async () => {
    const url = mongo.databaseUrl();
    const { verification } = await migrateInto(url);
    await onDatabase(url, (db) => db.collection('messages').updateOne({ deleted: false }, { $set: { text: 'not what was said' } }));
    await onDatabase(url, (db) => db.collection('reads').deleteOne({}));
    const check = await migrateInto(url, { verifyOnly: true });
    expect(check.ok).toBe(false);
    expect(check.written.size).toBe(0);
    const row = (collection: string) => check.verification.find((r) => r.collection === collection)!;
    expect(row('messages').target.count).toBe(row('messages').source.count);
    expect(row('messages').target.checksum).not.toBe(row('messages').source.checksum);
    expect(row('reads').target.count).toBe(row('reads').source.count - 1);
    expect(row('users')).toEqual(verification.find((r) => r.collection === 'users'));
  });

  it('copies avatars into GridFS under their names with --uploads gridfs', async () => {
    const url = mongo.databaseUrl();
    const report = await migrateInto(url, { uploads: 'gridfs' });
    expect(report.ok).toBe(true);
    expect(report.verification.at(-1)).toMatchObject({ collection: 'avatars', target: { count: 1 } });
    expect(written(report).avatars).toEqual({ inserted: 1, updated: 0, unchanged: 0 });
    const uploads = createGridFsUploads(url);
    try {
      const file = await uploads.open(avatar);
      expect(file).toMatchObject({ type: 'image/png', size: PNG.length });
      file!.stream.destroy();
    } finally {
      await uploads.close();
    }
    expect(written(await migrateInto(url, { uploads: 'gridfs' })).avatars).toEqual({ inserted: 0, updated: 0, unchanged: 1 });
  });

  it('leaves a replica on the target serving the same history, its seqs going on where they were', async () => {
    const url = mongo.databaseUrl();
    await migrateInto(url);
    const replica = await startReplica({ env: { MONGO_URL: url, HISTORY_MAX: String(HISTORY_MAX) } });
    try {
      const alice = new Browser(replica.url);
      expect((await alice.signIn('alice', PASSWORD)).status).toBe(200);
      const history = await alice.request('GET', '/api/rooms/general/messages?limit=100');
      const general = expected.rooms.find((r) => r.room?.name === 'general')!;
      expect(history.body.messages.map((m: { id: string; seq: number }) => [m.id, m.seq])).toEqual(general.before.messages.map((m) => [m.id, m.seq]));

      const bob = await user(replica.url, 'Bob');
      const before = await request(bob.socket, 'room:join', { room: 'general', sinceSeq: lastSeqOfGeneral });
      expect(before).toMatchObject({ ok: true, history: [] });
      const aliceSocket = await alice.connect();
      await request(aliceSocket, 'room:join', { room: 'general' });
      const sent = await request(aliceSocket, 'message:send', { room: 'general', text: 'first on MongoDB', clientId: 'after-move' });
      expect(sent.message.seq).toBe(lastSeqOfGeneral + 1);
      bob.socket.disconnect();
      const back = await user(replica.url, 'Bob');
      const rejoined = await request(back.socket, 'room:join', { room: 'general', sinceSeq: lastSeqOfGeneral });
      expect(rejoined.history.map((m: { id: string }) => m.id)).toEqual([sent.message.id]);
      aliceSocket.disconnect();
      back.socket.disconnect();
    } finally {
      await replica.stop();
    }
  });
});

describe('npm run migrate (the process)', () => {
  const command = (args: string[]) =>
    run(process.execPath, [MAIN, ...args], { env: { ...process.env, DATA_DIR: sourceDir, UPLOAD_DIR: uploadDir } }).then(
      ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
      (err: { code: number; stdout: string; stderr: string }) => err,
    );

  it('migrates DATA_DIR, prints progress lines and the verification table, and exits 0', async () => {
    const { code, stdout, stderr } = await command(['--to', mongo.databaseUrl()]);
    expect(code).toBe(0);
    expect(stderr).toMatch(/^messages: 0\/\d+$/m);
    expect(stderr).toMatch(/^users: 4\/4$/m);
    expect(stderr).toMatch(/Sessions were not copied/);
    expect(stdout).toMatch(/^collection +source +target/);
    expect(stdout.trim().split('\n').slice(1).every((line) => line.endsWith('ok'))).toBe(true);
  });

  it('exits 1 when the verification finds a difference', async () => {
    const url = mongo.databaseUrl();
    expect((await command(['--to', url])).code).toBe(0);
    await onDatabase(url, (db) => db.collection('users').updateOne({ nameKey: 'mallory' }, { $set: { banned: false } }));
    const { code, stdout } = await command(['--to', url, '--verify-only']);
    expect(code).toBe(1);
    expect(stdout).toMatch(/^users .*MISMATCH$/m);
  });

  it('refuses, with exit code 2, a missing source and an unreachable target', async () => {
    const missing = await command(['--to', mongo.databaseUrl(), '--from', path.join(sourceDir, 'nothing-here')]);
    expect(missing).toMatchObject({ code: 2, stderr: expect.stringMatching(/no embedded store to migrate/) });
    const unreachable = await command(['--to', 'mongodb://127.0.0.1:1/chorus']);
    expect(unreachable).toMatchObject({ code: 2, stderr: expect.stringMatching(/MongoDB at mongodb:\/\/127\.0\.0\.1:1\/chorus cannot be reached/) });
  });

  it('exits 64 on a bad command line', async () => {
    expect(await command(['--to', 'http://example.com'])).toMatchObject({ code: 64, stderr: expect.stringMatching(/MongoDB connection string/) });
    expect(await command(['--to', mongo.databaseUrl(), '--bogus'])).toMatchObject({ code: 64 });
  });
});
