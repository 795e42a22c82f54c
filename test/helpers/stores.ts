/**
 * Both store drivers as a replica's environment, for the integration tests that behave the same on
 * either: each call names a store of its own (the embedded one in the replica's fresh data directory).
 */
import type { TestMongo } from '../../dev/mongo.js';

export const STORES: Record<string, (mongo: TestMongo) => Record<string, string>> = {
  embedded: () => ({}),
  mongo: (mongo) => ({ MONGO_URL: mongo.databaseUrl() }),
};
