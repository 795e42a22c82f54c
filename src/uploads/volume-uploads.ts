/**
 * Uploads on a folder that every replica mounts (the shared volume: a ReadWriteMany claim on
 * Kubernetes, a named volume in Compose). Writes are atomic (a hidden temp file, then a rename), so a
 * replica never serves half a file and a failed save leaves nothing behind; the type is the name's
 * extension.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { isUploadName, newUploadName, uploadType } from './names.js';
import type { UploadStore } from './port.js';

/** The uploads in `dir`, which is created when missing. */
export async function createVolumeUploads(dir: string): Promise<UploadStore> {
  await fs.mkdir(dir, { recursive: true });
  return {
    kind: 'volume',
    async save(bytes, type) {
      const name = newUploadName(type);
      // The dot hides it from open(), whose names never start with one.
      const temporary = path.join(dir, `.${name}.tmp`);
      try {
        await fs.writeFile(temporary, bytes, { flag: 'wx' });
        await fs.rename(temporary, path.join(dir, name));
      } catch (err) {
        await fs.rm(temporary, { force: true });
        throw err;
      }
      return name;
    },
    async open(name) {
      if (!isUploadName(name)) return null;
      let handle: fs.FileHandle;
      try {
        handle = await fs.open(path.join(dir, name), 'r');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
        throw err;
      }
      try {
        const { size } = await handle.stat();
        // The stream closes the handle when it ends or is destroyed.
        return { type: uploadType(name), size, stream: handle.createReadStream() };
      } catch (err) {
        await handle.close();
        throw err;
      }
    },
    async remove(name) {
      if (isUploadName(name)) await fs.rm(path.join(dir, name), { force: true });
    },
    close: async () => {},
  };
}
