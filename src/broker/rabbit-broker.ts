/**
 * The RabbitMQ broker. Per namespace, a fanout exchange `<prefix>.socket.io#<nsp>`; per adapter (replica
 * × namespace), an exclusive auto-delete queue `<exchange>#<uid>` bound to it. Broadcasts go to the
 * exchange; a response goes straight to the requester's queue through the default exchange, whose
 * routing key is a queue name. Nothing is durable: a queue lives as long as its replica's connection.
 *
 * One connection and one channel per replica. amqplib's recovery reconnects with backoff, and its setup
 * hook re-declares every adapter's topology before the connection counts as up; a channel that closes
 * alone (a refused declaration, say) recycles the connection through the same path. While down,
 * publishes reject at once, so local delivery goes on.
 */
import { connect, type Channel, type ChannelModel, type RecoveringChannelModel } from 'amqplib';
import type { Namespace } from 'socket.io';
import { backoffDelay } from './backoff.js';
import { BrokerAdapter, brokerOnLink, type BrokerLink } from './broker-adapter.js';
import { ConnectionState } from './connection-state.js';
import type { Broker, BrokerConfig, ResolvedBrokerOptions } from './port.js';

const exchangeName = (prefix: string, nsp: string) => `${prefix}.socket.io#${nsp}`;
const queueName = (exchange: string, uid: string) => `${exchange}#${uid}`;

/** A replica's connection and channel, and the adapters whose topology lives on them. */
class RabbitLink implements BrokerLink {
  readonly state: ConnectionState;
  readonly adapters = new Set<RabbitAdapter>();
  /** Set while the connection is up and its setup has run (or is running). */
  channel: Channel | undefined;
  private model: ChannelModel | undefined;
  private readonly recovering: Promise<RecoveringChannelModel>;
  private closing: Promise<void> | undefined;

  constructor(
    url: string,
    readonly options: ResolvedBrokerOptions,
  ) {
    const log = options.logger;
    this.state = new ConnectionState('rabbit', log);
    this.recovering = connect(url, {
      recovery: {
        // Resolve now and connect in the background: an unreachable broker must not hold up the replica.
        waitForConnect: false,
        calculateDelay: backoffDelay,
        setup: (model: ChannelModel) => this.setup(model),
      },
    });
    this.recovering.then(
      (recovering) => {
        recovering.on('connect', () => this.state.markUp());
        recovering.on('disconnect', (err: Error) => this.state.markDown(err));
        recovering.on('connect-failed', (err: Error) => this.state.markDown(err));
        recovering.on('reconnect-scheduled', ({ attempt, delay }: { attempt: number; delay: number }) =>
          log.debug({ attempt, delay }, 'rabbit reconnect scheduled'),
        );
        // Re-emitted connection errors; the close that follows is what recovery acts on.
        recovering.on('error', (err: Error) => log.debug({ err }, 'rabbit connection error'));
      },
      (err: unknown) => this.state.markDown(err),
    );
  }

  /** Closes the connection, so that recovery opens a new one and declares everything again. */
  recycle(): void {
    this.model?.close().catch(() => {
      // Already closing: recovery has it in hand.
    });
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      this.state.markClosed();
      const recovering = await this.recovering.catch(() => undefined);
      await recovering?.close();
    })();
    return this.closing;
  }

  private async setup(model: ChannelModel): Promise<void> {
    this.model = model;
    // amqplib listens for this connection's errors only once setup has finished, so a connection lost
    // during setup would throw an uncaught 'error'. Nothing to do here: setup fails, and recovery
    // reports it ('connect-failed') and reconnects; later errors reach the listener in the constructor.
    model.on('error', () => {});
    const channel = await model.createChannel();
    // A channel error (e.g. a refused declaration) is followed by its close, handled below.
    channel.on('error', (err: Error) => this.options.logger.warn({ err }, 'rabbit channel error'));
    channel.once('close', () => this.channelClosed(channel));
    this.channel = channel;
    await Promise.all([...this.adapters].map((adapter) => adapter.bind(channel)));
  }

  private channelClosed(channel: Channel): void {
    if (this.channel !== channel) return;
    this.channel = undefined;
    for (const adapter of this.adapters) adapter.unbind();
    this.state.markDown(new Error('channel closed'));
    if (!this.closing) this.recycle();
  }
}

/** This adapter's topology on one channel. */
interface Binding {
  channel: Channel;
  consumerTag: string;
}

class RabbitAdapter extends BrokerAdapter {
  private readonly exchange: string;
  private readonly queue: string;
  /** Resolves once this adapter's topology is declared on the current channel; unset while disconnected. */
  private bound: Promise<Binding> | undefined;

  constructor(
    nsp: Namespace,
    private readonly link: RabbitLink,
  ) {
    super(nsp, link.options);
    this.exchange = exchangeName(link.options.prefix, nsp.name);
    this.queue = queueName(this.exchange, this.uid);
    link.adapters.add(this);
    // A refused declaration closes the channel, which recycles the connection: logging is all that is left.
    if (link.channel) this.bind(link.channel).catch((err: unknown) => this.log.warn({ err }, 'rabbit declare failed'));
  }

  // Socket.IO calls init() right after construction: announce() runs from bind() instead, once the queue
  // exists for the answers to land in.
  override init(): void {}

  /** Declares this adapter's exchange, queue and consumer on `channel`, then announces it. */
  bind(channel: Channel): Promise<void> {
    this.bound = this.declare(channel);
    return this.bound.then(() => this.announce());
  }

  /** The channel is gone: publishes reject until the next bind. */
  unbind(): void {
    this.bound = undefined;
  }

  protected async send(bytes: Buffer): Promise<void> {
    // A false return means amqplib's buffer is past its high-water mark; the message is still queued.
    (await this.binding()).channel.publish(this.exchange, '', bytes);
  }

  protected async sendTo(uid: string, bytes: Buffer): Promise<void> {
    (await this.binding()).channel.publish('', queueName(this.exchange, uid), bytes);
  }

  protected detach(): void {
    this.link.adapters.delete(this);
    const bound = this.bound;
    this.unbind();
    // Cancelling the consumer deletes the auto-delete queue. Chained on `bound`, it goes out after the
    // goodbye that close() published just before, which awaits the same promise.
    bound
      ?.then(({ channel, consumerTag }) => channel.cancel(consumerTag))
      .catch(() => {
        // The channel is gone, and the queue with it.
      });
  }

  private async declare(channel: Channel): Promise<Binding> {
    await channel.assertExchange(this.exchange, 'fanout', { durable: false, autoDelete: true });
    await channel.assertQueue(this.queue, { exclusive: true, autoDelete: true, durable: false });
    await channel.bindQueue(this.queue, this.exchange, '');
    const { consumerTag } = await channel.consume(
      this.queue,
      (message) => {
        if (message) return this.receive(message.content);
        // null: the broker cancelled the consumer (its queue was deleted by hand): start over.
        this.log.warn('rabbit cancelled our consumer; reconnecting');
        this.link.recycle();
      },
      { noAck: true },
    );
    return { channel, consumerTag };
  }

  private binding(): Promise<Binding> {
    if (!this.bound) throw new Error('rabbit not connected');
    return this.bound;
  }
}

/** A RabbitMQ broker at `config.url`; connects in the background and keeps reconnecting until closed. */
export function createRabbitBroker(config: BrokerConfig<'rabbit'>, options: ResolvedBrokerOptions): Broker {
  return brokerOnLink(new RabbitLink(config.url, options), (nsp, link) => new RabbitAdapter(nsp, link));
}
