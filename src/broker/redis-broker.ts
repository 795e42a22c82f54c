/**
 * The Redis broker (classic pub/sub). Per namespace, a channel `<prefix>.socket-io#<nsp>#`; per adapter
 * (replica × namespace), `<prefix>.socket-io-reply#<uid>#` for the responses to its requests. Two
 * ioredis connections per replica: one publishes, the other subscribes, since a subscribed connection
 * can do nothing else. The names differ from @socket.io/redis-adapter's (`<prefix>.socket.io#…`),
 * which earlier versions used: during a rolling upgrade the two never hear each other's messages,
 * which neither could decode.
 *
 * Classic pub/sub rather than sharded (SPUBLISH): sharding only pays off by spreading channels across
 * the shards of a Redis 7 Cluster, while classic PUBLISH works on every Redis, standalone or not, the
 * 7.0 here included.
 *
 * Reconnection is ioredis's, on our backoff. Its own re-subscription is off: it sends SUBSCRIBE without
 * awaiting it, so a connection lost again at that moment would reject unhandled, which ends a Node
 * process. Instead, whenever both connections are ready, every adapter subscribes again (awaited) and
 * then announces itself. While down, publishes reject at once rather than queue: local delivery never
 * waits on them, and a backlog replayed later would be stale.
 */
import { Redis } from 'ioredis';
import type { Namespace } from 'socket.io';
import { backoffDelay } from './backoff.js';
import { BrokerAdapter, brokerOnLink, type BrokerLink } from './broker-adapter.js';
import { ConnectionState } from './connection-state.js';
import type { Broker, BrokerConfig, ResolvedBrokerOptions } from './port.js';

const namespaceChannel = (prefix: string, nsp: string) => `${prefix}.socket-io#${nsp}#`;
const memberChannel = (prefix: string, uid: string) => `${prefix}.socket-io-reply#${uid}#`;

type Listener = (bytes: Buffer) => void;

/** A replica's two connections, and the adapters whose channels the subscriber listens on. */
class RedisLink implements BrokerLink {
  readonly state: ConnectionState;
  readonly adapters = new Set<RedisAdapter>();
  readonly pub: Redis;
  readonly sub: Redis;
  /** Channel → the adapter listening on it. */
  private readonly listeners = new Map<string, Listener>();
  private closing: Promise<void> | undefined;

  constructor(
    url: string,
    readonly options: ResolvedBrokerOptions,
  ) {
    this.state = new ConnectionState('redis', options.logger);
    // One retry covers a command caught by a drop; the offline queue is off, so nothing waits for Redis.
    const connect = () =>
      new Redis(url, {
        lazyConnect: true,
        retryStrategy: backoffDelay,
        enableOfflineQueue: false,
        maxRetriesPerRequest: 1,
        autoResubscribe: false,
      });
    this.pub = connect();
    this.sub = connect();
    for (const [role, client] of [['pub', this.pub], ['sub', this.sub]] as const) {
      let lastError: Error | undefined;
      client.on('error', (err: Error) => {
        lastError = err;
      });
      client.on('close', () => {
        const reason = lastError ? `: ${lastError.message}` : '';
        this.state.markDown(new Error(`${role} connection closed${reason}`, { cause: lastError }));
      });
      client.on('ready', () => {
        lastError = undefined;
        this.ready();
      });
      // A failure here also closes the connection, and retryStrategy takes over from there.
      client.connect().catch(() => {});
    }
    this.sub.on('messageBuffer', (channel: Buffer, message: Buffer) => this.listeners.get(channel.toString())?.(message));
  }

  get up(): boolean {
    return this.pub.status === 'ready' && this.sub.status === 'ready';
  }

  /** Routes what arrives on `channels` to `listener`, until `unlisten`. */
  listen(channels: readonly string[], listener: Listener): void {
    for (const channel of channels) this.listeners.set(channel, listener);
  }

  unlisten(channels: readonly string[]): void {
    for (const channel of channels) this.listeners.delete(channel);
    if (this.sub.status !== 'ready') return;
    this.sub.unsubscribe(...channels).catch(() => {
      // The connection is gone, and its subscriptions with it.
    });
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      this.state.markClosed();
      // disconnect() rather than quit(): quit waits for a reply that a dead connection never sends.
      this.pub.disconnect();
      this.sub.disconnect();
    })();
    return this.closing;
  }

  private ready(): void {
    if (!this.up || this.state.isClosed) return;
    this.state.markUp();
    for (const adapter of this.adapters) adapter.attach();
  }
}

class RedisAdapter extends BrokerAdapter {
  private readonly channel: string;
  private readonly channels: readonly string[];

  constructor(
    nsp: Namespace,
    private readonly link: RedisLink,
  ) {
    super(nsp, link.options);
    this.channel = namespaceChannel(link.options.prefix, nsp.name);
    this.channels = [this.channel, memberChannel(link.options.prefix, this.uid)];
    link.listen(this.channels, (bytes) => this.receive(bytes));
    link.adapters.add(this);
    if (link.up) this.attach();
  }

  // Socket.IO calls init() right after construction: announce() runs from attach() instead, once the
  // subscriptions are in place for the answers.
  override init(): void {}

  /** Subscribes this adapter's channels (again), then announces it. */
  attach(): void {
    this.link.sub.subscribe(...this.channels).then(
      () => {
        if (this.link.adapters.has(this)) this.announce();
      },
      // The connection dropped meanwhile: the next 'ready' attaches again.
      (err: unknown) => this.log.debug({ err }, 'redis subscribe failed'),
    );
  }

  protected async send(bytes: Buffer): Promise<void> {
    await this.link.pub.publish(this.channel, bytes);
  }

  protected async sendTo(uid: string, bytes: Buffer): Promise<void> {
    await this.link.pub.publish(memberChannel(this.link.options.prefix, uid), bytes);
  }

  protected detach(): void {
    this.link.adapters.delete(this);
    this.link.unlisten(this.channels);
  }
}

/** A Redis broker at `config.url`; connects in the background and keeps reconnecting until closed. */
export function createRedisBroker(config: BrokerConfig<'redis'>, options: ResolvedBrokerOptions): Broker {
  return brokerOnLink(new RedisLink(config.url, options), (nsp, link) => new RedisAdapter(nsp, link));
}
