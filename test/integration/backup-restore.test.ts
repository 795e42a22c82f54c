/**
 * `npm run backup` and `npm run restore` as operators run them (`node dist/ops/*.js`, the build's), on
 * the embedded store of real replica processes: a backup taken under steady writes restores to a store
 * whose invariants hold, a client connected across a restore is told to replace its history, and every
 * refusal says why with its exit code and leaves the store as it was.
 */
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import Database from 'better-sqlite3';
import type { Socket } from 'socket.io-client';
import * as tar from 'tar';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { request, tempDir, user } from '../../dev/harness.js';
import { freePort, runOps as ops, startReplicaProcess, type ReplicaProcess } from '../../dev/processes.js';
import { createEmbeddedStore, DATABASE_FILE } from '../../src/store/embedded/embedded-store.js';
import { LEASE_TTL_MS } from '../../src/store/embedded/leases.js';
import { MIGRATIONS } from '../../src/store/embedded/schema.js';
import type { StoredMessage } from '../../src/store/port.js';

const AVATAR = '0123456789abcdef0123456789abcdef.png';

/** A data directory with a store holding `messages` posts in room `r`, one user, and one avatar file. */
async function seededDataDir(messages: number): Promise<string> {
  const dataDir = tempDir('chorus-ops-');
  const store = await createEmbeddedStore({ dataDir, historyMax: 0 });
  await store.users.claim('alice');
  for (let i = 1; i <= messages; i++) await store.messages.append({ room: 'r', clientId: `c${i}`, author: 'alice', text: `post ${i}`, ts: i });
  await store.close();
  fs.mkdirSync(path.join(dataDir, 'uploads'));
  fs.writeFileSync(path.join(dataDir, 'uploads', AVATAR), 'not really a png');
  return dataDir;
}

/** A data directory with the store of a Chorus from before leases and the history epoch (schema 5). */
function olderStoreDataDir(): string {
  const dataDir = tempDir('chorus-ops-');
  const old = new Database(path.join(dataDir, DATABASE_FILE));
  MIGRATIONS.slice(0, 5).forEach((sql) => old.exec(sql));
  old.pragma('user_version = 5');
  old.close();
  return dataDir;
}

async function historyEpochOf(dataDir: string): Promise<string> {
  const store = await createEmbeddedStore({ dataDir, historyMax: 0 });
  await store.close();
  return store.historyEpoch;
}

/** Every message of `room` in the store of `dataDir`, in log order. */
async function storedMessages(dataDir: string, room: string): Promise<StoredMessage[]> {
  const store = await createEmbeddedStore({ dataDir, historyMax: 0 });
  try {
    return (await store.messages.since(room, 0, 1_000_000)).messages;
  } finally {
    await store.close();
  }
}

interface Acked {
  id: string;
  room: string;
  seq: number;
  text: string;
  author: string;
}

/** A user posting to `room` one message after another until stopped, keeping what was acked. */
function steadyWriter(socket: Socket, author: string, room: string) {
  const acked: Acked[] = [];
  let stopped = false;
  const done = (async () => {
    for (let n = 1; !stopped; n++) {
      const text = `${author} ${n}`;
      for (;;) {
        const ack = await request(socket, 'message:send', { room, text, clientId: `${author}-${n}` });
        if (ack.ok) {
          acked.push({ id: ack.message.id, room, seq: ack.message.seq, text, author });
          break;
        }
        // Over the send rate limit: wait as the server says, then send the same message again.
        expect(ack.error.code).toBe('rate_limited');
        await sleep(ack.error.retryAfterMs);
      }
    }
  })();
  return {
    acked,
    async stop() {
      stopped = true;
      await done;
    },
  };
}

describe('backup and restore of the embedded store', () => {
  let replica: ReplicaProcess | undefined;
  afterEach(async () => {
    await replica?.stop('SIGKILL');
    replica = undefined;
  });

  it('takes a backup under steady writes that restores whole: every message acked before it once, seqs contiguous, nothing half there', { timeout: 60_000 }, async () => {
    const dataDir = tempDir('chorus-ops-');
    replica = await startReplicaProcess({ DATA_DIR: dataDir });
    const rooms = ['load-a', 'load-b'];
    const writers: ReturnType<typeof steadyWriter>[] = [];
    let epoch = '';
    for (let i = 0; i < 4; i++) {
      const { socket } = await user(replica.url, `writer${i}`);
      const joined = await request(socket, 'room:join', { room: rooms[i % 2] });
      epoch = joined.epoch;
      writers.push(steadyWriter(socket, `writer${i}`, rooms[i % 2]!));
    }
    await expect.poll(() => writers.every((w) => w.acked.length >= 10), { timeout: 20_000 }).toBe(true);
    const ackedBefore = writers.flatMap((w) => [...w.acked]);
    const file = path.join(tempDir(), 'under-load.tar');
    const backup = await ops('backup', dataDir, [file]);
    expect(backup.stderr).toBe('');
    expect(backup.code).toBe(0);
    const ackedAfterBackupEnded = writers.reduce((n, w) => n + w.acked.length, 0);
    await expect.poll(() => writers.reduce((n, w) => n + w.acked.length, 0), { timeout: 20_000 }).toBeGreaterThan(ackedAfterBackupEnded + 10);
    await Promise.all(writers.map((w) => w.stop()));
    const acked = new Map(writers.flatMap((w) => w.acked).map((m) => [m.id, m]));
    expect(await replica.stop()).toBe(0);
    replica = undefined;

    const restore = await ops('restore', dataDir, [file]);
    expect(restore.stderr).toBe('');
    expect(restore.code).toBe(0);
    expect(restore.lines.join('\n')).toMatch(/is now the store in/);

    const restored = new Map<string, StoredMessage>();
    for (const room of rooms) {
      const messages = await storedMessages(dataDir, room);
      // Contiguous from 1: no seq lost, none twice (posts only, so each message's seq is its place in the log).
      expect(messages.map((m) => m.seq)).toEqual(messages.map((_, i) => i + 1));
      expect(new Set(messages.map((m) => `${m.author}/${m.clientId}`)).size).toBe(messages.length);
      for (const m of messages) restored.set(m.id, m);
    }
    for (const before of ackedBefore) {
      expect(restored.get(before.id), `acked before the backup: ${before.text}`).toMatchObject({ room: before.room, seq: before.seq, text: before.text, author: before.author });
    }
    // Whatever else is there is a message acked later, whole, at the seq its ack gave.
    for (const m of restored.values()) {
      expect(acked.get(m.id), `restored ${m.text}`).toEqual({ id: m.id, room: m.room, seq: m.seq, text: m.text, author: m.author });
    }
    expect(restored.size).toBeLessThan(acked.size);
    const store = await createEmbeddedStore({ dataDir, historyMax: 0 });
    try {
      expect(store.historyEpoch).not.toBe(epoch);
      // The rooms' counters agree with what is there, so the next post takes the next seq.
      for (const room of rooms) {
        const last = Math.max(...[...restored.values()].filter((m) => m.room === room).map((m) => m.seq));
        expect((await store.rooms.find(room))?.lastSeq).toBe(last);
      }
    } finally {
      await store.close();
    }
  });

  it('makes a client connected across a restore replace its history: it rejoins with its epoch and gets exactly the restored one', { timeout: 60_000 }, async () => {
    const dataDir = tempDir('chorus-ops-');
    // The replica comes back where the client expects it: the same port, the same data directory.
    const env = { DATA_DIR: dataDir, PORT: String(await freePort()) };
    replica = await startReplicaProcess(env);
    const alice = await user(replica.url, 'alice');
    const joined = await request(alice.socket, 'room:join', { room: 'r' });
    const send = async (text: string) => (await request(alice.socket, 'message:send', { room: 'r', text, clientId: text.replaceAll(' ', '-') })).message;
    for (const text of ['kept 1', 'kept 2', 'kept 3']) await send(text);
    const file = path.join(tempDir(), 'older.tar');
    expect((await ops('backup', dataDir, [file])).code).toBe(0);
    let cursor = 0;
    for (const text of ['lost 4', 'lost 5']) cursor = (await send(text)).updatedSeq;

    const disconnected = new Promise((resolve) => alice.socket.once('disconnect', resolve));
    expect(await replica.stop()).toBe(0);
    await disconnected;
    const restore = await ops('restore', dataDir, [file]);
    expect(restore.code).toBe(0);
    replica = await startReplicaProcess(env);
    const reconnected = new Promise<void>((resolve) => alice.socket.once('connect', resolve));
    alice.socket.connect();
    await reconnected;

    const rejoin = await request(alice.socket, 'room:join', { room: 'r', sinceSeq: cursor, epoch: joined.epoch });
    expect(rejoin).toMatchObject({ ok: true, resync: true, hasMore: false });
    expect(rejoin.epoch).not.toBe(joined.epoch);
    expect(rejoin.history.map((m: { seq: number; text: string }) => [m.seq, m.text])).toEqual([
      [1, 'kept 1'],
      [2, 'kept 2'],
      [3, 'kept 3'],
    ]);
    // In the new epoch, recovery merges again, and the room goes on from the restored history.
    expect(await request(alice.socket, 'room:join', { room: 'r', sinceSeq: 3, epoch: rejoin.epoch })).toMatchObject({ resync: false, history: [] });
    expect(await send('after the restore')).toMatchObject({ seq: 4 });
  });

  it('needs only the store of the replicas\' configuration: in production, without a session secret, it backs up and restores', async () => {
    const dataDir = await seededDataDir(2);
    const file = path.join(tempDir(), 'production.tar');
    const production = { NODE_ENV: 'production' };
    expect(await ops('backup', dataDir, [file], production)).toMatchObject({ code: 0, stderr: '' });
    expect(await ops('restore', tempDir(), [file], production)).toMatchObject({ code: 0, stderr: '' });
  });

  describe('restore refuses', () => {
    let backup: string;
    beforeAll(async () => {
      backup = path.join(tempDir(), 'seeded.tar');
      expect((await ops('backup', await seededDataDir(3), [backup])).code).toBe(0);
    });

    /** Runs restore of `file` over a closed store and expects a refusal: the store is as it was, with nothing left beside it. */
    async function expectRefused(file: string, exitCode: number, reason: RegExp) {
      const dataDir = await seededDataDir(1);
      const epoch = await historyEpochOf(dataDir);
      const { code, stderr } = await ops('restore', dataDir, [file]);
      expect(stderr).toMatch(reason);
      expect(stderr.trim().split('\n')).toHaveLength(1);
      expect(stderr).toMatch(/^restore: /);
      expect(code).toBe(exitCode);
      expect(await historyEpochOf(dataDir)).toBe(epoch);
      expect((await storedMessages(dataDir, 'r')).map((m) => m.text)).toEqual(['post 1']);
      expect(fs.readdirSync(dataDir).sort()).toEqual([DATABASE_FILE, 'uploads']);
    }

    it('over a store a running replica uses, naming it, and leaves the replica serving', { timeout: 30_000 }, async () => {
      const dataDir = tempDir('chorus-ops-');
      replica = await startReplicaProcess({ DATA_DIR: dataDir });
      const alice = await user(replica.url, 'alice');
      await request(alice.socket, 'room:join', { room: 'r' });
      await request(alice.socket, 'message:send', { room: 'r', text: 'still here', clientId: 'c1' });
      const { code, stderr } = await ops('restore', dataDir, [backup]);
      expect(stderr).toMatch(new RegExp(`in use: replica on host .+, pid ${replica.child.pid}, renewed \\d+ s ago`));
      expect(code).toBe(75);
      const rejoin = await request(alice.socket, 'room:join', { room: 'r' });
      expect(rejoin.history.map((m: { text: string }) => m.text)).toEqual(['still here']);
    });

    it('while a crashed replica\'s lease is fresh, and restores once it is stale', { timeout: 30_000 }, async () => {
      const dataDir = tempDir('chorus-ops-');
      replica = await startReplicaProcess({ DATA_DIR: dataDir });
      await replica.stop('SIGKILL');
      replica = undefined;
      expect((await ops('restore', dataDir, [backup])).code).toBe(75);
      // The time a lease takes to go stale, passed at once.
      const db = new Database(path.join(dataDir, DATABASE_FILE));
      db.prepare('UPDATE replica_leases SET renewed_at = renewed_at - ?').run(LEASE_TTL_MS);
      db.close();
      const { code, stderr } = await ops('restore', dataDir, [backup]);
      expect(stderr).toBe('');
      expect(code).toBe(0);
      expect((await storedMessages(dataDir, 'r')).map((m) => m.text)).toEqual(['post 1', 'post 2', 'post 3']);
      expect(fs.readdirSync(path.join(dataDir, 'uploads'))).toEqual([AVATAR]);
    });

    it('a file that is not a tar', async () => {
      const file = path.join(tempDir(), 'noise.tar');
      fs.writeFileSync(file, Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919) % 251)));
      await expectRefused(file, 65, /was not restored: it is not a tar file, or a damaged one/);
    });

    it('a file that does not exist', async () => {
      await expectRefused(path.join(tempDir(), 'missing.tar'), 66, /missing\.tar does not exist/);
    });

    /** The seeded backup with `change` made to its unpacked files, packed again. */
    async function tampered(change: (dir: string) => void): Promise<string> {
      const dir = tempDir();
      await tar.extract({ file: backup, cwd: dir });
      change(dir);
      const file = path.join(tempDir(), 'tampered.tar');
      await tar.create({ file, cwd: dir, portable: true }, fs.readdirSync(dir));
      return file;
    }
    const editManifest = (dir: string, edit: (manifest: any) => void) => {
      const file = path.join(dir, 'manifest.json');
      const manifest = JSON.parse(fs.readFileSync(file, 'utf8'));
      edit(manifest);
      fs.writeFileSync(file, JSON.stringify(manifest));
    };
    const editDatabase = (dir: string, edit: (db: Database.Database) => void) => {
      const db = new Database(path.join(dir, DATABASE_FILE));
      edit(db);
      db.close();
    };

    it.each<[string, (dir: string) => void, RegExp]>([
      ['an entry no backup has', (dir) => fs.writeFileSync(path.join(dir, 'notes.txt'), 'hi'), /holds what no Chorus backup does: notes\.txt \(File\)/],
      ['a symbolic link', (dir) => fs.symlinkSync('/etc/passwd', path.join(dir, 'uploads', 'ffffffffffffffffffffffffffffffff.png')), /holds what no Chorus backup does: uploads\/f+\.png \(SymbolicLink\)/],
      ['no manifest', (dir) => fs.rmSync(path.join(dir, 'manifest.json')), /has no manifest\.json: not a Chorus backup/],
      ['a manifest that is not JSON', (dir) => fs.writeFileSync(path.join(dir, 'manifest.json'), '{"format"'), /manifest\.json is not JSON/],
      ['a manifest of something else', (dir) => editManifest(dir, (m) => (m.format = 'tarball')), /not a Chorus backup manifest \(format: /],
      ['a manifest that miscounts the messages', (dir) => editManifest(dir, (m) => (m.tables.messages += 1)), /does not hold what its manifest says \(rows of messages\)/],
      ['a manifest of another database', (dir) => editManifest(dir, (m) => (m.historyEpoch = 'another')), /not the one its manifest describes/],
      ['an avatar its manifest does not count', (dir) => fs.writeFileSync(path.join(dir, 'uploads', 'ffffffffffffffffffffffffffffffff.png'), 'x'), /holds 2 avatars, its manifest says 1/],
      [
        'a database of a newer Chorus',
        (dir) => {
          editDatabase(dir, (db) => db.pragma(`user_version = ${MIGRATIONS.length + 1}`));
          editManifest(dir, (m) => (m.schemaVersion = MIGRATIONS.length + 1));
        },
        /taken by a newer Chorus/,
      ],
      [
        'a damaged database',
        (dir) => {
          const file = path.join(dir, DATABASE_FILE);
          const bytes = fs.readFileSync(file);
          bytes.fill(0x5a, 4096, bytes.length);
          fs.writeFileSync(file, bytes);
        },
        /its database (is damaged|cannot be read)/,
      ],
    ])('a backup with %s', async (_label, change, reason) => {
      await expectRefused(await tampered(change), 65, reason);
    });

    it('over a store of an older Chorus, which keeps no leases', async () => {
      const dataDir = olderStoreDataDir();
      const { code, stderr } = await ops('restore', dataDir, [backup]);
      expect(stderr).toMatch(/is from an older Chorus \(schema 5\), which keeps no leases/);
      expect(code).toBe(75);
    });

    it('on MongoDB, and without a FILE', async () => {
      const mongo = await ops('restore', tempDir(), [backup], { MONGO_URL: 'mongodb://127.0.0.1:1/chorus' });
      expect(mongo.stderr).toMatch(/embedded store only.*mongorestore/);
      expect(mongo.code).toBe(78);
      const usage = await ops('restore', tempDir(), []);
      expect(usage.stderr).toMatch(/expected one FILE, got 0\nusage: npm run restore -- FILE/);
      expect(usage.code).toBe(64);
    });
  });

  describe('backup refuses', () => {
    it('a FILE that exists, leaving it as it was', async () => {
      const file = path.join(tempDir(), 'taken.tar');
      fs.writeFileSync(file, 'an older backup');
      const { code, stderr } = await ops('backup', await seededDataDir(1), [file]);
      expect(stderr).toMatch(/taken\.tar exists already, and a backup never overwrites one/);
      expect(code).toBe(73);
      expect(fs.readFileSync(file, 'utf8')).toBe('an older backup');
      expect(fs.readdirSync(path.dirname(file))).toEqual(['taken.tar']);
    });

    it('a FILE in a folder that does not exist', async () => {
      const { code, stderr } = await ops('backup', await seededDataDir(1), [path.join(tempDir(), 'no', 'such.tar')]);
      expect(stderr).toMatch(/the folder of .*such\.tar does not exist/);
      expect(code).toBe(73);
    });

    it('a MongoDB configuration, pointing to mongodump', async () => {
      const { code, stderr } = await ops('backup', tempDir(), [path.join(tempDir(), 'b.tar')], { DB_HOST: 'mongo' });
      expect(stderr).toMatch(/embedded store only, and this configuration uses MongoDB.*mongodump/);
      expect(code).toBe(78);
    });

    it('a data directory with no store in it', async () => {
      const { code, stderr } = await ops('backup', tempDir(), [path.join(tempDir(), 'b.tar')]);
      expect(stderr).toMatch(/there is no embedded store in .* \(no chorus\.sqlite\)/);
      expect(code).toBe(66);
    });

    it('a store of an older Chorus, until this one has upgraded it', async () => {
      const dataDir = olderStoreDataDir();
      const { code, stderr } = await ops('backup', dataDir, [path.join(tempDir(), 'b.tar')]);
      expect(stderr).toMatch(/is from an older Chorus \(schema 5\): start this version once/);
      expect(code).toBe(65);
    });

    it('no FILE, or two', async () => {
      for (const args of [[], ['a.tar', 'b.tar']]) {
        const { code, stderr } = await ops('backup', tempDir(), args);
        expect(stderr).toMatch(/expected one FILE.*\nusage: npm run backup -- FILE/);
        expect(code).toBe(64);
      }
    });
  });
});
