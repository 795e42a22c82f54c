/**
 * The process of `npm run migrate` (`node dist/ops/migrate-main.js`, also inside the image): the
 * command line, the run, the verification table on stdout, progress and notes on stderr, and the exit
 * code (see `MIGRATE_USAGE`).
 */
import { migrate, type MigrateOptions } from './migrate.js';
import { MIGRATE_USAGE, parseMigrateArgs, UsageError } from './migrate-options.js';
import { progressOn } from './progress.js';
import { MigrationRefused } from './refusal.js';
import { formatVerification } from './verify.js';

const EXIT = { ok: 0, failed: 1, refused: 2, usage: 64 } as const;

async function main(): Promise<number> {
  const say = (line: string) => process.stderr.write(`${line}\n`);
  let options: MigrateOptions | null;
  try {
    options = parseMigrateArgs(process.argv.slice(2), process.env);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    say(`${err.message}\n\n${MIGRATE_USAGE}`);
    return EXIT.usage;
  }
  if (!options) {
    process.stdout.write(`${MIGRATE_USAGE}\n`);
    return EXIT.ok;
  }
  try {
    const report = await migrate(options, { progress: progressOn(process.stderr), say });
    for (const [collection, { inserted, updated, unchanged }] of report.written) {
      say(`${collection}: ${inserted} inserted, ${updated} updated, ${unchanged} unchanged`);
    }
    process.stdout.write(`${formatVerification(report.verification)}\n`);
    if (!report.ok) {
      say('Verification failed: the target differs from the source in the collections marked MISMATCH.');
      return EXIT.failed;
    }
    if (!options.verifyOnly) {
      say('Done. Sessions were not copied: everyone signs in again on the new setup.');
      if (options.uploads === 'volume') {
        say('Avatars were not copied: the new replicas use the same uploads volume (UPLOAD_DIR), or run again with --uploads gridfs for UPLOAD_STORE=mongodb.');
      }
    }
    return EXIT.ok;
  } catch (err) {
    if (!(err instanceof MigrationRefused)) throw err;
    say(`Refused: ${err.message}`);
    return EXIT.refused;
  }
}

main().then(
  (code) => (process.exitCode = code),
  (err: unknown) => {
    process.stderr.write(`Migration failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = EXIT.failed;
  },
);
