/**
 * The brokers app-level cluster tests run over, and the rule for a broker that does not answer: a
 * failure in CI, a loud skip elsewhere.
 */
import type { TestContext } from 'vitest';
import { missingService } from './requirements.js';

export interface BrokerSetup {
  name: string;
  /** The broker's port on 127.0.0.1; none for the in-process memory broker. */
  port?: number;
  /** Environment for a replica reaching the broker on `port` (a relay's, or the broker's own). */
  env(port?: number): Record<string, string>;
}

export const BROKERS: readonly BrokerSetup[] = [
  { name: 'memory', env: () => ({ BROKER: 'memory' }) },
  { name: 'redis', port: 6379, env: (port) => ({ BROKER: 'redis', REDIS_URL: `redis://127.0.0.1:${port}` }) },
  { name: 'rabbit', port: 5672, env: (port) => ({ BROKER: 'rabbit', AMQP_URL: `amqp://guest:guest@127.0.0.1:${port}` }) },
  { name: 'nats', port: 4222, env: (port) => ({ BROKER: 'nats', NATS_URL: `nats://127.0.0.1:${port}` }) },
];

/** Resolves when `setup`'s broker answers; otherwise fails in CI and skips the test (with a warning) elsewhere. */
export async function requireBroker(setup: BrokerSetup, ctx: TestContext): Promise<void> {
  const missing = setup.port ? await missingService(setup.name, setup.port) : undefined;
  if (!missing) return;
  if (process.env.CI === 'true') throw new Error(`${missing}; CI must have it`);
  console.warn(`[SKIPPED] ${missing}`);
  ctx.skip();
}
