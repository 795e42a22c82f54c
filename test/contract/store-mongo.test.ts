/**
 * The store contract for the MongoDB driver: against a real MongoDB when MONGO_URL is set, otherwise
 * against the in-process wire server. Every `open` gets a database of its own, so tests never share data.
 */
import { randomBytes } from 'node:crypto';
import { MongoClient } from 'mongodb';
import { afterAll, beforeAll } from 'vitest';
import { createMongoStore } from '../../src/store/mongo/mongo-store.js';
import { startMongoWireServer } from '../support/mongo-wire-server.js';
import { storeContract, type StoreHarness } from './store-suite.js';

let serverUrl: string;
let wireServer: Awaited<ReturnType<typeof startMongoWireServer>> | undefined;

beforeAll(async () => {
  if (process.env.MONGO_URL) {
    serverUrl = process.env.MONGO_URL;
  } else {
    wireServer = await startMongoWireServer();
    serverUrl = wireServer.url;
  }
});

afterAll(async () => {
  await wireServer?.close();
});

/** `url` with its database path replaced by `db`, still authenticating where the original did. */
function withDatabase(url: string, db: string): string {
  const [address = '', query = ''] = url.split('?');
  const pathStart = address.indexOf('/', address.indexOf('://') + 3);
  const hosts = pathStart === -1 ? address : address.slice(0, pathStart);
  const originalDb = pathStart === -1 ? '' : address.slice(pathStart + 1);
  const params = new URLSearchParams(query);
  // Credentials authenticate against the URL's database unless authSource says otherwise.
  if (hosts.includes('@') && !params.has('authSource')) params.set('authSource', originalDb || 'admin');
  const search = params.toString();
  return `${hosts}/${db}${search ? `?${search}` : ''}`;
}

function mongoHarness(): StoreHarness {
  const databases: string[] = [];
  const urlOf = (db: string) => withDatabase(serverUrl, db);

  return {
    open({ historyMax }) {
      const db = `chorus_test_${randomBytes(6).toString('hex')}`;
      databases.push(db);
      return createMongoStore({ url: urlOf(db), historyMax });
    },
    reopen({ historyMax }) {
      const db = databases.at(-1);
      if (!db) throw new Error('reopen before open');
      return createMongoStore({ url: urlOf(db), historyMax });
    },
    async cleanup() {
      const client = await MongoClient.connect(serverUrl, { serverSelectionTimeoutMS: 5000 });
      try {
        for (const db of databases.splice(0)) await client.db(db).dropDatabase();
      } finally {
        await client.close();
      }
    },
  };
}

storeContract('mongo', mongoHarness);
