/**
 * A RabbitMQ connection reset while the broker is still declaring its topology (amqplib's recovery
 * `setup`). amqplib binds its own 'error' listener only once setup has finished, so without ours the
 * reset was an uncaught ECONNRESET that ended the process (seen as a rare failure of a whole test run).
 * The reset is timed by a hook on `createChannel`, the first call setup makes; the connection and the
 * RST are real.
 */
import { connect } from 'amqplib';
import { afterEach, expect, it, vi } from 'vitest';
import { createBroker } from '../../src/broker/create-broker.js';
import type { Broker } from '../../src/broker/port.js';
import { createLogger } from '../../src/observability/logger.js';
import { describeWithService } from '../helpers/requirements.js';
import { uniquePrefix } from '../../dev/brokers.js';
import { eventually } from '../../dev/eventually.js';
import { startRelay, type Relay } from '../../dev/tcp-relay.js';

/** The prototype of amqplib's connection model (not exported), the same the broker's models are made from. */
async function channelModelPrototype(): Promise<{ createChannel(...args: unknown[]): Promise<unknown> }> {
  const model = await connect('amqp://guest:guest@127.0.0.1:5672');
  await model.close();
  return Object.getPrototypeOf(model) as { createChannel(...args: unknown[]): Promise<unknown> };
}

await describeWithService('RabbitMQ', 5672, () => {
  let relay: Relay | undefined;
  let broker: Broker | undefined;
  const uncaught: unknown[] = [];
  const record = (err: unknown) => uncaught.push(err);

  afterEach(async () => {
    vi.restoreAllMocks();
    process.off('uncaughtException', record);
    await broker?.close();
    await relay?.close();
  });

  it('survives a connection reset during setup, and connects on the next attempt', async () => {
    relay = await startRelay(5672);
    const prototype = await channelModelPrototype();
    const createChannel = prototype.createChannel;
    let resets = 0;
    vi.spyOn(prototype, 'createChannel').mockImplementation(function (this: unknown, ...args: unknown[]) {
      // The first setup loses its connection just as it starts; later ones go through.
      if (resets++ === 0) relay!.reset();
      return createChannel.apply(this, args);
    });
    process.on('uncaughtException', record);

    broker = createBroker(
      { kind: 'rabbit', url: `amqp://guest:guest@127.0.0.1:${relay.port}` },
      { logger: createLogger({ level: 'silent' }), prefix: uniquePrefix() },
    );
    await eventually(() => broker!.check().then(() => true), 15_000, 'the broker to connect after the reset');
    expect(resets).toBeGreaterThanOrEqual(2);
    expect(uncaught).toEqual([]);
  });
});
