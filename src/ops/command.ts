/**
 * What `npm run backup` and `npm run restore` share: one FILE argument, the store's part of the
 * configuration the replicas read (so the command finds the same DATA_DIR and UPLOAD_DIR), and plain
 * lines for the operator: the outcome on stdout, a refusal or a failure on stderr as one line that says
 * what to do, never a stack, and an exit code that tells them apart (`refusal.ts`).
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { ConfigError, loadStoreConfig } from '../config/config.js';
import { EXIT, Refusal } from './refusal.js';

/** Where the embedded store keeps what a backup holds. */
export interface StoreFiles {
  dataDir: string;
  uploadsDir: string;
}

export interface CommandSpec {
  name: 'backup' | 'restore';
  /** What FILE is, for the usage line. */
  file: string;
  /** Runs the command on `file` and resolves with what it did, for stdout; a `Refusal` says why it would not. */
  run(files: StoreFiles, file: string, warn: (line: string) => void): Promise<string>;
}

const fileArgument = z.string().min(1, 'FILE must not be empty').refine((value) => !value.startsWith('-'), 'FILE must not start with "-" (an unknown option?)');

export async function runCommand(spec: CommandSpec): Promise<never> {
  const usage = `usage: npm run ${spec.name} -- FILE   (FILE: ${spec.file})`;
  const warn = (line: string) => console.error(`${spec.name}: ${line}`);
  try {
    const file = readFileArgument(usage);
    const summary = await spec.run(storeFiles(), file, warn);
    console.log(summary);
    process.exit(0);
  } catch (err) {
    if (err instanceof Refusal) {
      warn(err.message);
      process.exit(err.exitCode);
    }
    // Not a refusal but a fault (a full disk, say): its message, without the stack an operator cannot use.
    console.error(`${spec.name} failed: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  }
}

/** FILE, resolved where the operator typed the command: npm runs scripts in the package's folder, and says where it was started in INIT_CWD. */
function readFileArgument(usage: string): string {
  let parsed;
  try {
    parsed = parseArgs({ allowPositionals: true, options: { help: { type: 'boolean', short: 'h' } } });
  } catch (err) {
    throw new Refusal(`${(err as Error).message}\n${usage}`, EXIT.usage);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    console.log(usage);
    process.exit(0);
  }
  if (positionals.length !== 1) throw new Refusal(`expected one FILE, got ${positionals.length}\n${usage}`, EXIT.usage);
  const checked = fileArgument.safeParse(positionals[0]);
  if (!checked.success) throw new Refusal(`${checked.error.issues[0]?.message}\n${usage}`, EXIT.usage);
  return path.resolve(process.env.INIT_CWD ?? process.cwd(), checked.data);
}

/** The embedded store's folders, as the replicas' configuration names them; MongoDB has tools of its own. */
function storeFiles(): StoreFiles {
  let config;
  try {
    config = loadStoreConfig();
  } catch (err) {
    if (err instanceof ConfigError) throw new Refusal(err.message, EXIT.config);
    throw err;
  }
  if (config.store.kind === 'mongo') {
    throw new Refusal(
      'this command works on the embedded store only, and this configuration uses MongoDB (MONGO_URL or DB_HOST): ' +
        'back it up with mongodump and restore it with mongorestore (avatars with UPLOAD_STORE=mongodb are in the same database).',
      EXIT.config,
    );
  }
  // Only MongoDB keeps avatars anywhere but a folder (the configuration refuses UPLOAD_STORE=mongodb without it).
  if (config.uploads.kind !== 'volume') throw new Refusal('UPLOAD_STORE=mongodb needs MongoDB', EXIT.config);
  return { dataDir: config.store.dataDir, uploadsDir: config.uploads.dir };
}
