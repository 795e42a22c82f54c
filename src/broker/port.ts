/**
 * The broker port: what a replica needs from the message broker that joins it to the other replicas.
 * Every driver (memory, redis, rabbit, nats) implements it and passes the same contract suite.
 */
import type { Logger } from 'pino';
import type { Namespace } from 'socket.io';
import type { Adapter } from 'socket.io-adapter';
import type { MemoryBus } from './memory-adapter.js';

export type BrokerKind = 'memory' | 'redis' | 'rabbit' | 'nats';

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

export interface BrokerOptions {
  /**
   * How often a replica that has published nothing else says it is alive (ms). Redis ignores it: it
   * counts subscribers instead of heartbeats.
   * @default 5000
   */
  heartbeatInterval?: number;
  /**
   * How long without a word from a replica before the others forget it (ms); also bounds how long
   * fetchSockets and serverSideEmit wait for it. Redis uses it as its request timeout.
   * @default 10000
   */
  heartbeatTimeout?: number;
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

/** The defaults of {@link BrokerOptions}, applied once by `createBroker`. */
export interface ResolvedBrokerOptions {
  /** Labels this broker's metrics. */
  kind: BrokerKind;
  heartbeatInterval: number;
  heartbeatTimeout: number;
  logger: Logger;
  prefix: string;
}
