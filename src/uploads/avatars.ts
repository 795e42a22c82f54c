/**
 * Avatars over the uploads port: the type is sniffed from the bytes (never the name or the client's
 * header), and each avatar is served at `/uploads/<name>`.
 */
import { fileTypeFromBuffer } from 'file-type';
import { AppError } from '../chat/errors.js';
import { UPLOAD_TYPES } from './names.js';
import type { UploadStore } from './port.js';

export const MAX_AVATAR_BYTES = 2 * 1024 * 1024;
const UPLOADS_URL_PREFIX = '/uploads/';

export class Avatars {
  constructor(private readonly uploads: UploadStore) {}

  /** Stores the image and returns its public URL; refuses anything that is not png/jpeg/webp/gif by content. */
  async save(bytes: Buffer): Promise<string> {
    const type = (await fileTypeFromBuffer(bytes))?.mime;
    if (!type || !UPLOAD_TYPES.includes(type)) throw new AppError('unsupported_media_type', 'The avatar must be a PNG, JPEG, WebP or GIF image.');
    return `${UPLOADS_URL_PREFIX}${await this.uploads.save(bytes, type)}`;
  }

  /** Deletes an avatar saved here, given its URL; anything else (or a missing file) is ignored. */
  async remove(url: string | null): Promise<void> {
    if (url?.startsWith(UPLOADS_URL_PREFIX)) await this.uploads.remove(url.slice(UPLOADS_URL_PREFIX.length));
  }
}
