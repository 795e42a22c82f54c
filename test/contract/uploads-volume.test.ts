/** The uploads contract for the shared volume: a temp folder that every instance shares, as replicas share the mount. */
import fs from 'node:fs';
import path from 'node:path';
import { expect, it } from 'vitest';
import { createVolumeUploads } from '../../src/uploads/volume-uploads.js';
import { tempDir } from '../../dev/harness.js';
import { PNG_1x1 } from '../helpers/images.js';
import { uploadsContract } from './uploads-suite.js';

uploadsContract('volume', () => {
  const dir = path.join(tempDir('chorus-uploads-'), 'uploads');
  return {
    open: () => createVolumeUploads(dir),
    cleanup: async () => fs.rmSync(path.dirname(dir), { recursive: true, force: true }),
  };
});

it('leaves only whole files in the folder, under the names it gave', async () => {
  const dir = tempDir('chorus-uploads-');
  try {
    const uploads = await createVolumeUploads(dir);
    const names = await Promise.all([1, 2, 3].map(() => uploads.save(PNG_1x1, 'image/png')));
    expect(fs.readdirSync(dir).sort()).toEqual(names.sort());
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
