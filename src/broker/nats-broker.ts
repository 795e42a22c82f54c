/**
 * The NATS broker (core NATS: at most once, like Socket.IO itself). Per namespace, a subject
 * `<prefix>.socket-io.<encoded nsp>`; per adapter (replica × namespace), `<prefix>.socket-io-reply.<uid>`
 * for the responses to its requests.
 *
 * The first connection is made by a retry loop of ours: the client's `waitOnFirstConnect` retries too,
 * but returns no handle to stop it before it succeeds, so a replica closed while NATS is away could
 * never exit. Once connected, the client reconnects by itself (forever, on our backoff) and
 * re-subscribes; the adapters then announce themselves again. While disconnected, publishes reject
 * instead of filling the client's reconnect buffer: remote replicas miss those messages as they would
 * on the other brokers, and local delivery goes on.
 */
import { connect, type ConnectionOptions, type Msg, type NatsConnection, type NatsError, type Subscription } from 'nats';
import type { Namespace } from 'socket.io';
import { backoffDelay } from './backoff.js';
import { BrokerAdapter, brokerOnLink, type BrokerLink } from './broker-adapter.js';
import { ConnectionState } from './connection-state.js';
import type { Broker, BrokerConfig, ResolvedBrokerOptions } from './port.js';

/** A namespace name as one subject token: dots would split it, `*` and `>` are wildcards, spaces are illegal. */
const subjectToken = (nsp: string) =>
  encodeURIComponent(nsp).replace(/[.*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
const namespaceSubject = (prefix: string, nsp: string) => `${prefix}.socket-io.${subjectToken(nsp)}`;
const memberSubject = (prefix: string, uid: string) => `${prefix}.socket-io-reply.${uid}`;

/** A replica's connection, and the adapters subscribed through it. */
class NatsLink implements BrokerLink {
  readonly state: ConnectionState;
  readonly adapters = new Set<NatsAdapter>();
  /** Set once connected, and kept while the client reconnects. */
  connection: NatsConnection | undefined;
  /** Consecutive failed attempts, for the backoff. */
  private attempts = 0;
  private retryTimer: NodeJS.Timeout | undefined;
  private opening: Promise<void> | undefined;
  private closing: Promise<void> | undefined;

  constructor(
    private readonly connectOptions: ConnectionOptions,
    readonly options: ResolvedBrokerOptions,
  ) {
    this.state = new ConnectionState('nats', options.logger);
    this.opening = this.open();
  }

  /** Publishes on the live connection; throws while disconnected, or when NATS would refuse the size. */
  publish(subject: string, bytes: Buffer): void {
    const connection = this.connection;
    if (!connection || !this.state.up) throw new Error('nats not connected');
    const max = connection.info?.max_payload;
    if (max !== undefined && bytes.byteLength > max) {
      const err = new Error(`message of ${bytes.byteLength} bytes exceeds the NATS max_payload of ${max}`);
      this.options.logger.warn({ err, subject }, 'nats message too large for the other replicas');
      throw err;
    }
    connection.publish(subject, bytes);
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      clearTimeout(this.retryTimer);
      this.state.markClosed();
      // Unset first, so that adapters made from now on don't subscribe on a closing connection.
      const connection = this.connection;
      this.connection = undefined;
      // An attempt in flight closes what it opens once it sees `closing`.
      await this.opening;
      await connection?.close();
    })();
    return this.closing;
  }

  private async open(): Promise<void> {
    const log = this.options.logger;
    let connection: NatsConnection;
    try {
      connection = await connect({
        ...this.connectOptions,
        maxReconnectAttempts: -1,
        reconnectDelayHandler: () => backoffDelay(this.attempts),
      });
    } catch (err) {
      if (this.closing) return;
      this.state.markDown(err);
      this.attempts += 1;
      this.retryTimer = setTimeout(() => {
        this.opening = this.open();
      }, backoffDelay(this.attempts));
      return;
    }
    if (this.closing) {
      await connection.close();
      return;
    }
    this.attempts = 0;
    this.connection = connection;
    this.state.markUp({ server: connection.getServer() });
    for (const adapter of this.adapters) adapter.attach(connection);
    this.watch(connection).catch((err: unknown) => log.error({ err }, 'nats status watch failed'));
  }

  private async watch(connection: NatsConnection): Promise<void> {
    const log = this.options.logger;
    for await (const status of connection.status()) {
      if (this.closing) break;
      switch (status.type) {
        case 'disconnect':
          this.state.markDown(new Error(`disconnected from ${String(status.data)}`));
          break;
        case 'reconnecting':
          this.attempts += 1;
          break;
        case 'reconnect':
          this.attempts = 0;
          this.state.markUp({ server: status.data });
          // The client has re-subscribed; replicas that forgot this one meanwhile learn it again.
          for (const adapter of this.adapters) adapter.announce();
          break;
        case 'error':
          log.warn({ err: status.data }, 'nats async error');
          break;
      }
    }
    // The iterator ends when the connection closes for good: by close(), or on a fatal error (such as
    // revoked credentials) that the client does not retry.
    const err = await connection.closed();
    if (this.closing) return;
    this.connection = undefined;
    this.state.markDown(err ?? new Error('connection closed'));
    this.opening = this.open();
  }
}

class NatsAdapter extends BrokerAdapter {
  private readonly subject: string;
  private subscriptions: Subscription[] = [];

  constructor(
    nsp: Namespace,
    private readonly link: NatsLink,
  ) {
    super(nsp, link.options);
    this.subject = namespaceSubject(link.options.prefix, nsp.name);
    link.adapters.add(this);
    if (link.connection) this.attach(link.connection);
  }

  // Socket.IO calls init() right after construction: announce() runs from attach() instead, once there
  // is a connection to carry it and subscriptions for the answers.
  override init(): void {}

  /** Subscribes on `connection` (replacing subscriptions on an earlier one), then announces this adapter. */
  attach(connection: NatsConnection): void {
    this.unsubscribe();
    const callback = (err: NatsError | null, msg: Msg) => {
      if (err) this.log.warn({ err }, 'nats subscription error');
      else this.receive(msg.data);
    };
    this.subscriptions = [
      connection.subscribe(this.subject, { callback }),
      connection.subscribe(memberSubject(this.link.options.prefix, this.uid), { callback }),
    ];
    this.announce();
  }

  protected async send(bytes: Buffer): Promise<void> {
    this.link.publish(this.subject, bytes);
  }

  protected async sendTo(uid: string, bytes: Buffer): Promise<void> {
    this.link.publish(memberSubject(this.link.options.prefix, uid), bytes);
  }

  protected detach(): void {
    this.link.adapters.delete(this);
    this.unsubscribe();
  }

  private unsubscribe(): void {
    for (const subscription of this.subscriptions.splice(0)) {
      // A subscription ends with its connection, and unsubscribing it then would throw.
      if (!subscription.isClosed()) subscription.unsubscribe();
    }
  }
}

/** What every connection attempt passes to nats.js, credentials included (it ignores any in the URLs). */
export function natsConnectOptions({ servers, credentials }: BrokerConfig<'nats'>): ConnectionOptions {
  return {
    servers,
    ...credentials,
    // Two missed pings (20 s) reveal a half-open connection; the default takes 4 minutes.
    pingInterval: 10_000,
    // An address that never answers is given up after 5 s (default 20 s), so close() never waits long.
    timeout: 5_000,
  };
}

/** A NATS broker on `config.servers`; connects in the background and keeps reconnecting until closed. */
export function createNatsBroker(config: BrokerConfig<'nats'>, options: ResolvedBrokerOptions): Broker {
  return brokerOnLink(new NatsLink(natsConnectOptions(config), options), (nsp, link) => new NatsAdapter(nsp, link));
}
