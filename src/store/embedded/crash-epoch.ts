/**
 * A new history epoch after the machine itself went down with the store open. Messages are published
 * when they commit and acked when the WAL is synced (`src/realtime/commit-publisher.ts`), so between the
 * two a recipient may hold a message that is only in the OS's page cache. A process that dies (SIGKILL,
 * a crash) loses nothing that way: its commits are in the OS, which writes them out. A power cut or an
 * OS crash can lose that tail, and the next messages then take its seqs again: clients holding the lost
 * ones must not merge by seq. Leases tell which case it was: every open store's lease names the boot of
 * the machine it runs on, and a lease left by another boot means the machine went down under it.
 */
import fs from 'node:fs';
import os from 'node:os';
import type Database from 'better-sqlite3';
import { replaceHistoryEpoch } from './meta.js';

/** Linux's id of this boot; every container on the host shares it. */
const BOOT_ID_FILE = '/proc/sys/kernel/random/boot_id';

/**
 * This boot of the machine: Linux's boot id, elsewhere the boot time to the minute (uptime drifts by
 * less; a wrong "another boot" would only make clients resync once, never keep a stale history).
 */
export function currentBootId(): string {
  try {
    return fs.readFileSync(BOOT_ID_FILE, 'utf8').trim();
  } catch {
    return `boot-${Math.round((Date.now() - os.uptime() * 1000) / 60_000)}`;
  }
}

/**
 * Gives the store a new epoch when a lease from another boot is left in it, removing those leases in the
 * same transaction, so replicas starting together after the crash make one new epoch, not one each.
 * Returns how many such leases there were (0: nothing happened). Leases written before boot ids were
 * kept have none and count for nothing: that Chorus acked and published only once durable.
 */
export function renewEpochAfterMachineCrash(db: Database.Database, bootId = currentBootId()): number {
  return db.transaction(() => {
    const { changes } = db.prepare('DELETE FROM replica_leases WHERE boot_id IS NOT NULL AND boot_id != ?').run(bootId);
    if (changes > 0) replaceHistoryEpoch(db);
    return changes;
  }).immediate();
}
