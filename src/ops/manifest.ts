/**
 * A backup's `manifest.json`: what the tar holds, written by `take-backup.ts` from the copy it made, and
 * checked by `restore-backup.ts` against what it unpacks, so a truncated, altered or foreign file is
 * refused before anything is replaced.
 */
import type Database from 'better-sqlite3';
import { z } from 'zod';
import { EXIT, Refusal } from './refusal.js';

export const MANIFEST_FORMAT = 'chorus-backup';
/** Bumped when the tar's layout or this manifest changes in a way an older restore cannot read. */
export const MANIFEST_VERSION = 1;

const manifestSchema = z.strictObject({
  format: z.literal(MANIFEST_FORMAT),
  formatVersion: z.literal(MANIFEST_VERSION),
  /** The database's `user_version`: how many of `MIGRATIONS` it has. */
  schemaVersion: z.number().int().min(1),
  /** The history epoch of the store the backup was taken from (a restore gives the store a new one). */
  historyEpoch: z.string().min(1).max(64),
  /** When the database was copied. */
  createdAt: z.iso.datetime(),
  /** Rows per table of the copy. */
  tables: z.record(z.string().regex(/^[a-z_]+$/), z.number().int().min(0)),
  /** How many avatar files are under `uploads/`. */
  uploads: z.number().int().min(0),
});

export type Manifest = z.infer<typeof manifestSchema>;

/** The manifest in `text`, or a refusal saying what is wrong with it. */
export function parseManifest(text: string): Manifest {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new Refusal('its manifest.json is not JSON: not a Chorus backup, or a damaged one', EXIT.dataError);
  }
  const parsed = manifestSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Refusal(`its manifest.json is not a Chorus backup manifest (${issue?.path.join('.') || 'manifest'}: ${issue?.message})`, EXIT.dataError);
  }
  return parsed.data;
}

/**
 * Rows per table of `db`: Chorus's tables, not SQLite's own nor the search index's internal ones (`PRAGMA
 * table_list` calls those `shadow`): their row counts are FTS5's bookkeeping, not data.
 */
export function tableCounts(db: Database.Database): Record<string, number> {
  const tables = db
    .prepare<[], { name: string }>("SELECT name FROM pragma_table_list WHERE schema = 'main' AND type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
    .all();
  return Object.fromEntries(tables.map(({ name }) => [name, (db.prepare(`SELECT count(*) AS n FROM "${name}"`).get() as { n: number }).n]));
}

/** "5 messages in 2 rooms, 3 users, 1 avatar": what a backup holds, for the commands' summaries. */
export function describeContents({ tables, uploads }: Manifest): string {
  const count = (n: number, what: string) => `${n} ${what}${n === 1 ? '' : 's'}`;
  return `${count(tables.messages ?? 0, 'message')} in ${count(tables.rooms ?? 0, 'room')}, ${count(tables.users ?? 0, 'user')}, ${count(uploads, 'avatar')}`;
}
