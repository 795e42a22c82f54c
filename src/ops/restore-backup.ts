/**
 * `npm run restore -- FILE`: puts a backup (`take-backup.ts`) in place of the embedded store in DATA_DIR
 * and of the avatars in UPLOAD_DIR, with every replica stopped.
 *
 * In order, so that a refusal or a failure leaves the store as it was:
 * 1. unpack FILE into a folder inside DATA_DIR (same file system, so the database moves in by rename),
 *    and check it: only our entries, a manifest, an intact database (`integrity_check`) of a schema this
 *    Chorus knows, holding what the manifest says;
 * 2. prepare the unpacked database: a new history epoch (clients then replace what they hold instead
 *    of merging seqs of another history into it), no leases of the replicas that ran when it was taken;
 * 3. take the restore's lease in the live database, unless a replica holds a fresh one (`leases.ts`:
 *    the check works across containers sharing the volume, and a crashed replica's lease goes stale);
 *    replicas starting from then on wait for the restore;
 * 4. replace: the old WAL and shared-memory files go first (a WAL left beside the new database would be
 *    replayed into it), then the database is renamed into place, still holding the restore's lease;
 * 5. the avatars of the backup in, those it does not have out; then the lease goes.
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import type Database from 'better-sqlite3';
import { DATABASE_FILE } from '../store/embedded/embedded-store.js';
import { describeLease, dropLease, LEASE_TTL_MS, renewLease, takeLease, writeLease } from '../store/embedded/leases.js';
import { readHistoryEpoch, replaceHistoryEpoch } from '../store/embedded/meta.js';
import { MIGRATIONS } from '../store/embedded/schema.js';
import { isUploadName } from '../uploads/names.js';
import { DATABASE_ENTRY, MANIFEST_ENTRY, UPLOADS_ENTRY, unpackBackup } from './backup-archive.js';
import type { StoreFiles } from './command.js';
import { hasTable, openDatabaseFile, schemaVersion } from './database-file.js';
import { describeContents, parseManifest, tableCounts, type Manifest } from './manifest.js';
import { EXIT, Refusal } from './refusal.js';
import { fsyncPath } from './sync.js';

export async function restoreBackup({ dataDir, uploadsDir }: StoreFiles, file: string): Promise<string> {
  if (!fs.existsSync(file)) throw new Refusal(`${file} does not exist`, EXIT.noInput);
  fs.mkdirSync(dataDir, { recursive: true });
  const staging = fs.mkdtempSync(path.join(dataDir, '.chorus-restore-'));
  const leaseId = randomUUID();
  try {
    const refuse = (why: string) => new Refusal(`${file} was not restored: ${why}`, EXIT.dataError);
    let uploads: string[];
    let manifest: Manifest;
    try {
      uploads = await unpackBackup(file, staging);
      manifest = parseManifest(fs.readFileSync(path.join(staging, MANIFEST_ENTRY), 'utf8'));
    } catch (err) {
      throw err instanceof Refusal ? refuse(err.message) : err;
    }
    const restored = path.join(staging, DATABASE_ENTRY);
    const epoch = prepare(restored, manifest, uploads, leaseId, refuse);
    const live = path.join(dataDir, DATABASE_FILE);
    if (fs.existsSync(live)) claimLiveStore(live, dataDir, leaseId);
    try {
      replaceDatabase(restored, live);
    } catch (err) {
      releaseClaim(live, leaseId);
      throw err;
    }
    await restoreUploads(live, leaseId, path.join(staging, UPLOADS_ENTRY), uploads, uploadsDir);
    return (
      `restore: ${file} (taken ${manifest.createdAt}: ${describeContents(manifest)}) is now the store in ${dataDir}, its avatars in ${uploadsDir}; ` +
      `history epoch ${epoch}: clients that rejoin get the restored history afresh. Start the replicas.`
    );
  } finally {
    fs.rmSync(staging, { recursive: true, force: true });
  }
}

/**
 * Checks the unpacked database against the manifest, then makes it the store to start from: a new
 * epoch, and the restore's lease as the only one. Resolves with the new epoch.
 */
function prepare(file: string, manifest: Manifest, uploads: readonly string[], leaseId: string, refuse: (why: string) => Refusal): string {
  const db = openDatabaseFile(file, 'the database of the backup');
  try {
    return checkAndPrepare(db, manifest, uploads, leaseId, refuse);
  } catch (err) {
    // SQLite's own complaints about the file ("file is not a database") are as much a bad backup as ours.
    throw err instanceof Refusal ? err : refuse(`its database cannot be read (${(err as Error).message})`);
  } finally {
    db.close();
  }
}

/** `prepare` on the open database: every check first, then the changes in one transaction. */
function checkAndPrepare(db: Database.Database, manifest: Manifest, uploads: readonly string[], leaseId: string, refuse: (why: string) => Refusal): string {
  const integrity = db.pragma('integrity_check', { simple: true });
  if (integrity !== 'ok') throw refuse(`its database is damaged (integrity_check: ${String(integrity)})`);
  const version = schemaVersion(db);
  if (version !== manifest.schemaVersion) throw refuse(`its database is at schema ${version}, its manifest says ${manifest.schemaVersion}`);
  if (version > MIGRATIONS.length) throw refuse(`it was taken by a newer Chorus (schema ${version}; this one knows ${MIGRATIONS.length}): restore it with that version`);
  if (!hasTable(db, 'meta') || !hasTable(db, 'replica_leases')) throw refuse(`its database is at schema ${version}, older than any backup this Chorus takes`);
  if (readHistoryEpoch(db) !== manifest.historyEpoch) throw refuse('its database is not the one its manifest describes (another history epoch)');
  const counts = tableCounts(db);
  const differing = Object.keys({ ...counts, ...manifest.tables }).filter((table) => counts[table] !== manifest.tables[table]);
  if (differing.length > 0) throw refuse(`its database does not hold what its manifest says (rows of ${differing.join(', ')})`);
  if (uploads.length !== manifest.uploads) throw refuse(`it holds ${uploads.length} avatars, its manifest says ${manifest.uploads}`);
  // One file, no WAL beside it, until a replica opens it in WAL mode.
  db.pragma('journal_mode = DELETE');
  return db.transaction(() => {
    db.prepare('DELETE FROM replica_leases').run();
    writeLease(db, leaseId, 'restore');
    return replaceHistoryEpoch(db);
  })();
}

/**
 * Takes the restore's lease in the live database, or refuses while any other is fresh. Then the lease is
 * checkpointed into the database file itself, so a replica that opens it after the WAL is removed still
 * sees it.
 */
function claimLiveStore(live: string, dataDir: string, leaseId: string): void {
  const what = `the store in ${dataDir}`;
  let db: Database.Database;
  try {
    db = openDatabaseFile(live, what);
  } catch (err) {
    throw unreadable((err as Error).message);
  }
  try {
    if (!hasTable(db, 'replica_leases')) {
      throw new Refusal(
        `${what} is from an older Chorus (schema ${schemaVersion(db)}), which keeps no leases, so whether a replica uses it cannot be told: ` +
          `stop every replica, move ${DATABASE_FILE}* out of ${dataDir}, and restore again`,
        EXIT.tryLater,
      );
    }
    const holders = takeLease(db, leaseId, 'restore', () => true);
    if (holders.length > 0) {
      throw new Refusal(
        `${what} is in use: ${holders.map((holder) => describeLease(holder)).join('; ')}. Stop every replica first ` +
          `(a replica that crashed stops counting ${LEASE_TTL_MS / 1000} s after its last renewal), then restore again`,
        EXIT.tryLater,
      );
    }
    db.pragma('wal_checkpoint(TRUNCATE)');
  } catch (err) {
    throw err instanceof Refusal ? err : unreadable(`cannot read ${what} (${(err as Error).message})`);
  } finally {
    db.close();
  }
}

/** The live database cannot be read (it may be why a backup is being restored): what the operator can do then. */
function unreadable(reason: string): Refusal {
  return new Refusal(`${reason}, so whether a replica uses it cannot be told: if none runs, move ${DATABASE_FILE}* aside and restore again`, EXIT.tryLater);
}

/** Removes the restore's lease from the live database when the restore stops before replacing it, so replicas need not wait for it to go stale. */
function releaseClaim(live: string, leaseId: string): void {
  if (!fs.existsSync(live)) return;
  const db = openDatabaseFile(live, 'the store');
  try {
    dropLease(db, leaseId);
  } finally {
    db.close();
  }
}

function replaceDatabase(restored: string, live: string): void {
  for (const stale of [`${live}-wal`, `${live}-shm`, `${live}-journal`]) fs.rmSync(stale, { force: true });
  fs.renameSync(restored, live);
  fsyncPath(path.dirname(live));
}

/**
 * Makes `uploadsDir` hold exactly the backup's avatars, renewing the restore's lease meanwhile (many
 * avatars may take a while), then drops the lease. An avatar's name never changes its content (a new
 * photo gets a new name), so one already there is kept as it is; each one copied lands by rename, as
 * the uploads' own writes do.
 */
async function restoreUploads(live: string, leaseId: string, from: string, uploads: readonly string[], uploadsDir: string): Promise<void> {
  const db = openDatabaseFile(live, 'the restored store');
  const held = renewLease(db, leaseId, 'restore');
  try {
    await fsp.mkdir(uploadsDir, { recursive: true });
    const wanted = new Set(uploads);
    const present = (await fsp.readdir(uploadsDir)).filter(isUploadName);
    for (const name of present) if (!wanted.has(name)) await fsp.rm(path.join(uploadsDir, name), { force: true });
    for (const name of uploads) {
      if (present.includes(name)) continue;
      const temporary = path.join(uploadsDir, `.${name}.tmp`);
      await fsp.copyFile(path.join(from, name), temporary);
      await fsp.rename(temporary, path.join(uploadsDir, name));
    }
  } finally {
    held.release();
    db.close();
  }
}
