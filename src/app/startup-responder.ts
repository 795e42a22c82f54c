/**
 * What the HTTP port answers while the replica starts (the store not reachable yet): liveness, and
 * readiness saying why it is not ready, so an orchestrator neither restarts a replica that is only
 * waiting for its database nor sends it users. Everything else is 503 `store_unavailable` with a
 * `Retry-After`. `createApp` takes the port over once the store is open.
 */
import express, { type Express } from 'express';
import { healthRouter, type DependencyCheck } from '../http/health-router.js';

const RETRY_AFTER_SECONDS = 5;

export function startupResponder(checks: { store: DependencyCheck; broker: DependencyCheck }): Express {
  const app = express();
  app.disable('x-powered-by');
  app.use(healthRouter(checks));
  app.use((_req, res) => {
    res
      .status(503)
      .set('retry-after', String(RETRY_AFTER_SECONDS))
      .json({ error: { code: 'store_unavailable', message: 'Chorus is starting: the store is not reachable yet; try again shortly.' } });
  });
  return app;
}
