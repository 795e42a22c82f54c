/** Makes what was written to a file, or a folder's entries (a rename, a link), durable before a command says it is done. */
import fs from 'node:fs';

export function fsyncPath(target: string): void {
  const fd = fs.openSync(target, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}
