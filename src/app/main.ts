/**
 * The process entry: read config, open the store and the broker, listen, and shut down gracefully on
 * SIGTERM/SIGINT (stop accepting, close sockets, leave the cluster, close the store, exit within 10 s).
 */
import { createBroker } from '../broker/create-broker.js';
import { ConfigError, loadConfig, maskUrl } from '../config/config.js';
import { createLogger } from '../observability/logger.js';
import { openStore } from '../store/open-store.js';
import { createApp } from './app.js';

const SHUTDOWN_DEADLINE_MS = 10_000;

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    console.error(err.message);
    process.exit(78); // EX_CONFIG
  }
  const logger = createLogger({ level: config.logLevel });
  if (config.sessionSecretIsDefault) logger.warn('Neither SESSION_SECRETS nor SESSION_SECRET is set: using the development default (never do this in production)');

  const store = await openStore(config, logger);
  const broker = createBroker(config.broker, { logger, prefix: config.brokerPrefix });
  const app = await createApp({ config, store, broker, logger });
  const port = await app.listen(config.port);
  logger.info(
    { port, store: config.store.kind === 'mongo' ? maskUrl(config.store.url) : config.store.dataDir, broker: config.broker.kind },
    `Chorus listening on http://localhost:${port}`,
  );

  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    setTimeout(() => {
      logger.error('shutdown took too long; exiting');
      process.exit(1);
    }, SHUTDOWN_DEADLINE_MS).unref();
    app
      .close()
      // The app first: its adapters tell the other replicas this one is leaving, over the broker.
      .then(() => broker.close())
      .then(() => store.close())
      .then(() => {
        logger.info('bye');
        logger.flush();
        process.exit(0);
      })
      .catch((err: unknown) => {
        logger.error({ err }, 'shutdown failed');
        process.exit(1);
      });
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

main().catch((err: unknown) => {
  console.error('Chorus failed to start:', err);
  process.exit(1);
});
