/**
 * The process entry. It reads the config, listens at once (so `/healthz` answers and `/readyz` says
 * why it is not ready yet), opens the store, retrying while it cannot be reached, then hands the port
 * to the app and opens the metrics port. SIGTERM/SIGINT shut down gracefully at any point: drain
 * (refuse new sockets, fail readiness, move the open ones elsewhere: `drain.ts`), then leave the
 * cluster, close the broker and the store, and exit within the drain's time plus 4 s (10 s by default).
 * A failed start is one structured log line and a non-zero exit.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { brokerOptionsOf, createBroker } from '../broker/create-broker.js';
import { ConfigError, loadConfig, maskUrl, type Config, type DrainConfig } from '../config/config.js';
import { StoreConnecting } from '../http/health-router.js';
import { createLogger, type Logger } from '../observability/logger.js';
import { openStoreWhenReachable } from '../store/open-store.js';
import type { Store } from '../store/port.js';
import { createApp, type App } from './app.js';
import { listenOn } from './listen.js';
import { startupResponder } from './startup-responder.js';

/** What a shutdown may take besides the drain: waiting on handlers, leaving the cluster, closing the broker and store. */
const CLOSE_ALLOWANCE_MS = 4_000;
const EX_CONFIG = 78;

/** A start that cannot go on, for a reason the operator can act on: logged as is, without a stack. */
class StartupError extends Error {
  constructor(
    message: string,
    readonly details: object,
  ) {
    super(message);
  }
}

// Replaced once the config names the level; until then a failure to read the config is still a log line.
let logger: Logger = createLogger({ level: 'info' });
let stopping = false;

async function main(): Promise<void> {
  let config: Config;
  try {
    config = loadConfig();
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    logger.fatal({ problems: err.problems }, err.message);
    process.exit(EX_CONFIG);
  }
  logger = createLogger({ level: config.logLevel });
  if (config.sessionSecretIsDefault) logger.warn('Neither SESSION_SECRETS nor SESSION_SECRET is set: using the development default (never do this in production)');

  // Never waits on the network: it connects in the background, and /readyz reports it meanwhile.
  const broker = createBroker(config.broker, { logger, ...brokerOptionsOf(config) });
  let storeState = new StoreConnecting('connecting for the first time');
  const server = http.createServer(startupResponder({ store: () => Promise.reject(storeState), broker: () => broker.check() }));
  // What is open so far, for a shutdown that may come at any point of the start.
  const opened: { store?: Store; app?: App } = {};
  onShutdownSignal(shutdownDeadlineMs(config.drain), async () => {
    if (opened.app) {
      // Users move to the other replicas while this one is still a member of the cluster, and the
      // store stays open until every event they sent is answered.
      await opened.app.drain();
      // Then the app: its adapters tell the other replicas this one is leaving, over the broker.
      await opened.app.close();
    } else await new Promise((resolve) => server.close(resolve).closeAllConnections());
    await broker.close();
    await opened.store?.close();
  });

  const address = await listen(server, config.port, config.host, 'PORT');
  const url = httpUrl(address);
  logger.info({ address: address.address, port: address.port }, `Chorus starting on ${url}: /readyz says when it is ready`);

  const store = (opened.store = await openStoreWhenReachable(config, logger, (err) => (storeState = new StoreConnecting(err.message))));
  if (stopping) return;
  const app = (opened.app = await createApp({ config, store, broker, logger, server }));
  if (stopping) return;
  const metrics = await listen(app.metricsServer, config.metricsPort, config.host, 'METRICS_PORT');
  logger.info(
    {
      address: address.address,
      port: address.port,
      metricsPort: metrics.port,
      store: config.store.kind === 'mongo' ? maskUrl(config.store.url) : config.store.dataDir,
      broker: config.broker.kind,
    },
    `Chorus listening on ${url} (metrics on ${httpUrl(metrics)}/metrics)`,
  );
}

/** Listens, turning the usual failures (port in use, no permission) into a `StartupError` that says what to do. */
async function listen(server: http.Server, port: number, host: string, variable: string): Promise<AddressInfo> {
  try {
    return await listenOn(server, port, host);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const details = { code, host, port, variable };
    if (code === 'EADDRINUSE') throw new StartupError(`${host}:${port} is already in use by another process: stop it, or set ${variable} to a free port`, details);
    if (code === 'EACCES') throw new StartupError(`no permission to listen on ${host}:${port}: set ${variable} to a port above 1023`, details);
    if (code === 'EADDRNOTAVAIL') throw new StartupError(`${host} is not an address of this machine: set HOST to one that is`, details);
    throw err;
  }
}

function httpUrl({ address, family, port }: AddressInfo): string {
  return `http://${family === 'IPv6' ? `[${address}]` : address}:${port}`;
}

/** How long a shutdown may take before the process gives up on it. */
function shutdownDeadlineMs({ delayMs, spreadMs }: DrainConfig): number {
  return delayMs + spreadMs + CLOSE_ALLOWANCE_MS;
}

/** Runs `close` once, on the first SIGTERM or SIGINT, then exits: 0 when it finished within `deadlineMs`, else 1. */
function onShutdownSignal(deadlineMs: number, close: () => Promise<void>): void {
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    setTimeout(() => {
      logger.error('shutdown took too long; exiting');
      process.exit(1);
    }, deadlineMs).unref();
    close()
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
  // A failure caused by the shutdown itself (the store closed under a start in progress) is not one.
  if (stopping) return;
  if (err instanceof StartupError) logger.fatal(err.details, `Chorus failed to start: ${err.message}`);
  else logger.fatal({ err }, 'Chorus failed to start');
  logger.flush();
  process.exit(1);
});
