/**
 * Upload names, which only the server chooses: 32 random hex characters and the extension of the
 * file's type. Anything else is never a path or a key the drivers look up, so a name from a URL can
 * neither climb out of the uploads folder nor reach another file.
 */
import { randomBytes } from 'node:crypto';

const EXTENSIONS = new Map([
  ['image/png', 'png'],
  ['image/jpeg', 'jpg'],
  ['image/webp', 'webp'],
  ['image/gif', 'gif'],
]);
const TYPES = new Map([...EXTENSIONS].map(([type, extension]) => [extension, type]));
const UPLOAD_NAME = /^[0-9a-f]{32}\.(png|jpg|webp|gif)$/;

/** The media types an upload may have. */
export const UPLOAD_TYPES: readonly string[] = [...EXTENSIONS.keys()];

/** A fresh name for a file of media type `type`. */
export function newUploadName(type: string): string {
  const extension = EXTENSIONS.get(type);
  if (!extension) throw new Error(`uploads cannot store ${type}; only ${UPLOAD_TYPES.join(', ')}`);
  return `${randomBytes(16).toString('hex')}.${extension}`;
}

/** Whether `name` is one newUploadName() could have made. */
export function isUploadName(name: string): boolean {
  return UPLOAD_NAME.test(name);
}

/** The media type a name made by newUploadName() stands for. */
export function uploadType(name: string): string {
  const type = TYPES.get(name.slice(name.lastIndexOf('.') + 1));
  if (!type || !isUploadName(name)) throw new Error(`not an upload name: ${name}`);
  return type;
}
