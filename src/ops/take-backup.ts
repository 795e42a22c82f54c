/**
 * `npm run backup -- FILE`: a consistent copy of the embedded store, taken while replicas run, and its
 * avatars, in one tar (`backup-archive.ts`) with a manifest (`manifest.ts`).
 *
 * The database is copied with SQLite's online backup API (better-sqlite3's `db.backup()`), not as a
 * file: a file copy of a live WAL database can mix pages from before and after a commit. The backup
 * reads one snapshot, under a read transaction that writers in WAL mode never wait for. It is copied
 * in one step: SQLite restarts a backup whose source another connection writes between two steps,
 * which under steady traffic could go on for ever.
 *
 * Avatars are packed after the database. An avatar replaced in between may be missing from the tar (its
 * file deleted before it was packed: the owner uploads it again) or present without a user (harmless).
 * The tar is written next to FILE and linked to FILE only once complete, so FILE is never half a backup,
 * and an existing FILE is never replaced.
 */
import fs from 'node:fs';
import path from 'node:path';
import type Database from 'better-sqlite3';
import { DATABASE_FILE } from '../store/embedded/embedded-store.js';
import { readHistoryEpoch } from '../store/embedded/meta.js';
import { isUploadName } from '../uploads/names.js';
import { DATABASE_ENTRY, MANIFEST_ENTRY, packBackup } from './backup-archive.js';
import type { StoreFiles } from './command.js';
import { hasTable, openDatabaseFile, schemaVersion } from './database-file.js';
import { describeContents, MANIFEST_FORMAT, MANIFEST_VERSION, tableCounts, type Manifest } from './manifest.js';
import { EXIT, Refusal } from './refusal.js';
import { fsyncPath } from './sync.js';

/** More pages than any database has: the whole copy in one step (see above). */
const ALL_PAGES = 0x7fffffff;

export async function takeBackup({ dataDir, uploadsDir }: StoreFiles, file: string, warn: (line: string) => void): Promise<string> {
  if (fs.existsSync(file)) throw new Refusal(`${file} exists already, and a backup never overwrites one: name another FILE, or remove it first`, EXIT.cannotCreate);
  if (!fs.existsSync(path.dirname(file))) throw new Refusal(`the folder of ${file} does not exist`, EXIT.cannotCreate);
  const source = path.join(dataDir, DATABASE_FILE);
  if (!fs.existsSync(source)) throw new Refusal(`there is no embedded store in ${dataDir} (no ${DATABASE_FILE}): is DATA_DIR the replicas' one?`, EXIT.noInput);

  // Beside FILE, so the finished tar is linked into place on the same file system.
  const staging = fs.mkdtempSync(path.join(path.dirname(file), '.chorus-backup-'));
  try {
    await copyDatabase(source, path.join(staging, DATABASE_ENTRY), dataDir);
    const uploads = uploadNames(uploadsDir);
    const manifest = { ...describeCopy(path.join(staging, DATABASE_ENTRY)), uploads: uploads.length };
    fs.writeFileSync(path.join(staging, MANIFEST_ENTRY), `${JSON.stringify(manifest, null, 2)}\n`);
    const tarFile = path.join(staging, 'backup.tar');
    await packBackup({ file: tarFile, stagingDir: staging, uploadsDir, uploads, warn });
    publish(tarFile, file);
    return `backup: ${file}: ${describeContents(manifest)} (schema ${manifest.schemaVersion}, history epoch ${manifest.historyEpoch}, taken ${manifest.createdAt})`;
  } finally {
    fs.rmSync(staging, { recursive: true, force: true });
  }
}

/** Copies the live database at `source` to `target` with the online backup API. */
async function copyDatabase(source: string, target: string, dataDir: string): Promise<void> {
  const db = openDatabaseFile(source, `the store in ${dataDir}`);
  try {
    if (!hasTable(db, 'meta')) {
      throw new Refusal(`the store in ${dataDir} is from an older Chorus (schema ${schemaVersion(db)}): start this version once, so it upgrades it, then back it up`, EXIT.dataError);
    }
    await db.backup(target, { progress: () => ALL_PAGES });
  } finally {
    db.close();
  }
}

/** The manifest of the copy at `file`, but for its uploads. */
function describeCopy(file: string): Omit<Manifest, 'uploads'> {
  const copy = openDatabaseFile(file, 'the copy');
  try {
    // A file of its own: the copy keeps no WAL beside it once this connection has closed.
    copy.pragma('journal_mode = DELETE');
    return {
      format: MANIFEST_FORMAT,
      formatVersion: MANIFEST_VERSION,
      schemaVersion: schemaVersion(copy),
      historyEpoch: epochOf(copy),
      createdAt: new Date().toISOString(),
      tables: tableCounts(copy),
    };
  } finally {
    copy.close();
  }
}

/** Every replica makes the epoch when it opens the store: a store with the meta table and none is not one a replica left. */
function epochOf(db: Database.Database): string {
  const epoch = readHistoryEpoch(db);
  if (epoch === undefined) throw new Refusal('the store has no history epoch: open it with a replica of this Chorus once, then back it up', EXIT.dataError);
  return epoch;
}

/** The avatar files in `dir` (none when it does not exist): only names uploads make, so no temp file of a save in progress. */
function uploadNames(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir).filter(isUploadName).sort();
}

/** Makes the finished tar FILE, durably: a hard link fails if FILE appeared meanwhile, where a rename would replace it. */
function publish(tarFile: string, file: string): void {
  fsyncPath(tarFile);
  try {
    fs.linkSync(tarFile, file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw new Refusal(`${file} appeared while the backup was being made; it was left as it is`, EXIT.cannotCreate);
    throw err;
  }
  fsyncPath(path.dirname(file));
}
