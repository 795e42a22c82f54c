/**
 * What a replica does when its broker is away: at start, and in the middle of its life. One replica
 * reaches the broker through a relay the test can cut; the other connects directly.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { BrokerConfig } from '../../src/config/config.js';
import { createBroker } from '../../src/broker/create-broker.js';
import type { Broker, BrokerOptions } from '../../src/broker/port.js';
import { describeWithService } from '../helpers/requirements.js';
import {
  clusterFormed,
  connectProbe,
  startSocketReplica,
  type Probe,
  type SocketReplica,
} from '../helpers/socket-cluster.js';
import { uniquePrefix } from '../../dev/brokers.js';
import { eventually } from '../../dev/eventually.js';
import { startRelay, type Relay } from '../../dev/tcp-relay.js';
import { TEST_HEARTBEAT } from './broker-suite.js';

interface Service {
  name: string;
  port: number;
  config(port: number): BrokerConfig;
}

const services: Service[] = [
  { name: 'Redis', port: 6379, config: (port) => ({ kind: 'redis', url: `redis://127.0.0.1:${port}` }) },
  { name: 'RabbitMQ', port: 5672, config: (port) => ({ kind: 'rabbit', url: `amqp://guest:guest@127.0.0.1:${port}` }) },
  { name: 'NATS', port: 4222, config: (port) => ({ kind: 'nats', servers: [`nats://127.0.0.1:${port}`] }) },
];

/** Long enough for a few reconnection attempts on the 100 ms → 5 s backoff. */
const RECOVERY_MS = 15_000;

/** Resolves with the reason `broker.check()` gives once a connection attempt has failed (its cause). */
function outageReason(broker: Broker): Promise<Error> {
  return eventually(
    () =>
      broker.check().then(
        () => false as const,
        (err: Error) => err.cause !== undefined && err,
      ),
    RECOVERY_MS,
    'check() to report an outage',
  );
}

const up = (broker: Broker) => eventually(() => broker.check().then(() => true), RECOVERY_MS, 'check() to resolve');

/** Emits from `from` until `to` hears it: the way to wait for a path that is coming back. */
function deliveredEventually(from: SocketReplica, to: Probe): Promise<unknown> {
  const token = `${from.name}->${to.name}`;
  return eventually(
    () => {
      from.io.emit('probe', token);
      return to.events('probe').some(([t]) => t === token);
    },
    RECOVERY_MS,
    `delivery ${token}`,
  );
}

for (const service of services) {
  await describeWithService(service.name, service.port, () => {
    describe(`broker faults: ${service.config(0).kind}`, () => {
      let relay: Relay;
      let options: BrokerOptions;
      const replicas: SocketReplica[] = [];
      const probes: Probe[] = [];
      const unhandled = vi.fn();

      beforeEach(async () => {
        relay = await startRelay(service.port);
        options = { ...TEST_HEARTBEAT, prefix: uniquePrefix() };
        unhandled.mockClear();
        process.on('unhandledRejection', unhandled);
      });

      afterEach(async () => {
        for (const probe of probes.splice(0)) probe.close();
        await Promise.all(replicas.splice(0).map((r) => r.stop()));
        await relay.close();
        process.off('unhandledRejection', unhandled);
        expect(unhandled).not.toHaveBeenCalled();
      });

      async function replica(name: string, port: number): Promise<{ replica: SocketReplica; broker: Broker; probe: Probe }> {
        const broker = createBroker(service.config(port), options);
        const started = await startSocketReplica(name, broker);
        replicas.push(started);
        const probe = await connectProbe(started, `${name}-client`);
        probes.push(probe);
        return { replica: started, broker, probe };
      }

      it('starts without the broker, delivers locally, and joins the cluster once it appears', async () => {
        relay.cut();
        const cutOff = await replica('r1', relay.port);
        const reason = await outageReason(cutOff.broker);
        expect(reason.message).toMatch(new RegExp(`^${service.config(0).kind}`));

        cutOff.replica.io.emit('local', 'still here');
        await cutOff.probe.waitFor('local');

        const direct = await replica('r2', service.port);
        relay.restore();
        await up(cutOff.broker);
        await deliveredEventually(direct.replica, cutOff.probe);
        await deliveredEventually(cutOff.replica, direct.probe);
        await clusterFormed([cutOff.replica, direct.replica], 2);
      });

      it('survives losing the broker while running, and resumes when it returns', async () => {
        const cutOff = await replica('r1', relay.port);
        const direct = await replica('r2', service.port);
        await up(cutOff.broker);
        await clusterFormed([cutOff.replica, direct.replica], 2);

        relay.cut();
        await outageReason(cutOff.broker);
        // Everything that publishes, while publishing fails: none of it may crash or reject unhandled.
        cutOff.replica.io.emit('local', 'during the cut');
        cutOff.replica.io.serverSideEmit('note', 'lost');
        await cutOff.replica.io.in('room').socketsJoin('other-room');
        await cutOff.probe.waitFor('local');

        relay.restore();
        await up(cutOff.broker);
        await deliveredEventually(direct.replica, cutOff.probe);
        await deliveredEventually(cutOff.replica, direct.probe);
        await clusterFormed([cutOff.replica, direct.replica], 2);
      });
    });
  });
}
