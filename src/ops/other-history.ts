/**
 * Before copying: does the target already hold another history than the source's? An earlier copy of
 * this source (a run that stopped half-way, or the source written to since) is fine, the copy brings
 * it up to date; anything else (a document whose key the source lacks, a room counter ahead of the
 * source's, a message changed after the source's last change of it, another history epoch) means
 * replicas have written there, and copying over it would mix two logs whose seqs mean different
 * messages.
 */
import type { Db } from 'mongodb';
import type { EmbeddedSource } from './embedded-source.js';
import { recordKey, type CollectionPlan, type TargetDoc } from './plans.js';

/** Examples named per collection; the rest are counted. */
const EXAMPLES = 3;

/** What in the target is not from the source, one line per collection that holds any; [] when nothing. */
export async function findOtherHistory(plans: readonly CollectionPlan[], source: EmbeddedSource, db: Db, batchSize: number): Promise<string[]> {
  const problems: string[] = [];
  for (const plan of plans) {
    const found: string[] = [];
    let batch: TargetDoc[] = [];
    const judge = () => {
      const sources = new Map(
        source
          .find(plan.table, batch.map((doc) => plan.keyFields.map((field) => doc[field])))
          .map((row) => plan.toDoc(row))
          .map((doc) => [recordKey(plan, doc), doc]),
      );
      for (const doc of batch) {
        const why = plan.otherHistory(doc, sources.get(recordKey(plan, doc)));
        if (why) found.push(`${plan.keyFields.map((field) => String(doc[field])).join(' / ')}: ${why}`);
      }
      batch = [];
    };
    for await (const doc of db.collection(plan.collection).find({})) {
      batch.push(doc);
      if (batch.length === batchSize) judge();
    }
    judge();
    if (found.length > 0) {
      const more = found.length > EXAMPLES ? `, and ${found.length - EXAMPLES} more` : '';
      problems.push(`${plan.collection}: ${found.slice(0, EXAMPLES).join('; ')}${more}`);
    }
  }
  return problems;
}
