/**
 * The uploads contract: every driver (the shared volume; GridFS on the wire test server, or on a real
 * MongoDB when MONGO_URL is set) runs this suite unchanged.
 */
import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { UploadedFile, UploadStore } from '../../src/uploads/port.js';
import { GIF_1x1, PNG_1x1 } from '../helpers/images.js';

export interface UploadsHarness {
  /**
   * An uploads store on this harness's storage: every call gives another instance on the same files,
   * as each replica has its own.
   */
  open(): Promise<UploadStore>;
  /** Removes what the stores created. */
  cleanup(): Promise<void>;
}

/** Reads an opened file to the end. */
async function bytesOf(file: UploadedFile): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of file.stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

export function uploadsContract(driver: string, makeHarness: () => UploadsHarness): void {
  describe(`uploads contract: ${driver}`, () => {
    let harness: UploadsHarness;
    let uploads: UploadStore;
    const others: UploadStore[] = [];

    beforeEach(async () => {
      harness = makeHarness();
      uploads = await harness.open();
    });

    afterEach(async () => {
      await Promise.all([uploads, ...others.splice(0)].map((store) => store.close()));
      await harness.cleanup();
    });

    it('stores bytes under a new random name with the extension of their type, and opens them with type and size', async () => {
      const name = await uploads.save(PNG_1x1, 'image/png');
      expect(name).toMatch(/^[0-9a-f]{32}\.png$/);
      const file = (await uploads.open(name))!;
      expect(file).toMatchObject({ type: 'image/png', size: PNG_1x1.length });
      expect(await bytesOf(file)).toEqual(PNG_1x1);
      expect(await uploads.save(GIF_1x1, 'image/gif')).toMatch(/^[0-9a-f]{32}\.gif$/);
    });

    it('gives every save a name of its own, even for the same bytes at once', async () => {
      const names = await Promise.all(Array.from({ length: 8 }, () => uploads.save(PNG_1x1, 'image/png')));
      expect(new Set(names).size).toBe(names.length);
      for (const name of names) expect(await bytesOf((await uploads.open(name))!)).toEqual(PNG_1x1);
    });

    it('keeps a file larger than one chunk byte for byte', async () => {
      const big = randomBytes(2 * 1024 * 1024);
      const file = (await uploads.open(await uploads.save(big, 'image/webp')))!;
      expect(file).toMatchObject({ type: 'image/webp', size: big.length });
      expect((await bytesOf(file)).equals(big)).toBe(true);
    });

    it('shows a file saved by one replica to every other, and its removal too', async () => {
      const other = await harness.open();
      others.push(other);
      const name = await uploads.save(GIF_1x1, 'image/gif');
      const seen = (await other.open(name))!;
      expect(seen.type).toBe('image/gif');
      expect(await bytesOf(seen)).toEqual(GIF_1x1);
      await other.remove(name);
      expect(await uploads.open(name)).toBeNull();
    });

    it('opens nothing for an unknown name, or a name it could not have made', async () => {
      const name = await uploads.save(PNG_1x1, 'image/png');
      expect(await uploads.open(`${'0'.repeat(32)}.png`)).toBeNull();
      for (const foreign of ['', '.', '..', `../${name}`, `./${name}`, `${name}/`, `.${name}.tmp`, name.toUpperCase(), `${name.slice(0, -4)}.svg`, `a/${name}`, `${name}\0`]) {
        expect(await uploads.open(foreign), foreign).toBeNull();
      }
    });

    it('removes a file, and ignores a missing or foreign name', async () => {
      const name = await uploads.save(PNG_1x1, 'image/png');
      await uploads.remove(name);
      expect(await uploads.open(name)).toBeNull();
      await expect(uploads.remove(name)).resolves.toBeUndefined();
      await expect(uploads.remove('../../etc/passwd')).resolves.toBeUndefined();
    });

    it('refuses a type it may not store', async () => {
      await expect(uploads.save(Buffer.from('<svg/>'), 'image/svg+xml')).rejects.toThrow(/image\/svg\+xml/);
      await expect(uploads.save(Buffer.from('<p>'), 'text/html')).rejects.toThrow(/text\/html/);
    });

    it('lets an opened file go unread', async () => {
      const name = await uploads.save(PNG_1x1, 'image/png');
      const file = (await uploads.open(name))!;
      file.stream.destroy();
      // The driver is still whole: the file opens and reads again.
      expect(await bytesOf((await uploads.open(name))!)).toEqual(PNG_1x1);
    });
  });
}
