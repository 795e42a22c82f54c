/**
 * Liveness, readiness and metrics. Readiness runs every named check with a deadline and reports
 * each one, so an operator sees which dependency is down.
 */
import { Router } from 'express';
import type { Registry } from 'prom-client';

export type ReadinessCheck = () => Promise<void>;

const CHECK_TIMEOUT_MS = 2000;

export function healthRouter({ checks, registry }: { checks: Record<string, ReadinessCheck>; registry: Registry }): Router {
  const router = Router();
  const alive = (_req: unknown, res: { json(body: unknown): void }) => res.json({ ok: true });
  router.get('/healthz', alive);
  router.get('/healthcheck', alive);

  router.get('/readyz', async (_req, res) => {
    const results = await Promise.all(
      Object.entries(checks).map(async ([name, check]) => [name, await runCheck(check)] as const),
    );
    const ok = results.every(([, result]) => result === 'ok');
    res.status(ok ? 200 : 503).json({ ok, checks: Object.fromEntries(results) });
  });

  router.get('/metrics', async (_req, res) => {
    res.type(registry.contentType).send(await registry.metrics());
  });
  return router;
}

async function runCheck(check: ReadinessCheck): Promise<string> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${CHECK_TIMEOUT_MS} ms`)), CHECK_TIMEOUT_MS);
  });
  try {
    await Promise.race([check(), deadline]);
    return 'ok';
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  } finally {
    clearTimeout(timer);
  }
}
