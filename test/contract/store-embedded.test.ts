import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { createEmbeddedStore, DATABASE_FILE } from '../../src/store/embedded/embedded-store.js';
import { MIGRATIONS } from '../../src/store/embedded/schema.js';
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
  };
});

describe('embedded store migrations', () => {
  it('upgrades a data directory whose clientIds were unique per room to unique per author', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'chorus-store-v2-'));
    try {
      const old = new Database(path.join(dataDir, DATABASE_FILE));
      MIGRATIONS.slice(0, 2).forEach((sql) => old.exec(sql));
      old.pragma('user_version = 2');
      old.prepare("INSERT INTO rooms (name, last_seq, created_at) VALUES ('a', 1, 0)").run();
      old.prepare("INSERT INTO messages VALUES ('a', 1, 'm1', 'shared', 'alice', 'from alice', 0)").run();
      old.close();

      const store = await createEmbeddedStore({ dataDir, historyMax: 0 });
      try {
        const bobs = await store.messages.append({ room: 'a', clientId: 'shared', author: 'bob', text: 'from bob', ts: 1 });
        expect(bobs).toMatchObject({ created: true, message: { seq: 2, author: 'bob' } });
        const alices = await store.messages.append({ room: 'a', clientId: 'shared', author: 'alice', text: 'again', ts: 2 });
        expect(alices).toMatchObject({ created: false, message: { id: 'm1', seq: 1, text: 'from alice' } });
      } finally {
        await store.close();
      }
    } finally {
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
