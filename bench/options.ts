/**
 * The bench's knobs, read once from the command line, with their defaults in one place. `--quick` is a
 * smaller scenario that finishes in well under half a minute, to check the bench itself works.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { RATE_LIMITS } from '../src/realtime/protocol.js';

export type BrokerKind = 'memory' | 'redis' | 'rabbit' | 'nats';
export type ClientKind = 'lean' | 'socket.io';

export interface BenchOptions {
  /** A running Chorus to load instead of starting one; undefined = start our own. */
  url: string | undefined;
  /** The metrics listener of the Chorus at `url`, for its CPU and memory. */
  metricsUrl: string | undefined;
  /** Another built Chorus checkout to load as target `baseline`, in turns with this one: an A/B in one run. */
  baseline: string | undefined;
  broker: BrokerKind;
  replicas: number;
  store: 'embedded' | 'mongo';
  clients: number;
  rooms: number;
  /** Offered msg/s of the first step. */
  rate: number;
  /** Each step offers this many times the previous one, until a target fails. */
  stepFactor: number;
  /** Bisections between a target's last passing and first failing rate. */
  refine: number;
  /** The highest rate offered: Chorus's per-socket rate limit caps what `clients` may send. */
  maxRate: number;
  /** Offered rates to run instead of the search, ascending. */
  rates: number[] | undefined;
  /** Characters of text per message. */
  payload: number;
  /** Measured seconds per step. */
  duration: number;
  /** Seconds over which each step raises its rate from zero, before the measurement starts. */
  ramp: number;
  /** Seconds of unrecorded load per target before the first step, so JIT and heap growth are behind us. */
  warmup: number;
  client: ClientKind;
  /** CPU list (taskset syntax) for the servers, and for this process. */
  serverCpus: string;
  clientCpus: string;
  /** Where the JSON and SVG go. */
  out: string;
  /** Where each server process writes a V8 CPU profile (node --cpu-prof); undefined = no profiling. */
  cpuProf: string | undefined;
  quick: boolean;
}

/** A step passes while p99 stays under this, with nothing lost, duplicated or refused. */
export const P99_LIMIT_MS = 100;

const HELP = `npm run bench -- [options]

Loads Chorus, a bare Socket.IO room server and a naive durable peer (bare plus a synchronous SQLite
insert per message) in turns with the same scenario, steps the offered rate up to find each one's knee (the highest rate with p99 < ${P99_LIMIT_MS} ms and no loss), and writes a JSON
result and an SVG chart to bench/results/.

  --quick               a small scenario that runs in under 30 s (checks the bench works)
  --url URL             load this running Chorus instead of starting one
  --metrics-url URL     where that Chorus serves /metrics (its METRICS_PORT; default: --url's host, port 9091)
  --baseline DIR        also load the Chorus built in DIR (another checkout: git worktree add DIR <commit>,
                        then npm run build there) as target "baseline", in turns with this one: an A/B in one run
  --broker KIND         memory | redis | rabbit | nats (default memory)
  --replicas N          Chorus replica processes (default 1)
  --store KIND          embedded | mongo (default mongo when MONGO_URL is set, else embedded: replicas
                        share one DATA_DIR, DATA_DIR_SHARED=true; mongo without MONGO_URL starts the
                        test wire stand-in, which bounds the figures)
  --clients N           connected clients per server (default 1000)
  --rooms N             rooms, clients spread evenly (default 100)
  --rate R              offered msg/s of the first step (default 1000)
  --step-factor F       each step offers F times the last (default 1.5)
  --refine N            bisections around each knee (default 2)
  --max-rate R          highest offered rate (default: what the clients may send under the rate limit)
  --rates A,B,...       run exactly these rates instead of searching
  --payload BYTES       message text size (default 100)
  --duration S          measured seconds per step (default 10)
  --ramp S              seconds of rising rate before each measurement (default 2)
  --warmup S            seconds of load per fresh server before the first step, reported apart (default 5)
  --client KIND         lean (Engine.IO framing over ws, default) | socket.io (socket.io-client)
  --server-cpus LIST    taskset CPU list for the servers (default 0)
  --client-cpus LIST    taskset CPU list for this generator (default 1)
  --out DIR             result directory (default bench/results)
  --cpu-prof DIR        each server process writes a V8 CPU profile to DIR/<target>/ when it stops;
                        summarise one with npm run bench:profile -- FILE
`;

const number = (name: string, value: string | undefined, fallback: number, min: number): number => {
  if (value === undefined) return fallback;
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed < min) throw new Error(`--${name} must be a number >= ${min}, not "${value}"`);
  return parsed;
};

function oneOf<T extends string>(name: string, value: string | undefined, allowed: readonly T[], fallback: T): T {
  if (value === undefined) return fallback;
  if (!(allowed as readonly string[]).includes(value)) throw new Error(`--${name} must be one of ${allowed.join(', ')}, not "${value}"`);
  return value as T;
}

/** Parses `argv`; prints the help and exits on --help. Throws with a message naming a bad option. */
export function parseOptions(argv: string[]): BenchOptions {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      help: { type: 'boolean' },
      quick: { type: 'boolean' },
      url: { type: 'string' },
      'metrics-url': { type: 'string' },
      baseline: { type: 'string' },
      broker: { type: 'string' },
      replicas: { type: 'string' },
      store: { type: 'string' },
      clients: { type: 'string' },
      rooms: { type: 'string' },
      rate: { type: 'string' },
      'step-factor': { type: 'string' },
      refine: { type: 'string' },
      'max-rate': { type: 'string' },
      rates: { type: 'string' },
      payload: { type: 'string' },
      duration: { type: 'string' },
      ramp: { type: 'string' },
      warmup: { type: 'string' },
      client: { type: 'string' },
      'server-cpus': { type: 'string' },
      'client-cpus': { type: 'string' },
      out: { type: 'string' },
      'cpu-prof': { type: 'string' },
    },
  });
  if (values.help) {
    process.stdout.write(HELP);
    process.exit(0);
  }
  const quick = values.quick ?? false;
  const broker = oneOf('broker', values.broker, ['memory', 'redis', 'rabbit', 'nats'], 'memory');
  const replicas = Math.round(number('replicas', values.replicas, 1, 1));
  const store = oneOf('store', values.store, ['embedded', 'mongo'], process.env.MONGO_URL ? 'mongo' : 'embedded');
  if (broker === 'memory' && replicas > 1) throw new Error('replicas on the memory broker cannot reach each other: pick --broker redis, rabbit or nats');

  const clients = Math.round(number('clients', values.clients, quick ? 100 : 1000, 1));
  const rooms = Math.round(number('rooms', values.rooms, quick ? 10 : 100, 1));
  if (rooms > clients) throw new Error(`--rooms (${rooms}) must not exceed --clients (${clients})`);
  // Stay a little under the limit: timer jitter bunches sends, and the token bucket would refuse them.
  const allowed = Math.floor(clients * RATE_LIMITS['message:send'].perSecond * 0.9);
  const maxRate = number('max-rate', values['max-rate'], allowed, 1);
  if (maxRate > allowed) throw new Error(`--max-rate ${maxRate} exceeds what ${clients} clients may send under Chorus's rate limit (${allowed}); add clients`);
  const rates = values.rates?.split(',').map((r) => number('rates', r, 0, 1)).sort((a, b) => a - b);
  if (rates?.some((r) => r > allowed)) throw new Error(`--rates go past what ${clients} clients may send under Chorus's rate limit (${allowed}); add clients`);

  const payload = Math.round(number('payload', values.payload, 100, 1));
  if (payload > 4000) throw new Error('--payload must be at most 4000 (Chorus refuses longer messages)');
  const multiCore = os.availableParallelism() > 1;
  return {
    url: values.url,
    metricsUrl: values['metrics-url'] ?? (values.url ? defaultMetricsUrl(values.url) : undefined),
    baseline: values.baseline === undefined ? undefined : builtCheckout(values.baseline),
    broker,
    replicas,
    store,
    clients,
    rooms,
    rate: number('rate', values.rate, quick ? 250 : 1000, 1),
    stepFactor: number('step-factor', values['step-factor'], quick ? 3 : 1.5, 1.01),
    refine: Math.round(number('refine', values.refine, quick ? 0 : 2, 0)),
    maxRate,
    rates,
    payload,
    duration: number('duration', values.duration, quick ? 1.5 : 10, 0.5),
    ramp: number('ramp', values.ramp, quick ? 0.5 : 2, 0),
    warmup: number('warmup', values.warmup, quick ? 1 : 5, 0),
    client: oneOf('client', values.client, ['lean', 'socket.io'], 'lean'),
    serverCpus: values['server-cpus'] ?? (multiCore ? '0' : ''),
    clientCpus: values['client-cpus'] ?? (multiCore ? '1' : ''),
    out: values.out ?? 'bench/results',
    cpuProf: values['cpu-prof'],
    quick,
  };
}

/** `dir`, absolute, once it holds a built Chorus. */
function builtCheckout(dir: string): string {
  const resolved = path.resolve(dir);
  if (!fs.existsSync(path.join(resolved, 'dist/app/main.js'))) throw new Error(`--baseline ${dir} holds no built Chorus (run npm run build there)`);
  return resolved;
}

/** `url`'s host on Chorus's default METRICS_PORT. */
function defaultMetricsUrl(url: string): string {
  const metrics = new URL(url);
  metrics.port = '9091';
  return metrics.origin;
}
