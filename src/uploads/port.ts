/**
 * Where uploaded files (avatars) live. Every replica must see every file, whichever replica took the
 * upload. Two drivers run one contract suite (test/contract/uploads-suite.ts): the shared volume
 * (volume-uploads.ts, the default) and MongoDB GridFS (gridfs-uploads.ts), for clusters whose storage
 * cannot mount one volume on several nodes (ReadWriteMany).
 */
import type { Readable } from 'node:stream';

export type UploadStoreKind = 'volume' | 'mongodb';

/** A stored file, opened for reading. */
export interface UploadedFile {
  /** Its media type, as given to save(). */
  type: string;
  /** Its length in bytes. */
  size: number;
  /** Its bytes; destroy it when they are not read to the end. */
  stream: Readable;
}

export interface UploadStore {
  readonly kind: UploadStoreKind;
  /**
   * Stores `bytes` of media type `type` (one of `UPLOAD_TYPES`) under a new random name, which it
   * resolves with. A file is seen whole or not at all: a failed save leaves nothing.
   */
  save(bytes: Buffer, type: string): Promise<string>;
  /** Opens the file `name`: null when there is none, or when save() could not have made that name. */
  open(name: string): Promise<UploadedFile | null>;
  /** Deletes the file `name`; a missing file, or a name save() could not have made, is ignored. */
  remove(name: string): Promise<void>;
  /** Releases what the driver holds (connections). */
  close(): Promise<void>;
}
