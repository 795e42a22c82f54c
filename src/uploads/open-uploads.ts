/** Opens the uploads driver the configuration names (UPLOAD_STORE). */
import type { Config } from '../config/config.js';
import type { UploadStore } from './port.js';
import { createVolumeUploads } from './volume-uploads.js';

export async function openUploads(config: Config): Promise<UploadStore> {
  if (config.uploads.kind === 'volume') return createVolumeUploads(config.uploads.dir);
  // Loaded only when used, as the MongoDB store is: the volume needs no database driver.
  const { createGridFsUploads } = await import('./gridfs-uploads.js');
  return createGridFsUploads(config.uploads.url);
}
