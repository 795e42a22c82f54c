import Database from 'better-sqlite3';
import { StoreUnavailableError } from '../port.js';

/** Runs a database call, turning SQLite failures (and a closed database) into `StoreUnavailableError`. */
export function guard<T>(work: () => T): T {
  try {
    return work();
  } catch (err) {
    if (err instanceof Database.SqliteError || (err instanceof TypeError && /not open/.test(err.message))) {
      throw new StoreUnavailableError(`embedded store: ${err.message}`, { cause: err });
    }
    throw err;
  }
}
