/**
 * The check after a copy: per collection, the number of records and their checksum (`checksum.ts`),
 * computed from the source's rows (as the documents they become) and from the target's documents
 * (without the fields only the target keeps). Equal on both sides, or the migration failed.
 */
import type { Db } from 'mongodb';
import { RecordChecksum, type Tally } from './checksum.js';
import type { EmbeddedSource } from './embedded-source.js';
import type { CollectionPlan, TargetDoc } from './plans.js';

export interface VerifyRow {
  collection: string;
  source: Tally;
  target: Tally;
}

export const rowMatches = (row: VerifyRow) => row.source.count === row.target.count && row.source.checksum === row.target.checksum;

export async function verifyCollection(plan: CollectionPlan, source: EmbeddedSource, db: Db, batchSize: number): Promise<VerifyRow> {
  const fromSource = new RecordChecksum();
  for (const rows of source.pages(plan.table, batchSize)) for (const row of rows) fromSource.add(plan.toDoc(row));
  const fromTarget = new RecordChecksum();
  for await (const doc of db.collection(plan.collection).find({}, { batchSize })) fromTarget.add(withoutTargetFields(plan, doc));
  return { collection: plan.collection, source: fromSource.tally, target: fromTarget.tally };
}

function withoutTargetFields(plan: CollectionPlan, doc: TargetDoc): TargetDoc {
  const copy = { ...doc };
  for (const field of plan.targetOnly) delete copy[field];
  return copy;
}

/** The rows as a table for the terminal, a checksum shown by its first 16 hex digits. */
export function formatVerification(rows: readonly VerifyRow[]): string {
  const table = [
    ['collection', 'source', 'target', 'source checksum', 'target checksum', ''],
    ...rows.map((row) => [
      row.collection,
      String(row.source.count),
      String(row.target.count),
      row.source.checksum.slice(0, 16),
      row.target.checksum.slice(0, 16),
      rowMatches(row) ? 'ok' : 'MISMATCH',
    ]),
  ];
  const widths = table[0]!.map((_, column) => Math.max(...table.map((cells) => cells[column]!.length)));
  return table.map((cells) => cells.map((cell, column) => cell.padEnd(widths[column]!)).join('  ').trimEnd()).join('\n');
}
