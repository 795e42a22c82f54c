/**
 * Several Chorus replicas in one process over one broker and one MongoDB, as the cluster tests (and
 * the presence benchmark) use them: the last replica reaches the broker through a relay the test can cut.
 */
import { MemoryBus } from '../src/broker/memory-bus.js';
import { uniquePrefix, type BrokerSetup } from './brokers.js';
import { eventually } from './eventually.js';
import { startReplica, type Replica } from './harness.js';
import { startRelay, type Relay } from './tcp-relay.js';

/** Short broker heartbeats, so departures are noticed within a test. */
const HEARTBEAT = { heartbeatInterval: 200, heartbeatTimeout: 1_000 } as const;

export interface ClusterOptions {
  mongoUrl: string;
  /** @default 3 */
  size?: number;
  /** Extra environment for every replica. */
  env?: Record<string, string>;
  offlineGraceMs?: number;
}

export interface ReplicaCluster {
  replicas: Replica[];
  /** Between the last replica and the broker; none on the memory broker. */
  relay: Relay | undefined;
  /** Starts one more replica on the same store and broker (reaching the broker directly). */
  add(): Promise<Replica>;
  /** Stops every replica and the relay. */
  stop(): Promise<void>;
}

export async function startReplicaCluster(setup: BrokerSetup, { mongoUrl, size = 3, env = {}, offlineGraceMs }: ClusterOptions): Promise<ReplicaCluster> {
  const relay = setup.port ? await startRelay(setup.port) : undefined;
  const brokerOptions = { ...HEARTBEAT, prefix: uniquePrefix(), bus: new MemoryBus() };
  const start = (port = setup.port) => startReplica({ env: { MONGO_URL: mongoUrl, ...setup.env(port), ...env }, brokerOptions, offlineGraceMs });
  const replicas: Replica[] = [];
  for (let i = 0; i < size; i++) replicas.push(await start(i === size - 1 && relay ? relay.port : setup.port));
  await eventually(async () => (await replicas[0]!.app.io.of('/').adapter.serverCount()) === size || false, 10_000, `${size} replicas to see each other`);
  return {
    replicas,
    relay,
    async add() {
      const replica = await start();
      replicas.push(replica);
      return replica;
    },
    async stop() {
      await Promise.all(replicas.map((r) => r.stop()));
      await relay?.close();
    },
  };
}
