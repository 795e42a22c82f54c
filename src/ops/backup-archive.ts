/**
 * The backup file: one tar (node-tar) holding `manifest.json`, the database as `chorus.sqlite`, and the
 * avatars under `uploads/`. Unpacking takes nothing else: an entry of another name or kind (a link, a
 * device, a path that climbs out) means the file is not one of ours, and it is refused whole.
 */
import fs from 'node:fs';
import path from 'node:path';
import * as tar from 'tar';
import { DATABASE_FILE } from '../store/embedded/embedded-store.js';
import { isUploadName } from '../uploads/names.js';
import { EXIT, Refusal } from './refusal.js';

export const MANIFEST_ENTRY = 'manifest.json';
export const DATABASE_ENTRY = DATABASE_FILE;
export const UPLOADS_ENTRY = 'uploads';

export interface PackInput {
  /** Where the tar is written; it must not exist. */
  file: string;
  /** The folder holding `manifest.json` and `chorus.sqlite`. */
  stagingDir: string;
  uploadsDir: string;
  /** The avatar files of `uploadsDir` to take. */
  uploads: readonly string[];
  /** A file that vanished while it was being packed (an avatar replaced meanwhile), and other such warnings. */
  warn(line: string): void;
}

export async function packBackup({ file, stagingDir, uploadsDir, uploads, warn }: PackInput): Promise<void> {
  const onwarn = (_code: string, message: string) => warn(message);
  // portable: no owner, group or mtime of this machine's; the restore writes files as its own user.
  await tar.create({ file, cwd: stagingDir, portable: true, strict: false, onwarn }, [MANIFEST_ENTRY, DATABASE_ENTRY]);
  // The avatars are appended from their own folder, under uploads/, without copying them first.
  if (uploads.length > 0) await tar.replace({ file, cwd: uploadsDir, prefix: UPLOADS_ENTRY, portable: true, strict: false, onwarn }, [...uploads]);
}

/** Unpacks backup `file` into the empty folder `into`; resolves with the avatar files it held. Refuses anything that is not ours. */
export async function unpackBackup(file: string, into: string): Promise<string[]> {
  const foreign: string[] = [];
  const uploads: string[] = [];
  try {
    await tar.extract({
      file,
      cwd: into,
      // Any damage (a bad header, a truncated entry) throws instead of being skipped with a warning.
      strict: true,
      // On extraction every entry is a ReadEntry (Stats are for packing).
      filter: (entryPath, entry) => {
        const { type } = entry as tar.ReadEntry;
        const name = entryPath.replace(/\/$/, '');
        const ours =
          (type === 'File' && (name === MANIFEST_ENTRY || name === DATABASE_ENTRY)) ||
          (type === 'Directory' && name === UPLOADS_ENTRY) ||
          (type === 'File' && name.startsWith(`${UPLOADS_ENTRY}/`) && isUploadName(name.slice(UPLOADS_ENTRY.length + 1)));
        if (!ours) foreign.push(`${name} (${type})`);
        else if (name.startsWith(`${UPLOADS_ENTRY}/`)) uploads.push(name.slice(UPLOADS_ENTRY.length + 1));
        return ours;
      },
    });
  } catch (err) {
    throw new Refusal(`it is not a tar file, or a damaged one (${(err as Error).message})`, EXIT.dataError);
  }
  if (foreign.length > 0) throw new Refusal(`it holds what no Chorus backup does: ${foreign.slice(0, 5).join(', ')}${foreign.length > 5 ? ', …' : ''}`, EXIT.dataError);
  for (const entry of [MANIFEST_ENTRY, DATABASE_ENTRY]) {
    if (!fs.existsSync(path.join(into, entry))) throw new Refusal(`it has no ${entry}: not a Chorus backup`, EXIT.dataError);
  }
  return uploads;
}
