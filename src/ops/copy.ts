/**
 * Copies one collection, a batch at a time, in the source's key order. Every write is an upsert of
 * the document as it is in the source, so a batch written twice changes nothing the second time: a run
 * that stopped part-way is resumed by running again, and a second run writes nothing.
 */
import type { Db } from 'mongodb';
import type { EmbeddedSource } from './embedded-source.js';
import type { CollectionPlan } from './plans.js';
import type { Progress } from './progress.js';

/** What a copy did to the target's documents. */
export interface WriteCounts {
  inserted: number;
  updated: number;
  unchanged: number;
}

/** Called after each batch is written (with how many records of the collection are copied so far); a rejection stops the run. */
export type AfterBatch = (collection: string, copied: number) => void | Promise<void>;

export async function copyCollection(
  plan: CollectionPlan,
  source: EmbeddedSource,
  db: Db,
  options: { batchSize: number; progress: Progress; afterBatch?: AfterBatch },
): Promise<WriteCounts> {
  const counts: WriteCounts = { inserted: 0, updated: 0, unchanged: 0 };
  const target = db.collection(plan.collection);
  const task = options.progress.start(plan.collection, source.count(plan.table));
  let copied = 0;
  try {
    for (const rows of source.pages(plan.table, options.batchSize)) {
      const result = await target.bulkWrite(rows.flatMap((row) => plan.writes(plan.toDoc(row))));
      counts.inserted += result.upsertedCount;
      counts.updated += result.modifiedCount;
      counts.unchanged += rows.length - result.upsertedCount - result.modifiedCount;
      copied += rows.length;
      task.advance(rows.length);
      await options.afterBatch?.(plan.collection, copied);
    }
  } finally {
    // Also when a batch failed: the progress then shows how far the copy got.
    task.finish();
  }
  return counts;
}
