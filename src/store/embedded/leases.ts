/**
 * Who has the embedded store open, told by the database itself. A restore must not replace the files
 * under a running replica, and replicas may run in other containers that share the volume, where a pid
 * means nothing and no lock file is seen the same way. So each open store keeps a lease row in the
 * database (its id, host, pid and when it last renewed it), renews it every `LEASE_RENEW_MS` and removes
 * it on close. A lease renewed within `LEASE_TTL_MS` is fresh: someone is there. A replica that crashed
 * leaves its row behind, and it goes stale on its own, so it blocks a restore for `LEASE_TTL_MS` at most.
 *
 * A restore takes a lease of its own (role `restore`) in the same kind of transaction, so a replica
 * starting while a restore runs sees it and waits, and a restore started while a replica opens sees the
 * replica's: SQLite's write lock orders the two.
 */
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import type Database from 'better-sqlite3';
import { StoreUnavailableError } from '../port.js';
import { currentBootId } from './crash-epoch.js';

/** How often an open store renews its lease. */
export const LEASE_RENEW_MS = 5_000;
/** A lease not renewed for this long is stale: four renewals missed (a long GC, the write lock busy), or its holder is gone. */
export const LEASE_TTL_MS = 4 * LEASE_RENEW_MS;

export type LeaseRole = 'replica' | 'restore';

export interface Lease {
  id: string;
  role: LeaseRole;
  host: string;
  pid: number;
  /** When it was last renewed (ms). */
  renewedAt: number;
}

interface LeaseRow {
  id: string;
  role: LeaseRole;
  host: string;
  pid: number;
  renewed_at: number;
}

/** The leases renewed within `LEASE_TTL_MS` of `now`. */
export function freshLeases(db: Database.Database, now = Date.now()): Lease[] {
  return db
    .prepare<[number], LeaseRow>('SELECT * FROM replica_leases WHERE renewed_at > ? ORDER BY renewed_at DESC')
    .all(now - LEASE_TTL_MS)
    .map((row) => ({ id: row.id, role: row.role, host: row.host, pid: row.pid, renewedAt: row.renewed_at }));
}

/** Writes (or renews) lease `id` of this process, as of now. */
export function writeLease(db: Database.Database, id: string, role: LeaseRole): void {
  db.prepare(
    `INSERT INTO replica_leases (id, role, host, pid, renewed_at, boot_id) VALUES (?, ?, ?, ?, ?, ?)
     ON CONFLICT (id) DO UPDATE SET renewed_at = excluded.renewed_at`,
  ).run(id, role, os.hostname(), process.pid, Date.now(), currentBootId());
}

export function dropLease(db: Database.Database, id: string): void {
  db.prepare('DELETE FROM replica_leases WHERE id = ?').run(id);
}

/** "host web-1 pid 42, renewed 3 s ago", for the messages that name a lease. */
export function describeLease(lease: Lease, now = Date.now()): string {
  return `${lease.role} on host ${lease.host}, pid ${lease.pid}, renewed ${Math.round((now - lease.renewedAt) / 1000)} s ago`;
}

/**
 * In one write transaction: the fresh leases `blocking` picks, or, when there are none, lease `id`
 * written (and then nothing is returned). Stale leases are removed on the way, so the rows of crashed
 * replicas do not pile up.
 */
export function takeLease(db: Database.Database, id: string, role: LeaseRole, blocking: (lease: Lease) => boolean): Lease[] {
  return db.transaction(() => {
    const now = Date.now();
    db.prepare('DELETE FROM replica_leases WHERE renewed_at <= ?').run(now - LEASE_TTL_MS);
    const blockers = freshLeases(db, now).filter(blocking);
    if (blockers.length === 0) writeLease(db, id, role);
    return blockers;
  }).immediate();
}

/**
 * An opening store's lease, renewed while it is open. While a restore holds a fresh lease the store is
 * not to be used: `StoreUnavailableError`, so a starting replica waits and tries again (`openStoreWhenReachable`)
 * and opens the restored database once the restore is done.
 */
export function takeReplicaLease(db: Database.Database): HeldLease {
  const id = randomUUID();
  const [restore] = takeLease(db, id, 'replica', (lease) => lease.role === 'restore');
  if (restore) throw new StoreUnavailableError(`embedded store: a backup is being restored into it (${describeLease(restore)}); waiting for it to finish`);
  return renewLease(db, id, 'replica');
}

export interface HeldLease {
  /** Stops renewing and removes the lease (or, when the database cannot be written, leaves it to go stale). Idempotent. */
  release(): void;
}

/**
 * Renews lease `id` (written already) every `LEASE_RENEW_MS` until released. A renewal that fails (the
 * write lock held past the busy timeout by another process) is left for the next one: the TTL allows
 * for several, and a store that cannot write at all answers its callers with the failure anyway.
 */
export function renewLease(db: Database.Database, id: string, role: LeaseRole): HeldLease {
  const timer = setInterval(() => {
    try {
      writeLease(db, id, role);
    } catch {
      // See above: the next renewal tries again.
    }
  }, LEASE_RENEW_MS);
  // A lease never keeps a process alive on its own.
  timer.unref();
  let released = false;
  return {
    release() {
      if (released) return;
      released = true;
      clearInterval(timer);
      try {
        dropLease(db, id);
      } catch {
        // A database that cannot be written (closing after a failure): the lease goes stale on its own.
      }
    },
  };
}
