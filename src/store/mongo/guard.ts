/** The store's error handling, shared by its repositories: unavailability, and races lost on a unique index. */
import mongoose from 'mongoose';
import { guardUnavailable } from './unavailable.js';

const { mongo } = mongoose;

/** Runs a database call, turning unavailability into `StoreUnavailableError`; other errors pass through. */
export const guard = <T>(work: () => Promise<T>): Promise<T> => guardUnavailable('mongo store', work);

export function isDuplicateKey(err: unknown): boolean {
  return err instanceof mongo.MongoServerError && err.code === 11000;
}

/** Runs `work`; if it loses a race on a unique index (duplicate key), runs `recover` once instead. */
export async function onDuplicateKey<T>(work: () => Promise<T>, recover: (err: unknown) => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (!isDuplicateKey(err)) throw err;
    return recover(err);
  }
}
