/**
 * The Redis broker: @socket.io/redis-adapter on two ioredis connections of its own (one publishes, the
 * other subscribes, since a subscribed connection can do nothing else).
 *
 * Classic pub/sub rather than sharded (SPUBLISH): sharding only pays off by spreading channels across
 * the shards of a Redis 7 Cluster, while classic PUBLISH works on every Redis, standalone or not, the
 * 7.0 here included.
 *
 * Reconnection is ioredis's, on our backoff; the subscriber restores its subscriptions by itself. The
 * adapter counts replicas with PUBSUB NUMSUB, so a replica whose connection drops is forgotten at once,
 * without heartbeats; `heartbeatTimeout` bounds its requests (fetchSockets, serverSideEmit acks).
 *
 * The one driver that is not a thin adapter on `BrokerAdapter`: it is the Socket.IO project's own
 * adapter. That costs two departures, both written down: server-side emits travel as JSON (the broker
 * contract's `jsonServerSideEmit`), and the publishing commands are wrapped on the ioredis instances
 * (below), because the adapter sends them without awaiting them.
 */
import { createAdapter } from '@socket.io/redis-adapter';
import { Redis, type RedisOptions } from 'ioredis';
import { timeBrokerPublish } from '../observability/dependency-metrics.js';
import { backoffDelay } from './backoff.js';
import { ConnectionState } from './connection-state.js';
import type { Broker, BrokerConfig, ResolvedBrokerOptions } from './port.js';

/** A Redis broker at `config.url`; connects in the background and keeps reconnecting until closed. */
export function createRedisBroker(config: BrokerConfig<'redis'>, options: ResolvedBrokerOptions): Broker {
  const common: RedisOptions = { lazyConnect: true, retryStrategy: backoffDelay };
  const links = [
    // Publishes fail at once while disconnected rather than queue: local delivery never waits on them,
    // and a backlog replayed later would be stale. One retry covers a command caught by a drop.
    new RedisLink('pub', new Redis(config.url, { ...common, enableOfflineQueue: false, maxRetriesPerRequest: 1 }), options),
    // Subscriptions asked for while Redis is away must wait for it, not fail: ioredis only restores
    // those that were confirmed.
    new RedisLink('sub', new Redis(config.url, { ...common, maxRetriesPerRequest: null }), options),
  ] as const;
  const [pub, sub] = links;
  timePublishes(pub.client);
  let closing: Promise<void> | undefined;
  return {
    kind: 'redis',
    adapter: createAdapter(pub.client, sub.client, {
      key: `${options.prefix}.socket.io`,
      requestsTimeout: options.heartbeatTimeout,
    }),
    check: async () => {
      for (const link of links) await link.state.check();
    },
    close: () => {
      // disconnect() rather than quit(): quit waits for a reply that a dead connection never sends.
      closing ??= Promise.resolve().then(() =>
        links.forEach((link) => {
          link.state.markClosed();
          link.client.disconnect();
        }),
      );
      return closing;
    },
  };
}

/** One of the broker's two connections and its state, logged as every driver logs its own. */
class RedisLink {
  readonly state: ConnectionState;

  constructor(
    role: 'pub' | 'sub',
    readonly client: Redis,
    { logger }: ResolvedBrokerOptions,
  ) {
    const log = logger.child({ redis: role });
    this.state = new ConnectionState('redis', log);
    let lastError: Error | undefined;
    client.on('error', (err: Error) => {
      lastError = err;
    });
    client.on('close', () => this.state.markDown(lastError ?? new Error('connection closed')));
    client.on('ready', () => {
      lastError = undefined;
      this.state.markUp();
    });
    catchUnawaited(client, (err) => log.debug({ err }, 'redis command failed'));
    // A failure here also closes the connection, and retryStrategy takes over from there.
    client.connect().catch(() => {});
  }
}

/** Times the adapter's PUBLISH commands (its broadcasts, requests and responses) until Redis answers. */
function timePublishes(client: Redis): void {
  const publish = client.publish.bind(client) as (...args: unknown[]) => Promise<number>;
  Object.assign(client, { publish: (...args: unknown[]) => timeBrokerPublish('redis', () => publish(...args)) });
}

/**
 * The redis adapter sends these commands without awaiting them (and ioredis re-subscribes the same way),
 * so while Redis is away their rejections would go unhandled, which ends a Node process. Attaching a
 * handler leaves the command and its promise as they were for anyone who does await it.
 */
const UNAWAITED_COMMANDS = ['publish', 'subscribe', 'psubscribe', 'unsubscribe', 'punsubscribe'] as const;

function catchUnawaited(client: Redis, onError: (err: unknown) => void): void {
  for (const name of UNAWAITED_COMMANDS) {
    const command = (client[name] as (...args: unknown[]) => Promise<unknown>).bind(client);
    Object.assign(client, {
      [name]: (...args: unknown[]) => {
        const result = command(...args);
        result.catch(onError);
        return result;
      },
    });
  }
}
