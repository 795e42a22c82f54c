/** The command line of `npm run migrate`, parsed with node's `util.parseArgs` and validated with zod. */
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { embeddedPaths } from '../config/config.js';
import type { MigrateOptions } from './migrate.js';

export const MIGRATE_USAGE = `Usage: npm run migrate -- --to mongodb://HOST:PORT/DATABASE [options]

Copies the embedded store (users, rooms, messages, friends, read positions) into MongoDB, then checks
every collection on both sides. Stop every replica first.

  --to URL            the target MongoDB connection string, with its database (required)
  --from DIR          the embedded store's directory (default: DATA_DIR, else ./data)
  --uploads MODE      volume: avatars stay on the shared volume (default);
                      gridfs: copy them into the target's GridFS, for UPLOAD_STORE=mongodb
  --force             empty a target that holds another history instead of refusing it
  --verify-only       only compare source and target; write nothing
  --batch-size N      records per bulk write (default 500)
  -h, --help          this text

Exit codes: 0 copied and verified; 1 a collection differs, or the run failed; 2 refused (no source,
target unreachable, another history in the target); 64 bad arguments.`;

/** A command line that cannot be run: told to the operator with the usage, exit code 64. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

const argsSchema = z.strictObject({
  to: z
    .string({ message: '--to is required: the target MongoDB connection string' })
    .regex(/^mongodb(\+srv)?:\/\/\S+$/, '--to must be a MongoDB connection string (mongodb://… or mongodb+srv://…)'),
  from: z.string().min(1).optional(),
  uploads: z.enum(['volume', 'gridfs'], { message: '--uploads is volume or gridfs' }).default('volume'),
  force: z.boolean().default(false),
  'verify-only': z.boolean().default(false),
  'batch-size': z.coerce.number({ message: '--batch-size must be a whole number from 1 to 100000' }).int().min(1).max(100_000).default(500),
});

/** The options `argv` asks for, DATA_DIR and UPLOAD_DIR coming from `env`; null for --help. */
export function parseMigrateArgs(argv: readonly string[], env: NodeJS.ProcessEnv): MigrateOptions | null {
  let values: Record<string, unknown>;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        to: { type: 'string' },
        from: { type: 'string' },
        uploads: { type: 'string' },
        force: { type: 'boolean' },
        'verify-only': { type: 'boolean' },
        'batch-size': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const { help, ...rest } = values;
  if (help) return null;
  const parsed = argsSchema.safeParse(rest);
  if (!parsed.success) throw new UsageError(parsed.error.issues.map((issue) => issue.message).join('\n'));
  const args = parsed.data;
  const paths = embeddedPaths(env, args.from);
  return {
    from: paths.dataDir,
    to: args.to,
    uploads: args.uploads,
    uploadDir: paths.uploadDir,
    force: args.force,
    verifyOnly: args['verify-only'],
    batchSize: args['batch-size'],
  };
}
