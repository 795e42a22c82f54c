/**
 * MongoDB for tests: a real server when MONGO_URL is set, otherwise the in-process wire-protocol
 * stand-in. Each caller gets databases of its own, dropped afterwards.
 */
import { randomBytes } from 'node:crypto';
import { MongoClient } from 'mongodb';
import { startMongoWireServer } from './mongo-wire-server.js';

export interface TestMongo {
  /** A URL naming a fresh database (or `db` when given). */
  databaseUrl(db?: string): string;
  /** Drops every database handed out, and stops the stand-in if one was started. */
  close(): Promise<void>;
}

export async function startTestMongo(): Promise<TestMongo> {
  const wire = process.env.MONGO_URL ? undefined : await startMongoWireServer();
  const serverUrl = process.env.MONGO_URL ?? wire!.url;
  const databases = new Set<string>();
  return {
    databaseUrl(db = `chorus_test_${randomBytes(6).toString('hex')}`) {
      databases.add(db);
      return withDatabase(serverUrl, db);
    },
    async close() {
      const client = await MongoClient.connect(serverUrl, { serverSelectionTimeoutMS: 5000 });
      try {
        for (const db of databases) await client.db(db).dropDatabase();
      } finally {
        await client.close();
        await wire?.close();
      }
    },
  };
}

/** `url` with its database path replaced by `db`, still authenticating where the original did. */
export function withDatabase(url: string, db: string): string {
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
