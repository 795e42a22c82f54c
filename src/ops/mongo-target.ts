/** The MongoDB database `npm run migrate` writes to, connected the way the MongoDB store connects. */
import type { Db } from 'mongodb';
import type { Connection } from 'mongoose';
import { maskUrl } from '../config/config.js';
import { connectMongo } from '../store/mongo/connection.js';
import { createIndexes, defineModels } from '../store/mongo/models.js';
import { StoreUnavailableError } from '../store/port.js';
import { MigrationRefused } from './refusal.js';

export interface MongoTarget {
  readonly db: Db;
  /** Builds the MongoDB store's indexes, as a replica's start would: its unique ones then hold for every write of the copy too. */
  createIndexes(): Promise<void>;
  close(): Promise<void>;
}

/** Connects to the database `url` names; refuses when it cannot be reached. */
export async function connectTarget(url: string): Promise<MongoTarget> {
  let connection: Connection;
  try {
    connection = await connectMongo(url);
  } catch (err) {
    if (!(err instanceof StoreUnavailableError)) throw err;
    throw new MigrationRefused(`MongoDB at ${maskUrl(url)} cannot be reached: ${err.message}`);
  }
  return {
    db: connection.getClient().db(connection.name),
    createIndexes: () => createIndexes(defineModels(connection)),
    close: () => connection.close(),
  };
}
