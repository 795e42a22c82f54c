import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createEmbeddedStore } from '../../src/store/embedded/embedded-store.js';
import { storeContract } from './store-suite.js';

storeContract('embedded', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'chorus-store-'));
  let dataDir = root;
  return {
    open: ({ historyMax }) => {
      dataDir = fs.mkdtempSync(path.join(root, 'db-'));
      return createEmbeddedStore({ dataDir, historyMax });
    },
    reopen: ({ historyMax }) => createEmbeddedStore({ dataDir, historyMax }),
    cleanup: async () => fs.rmSync(root, { recursive: true, force: true }),
  };
});
