/**
 * The embedded store's database file as the operations commands open it: never created (a missing one
 * is a refusal, not an empty store), with the replicas' busy timeout (5 s), so a command waits out a
 * replica's write instead of failing on it.
 */
import Database from 'better-sqlite3';
import { EXIT, Refusal } from './refusal.js';

/** Opens `file`, which must exist; `what` names it in the refusal ("the store in /data"). */
export function openDatabaseFile(file: string, what: string): Database.Database {
  let db: Database.Database;
  try {
    db = new Database(file, { fileMustExist: true, timeout: 5000 });
  } catch (err) {
    throw new Refusal(`cannot open ${what} (${(err as Error).message})`, EXIT.noInput);
  }
  return db;
}

/** How many of `MIGRATIONS` the database has. */
export function schemaVersion(db: Database.Database): number {
  return db.pragma('user_version', { simple: true }) as number;
}

export function hasTable(db: Database.Database, name: string): boolean {
  return db.prepare("SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = ?").get(name) !== undefined;
}
