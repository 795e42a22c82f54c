/**
 * The embedded store as `npm run migrate` reads it: opened read-only, in one read transaction for the
 * whole run, so what is copied, counted and checksummed is one snapshot of the file even if a replica
 * were still writing to it. Rows are read a page at a time in the order of a table's key (keyset
 * paging: each page starts after the last key of the one before), so no page is ever read twice.
 */
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { createEmbeddedStore, DATABASE_FILE } from '../store/embedded/embedded-store.js';
import { MIGRATIONS } from '../store/embedded/schema.js';
import { MigrationRefused } from './refusal.js';

/** A table of the source: which columns (SQL expressions, each named) make a row, and which of them its key. */
export interface SourceTable {
  name: string;
  /** The select list; it names every `key` column. */
  columns: string;
  /** The primary key's columns: the order pages are read in, and what `find` looks rows up by. */
  key: readonly string[];
}

export type SourceRow = Record<string, unknown>;

export interface EmbeddedSource {
  /** The database file. */
  readonly file: string;
  hasTable(name: string): boolean;
  count(table: SourceTable): number;
  /** Every row of `table` in key order, `size` rows a page. */
  pages(table: SourceTable, size: number): Generator<SourceRow[]>;
  /** The rows of `table` whose keys are among `keys` (each the values of `table.key`, in order). */
  find(table: SourceTable, keys: readonly unknown[][]): SourceRow[];
  close(): void;
}

/**
 * Opens the embedded store in `dataDir`, after bringing a file written by an older Chorus up to this
 * version's schema (as a replica starting on it would). Refuses when there is no store there.
 */
export async function openEmbeddedSource(dataDir: string): Promise<EmbeddedSource> {
  const file = path.join(dataDir, DATABASE_FILE);
  if (!fs.existsSync(file)) {
    throw new MigrationRefused(`There is no embedded store to migrate: ${file} does not exist. Name its directory with --from (or DATA_DIR).`);
  }
  await upgradeSchema(dataDir, file);
  const db = new Database(file, { readonly: true, fileMustExist: true });
  // The snapshot begins with the first read, so the transaction reads at once.
  db.exec('BEGIN');
  db.prepare('SELECT count(*) FROM sqlite_master').get();
  const tables = new Set(db.prepare<[], { name: string }>("SELECT name FROM sqlite_master WHERE type = 'table'").all().map((row) => row.name));
  const keyList = (table: SourceTable) => `(${table.key.join(', ')})`;
  const order = (table: SourceTable) => `ORDER BY ${table.key.join(', ')}`;

  return {
    file,
    hasTable: (name) => tables.has(name),
    count: (table) => (db.prepare(`SELECT count(*) AS n FROM ${table.name}`).get() as { n: number }).n,
    *pages(table, size) {
      const first = db.prepare(`SELECT ${table.columns} FROM ${table.name} ${order(table)} LIMIT ?`);
      const next = db.prepare(`SELECT ${table.columns} FROM ${table.name} WHERE ${keyList(table)} > (${table.key.map(() => '?').join(', ')}) ${order(table)} LIMIT ?`);
      for (let page = first.all(size) as SourceRow[]; page.length > 0; ) {
        yield page;
        if (page.length < size) return;
        const last = page.at(-1)!;
        page = next.all(...table.key.map((column) => last[column]), size) as SourceRow[];
      }
    },
    find(table, keys) {
      if (keys.length === 0) return [];
      const tuple = `(${table.key.map(() => '?').join(', ')})`;
      const sql = `SELECT ${table.columns} FROM ${table.name} WHERE ${keyList(table)} IN (VALUES ${keys.map(() => tuple).join(', ')})`;
      return db.prepare(sql).all(...keys.flat()) as SourceRow[];
    },
    close() {
      db.exec('COMMIT');
      db.close();
    },
  };
}

/** A store at an older schema is upgraded in place, the way a replica starting on it would; one from a newer Chorus is refused. */
async function upgradeSchema(dataDir: string, file: string): Promise<void> {
  let version: number;
  try {
    const db = new Database(file, { readonly: true, fileMustExist: true });
    try {
      version = db.pragma('user_version', { simple: true }) as number;
    } finally {
      db.close();
    }
  } catch (err) {
    throw new MigrationRefused(`${file} cannot be read as an embedded store: ${(err as Error).message}`);
  }
  if (version > MIGRATIONS.length) {
    throw new MigrationRefused(`${file} was written by a newer Chorus (schema ${version}, this one knows ${MIGRATIONS.length}): migrate with that version.`);
  }
  if (version < MIGRATIONS.length) await (await createEmbeddedStore({ dataDir, historyMax: 0 })).close();
}
