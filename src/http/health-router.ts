/**
 * Liveness and readiness. A replica is ready when it can serve its users: startup is done and the
 * store answers. The broker is reported, not required: replicas keep serving their own clients through
 * a broker outage (local delivery, missed seqs read from the store), and since every replica shares the
 * one broker, requiring it would take them all out of the proxy at once on a blip, leaving users
 * nobody to be sent to. `chorus_broker_up` alerts on the broker instead. A replica that drains (it was
 * told to stop) is not ready whatever its dependencies say: that is how the proxy learns to send its
 * clients elsewhere.
 */
import { Router } from 'express';

/** Resolves when the dependency answers; rejects with why not. */
export type DependencyCheck = () => Promise<void>;

/** What the store check rejects with while startup is still making the first connection. */
export class StoreConnecting extends Error {
  override readonly name = 'StoreConnecting';
}

export type ReadinessStatus = 'ready' | 'starting' | 'unavailable' | 'draining';

/** The body of `/readyz`. */
export interface Readiness {
  ok: boolean;
  status: ReadinessStatus;
  store: 'up' | 'connecting' | 'down';
  broker: 'up' | 'down';
  /** Why a dependency is not up, by name: the last error seen. */
  errors?: { store?: string; broker?: string };
}

export interface HealthOptions {
  store: DependencyCheck;
  broker: DependencyCheck;
  /** True once the replica is shutting down: readiness fails from then on. @default never */
  draining?: () => boolean;
  /** Hears every readiness answer (the app counts them in `chorus_readiness_probes_total`). */
  onReadiness?: (readiness: Readiness) => void;
}

const CHECK_TIMEOUT_MS = 2000;

export function healthRouter({ store, broker, draining = () => false, onReadiness }: HealthOptions): Router {
  const router = Router();
  const alive = (_req: unknown, res: { json(body: unknown): void }) => res.json({ ok: true });
  router.get('/healthz', alive);
  router.get('/healthcheck', alive);
  router.get('/readyz', async (_req, res) => {
    const readiness = await checkReadiness(store, broker);
    // Checked after the dependencies: a probe that began just before SIGTERM must not answer ready.
    if (draining()) Object.assign(readiness, { ok: false, status: 'draining' });
    onReadiness?.(readiness);
    res.status(readiness.ok ? 200 : 503).json(readiness);
  });
  return router;
}

async function checkReadiness(store: DependencyCheck, broker: DependencyCheck): Promise<Readiness> {
  const [storeError, brokerError] = await Promise.all([failureOf(store), failureOf(broker)]);
  const storeState = storeError === undefined ? 'up' : storeError instanceof StoreConnecting ? 'connecting' : 'down';
  const errors = {
    ...(storeError && { store: storeError.message }),
    ...(brokerError && { broker: brokerError.message }),
  };
  return {
    ok: storeState === 'up',
    status: storeState === 'up' ? 'ready' : storeState === 'connecting' ? 'starting' : 'unavailable',
    store: storeState,
    broker: brokerError === undefined ? 'up' : 'down',
    ...(Object.keys(errors).length > 0 && { errors }),
  };
}

/** Runs `check` with a deadline; undefined when it answered, else the error saying why not. */
async function failureOf(check: DependencyCheck): Promise<Error | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${CHECK_TIMEOUT_MS} ms`)), CHECK_TIMEOUT_MS);
  });
  try {
    await Promise.race([check(), deadline]);
    return undefined;
  } catch (err) {
    return err instanceof Error ? err : new Error(String(err));
  } finally {
    clearTimeout(timer);
  }
}
