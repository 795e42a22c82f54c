/**
 * The uploads contract for GridFS: against a real MongoDB when MONGO_URL is set, otherwise against the
 * in-process wire server. Each harness gets a database of its own, which all its instances share.
 */
import { afterAll, beforeAll } from 'vitest';
import { createGridFsUploads } from '../../src/uploads/gridfs-uploads.js';
import { startTestMongo, type TestMongo } from '../../dev/mongo.js';
import { uploadsContract } from './uploads-suite.js';

let mongo: TestMongo;
beforeAll(async () => {
  mongo = await startTestMongo();
});
afterAll(() => mongo.close());

uploadsContract('mongodb (GridFS)', () => {
  let url: string | undefined;
  return {
    async open() {
      url ??= mongo.databaseUrl();
      return createGridFsUploads(url);
    },
    // Databases are dropped once, when the file's server closes.
    cleanup: async () => {},
  };
});
