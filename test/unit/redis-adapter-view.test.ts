/**
 * The view of an ioredis connection that the Redis broker hands to @socket.io/redis-adapter: the
 * adapter's unawaited commands must not reject unhandled (that ends a Node process), PUBLISH is timed,
 * subscriptions are remembered for the driver to restore, and the ioredis instance is left untouched.
 * Against the real Redis on 127.0.0.1:6379.
 */
import { Redis } from 'ioredis';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { adapterView } from '../../src/broker/redis-broker.js';
import { registerDependencyMetrics } from '../../src/observability/dependency-metrics.js';
import { describeWithService } from '../helpers/requirements.js';

const registry = new Registry();
registerDependencyMetrics(registry);
const publishCount = async () => {
  const metric = (await registry.getMetricsAsJSON()).find((m) => m.name === 'chorus_broker_publish_seconds');
  const values = (metric?.values ?? []) as { metricName?: string; labels: Record<string, unknown>; value: number }[];
  return values.find((v) => v.metricName === 'chorus_broker_publish_seconds_count' && v.labels.broker === 'redis')?.value ?? 0;
};

await describeWithService('Redis', 6379, () => {
  describe('the Redis adapter view', () => {
    const clients: Redis[] = [];
    const connect = (options = {}) => {
      const client = new Redis('redis://127.0.0.1:6379', { lazyConnect: true, ...options });
      clients.push(client);
      return client;
    };
    afterEach(() => {
      for (const client of clients.splice(0)) client.disconnect();
    });

    it('leaves the ioredis instance as it was, and forwards what it does not wrap', async () => {
      const client = connect();
      const { client: view } = adapterView(client, () => {});
      await view.connect();
      expect(await view.ping()).toBe('PONG');
      expect(view.status).toBe('ready');
      expect(view.constructor).toBe(client.constructor);
      await view.publish('chorus-test-view', 'through the view');
      await view.subscribe('chorus-test-view');
      // The wrapped commands are the view's: the instance still has only ioredis's own.
      for (const command of ['publish', 'subscribe', 'psubscribe', 'unsubscribe', 'punsubscribe']) {
        expect(Object.hasOwn(client, command), command).toBe(false);
        expect(client[command as 'publish']).toBe(Redis.prototype[command as 'publish']);
      }
    });

    it('times every PUBLISH, and hands a rejection nobody awaits to onError', async () => {
      const errors: unknown[] = [];
      // No offline queue: a command on a closed connection rejects at once.
      const { client: view } = adapterView(connect({ enableOfflineQueue: false }), (err) => errors.push(err));
      const before = await publishCount();
      // Not connected: rejects. Unawaited, as the adapter does it; an unhandled rejection would fail the run.
      void view.publish('chorus-test-view', 'lost');
      await expect.poll(() => errors.length).toBe(1);
      expect(await publishCount()).toBe(before + 1);
      // Still rejects for a caller who awaits it.
      await expect(view.publish('chorus-test-view', 'lost')).rejects.toThrow();
    });

    it('remembers subscriptions, forgets unsubscribed ones, and restores them on a fresh connection', async () => {
      const client = connect({ autoResubscribe: false });
      const view = adapterView(client, () => {});
      await view.client.connect();
      await view.client.subscribe('chorus-test-a', 'chorus-test-b');
      await view.client.psubscribe('chorus-test-p*');
      await view.client.unsubscribe('chorus-test-b');
      // A reconnect without ioredis's own restoring: nothing is subscribed until the view restores it.
      client.disconnect(true);
      await new Promise((resolve) => client.once('ready', resolve));
      const publisher = connect();
      await publisher.connect();
      const numsub = (...channels: string[]) => publisher.call('PUBSUB', ['NUMSUB', ...channels]);
      expect(await numsub('chorus-test-a')).toEqual(['chorus-test-a', 0]);
      await view.restoreSubscriptions();
      expect(await numsub('chorus-test-a', 'chorus-test-b')).toEqual(['chorus-test-a', 1, 'chorus-test-b', 0]);
      const got = new Promise((resolve) => client.once('pmessage', (...args: unknown[]) => resolve(args[1])));
      await publisher.publish('chorus-test-p1', 'hi');
      expect(await got).toBe('chorus-test-p1');
    });
  });
});
