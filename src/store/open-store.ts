/**
 * Opens the store the configuration names, with its calls timed (`instrumented-store.ts`); at startup,
 * trying again while it cannot be reached.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import { backoffDelay } from '../broker/backoff.js';
import { maskUrl, type Config } from '../config/config.js';
import { createEmbeddedStore } from './embedded/embedded-store.js';
import { instrumentStore } from './instrumented-store.js';
import { StoreUnavailableError, type Store } from './port.js';

export async function openStore(config: Config, logger: Logger): Promise<Store> {
  if (config.store.kind === 'embedded') {
    logger.info({ dataDir: config.store.dataDir }, 'store: embedded (SQLite)');
    const { dataDir } = config.store;
    const onHistoryRolledBack = (why: string) => logger.warn({ dataDir }, `store: new history epoch: ${why}`);
    return instrumentStore(await createEmbeddedStore({ dataDir, historyMax: config.historyMax, onHistoryRolledBack }));
  }
  logger.info({ url: maskUrl(config.store.url) }, 'store: MongoDB');
  // Loaded only when used, so a laptop on the embedded store never pays for mongoose.
  const { createMongoStore } = await import('./mongo/mongo-store.js');
  return instrumentStore(await createMongoStore({ url: config.store.url, historyMax: config.historyMax, logger }));
}

/**
 * `openStore`, tried again with backoff for as long as the store cannot be reached: on a first rollout
 * the database may well start after the replicas, and exiting would only crash-loop them. Each failure
 * is logged and told to `onUnreachable` (for `/readyz`). Any other failure (the embedded store's disk,
 * say) is not going to heal by waiting, and rejects at once.
 */
export async function openStoreWhenReachable(config: Config, logger: Logger, onUnreachable: (err: StoreUnavailableError) => void): Promise<Store> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await openStore(config, logger);
    } catch (err) {
      if (!(err instanceof StoreUnavailableError)) throw err;
      onUnreachable(err);
      const retryInMs = backoffDelay(attempt);
      logger.warn({ attempt, retryInMs, reason: err.message }, 'store unreachable; trying again');
      await sleep(retryInMs);
    }
  }
}
