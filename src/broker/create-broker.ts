/**
 * Picks the broker driver named by the configuration. Never throws or waits on the network: an
 * unreachable broker leaves the replica running on local delivery, with `check()` saying why, until
 * the broker appears.
 */
import { pino } from 'pino';
import { DEFAULT_REPLICA_TIMEOUT_MS, maskUrl, type Config } from '../config/config.js';
import { trackBroker } from '../observability/dependency-metrics.js';
import { MemoryBus } from './memory-bus.js';
import { createMemoryBroker } from './memory-broker.js';
import { createNatsBroker } from './nats-broker.js';
import type { Broker, BrokerConfig, BrokerOptions, ResolvedBrokerOptions } from './port.js';
import { createRabbitBroker } from './rabbit-broker.js';
import { createRedisBroker } from './redis-broker.js';

export type { Broker, BrokerKind, BrokerOptions } from './port.js';

/** The driver `config` names, reported in `chorus_broker_up` until it is closed. */
export function createBroker(config: BrokerConfig, options: BrokerOptions = {}): Broker {
  const broker = createDriver(config, options);
  const untrack = trackBroker(broker);
  return {
    ...broker,
    close: () => {
      untrack();
      return broker.close();
    },
  };
}

/**
 * What a replica's configuration says about its broker besides the driver: the name prefix, and
 * `REPLICA_TIMEOUT_MS` as the adapters' heartbeat timeout (the interval following as a third of it),
 * so an operator's one setting decides when a silent replica is dropped, by the adapters and by the
 * CRDT replication alike.
 */
export function brokerOptionsOf(config: Pick<Config, 'brokerPrefix' | 'replicaTimeoutMs'>): BrokerOptions {
  return { prefix: config.brokerPrefix, heartbeatTimeout: config.replicaTimeoutMs };
}

/** The one place the defaults of {@link BrokerOptions} are merged. */
function resolveOptions(kind: BrokerConfig['kind'], options: BrokerOptions): ResolvedBrokerOptions {
  const heartbeatTimeout = options.heartbeatTimeout ?? DEFAULT_REPLICA_TIMEOUT_MS;
  return {
    kind,
    heartbeatTimeout,
    heartbeatInterval: options.heartbeatInterval ?? Math.round(heartbeatTimeout / 3),
    logger: (options.logger ?? pino({ level: 'silent' })).child({ broker: kind }),
    prefix: options.prefix ?? 'chorus',
    bus: options.bus ?? new MemoryBus(),
  };
}

function createDriver(config: BrokerConfig, options: BrokerOptions): Broker {
  const resolved = resolveOptions(config.kind, options);
  const log = resolved.logger;
  switch (config.kind) {
    case 'memory':
      log.info('broker: in-process bus (one replica, or replicas in one process)');
      return createMemoryBroker(resolved);
    case 'redis':
      log.info({ url: maskUrl(config.url), prefix: resolved.prefix }, 'broker: redis');
      return createRedisBroker(config, resolved);
    case 'rabbit':
      log.info({ url: maskUrl(config.url), prefix: resolved.prefix }, 'broker: rabbitmq');
      return createRabbitBroker(config, resolved);
    case 'nats':
      log.info({ servers: config.servers.map(maskUrl), prefix: resolved.prefix }, 'broker: nats');
      return createNatsBroker(config, resolved);
  }
}
