/**
 * Starts a Chorus cluster on this machine without Docker: MongoDB (the wire-protocol stand-in unless a
 * URL is given), N replica processes of `dist/app/main.js` joined by a real broker, and haproxy in front
 * with sticky sessions (scripts/cluster/haproxy-config.ts). haproxy publishes each replica's chat port
 * only; its metrics port (`ReplicaProcess.metricsUrl`) is for Prometheus to scrape directly. `npm run cluster` and
 * test/deploy/cluster.e2e.test.ts both start clusters with it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { startMongoWireServer, type MongoWireServer } from '../../dev/mongo-wire-server.js';
import { freePort, startReplicaProcess, type ReplicaProcess } from '../../dev/processes.js';
import { parseProxyLogLine, renderHaproxyConfig, type ProxyLogEntry } from './haproxy-config.js';

export type ClusterBroker = 'redis' | 'rabbit' | 'nats';
export const CLUSTER_BROKERS: readonly ClusterBroker[] = ['redis', 'rabbit', 'nats'];

/** Where each broker answers on this machine unless told otherwise, and the variable that names it. */
export const BROKER_DEFAULTS: Record<ClusterBroker, { variable: 'REDIS_URL' | 'AMQP_URL' | 'NATS_URL'; url: string }> = {
  redis: { variable: 'REDIS_URL', url: 'redis://127.0.0.1:6379' },
  rabbit: { variable: 'AMQP_URL', url: 'amqp://guest:guest@127.0.0.1:5672' },
  nats: { variable: 'NATS_URL', url: 'nats://127.0.0.1:4222' },
};

export interface ClusterOptions {
  replicas: number;
  broker: ClusterBroker;
  /** @default the broker's local address, BROKER_DEFAULTS */
  brokerUrl?: string;
  /** A MongoDB URL naming the database. @default a wire-protocol stand-in started here, database `chorus` */
  mongoUrl?: string;
  /** The proxy's port on 127.0.0.1; 0 picks a free one. @default 0 */
  proxyPort?: number;
  /** More environment for every replica (e.g. NODE_ENV, SESSION_SECRET, LOG_LEVEL). */
  env?: Record<string, string>;
}

export interface ClusterReplica {
  /** The haproxy server name, which is also its affinity cookie value: r1, r2, … */
  name: string;
  process: ReplicaProcess;
}

export interface Cluster {
  /** The proxy: what browsers open. */
  url: string;
  mongoUrl: string;
  /** True when MongoDB is the in-process stand-in (test data only, gone when the cluster stops). */
  mongoIsStandIn: boolean;
  replicas: ClusterReplica[];
  /** Every request the proxy has passed on so far, in order. */
  proxyLog: ProxyLogEntry[];
  proxy: ChildProcess;
  /**
   * Starts replica `name` again after it stopped, on the chat port haproxy knows it by (a rolling
   * restart: `process.stop('SIGTERM')`, then this). Resolves once it is ready; haproxy counts it up
   * after two passed checks. Its `process` is the new one from then on.
   */
  startAgain(name: string): Promise<ReplicaProcess>;
  /** Stops the proxy, then every replica (SIGTERM, so they leave the cluster cleanly), then MongoDB. Idempotent. */
  stop(): Promise<void>;
}

export async function startCluster(options: ClusterOptions): Promise<Cluster> {
  if (!Number.isInteger(options.replicas) || options.replicas < 1) throw new Error(`replicas must be a whole number ≥ 1, not ${options.replicas}`);
  const cleanups: (() => Promise<unknown>)[] = [];
  const stop = async () => {
    // Last started, first stopped; each step at most once.
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  };
  try {
    let wire: MongoWireServer | undefined;
    if (!options.mongoUrl) {
      wire = await startMongoWireServer();
      cleanups.push(() => wire!.close());
    }
    const mongoUrl = options.mongoUrl ?? `${wire!.url}/chorus`;
    const { variable, url } = BROKER_DEFAULTS[options.broker];
    const env = {
      MONGO_URL: mongoUrl,
      BROKER: options.broker,
      [variable]: options.brokerUrl ?? url,
      // Each replica is its own process but they share one session store, so one secret for all of them.
      SESSION_SECRET: randomBytes(24).toString('hex'),
      TRUST_PROXY: 'loopback',
      // Its own names on the broker: a local cluster never joins another one using the same broker.
      BROKER_PREFIX: `chorus-cluster-${randomBytes(4).toString('hex')}`,
      // Only haproxy, on this machine, talks to the replicas; each gets free chat and metrics ports.
      HOST: '127.0.0.1',
      PORT: '0',
      METRICS_PORT: '0',
      ...options.env,
    };
    // Every start is awaited, even after one fails, so that no replica is left running unstopped.
    const started = await Promise.allSettled(Array.from({ length: options.replicas }, () => startReplicaProcess(env)));
    const replicas: ClusterReplica[] = [];
    started.forEach((result, i) => {
      if (result.status !== 'fulfilled') return;
      const replica = { name: `r${i + 1}`, process: result.value };
      replicas.push(replica);
      // Whichever process the replica is by then: startAgain replaces it.
      cleanups.push(() => replica.process.stop('SIGTERM'));
    });
    const failed = started.find((result) => result.status === 'rejected');
    if (failed) throw failed.reason;

    const proxyPort = options.proxyPort || (await freePort());
    const backends = replicas.map(({ name, process }) => ({ name, host: '127.0.0.1', port: Number(new URL(process.url).port) }));
    const { child: proxy, log: proxyLog, stop: stopProxy } = await startHaproxy(renderHaproxyConfig({ bind: { host: '127.0.0.1', port: proxyPort }, backends }), proxyPort);
    cleanups.push(stopProxy);

    const startAgain = async (name: string) => {
      const replica = replicas.find((r) => r.name === name);
      if (!replica) throw new Error(`no replica ${name}`);
      const { child, url } = replica.process;
      if (child.exitCode === null && child.signalCode === null) throw new Error(`replica ${name} is still running: stop it first`);
      return (replica.process = await startReplicaProcess({ ...env, PORT: new URL(url).port }));
    };

    return { url: `http://127.0.0.1:${proxyPort}`, mongoUrl, mongoIsStandIn: wire !== undefined, replicas, proxyLog, proxy, startAgain, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** Runs haproxy in the foreground on `config` and resolves once it accepts connections on `port`. */
async function startHaproxy(config: string, port: number): Promise<{ child: ChildProcess; log: ProxyLogEntry[]; stop: () => Promise<void> }> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'chorus-haproxy-'));
  const file = path.join(dir, 'haproxy.cfg');
  await fs.writeFile(file, config);
  const child = spawn('haproxy', ['-db', '-f', file], { stdio: ['ignore', 'pipe', 'pipe'] });
  let spawnFailure: Error | undefined;
  const exited = new Promise<void>((resolve) => {
    child.once('close', () => resolve());
    child.once('error', (err) => {
      spawnFailure = new Error(`could not run haproxy (apt-get install haproxy): ${err.message}`);
      resolve();
    });
  });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const log: ProxyLogEntry[] = [];
  readline.createInterface({ input: child.stdout! }).on('line', (line) => {
    const entry = parseProxyLogLine(line);
    if (entry) log.push(entry);
  });
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
    await fs.rm(dir, { recursive: true, force: true });
  };
  try {
    const deadline = Date.now() + 10_000;
    while (!(await accepts(port))) {
      if (spawnFailure) throw spawnFailure;
      if (child.exitCode !== null) throw new Error(`haproxy exited with ${child.exitCode}:\n${stderr}`);
      if (Date.now() > deadline) throw new Error(`haproxy did not listen on ${port} within 10 s:\n${stderr}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  } catch (err) {
    await stop();
    throw err;
  }
  return { child, log, stop };
}

/** Whether something accepts TCP connections on 127.0.0.1:port. */
function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
