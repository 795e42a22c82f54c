/**
 * Metrics about what a replica depends on: its store and its broker. These belong to the process, as
 * the store and the broker do (one of each per replica process), so they are created once here and
 * every app's registry (`createMetrics`) includes them. Several replicas in one process (tests) share
 * them, like they share `process_cpu_seconds_total`.
 *
 * The store and broker drivers report through the small helpers below, so none of them depends on
 * prom-client.
 */
import { Counter, Gauge, Histogram, type Metric, type Registry } from 'prom-client';

/** Latency buckets (seconds) for calls that are usually sub-millisecond but may wait on a network. */
const CALL_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

const storeOperationSeconds = new Histogram({
  name: 'chorus_store_operation_seconds',
  help: 'Store calls by operation (e.g. messages.append, sessions.get) and driver (embedded, mongo), failed ones included',
  labelNames: ['operation', 'driver'],
  buckets: CALL_BUCKETS,
  registers: [],
});

const brokerPublishSeconds = new Histogram({
  name: 'chorus_broker_publish_seconds',
  help: 'Time to hand one cluster message to the broker (encoding included; Redis: until PUBLISH is answered)',
  labelNames: ['broker'],
  buckets: CALL_BUCKETS,
  registers: [],
});

const brokerReconnects = new Counter({
  name: 'chorus_broker_reconnects_total',
  help: 'Broker connections re-established after a loss (Redis counts its publish and subscribe connections apart)',
  labelNames: ['broker'],
  registers: [],
});

/** The brokers open in this process, asked at each scrape whether they are up. */
const liveBrokers = new Set<TrackedBroker>();

const brokerUp = new Gauge({
  name: 'chorus_broker_up',
  help: '1 while the broker connection is up (what /readyz checks), 0 while it is down',
  labelNames: ['broker'],
  registers: [],
  async collect() {
    const up = new Map<string, boolean>();
    await Promise.all(
      [...liveBrokers].map(async (broker) => {
        const ok = await broker.check().then(
          () => true,
          () => false,
        );
        up.set(broker.kind, ok && (up.get(broker.kind) ?? true));
      }),
    );
    this.reset();
    for (const [kind, ok] of up) this.set({ broker: kind }, ok ? 1 : 0);
  },
});

const DEPENDENCY_METRICS: Metric[] = [storeOperationSeconds, brokerPublishSeconds, brokerReconnects, brokerUp];

/** Adds the process's dependency metrics to `registry`. */
export function registerDependencyMetrics(registry: Registry): void {
  for (const metric of DEPENDENCY_METRICS) registry.registerMetric(metric);
}

/** Starts timing one store call; call the returned function when it has settled. */
export function timeStoreOperation(operation: string, driver: string): () => void {
  const end = storeOperationSeconds.startTimer({ operation, driver });
  return () => void end();
}

/** Times `publish`, which settles once the broker has the message, and returns its very promise. */
export function timeBrokerPublish<T>(broker: string, publish: () => Promise<T>): Promise<T> {
  const end = brokerPublishSeconds.startTimer({ broker });
  let published: Promise<T>;
  try {
    published = publish();
  } catch (err) {
    end();
    throw err;
  }
  const settled = () => void end();
  published.then(settled, settled);
  return published;
}

export function countBrokerReconnect(broker: string): void {
  brokerReconnects.inc({ broker });
}

/** What `chorus_broker_up` asks of a broker. */
export interface TrackedBroker {
  readonly kind: string;
  check(): Promise<void>;
}

/** Reports `broker` in `chorus_broker_up` until the returned function is called. */
export function trackBroker(broker: TrackedBroker): () => void {
  liveBrokers.add(broker);
  return () => void liveBrokers.delete(broker);
}
