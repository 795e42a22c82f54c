/**
 * What the bench loads: Chorus (replica processes it starts, or a running one at --url), the bare
 * Socket.IO room server and the naive durable peer (bench/bare-server.ts). Each target says where
 * clients connect and how to read its CPU and memory.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MongoClient } from 'mongodb';
import { withDatabase } from '../dev/mongo.js';
import type { BenchOptions } from './options.js';
import { compileEntry, startProcess, type ServerProcess } from './processes.js';
import { metricsUsage, procUsage, type UsageProbe } from './usage.js';

export type TargetName = 'chorus' | 'baseline' | 'bare' | 'naive';

export interface Target {
  readonly name: TargetName;
  /** Client i connects to `urls[i % urls.length]`, as a sticky proxy would spread them. */
  readonly urls: string[];
  /** Chorus needs a session cookie before a socket may connect. */
  readonly signIn: boolean;
  /** CPU and memory of the server processes (Chorus: its replicas; brokers and MongoDB not included). */
  readonly usage: UsageProbe;
  /** What runs, for the report. */
  readonly description: string;
  stop(): Promise<void>;
}

const BUILD_CACHE = 'node_modules/.cache/chorus-bench';
const DEFAULT_BROKER_URLS = {
  redis: { REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379' },
  rabbit: { AMQP_URL: process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672' },
  nats: { NATS_URL: process.env.NATS_URL ?? 'nats://127.0.0.1:4222' },
  memory: {},
} as const;

/** `node` arguments that run `entry`, writing a CPU profile under --cpu-prof's directory when asked. */
function nodeArgs(options: BenchOptions, target: TargetName, entry: string): string[] {
  if (!options.cpuProf) return [entry];
  return ['--cpu-prof', `--cpu-prof-dir=${path.resolve(options.cpuProf, target)}`, entry];
}

export const startBare = (options: BenchOptions) => startRoomServer(options, 'bare', {}, 'bare Socket.IO room server (1 process)');

/** Bare plus one SQLite insert per message, synchronous=FULL, on the main thread, in a directory of its own. */
export function startNaive(options: BenchOptions): Promise<Target> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'chorus-bench-naive-'));
  return startRoomServer(options, 'naive', { DURABLE_DB: path.join(dir, 'history.db') }, 'naive durable peer: bare + one SQLite insert per message (WAL, synchronous=FULL, main thread)', () =>
    fs.rmSync(dir, { recursive: true, force: true }),
  );
}

async function startRoomServer(options: BenchOptions, name: TargetName, env: Record<string, string>, description: string, cleanup = () => {}): Promise<Target> {
  const entry = compileEntry('bench/bare-server.ts', BUILD_CACHE);
  const server = await startProcess({
    name: `the ${name} server`,
    args: nodeArgs(options, name, entry),
    env: { PORT: '0', ...env },
    cpus: options.serverCpus,
    ready: (line) => (line.startsWith('{') ? (JSON.parse(line) as { port: number }).port : undefined),
  });
  return {
    name,
    urls: [`http://127.0.0.1:${server.ready}`],
    signIn: false,
    usage: procUsage([server.pid]),
    description,
    stop: async () => {
      await server.stop();
      cleanup();
    },
  };
}

/**
 * Chorus replica processes: this checkout's (target `chorus`, built first when stale), or with `checkout`
 * another one's, already built (target `baseline`).
 */
export async function startChorus(options: BenchOptions, runId: string, checkout?: string): Promise<Target> {
  const name: TargetName = checkout ? 'baseline' : 'chorus';
  if (options.url && !checkout) {
    return { name: 'chorus', urls: [options.url], signIn: true, usage: metricsUsage([options.metricsUrl!]), description: `Chorus at ${options.url}`, stop: async () => {} };
  }
  if (!checkout) buildIfStale();
  const started: ServerProcess<unknown>[] = [];
  // Run after the replicas have stopped, last first: the store outlives the replicas that use it.
  const cleanups: (() => Promise<void>)[] = [];
  const stop = async () => {
    await Promise.all(started.map((p) => p.stop()));
    for (const cleanup of cleanups.reverse()) await cleanup();
  };
  try {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'chorus-bench-'));
    cleanups.push(async () => fs.rmSync(dataDir, { recursive: true, force: true }));
    const env: Record<string, string> = {
      // Free chat and metrics ports for every replica, reachable from this machine only.
      PORT: '0',
      METRICS_PORT: '0',
      HOST: '127.0.0.1',
      NODE_ENV: 'production',
      LOG_LEVEL: 'info',
      SESSION_SECRET: randomBytes(24).toString('hex'),
      // Every simulated client signs in from this one address, within seconds.
      SIGN_IN_LIMIT_PER_ADDRESS: String(Math.max(100, options.clients * 2)),
      DATA_DIR: dataDir,
      // Replicas on this host share the embedded store (unused when MONGO_URL is set below).
      DATA_DIR_SHARED: 'true',
      BROKER: options.broker,
      ...DEFAULT_BROKER_URLS[options.broker],
    };
    let storeDescription = options.replicas > 1 ? 'embedded store shared in one DATA_DIR' : 'embedded store';
    if (options.store === 'mongo') {
      const mongo = await startMongo(options, runId);
      cleanups.push(mongo.close);
      env.MONGO_URL = mongo.url;
      storeDescription = mongo.description;
    }
    const replicas = await Promise.all(
      Array.from({ length: options.replicas }, (_, i) =>
        startProcess({
          name: `${checkout ? 'baseline' : 'Chorus'} replica ${i + 1}`,
          args: nodeArgs(options, name, path.join(checkout ?? '.', 'dist/app/main.js')),
          env,
          cpus: options.serverCpus,
          ready: (line) => listeningPort(line),
        }),
      ),
    );
    started.push(...replicas);
    return {
      name,
      urls: replicas.map((r) => `http://127.0.0.1:${r.ready}`),
      signIn: true,
      usage: procUsage(replicas.map((r) => r.pid)),
      description: `Chorus${checkout ? ` built in ${checkout}` : ''}, ${options.replicas} replica process${options.replicas > 1 ? 'es' : ''}, ${options.broker} broker, ${storeDescription}`,
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** The port of Chorus's "listening" log line. */
function listeningPort(line: string): number | undefined {
  if (!line.includes('Chorus listening')) return undefined;
  return (JSON.parse(line) as { port: number }).port;
}

/** MONGO_URL's server, or the wire stand-in on the server CPUs; a database of this run's own either way. */
async function startMongo(options: BenchOptions, runId: string): Promise<{ url: string; description: string; close(): Promise<void> }> {
  const database = `chorus_bench_${runId}`;
  const serverUrl = process.env.MONGO_URL;
  if (serverUrl) {
    return {
      url: withDatabase(serverUrl, database),
      description: 'MongoDB at MONGO_URL',
      close: async () => {
        const client = await MongoClient.connect(serverUrl, { serverSelectionTimeoutMS: 5_000 });
        try {
          await client.db(database).dropDatabase();
        } finally {
          await client.close();
        }
      },
    };
  }
  const standIn = await startProcess({
    name: 'the MongoDB wire stand-in',
    args: ['--import', 'tsx', 'dev/mongo-wire-server-main.ts'],
    env: { PORT: '0' },
    cpus: options.serverCpus,
    ready: (line) => /^MONGO_URL=(\S+)$/.exec(line)?.[1],
  });
  return {
    url: withDatabase(standIn.ready, database),
    description: 'the MongoDB wire stand-in (dev/: a stand-in, not a database, and it bounds these figures)',
    // Its data dies with it.
    close: () => standIn.stop(),
  };
}

/** Compiles Chorus (`npm run build`) when dist/ is missing or older than a file in src/. */
function buildIfStale(): void {
  const built = fs.statSync('dist/app/main.js', { throwIfNoEntry: false })?.mtimeMs ?? 0;
  const newest = (fs.readdirSync('src', { recursive: true, withFileTypes: true }) as fs.Dirent[])
    .filter((entry) => entry.isFile())
    .reduce((latest, entry) => Math.max(latest, fs.statSync(path.join(entry.parentPath, entry.name)).mtimeMs), 0);
  if (newest <= built) return;
  process.stderr.write('dist/ is older than src/: building Chorus (npm run build)\n');
  execFileSync('npm', ['run', 'build', '--silent'], { stdio: 'inherit' });
}
