/**
 * Uploads in MongoDB GridFS (bucket `avatars`: collections `avatars.files` and `avatars.chunks`), for
 * clusters whose storage cannot mount one volume on every node (no ReadWriteMany class): the replicas
 * already share the database, so they share the files through it too. A file becomes visible when its
 * `files` document is written, after all its chunks, so readers see whole files; a failed upload's
 * chunks are deleted.
 */
import { GridFSBucket, MongoClient, type Db } from 'mongodb';
import { guardUnavailable } from '../store/mongo/unavailable.js';
import { isUploadName, newUploadName } from './names.js';
import type { UploadStore } from './port.js';

const BUCKET = 'avatars';
const guard = <T>(work: () => Promise<T>): Promise<T> => guardUnavailable('mongo uploads', work);

/** The uploads in the database named by the MongoDB connection string `url`. Connects on first use. */
export function createGridFsUploads(url: string): UploadStore {
  const client = new MongoClient(url, {
    serverSelectionTimeoutMS: 5000,
    // Like the store's writes: an avatar acknowledged to its owner survives the loss of the primary.
    writeConcern: { w: 'majority', journal: true },
  });
  const bucket = uploadsBucket(client.db());
  const filesNamed = (name: string) => bucket.find({ filename: name });

  return {
    kind: 'mongodb',
    async save(bytes, type) {
      const name = newUploadName(type);
      await writeUpload(bucket, name, bytes, type);
      return name;
    },
    async open(name) {
      if (!isUploadName(name)) return null;
      const file = await guard(() => filesNamed(name).limit(1).next());
      if (!file) return null;
      return { type: String(file.metadata?.contentType), size: file.length, stream: bucket.openDownloadStream(file._id) };
    },
    async remove(name) {
      if (!isUploadName(name)) return;
      const files = await guard(() => filesNamed(name).project({ _id: 1 }).toArray());
      // delete() removes the chunks too; a file another replica deleted meanwhile is gone all the same.
      for (const { _id } of files) await guard(() => bucket.delete(_id)).catch(ignoreMissing);
    },
    close: () => client.close(),
  };
}

/** The bucket the uploads of database `db` live in. */
export function uploadsBucket(db: Db): GridFSBucket {
  return new GridFSBucket(db, { bucketName: BUCKET });
}

/**
 * Stores `bytes` of media type `type` as the file `name` of `bucket`, whole or not at all: `save`, and
 * `npm run migrate`, which copies avatars from the volume under the names they have there.
 */
export async function writeUpload(bucket: GridFSBucket, name: string, bytes: Buffer, type: string): Promise<void> {
  const upload = bucket.openUploadStream(name, { metadata: { contentType: type } });
  try {
    await guard(
      () =>
        new Promise<void>((resolve, reject) => {
          upload.once('finish', resolve).once('error', reject);
          upload.end(bytes);
        }),
    );
  } catch (err) {
    // Deletes the chunks written so far (and the files document, had it been written); "not found"
    // otherwise. Unreachable, the chunks stay orphaned: invisible, as no files document names them.
    await bucket.delete(upload.id).catch(() => {});
    throw err;
  }
}

function ignoreMissing(err: unknown): void {
  if (!(err instanceof Error && /not found/i.test(err.message))) throw err;
}
