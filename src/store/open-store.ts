/**
 * Opens the store the configuration names, with its calls timed (`instrumented-store.ts`).
 */
import type { Logger } from 'pino';
import { maskUrl, type Config } from '../config/config.js';
import { createEmbeddedStore } from './embedded/embedded-store.js';
import { instrumentStore } from './instrumented-store.js';
import type { Store } from './port.js';

export async function openStore(config: Config, logger: Logger): Promise<Store> {
  if (config.store.kind === 'embedded') {
    logger.info({ dataDir: config.store.dataDir }, 'store: embedded (SQLite)');
    return instrumentStore(await createEmbeddedStore({ dataDir: config.store.dataDir, historyMax: config.historyMax }));
  }
  logger.info({ url: maskUrl(config.store.url) }, 'store: MongoDB');
  // Loaded only when used, so a laptop on the embedded store never pays for mongoose.
  const { createMongoStore } = await import('./mongo/mongo-store.js');
  return instrumentStore(await createMongoStore({ url: config.store.url, historyMax: config.historyMax, logger }));
}
