/**
 * Avatar files on the uploads volume: the type is sniffed from the bytes (never the name or the
 * client's header), names are random and chosen here, and writes are atomic (temp file + rename),
 * so a failed upload leaves nothing behind and every replica sharing the volume sees whole files.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileTypeFromBuffer } from 'file-type';
import { AppError } from '../chat/errors.js';

export const MAX_AVATAR_BYTES = 2 * 1024 * 1024;
export const UPLOADS_URL_PREFIX = '/uploads/';

const ALLOWED = new Map([
  ['image/png', 'png'],
  ['image/jpeg', 'jpg'],
  ['image/webp', 'webp'],
  ['image/gif', 'gif'],
]);

/** Our own names only: 32 hex chars and one of the allowed extensions. */
const OWN_FILE = /^[0-9a-f]{32}\.(png|jpg|webp|gif)$/;

export class AvatarFiles {
  constructor(readonly dir: string) {}

  async init(): Promise<void> {
    await fs.mkdir(this.dir, { recursive: true });
  }

  /** Stores the image and returns its public URL; refuses anything that is not png/jpeg/webp/gif by content. */
  async save(bytes: Buffer): Promise<string> {
    const type = await fileTypeFromBuffer(bytes);
    const extension = type && ALLOWED.get(type.mime);
    if (!extension) throw new AppError('unsupported_media_type', 'The avatar must be a PNG, JPEG, WebP or GIF image.');
    const file = `${randomBytes(16).toString('hex')}.${extension}`;
    const temporary = path.join(this.dir, `.${file}.tmp`);
    try {
      await fs.writeFile(temporary, bytes, { flag: 'wx' });
      await fs.rename(temporary, path.join(this.dir, file));
    } catch (err) {
      await fs.rm(temporary, { force: true });
      throw err;
    }
    return `${UPLOADS_URL_PREFIX}${file}`;
  }

  /** Deletes a file this class created, given its URL; anything else (or a missing file) is ignored. */
  async remove(url: string | null): Promise<void> {
    const file = url?.startsWith(UPLOADS_URL_PREFIX) ? url.slice(UPLOADS_URL_PREFIX.length) : undefined;
    if (!file || !OWN_FILE.test(file)) return;
    await fs.rm(path.join(this.dir, file), { force: true });
  }
}
