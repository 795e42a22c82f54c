/**
 * The brokers app-level cluster tests (and the presence benchmark) run over, and a namespace per run on
 * them. Whether a broker must answer is the tests' rule: `requireBroker` in test/helpers/requirements.ts.
 */
import { randomBytes } from 'node:crypto';

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

/** A name for this run's exchanges, subjects and channels that no other run shares. */
export const uniquePrefix = (): string => `chorus-test-${randomBytes(4).toString('hex')}`;
