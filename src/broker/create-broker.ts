/**
 * Picks the broker driver named by the configuration. Never throws or waits on the network: an
 * unreachable broker leaves the replica running on local delivery, with `check()` saying why, until
 * the broker appears.
 */
import { pino } from 'pino';
import { maskUrl, type BrokerConfig } from '../config/config.js';
import { trackBroker } from '../observability/dependency-metrics.js';
import { createMemoryBroker } from './memory-adapter.js';
import { createNatsBroker } from './nats-adapter.js';
import type { Broker, BrokerOptions, ResolvedBrokerOptions } from './port.js';
import { createRabbitBroker } from './rabbit-adapter.js';
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

function createDriver(config: BrokerConfig, options: BrokerOptions): Broker {
  const resolved: ResolvedBrokerOptions = {
    kind: config.kind,
    heartbeatInterval: options.heartbeatInterval ?? 5_000,
    heartbeatTimeout: options.heartbeatTimeout ?? 10_000,
    logger: (options.logger ?? pino({ level: 'silent' })).child({ broker: config.kind }),
    prefix: options.prefix ?? 'chorus',
  };
  const log = resolved.logger;
  switch (config.kind) {
    case 'memory':
      log.info('broker: in-process bus (one replica, or replicas in one process)');
      return createMemoryBroker({ ...resolved, bus: options.bus });
    case 'redis':
      log.info({ url: maskUrl(config.url), prefix: resolved.prefix }, 'broker: redis');
      return createRedisBroker(config.url, resolved);
    case 'rabbit':
      log.info({ url: maskUrl(config.url), prefix: resolved.prefix }, 'broker: rabbitmq');
      return createRabbitBroker(config.url, resolved);
    case 'nats':
      log.info({ servers: config.servers.map(maskUrl), prefix: resolved.prefix }, 'broker: nats');
      return createNatsBroker(config.servers, config.credentials, resolved);
  }
}
