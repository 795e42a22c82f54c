/** What the embedded store's data directory holds, byte for byte: the database, its WAL and the WAL index. */
import fs from 'node:fs';
import path from 'node:path';

/** Whether any file of `dataDir` contains `text` (UTF-8), as it is on disk now. */
export function dataDirContains(dataDir: string, text: string): boolean {
  const needle = Buffer.from(text);
  return fs.readdirSync(dataDir).some((file) => fs.readFileSync(path.join(dataDir, file)).includes(needle));
}
