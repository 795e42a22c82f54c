import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { createEmbeddedStore, DATABASE_FILE } from '../../src/store/embedded/embedded-store.js';
import { MIGRATIONS } from '../../src/store/embedded/schema.js';
import { currentBootId } from '../../src/store/embedded/crash-epoch.js';
import { freshLeases, LEASE_TTL_MS, writeLease } from '../../src/store/embedded/leases.js';
import { StoreUnavailableError, type Store } from '../../src/store/port.js';
import { dataDirContains } from '../helpers/data-dir.js';
import { searchTerms } from '../../src/search/terms.js';
import { storeContract } from './store-suite.js';

storeContract('embedded', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'chorus-store-'));
  let dataDir = root;
  return {
    open: ({ historyMax }) => {
      dataDir = fs.mkdtempSync(path.join(root, 'db-'));
      return createEmbeddedStore({ dataDir, historyMax });
    },
    reopen: ({ historyMax }) => createEmbeddedStore({ dataDir, historyMax }),
    cleanup: async () => fs.rmSync(root, { recursive: true, force: true }),
    rawContains: async (text) => dataDirContains(dataDir, text),
  };
});

/**
 * Opens a store (capped at `historyMax`) over a data directory an older Chorus left at schema `version`,
 * holding what `seed` wrote, runs `work` on it, and removes it all.
 */
async function onUpgraded(
  { version, historyMax }: { version: number; historyMax: number },
  seed: (old: Database.Database) => void,
  work: (store: Store) => Promise<void>,
): Promise<void> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), `chorus-store-v${version}-`));
  try {
    const old = new Database(path.join(dataDir, DATABASE_FILE));
    MIGRATIONS.slice(0, version).forEach((sql) => old.exec(sql));
    old.pragma(`user_version = ${version}`);
    seed(old);
    old.close();
    const store = await createEmbeddedStore({ dataDir, historyMax });
    try {
      await work(store);
    } finally {
      await store.close();
    }
  } finally {
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

describe('embedded store leases', () => {
  const leasesIn = (dataDir: string) => {
    const db = new Database(path.join(dataDir, DATABASE_FILE));
    try {
      return freshLeases(db);
    } finally {
      db.close();
    }
  };

  it('keeps a lease of every open store, naming its host and pid, and drops it on close', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'chorus-leases-'));
    try {
      const stores = [await createEmbeddedStore({ dataDir, historyMax: 0 }), await createEmbeddedStore({ dataDir, historyMax: 0 })];
      const leases = leasesIn(dataDir);
      expect(leases).toHaveLength(2);
      expect(leases.every((l) => l.role === 'replica' && l.host === os.hostname() && l.pid === process.pid)).toBe(true);
      await stores[0]!.close();
      expect(leasesIn(dataDir)).toHaveLength(1);
      await stores[1]!.close();
      expect(leasesIn(dataDir)).toEqual([]);
    } finally {
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('does not open while a restore holds a fresh lease, and opens once it is stale', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'chorus-leases-'));
    try {
      await (await createEmbeddedStore({ dataDir, historyMax: 0 })).close();
      const db = new Database(path.join(dataDir, DATABASE_FILE));
      writeLease(db, 'restoring', 'restore');
      await expect(createEmbeddedStore({ dataDir, historyMax: 0 })).rejects.toThrow(StoreUnavailableError);
      await expect(createEmbeddedStore({ dataDir, historyMax: 0 })).rejects.toThrow(/a backup is being restored into it \(restore on host/);
      // What a restore that died leaves, once its lease is over: no longer in the way, and cleared.
      db.prepare('UPDATE replica_leases SET renewed_at = renewed_at - ?').run(LEASE_TTL_MS + 1);
      const store = await createEmbeddedStore({ dataDir, historyMax: 0 });
      expect(db.prepare<[], { role: string }>('SELECT role FROM replica_leases').all()).toEqual([{ role: 'replica' }]);
      db.close();
      await store.close();
    } finally {
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe('embedded store migrations', () => {
  it('upgrades a data directory whose clientIds were unique per room to unique per author', async () => {
    const seed = (old: Database.Database) => {
      old.prepare("INSERT INTO rooms (name, last_seq, created_at) VALUES ('a', 1, 0)").run();
      old.prepare("INSERT INTO messages VALUES ('a', 1, 'm1', 'shared', 'alice', 'from alice', 0)").run();
    };
    await onUpgraded({ version: 2, historyMax: 0 }, seed, async (store) => {
      const bobs = await store.messages.append({ room: 'a', clientId: 'shared', author: 'bob', text: 'from bob', ts: 1 });
      expect(bobs).toMatchObject({ created: true, message: { seq: 2, author: 'bob' } });
      const alices = await store.messages.append({ room: 'a', clientId: 'shared', author: 'alice', text: 'again', ts: 2 });
      expect(alices).toMatchObject({ created: false, message: { id: 'm1', seq: 1, text: 'from alice' } });
    });
  });

  it('upgrades a v3 data directory to the room log: old messages are unchanged posts, counted for the cap', async () => {
    const seed = (old: Database.Database) => {
      old.prepare("INSERT INTO rooms (name, last_seq, created_at) VALUES ('a', 3, 0)").run();
      const insert = old.prepare("INSERT INTO messages VALUES ('a', ?, ?, ?, 'alice', ?, 0)");
      for (const seq of [1, 2, 3]) insert.run(seq, `m${seq}`, `c${seq}`, `old ${seq}`);
    };
    await onUpgraded({ version: 3, historyMax: 3 }, seed, async (store) => {
      const { messages } = await store.messages.since('a', 0, 10);
      expect(messages.map((m) => [m.seq, m.updatedSeq])).toEqual([
        [1, 1],
        [2, 2],
        [3, 3],
      ]);
      expect(messages[0]).toEqual({
        id: 'm1',
        room: 'a',
        seq: 1,
        updatedSeq: 1,
        clientId: 'c1',
        author: 'alice',
        text: 'old 1',
        ts: 0,
        editedAt: null,
        deleted: false,
        replyTo: null,
        reactions: [],
        mentions: [],
      });
      const edited = await store.messages.change('a', 'm2', { kind: 'edit', text: 'new 2', at: 5 });
      expect(edited?.message).toMatchObject({ seq: 2, updatedSeq: 4, text: 'new 2', editedAt: 5 });
      // The room already held 3 messages: the next one trims the oldest.
      const reply = await store.messages.append({ room: 'a', clientId: 'c5', author: 'bob', text: 'hi', ts: 1, replyTo: 'm3' });
      expect(reply.message).toMatchObject({ seq: 5, replyTo: { id: 'm3', author: 'alice', excerpt: 'old 3' } });
      expect((await store.messages.before('a', undefined, 10)).messages.map((m) => m.id)).toEqual(['m2', 'm3', reply.message.id]);
    });
  });

  it('upgrades a v4 data directory to private conversations: rooms public, old messages searchable, deletes leave the index', async () => {
    const seed = (old: Database.Database) => {
      old.prepare("INSERT INTO users (name_key, name, created_at) VALUES ('alice', 'Alice', 0)").run();
      old.prepare("INSERT INTO rooms (name, last_seq, created_at, message_count) VALUES ('a', 2, 0, 2)").run();
      const insert = old.prepare("INSERT INTO messages (room, seq, updated_seq, id, client_id, author, text, ts) VALUES ('a', ?, ?, ?, ?, 'Alice', ?, ?)");
      insert.run(1, 1, 'm1', 'c1', 'Quarterly Résumé notes', 1);
      insert.run(2, 2, 'm2', 'c2', 'quarterly budget', 2);
    };
    await onUpgraded({ version: 4, historyMax: 0 }, seed, async (store) => {
      expect(await store.users.find('alice')).toMatchObject({ name: 'Alice', banned: false });
      expect(await store.rooms.find('a')).toEqual({ name: 'a', lastSeq: 2, kind: 'public', owner: null });
      const found = async (q: string) => (await store.messages.search({ terms: searchTerms(q), rooms: ['a'], limit: 10 })).messages.map((m) => m.id);
      expect(await found('quart')).toEqual(['m2', 'm1']);
      expect(await found('resume')).toEqual(['m1']);
      await store.messages.change('a', 'm1', { kind: 'delete' });
      expect(await found('quart')).toEqual(['m2']);
      // New messages follow the old ones in the index, with rowids of their own.
      await store.messages.append({ room: 'a', clientId: 'c3', author: 'bob', text: 'quarterly review', ts: 3 });
      expect(await found('quarterly')).toHaveLength(2);
    });
  });
});

describe('embedded store: the history epoch after the machine went down', () => {
  /** A data directory whose store was open when something ended it: a lease of boot `bootId` is left. */
  async function leftOpen(bootId: string): Promise<{ dataDir: string; epoch: string }> {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'chorus-crash-'));
    const store = await createEmbeddedStore({ dataDir, historyMax: 0 });
    await store.messages.append({ room: 'r', clientId: 'c1', author: 'alice', text: 'seen by everyone', ts: 1 });
    const epoch = store.historyEpoch;
    await store.close();
    // What a holder that never closed leaves: its lease, not renewed since, naming its boot.
    const db = new Database(path.join(dataDir, DATABASE_FILE));
    db.prepare("INSERT INTO replica_leases (id, role, host, pid, renewed_at, boot_id) VALUES ('gone', 'replica', 'web-1', 4242, ?, ?)").run(Date.now() - 60_000, bootId);
    db.close();
    return { dataDir, epoch };
  }

  it('keeps the epoch after a process died (its lease is of this boot): the OS kept its commits', async () => {
    const { dataDir, epoch } = await leftOpen(currentBootId());
    const heard: string[] = [];
    const store = await createEmbeddedStore({ dataDir, historyMax: 0, onHistoryRolledBack: (why) => heard.push(why) });
    try {
      expect(store.historyEpoch).toBe(epoch);
      expect(heard).toEqual([]);
      expect((await store.messages.before('r', undefined, 10)).messages.map((m) => m.text)).toEqual(['seen by everyone']);
    } finally {
      await store.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('makes one new epoch after the machine went down (a lease of another boot), however many replicas start', async () => {
    const { dataDir, epoch } = await leftOpen('an-earlier-boot');
    const heard: string[] = [];
    const open = () => createEmbeddedStore({ dataDir, historyMax: 0, onHistoryRolledBack: (why) => heard.push(why) });
    const stores = await Promise.all([open(), open(), open()]);
    try {
      const epochs = new Set(stores.map((s) => s.historyEpoch));
      expect(epochs.size).toBe(1);
      expect(epochs.has(epoch)).toBe(false);
      expect(heard).toEqual([expect.stringContaining('the machine went down with the store open (1 lease(s) of an earlier boot)')]);
      // Reopened on this boot, the store keeps its new epoch.
      await stores.pop()!.close();
      const again = await open();
      stores.push(again);
      expect(again.historyEpoch).toBe(stores[0]!.historyEpoch);
    } finally {
      await Promise.all(stores.map((s) => s.close()));
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
