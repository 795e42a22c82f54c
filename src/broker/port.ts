/**
 * The broker port: what a replica needs from the message broker that joins it to the other replicas.
 * Every driver (memory, redis, rabbit, nats) implements it and passes the same contract suite.
 */
import type { Logger } from 'pino';
import type { Namespace } from 'socket.io';
import type { Adapter } from 'socket.io-adapter';
import type { BrokerConfig as AnyBrokerConfig } from '../config/config.js';
import type { MemoryBus } from './memory-bus.js';

export type BrokerKind = 'memory' | 'redis' | 'rabbit' | 'nats';

/** What the configuration says about the broker of `kind`: where each driver connects to. */
export type BrokerConfig<K extends BrokerKind = BrokerKind> = Extract<AnyBrokerConfig, { kind: K }>;

/**
 * What `io.adapter()` takes. Socket.IO calls it with `new`, so it must be a function or a class, never an
 * arrow function.
 */
export type AdapterConstructor = (nsp: Namespace) => Adapter;

export interface Broker {
  readonly kind: BrokerKind;
  /** Pass to io.adapter(). */
  readonly adapter: AdapterConstructor;
  /** Resolves while the broker connection is up; rejects with the reason otherwise (for /readyz). */
  check(): Promise<void>;
  /**
   * Closes connections; idempotent. Close the Socket.IO server first: its adapters then tell the other
   * replicas they are leaving, where closing the broker first makes them wait for the heartbeat timeout.
   */
  close(): Promise<void>;
}

/**
 * How every driver is set up: one shape for all four, its defaults merged once, by `createBroker`.
 * The two heartbeat settings are those of socket.io-adapter's `ClusterAdapterWithHeartbeat`, which
 * every driver's adapter is; a replica passes its `REPLICA_TIMEOUT_MS` as `heartbeatTimeout`, so one
 * setting governs both the adapters' and the CRDT replication's idea of a dead replica.
 */
export interface BrokerOptions {
  /**
   * How long without a word from a replica before the others forget it (ms); also bounds how long
   * fetchSockets and serverSideEmit wait for it.
   * @default REPLICA_TIMEOUT_MS's default (6000)
   */
  heartbeatTimeout?: number;
  /**
   * How often a replica that has published nothing else says it is alive (ms).
   * @default a third of `heartbeatTimeout`, so two lost heartbeats are not a death
   */
  heartbeatInterval?: number;
  /** @default a silent logger */
  logger?: Logger;
  /**
   * Starts every exchange, queue, subject and channel name, so clusters (or test runs) on one broker
   * stay apart.
   * @default 'chorus'
   */
  prefix?: string;
  /**
   * Memory only: the in-process bus to join. Brokers sharing a bus form one cluster, which is how tests
   * run several replicas in one process.
   * @default a new bus, of which this broker is the only member
   */
  bus?: MemoryBus;
}

/** {@link BrokerOptions} with every default applied, and the driver's kind, which labels its metrics and logs. */
export type ResolvedBrokerOptions = Required<BrokerOptions> & { kind: BrokerKind };
