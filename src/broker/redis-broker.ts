/**
 * The Redis broker: @socket.io/redis-adapter on two ioredis connections of its own (one publishes, the
 * other subscribes, since a subscribed connection can do nothing else).
 *
 * Classic pub/sub rather than sharded (SPUBLISH): sharding only pays off by spreading channels across
 * the shards of a Redis 7 Cluster, while classic PUBLISH works on every Redis, standalone or not, the
 * 7.0 here included.
 *
 * The adapter counts replicas with PUBSUB NUMSUB, so a replica whose connection drops is forgotten at
 * once, without heartbeats; `heartbeatTimeout` bounds its requests (fetchSockets, serverSideEmit acks).
 * Server-side emits travel as JSON (the adapter's own choice; the broker contract's `jsonServerSideEmit`).
 *
 * The adapter sends its commands without awaiting them, and so does ioredis when it restores
 * subscriptions after a reconnect: while Redis is away their rejections would go unhandled, which ends
 * a Node process. So the adapter is handed a view of each connection (`adapterView`) rather than the
 * ioredis instance itself, which stays as ioredis made it: the view handles those rejections, times
 * every PUBLISH, and remembers the subscriptions, which this driver restores itself, awaited, whenever
 * the subscriber is ready again (ioredis's own restoring is off).
 */
import { createAdapter } from '@socket.io/redis-adapter';
import { Redis, type RedisOptions } from 'ioredis';
import type { Logger } from 'pino';
import { timeBrokerPublish } from '../observability/dependency-metrics.js';
import { backoffDelay } from './backoff.js';
import { ConnectionState } from './connection-state.js';
import type { Broker, BrokerConfig, ResolvedBrokerOptions } from './port.js';

/** A Redis broker at `config.url`; connects in the background and keeps reconnecting until closed. */
export function createRedisBroker(config: BrokerConfig<'redis'>, options: ResolvedBrokerOptions): Broker {
  const common: RedisOptions = { lazyConnect: true, retryStrategy: backoffDelay, autoResubscribe: false };
  const links = [
    // Publishes fail at once while disconnected rather than queue: local delivery never waits on them,
    // and a backlog replayed later would be stale. One retry covers a command caught by a drop.
    new RedisLink('pub', new Redis(config.url, { ...common, enableOfflineQueue: false, maxRetriesPerRequest: 1 }), options.logger),
    // Subscriptions asked for while Redis is away must wait for it, not fail.
    new RedisLink('sub', new Redis(config.url, { ...common, maxRetriesPerRequest: null }), options.logger),
  ] as const;
  const [pub, sub] = links;
  sub.client.on('ready', () => void sub.view.restoreSubscriptions());
  let closing: Promise<void> | undefined;
  return {
    kind: 'redis',
    adapter: createAdapter(pub.view.client, sub.view.client, {
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

/** One of the broker's two connections: its state, logged as every driver logs its own, and the adapter's view of it. */
class RedisLink {
  readonly state: ConnectionState;
  readonly view: AdapterView;

  constructor(
    role: 'pub' | 'sub',
    readonly client: Redis,
    logger: Logger,
  ) {
    const log = logger.child({ redis: role });
    this.state = new ConnectionState('redis', log);
    this.view = adapterView(client, (err) => log.debug({ err }, 'redis command failed'));
    let lastError: Error | undefined;
    client.on('error', (err: Error) => {
      lastError = err;
    });
    client.on('close', () => this.state.markDown(lastError ?? new Error('connection closed')));
    client.on('ready', () => {
      lastError = undefined;
      this.state.markUp();
    });
    // A failure here also closes the connection, and retryStrategy takes over from there.
    client.connect().catch(() => {});
  }
}

type Command = (...args: unknown[]) => Promise<unknown>;

export interface AdapterView {
  /** What the adapter is given in place of the ioredis instance. */
  client: Redis;
  /** Sends again every subscription made through the view, awaited (after a reconnect). */
  restoreSubscriptions(): Promise<void>;
}

/**
 * A view of `client` for the adapter: every property is the instance's own (methods bound to it), but
 * for PUBLISH, timed, and the (un)subscribe commands, remembered; each of those has its rejection
 * handled by `onError`, and still rejects for anyone who awaits it.
 */
export function adapterView(client: Redis, onError: (err: unknown) => void): AdapterView {
  const channels = new Set<string>();
  const patterns = new Set<string>();
  const handled = (result: Promise<unknown>) => {
    result.catch(onError);
    return result;
  };
  const run = (command: 'publish' | 'subscribe' | 'psubscribe' | 'unsubscribe' | 'punsubscribe', args: unknown[]) =>
    (client[command] as Command).apply(client, args);
  /** A (un)subscribe command that keeps `names` up to date: channel and pattern names are its string arguments. */
  const tracking =
    (command: 'subscribe' | 'psubscribe' | 'unsubscribe' | 'punsubscribe', names: Set<string>, add: boolean): Command =>
    (...args) => {
      for (const name of args.flat()) {
        if (typeof name !== 'string') continue;
        if (add) names.add(name);
        else names.delete(name);
      }
      return handled(run(command, args));
    };
  const overrides: Record<string, Command> = {
    publish: (...args) => handled(timeBrokerPublish('redis', () => run('publish', args))),
    subscribe: tracking('subscribe', channels, true),
    psubscribe: tracking('psubscribe', patterns, true),
    unsubscribe: tracking('unsubscribe', channels, false),
    punsubscribe: tracking('punsubscribe', patterns, false),
  };
  const view = new Proxy(client, {
    get(target, property) {
      if (typeof property === 'string' && Object.hasOwn(overrides, property)) return overrides[property];
      const value: unknown = Reflect.get(target, property, target);
      // Methods run on the instance itself; the class stays itself (the adapter reads its name).
      return typeof value === 'function' && property !== 'constructor' ? (value as Command).bind(target) : value;
    },
  });
  return {
    client: view,
    restoreSubscriptions: async () => {
      try {
        if (channels.size > 0) await client.subscribe(...channels);
        if (patterns.size > 0) await client.psubscribe(...patterns);
      } catch (err) {
        // Lost again meanwhile: the next 'ready' tries again.
        onError(err);
      }
    },
  };
}
