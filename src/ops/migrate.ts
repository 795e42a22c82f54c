/**
 * `npm run migrate`: everything the embedded store holds, copied into MongoDB as the MongoDB store
 * writes it, then checked. A replica started on the target serves the same history, its room counters
 * continue the seqs, and a client that reconnects with its last seq misses nothing. Sessions are not
 * copied (everyone signs in again); avatars move only with `--uploads gridfs`.
 *
 * The order: open the source (one snapshot) and the target; unless only verifying, refuse a target that
 * holds another history (or, with `force`, empty it), build the store's indexes, and copy each
 * collection in batches of upserts; then verify every collection on both sides.
 */
import type { Db } from 'mongodb';
import { AVATARS, copyAvatars, verifyAvatars } from './avatars.js';
import { copyCollection, type AfterBatch, type WriteCounts } from './copy.js';
import { openEmbeddedSource, type EmbeddedSource } from './embedded-source.js';
import { connectTarget, type MongoTarget } from './mongo-target.js';
import { findOtherHistory } from './other-history.js';
import { migrationPlans, type CollectionPlan } from './plans.js';
import type { Progress } from './progress.js';
import { MigrationRefused } from './refusal.js';
import { rowMatches, verifyCollection, type VerifyRow } from './verify.js';

export interface MigrateOptions {
  /** The embedded store's directory (DATA_DIR). */
  from: string;
  /** The target's MongoDB connection string, naming its database. */
  to: string;
  /** `gridfs`: copy the avatars of `uploadDir` into the target's GridFS; `volume`: they stay on the shared volume. */
  uploads: 'volume' | 'gridfs';
  /** The uploads volume's folder (UPLOAD_DIR). */
  uploadDir: string;
  /** Empty a target that holds another history instead of refusing it. */
  force: boolean;
  /** Only compare source and target: write nothing. */
  verifyOnly: boolean;
  /** Records per bulk write. */
  batchSize: number;
}

export interface MigrateIo {
  progress: Progress;
  /** One line for the operator: what is being done, and what was found. */
  say(line: string): void;
  /** After each batch a copy writes (tests stop a run there). */
  afterBatch?: AfterBatch;
}

export interface MigrationReport {
  /** What the copy did, per collection; empty when only verifying. */
  written: Map<string, WriteCounts>;
  verification: VerifyRow[];
  /** Whether every collection matched. */
  ok: boolean;
}

export async function migrate(options: MigrateOptions, io: MigrateIo): Promise<MigrationReport> {
  const source = await openEmbeddedSource(options.from);
  try {
    const target = await connectTarget(options.to);
    try {
      const plans = migrationPlans(source);
      const written = options.verifyOnly ? new Map<string, WriteCounts>() : await copyAll(plans, source, target, options, io);
      io.say('verifying');
      const verification: VerifyRow[] = [];
      for (const plan of plans) verification.push(await verifyCollection(plan, source, target.db, options.batchSize));
      if (options.uploads === 'gridfs') verification.push(await verifyAvatars(options.uploadDir, target.db));
      return { written, verification, ok: verification.every(rowMatches) };
    } finally {
      await target.close();
    }
  } finally {
    source.close();
  }
}

async function copyAll(
  plans: readonly CollectionPlan[],
  source: EmbeddedSource,
  target: MongoTarget,
  options: MigrateOptions,
  io: MigrateIo,
): Promise<Map<string, WriteCounts>> {
  const { db } = target;
  io.say(`checking that ${db.databaseName} holds no other history`);
  const problems = await findOtherHistory(plans, source, db, options.batchSize);
  if (problems.length > 0 && !options.force) {
    throw new MigrationRefused(
      `The target database ${db.databaseName} already holds another history than ${source.file}:\n  - ${problems.join('\n  - ')}\n` +
        'Migrate into an empty database, or add --force to empty this one first.',
    );
  }
  if (problems.length > 0) await emptyTarget(plans, db, io);
  await target.createIndexes();
  const written = new Map<string, WriteCounts>();
  for (const plan of plans) {
    written.set(plan.collection, await copyCollection(plan, source, db, { batchSize: options.batchSize, progress: io.progress, afterBatch: io.afterBatch }));
  }
  if (options.uploads === 'gridfs') written.set(AVATARS, await copyAvatars(options.uploadDir, db, io.progress));
  return written;
}

/** `--force`: the collections the migration writes lose every document, so only the source's are there after it. */
async function emptyTarget(plans: readonly CollectionPlan[], db: Db, io: MigrateIo): Promise<void> {
  for (const plan of plans) {
    const { deletedCount } = await db.collection(plan.collection).deleteMany({});
    io.say(`--force: deleted ${deletedCount} documents from ${plan.collection}`);
  }
}
