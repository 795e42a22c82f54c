/**
 * The embedded store's `meta` table: values about the store as a whole, one row per key. Today the
 * history epoch (`../history-epoch.ts`).
 */
import type Database from 'better-sqlite3';
import { HISTORY_EPOCH_KEY as HISTORY_EPOCH, newHistoryEpoch } from '../history-epoch.js';


/** The store's history epoch, made now if it has none. Under the write lock: replicas sharing the file agree on the first one made. */
export function ensureHistoryEpoch(db: Database.Database): string {
  return db.transaction(() => {
    db.prepare('INSERT OR IGNORE INTO meta (key, value) VALUES (?, ?)').run(HISTORY_EPOCH, newHistoryEpoch());
    return readHistoryEpoch(db)!;
  }).immediate();
}

/** The store's history epoch, or undefined when it has none yet. */
export function readHistoryEpoch(db: Database.Database): string | undefined {
  return db.prepare<[string], { value: string }>('SELECT value FROM meta WHERE key = ?').get(HISTORY_EPOCH)?.value;
}

/** Gives the store a new history epoch and returns it: its seqs no longer continue the history clients hold. */
export function replaceHistoryEpoch(db: Database.Database): string {
  const epoch = newHistoryEpoch();
  db.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value').run(HISTORY_EPOCH, epoch);
  return epoch;
}
