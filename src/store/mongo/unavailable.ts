/**
 * Telling "MongoDB cannot be reached right now" (a `store_unavailable` answer, worth retrying) from a
 * bad request or a bug, for everything Chorus keeps in MongoDB: the store, and uploads in GridFS.
 */
import mongoose from 'mongoose';
import { StoreUnavailableError } from '../port.js';

const { mongo } = mongoose;

/** Failures meaning "the database cannot be reached right now", as opposed to a bad request or a bug. */
const UNREACHABLE: ReadonlyArray<abstract new (...args: never[]) => Error> = [
  mongo.MongoNetworkError, // includes timeouts and cleared pools
  mongo.MongoServerSelectionError,
  mongoose.Error.MongooseServerSelectionError,
  mongo.MongoNotConnectedError,
  mongo.MongoTopologyClosedError,
  mongo.MongoClientClosedError,
  mongo.MongoServerClosedError,
];

/** Server codes the driver itself treats as "not primary" or "node recovering": nothing can write until a failover ends. */
const NO_PRIMARY_CODES = new Set([91, 189, 10107, 11600, 11602, 13435, 13436]);

function isUnavailable(err: unknown): err is Error {
  if (UNREACHABLE.some((type) => err instanceof type)) return true;
  return err instanceof mongo.MongoServerError && typeof err.code === 'number' && NO_PRIMARY_CODES.has(err.code);
}

/** Runs a database call, turning unavailability into `StoreUnavailableError` (its message starting with `what`); other errors pass through. */
export async function guardUnavailable<T>(what: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (isUnavailable(err)) throw new StoreUnavailableError(`${what}: ${err.message}`, { cause: err });
    throw err;
  }
}
