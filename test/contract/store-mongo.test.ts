/**
 * The store contract for the MongoDB driver: against a real MongoDB when MONGO_URL is set, otherwise
 * against the in-process wire server. Every `open` gets a database of its own.
 */
import { afterAll, beforeAll } from 'vitest';
import { createMongoStore } from '../../src/store/mongo/mongo-store.js';
import { startTestMongo, type TestMongo } from '../helpers/mongo.js';
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
