/**
 * `--uploads gridfs`: the avatars of the uploads volume copied into GridFS, for a target whose replicas
 * keep uploads in MongoDB (UPLOAD_STORE=mongodb). Each file keeps its name, so the users' avatar URLs
 * stay right; a file already there under its name is left alone (names are random and never reused, so
 * it is this file, written whole or not at all by `writeUpload`). GridFS files the volume lacks are left
 * alone too: verification speaks of the volume's files only.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { buffer } from 'node:stream/consumers';
import type { Db, GridFSBucket } from 'mongodb';
import { isUploadName, uploadType } from '../uploads/names.js';
import { uploadsBucket, writeUpload } from '../uploads/gridfs-uploads.js';
import { RecordChecksum } from './checksum.js';
import type { WriteCounts } from './copy.js';
import type { Progress } from './progress.js';
import type { VerifyRow } from './verify.js';

/** How the verification table names the avatars. */
export const AVATARS = 'avatars';

/** The upload files in `dir`, by name; none when the folder does not exist (nobody uploaded an avatar). */
async function uploadNames(dir: string): Promise<string[]> {
  try {
    return (await fs.readdir(dir)).filter(isUploadName).sort();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}

const stored = (bucket: GridFSBucket, name: string) => bucket.find({ filename: name }).limit(1).next();

export async function copyAvatars(dir: string, db: Db, progress: Progress): Promise<WriteCounts> {
  const bucket = uploadsBucket(db);
  const names = await uploadNames(dir);
  const counts: WriteCounts = { inserted: 0, updated: 0, unchanged: 0 };
  const task = progress.start(AVATARS, names.length);
  try {
    for (const name of names) {
      if (await stored(bucket, name)) counts.unchanged++;
      else {
        await writeUpload(bucket, name, await fs.readFile(path.join(dir, name)), uploadType(name));
        counts.inserted++;
      }
      task.advance(1);
    }
  } finally {
    task.finish();
  }
  return counts;
}

/** Each of the volume's files as a record: its name, type and the digest of its bytes. */
const record = (name: string, type: unknown, bytes: Buffer) => ({ name, type, sha256: createHash('sha256').update(bytes).digest('hex') });

export async function verifyAvatars(dir: string, db: Db): Promise<VerifyRow> {
  const bucket = uploadsBucket(db);
  const fromSource = new RecordChecksum();
  const fromTarget = new RecordChecksum();
  for (const name of await uploadNames(dir)) {
    fromSource.add(record(name, uploadType(name), await fs.readFile(path.join(dir, name))));
    const file = await stored(bucket, name);
    if (file) fromTarget.add(record(name, file.metadata?.contentType, await buffer(bucket.openDownloadStream(file._id))));
  }
  return { collection: AVATARS, source: fromSource.tally, target: fromTarget.tally };
}
