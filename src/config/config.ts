/**
 * Configuration: read from the environment once, validated, typed. Everything else takes a `Config`.
 * Names follow the contract, plus docker-chat's (`DB_HOST`…, `STORAGE_VOLUME`), so its compose files
 * keep working.
 */
import path from 'node:path';
import { z } from 'zod';
import { userName } from './user-name.js';

export type BrokerConfig =
  | { kind: 'memory' }
  | { kind: 'redis'; url: string }
  | { kind: 'rabbit'; url: string }
  | { kind: 'nats'; servers: string[]; credentials?: NatsCredentials };

/** NATS user and password, passed in the connect options: nats.js ignores credentials in a server URL. */
export interface NatsCredentials {
  user: string;
  pass: string;
}

export type StoreConfig = { kind: 'embedded'; dataDir: string } | { kind: 'mongo'; url: string };

/** Where avatars live (UPLOAD_STORE): a folder every replica mounts, or GridFS in the store's MongoDB. */
export type UploadsConfig = { kind: 'volume'; dir: string } | { kind: 'mongodb'; url: string };

export interface Config {
  nodeEnv: 'development' | 'production' | 'test';
  /** @default 3000 */
  port: number;
  /**
   * The address both listeners bind. Production listens on every interface (a container's port is its
   * way in); development and tests only on loopback, because their session secret is public.
   * @default 0.0.0.0 in production, else 127.0.0.1
   */
  host: string;
  /**
   * Where Prometheus scrapes `/metrics`: a listener of its own, so no proxy in front of `port` can
   * publish it by mistake. 0 picks a free port (tests). @default 9091
   */
  metricsPort: number;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** Passed to Express's `trust proxy` as is. @default false */
  trustProxy: boolean | number | string;
  /** Origins allowed to open a Socket.IO connection besides the page's own. @default [] */
  allowedOrigins: string[];
  /**
   * Secrets that sign the session cookie, newest first: express-session signs with the first and
   * accepts a cookie signed with any, so a secret can be rotated without signing everyone out.
   */
  sessionSecrets: string[];
  /** True when neither SESSION_SECRET nor SESSION_SECRETS was set and the development default is in use. */
  sessionSecretIsDefault: boolean;
  /** Sign-ins (`POST /api/session`) one client address may make per minute. @default 100 */
  signInLimitPerAddress: number;
  store: StoreConfig;
  broker: BrokerConfig;
  /** @default { kind: 'volume', dir: './data/uploads' } */
  uploads: UploadsConfig;
  /** Messages kept per room, 0 = unlimited. @default 10000 */
  historyMax: number;
  /**
   * How long a replica may stay silent before the others drop it: its presence votes stop counting and
   * the users whose only sockets were there go offline. Replicas say they are alive every third of it,
   * both to the CRDT replication and to the Socket.IO adapters (which forget a replica after as long).
   * @default 6000
   */
  replicaTimeoutMs: number;
  /**
   * Starts every exchange, queue, subject and channel name on the broker, so several Chorus clusters
   * can share one broker without hearing each other. @default chorus
   */
  brokerPrefix: string;
  /**
   * Names with admin powers (delete any message, ban and unban), each only while it is protected by a
   * password: a guest who claims a free admin name gets none. @default []
   */
  admins: string[];
  /** What this replica does on SIGTERM before it closes (see `DrainConfig`). */
  drain: DrainConfig;
}

/**
 * A drain, on SIGTERM: new sockets are refused and `/readyz` fails at once; after `delayMs`, once the
 * proxy has taken the replica out of rotation, its sockets are closed over `spreadMs`, so their clients
 * reconnect through the proxy to the other replicas a few at a time rather than all at once.
 */
export interface DrainConfig {
  /**
   * From SIGTERM to closing the first socket: longer than the proxy takes to see `/readyz` fail
   * (haproxy here: checks every 1 s, out after 2 failures; Traefik: every 2 s), so that reconnecting
   * clients are sent elsewhere. @default 3000
   */
  delayMs: number;
  /** Over how long the sockets are closed, evenly. @default 3000 */
  spreadMs: number;
}

/** A configuration problem, reported at startup with every reason at once. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(readonly problems: readonly string[]) {
    super(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
  }
}

export const DEV_SESSION_SECRET = 'chorus-development-secret-do-not-use-in-production';

/** Shortest session secret production accepts: 32 characters, e.g. `openssl rand -hex 32` gives 64. */
export const MIN_SESSION_SECRET_LENGTH = 32;

/**
 * Values that ship in this repository as examples (the deploy files' `replace-me`, the development
 * default): public, so production refuses a session secret that contains one.
 */
export const PLACEHOLDER_SECRETS: readonly string[] = ['replace-me', DEV_SESSION_SECRET];

const optionalString = z
  .string()
  .trim()
  .transform((v) => (v === '' ? undefined : v))
  .optional();
const port = z.coerce.number().int().min(0).max(65535);

/**
 * 6 s: with a heartbeat every 2 s, a replica must miss three in a row to be dropped, and a dead one's
 * users show offline everywhere within 9 s (the timeout, up to 1 s until the next sweep, the 2 s
 * offline grace).
 */
export const DEFAULT_REPLICA_TIMEOUT_MS = 6_000;

/** 3 s + 3 s: with the 4 s the close takes at most, a replica exits within 10 s of SIGTERM by default. */
const DEFAULT_DRAIN: DrainConfig = { delayMs: 3_000, spreadMs: 3_000 };
/** A drain setting longer than this is a mistake (a minute of a replica refusing everyone). */
const MAX_DRAIN_MS = 60_000;
const drainMs = z.coerce.number().int().min(0).max(MAX_DRAIN_MS);

const envSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  PORT: port.default(3000),
  HOST: z.union([z.ipv4(), z.ipv6(), z.hostname()], { message: 'must be an IP address or a host name' }).optional(),
  METRICS_PORT: port.default(9091),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  TRUST_PROXY: optionalString,
  ALLOWED_ORIGINS: optionalString,
  SESSION_SECRET: optionalString,
  SESSION_SECRETS: optionalString,
  SIGN_IN_LIMIT_PER_ADDRESS: z.coerce.number().int().min(1).default(100),
  MONGO_URL: optionalString,
  DB_HOST: optionalString,
  DB_PORT: port.default(27017),
  MONGO_USERNAME: optionalString,
  MONGO_PASSWORD: optionalString,
  MONGO_DATABASE: optionalString,
  DATA_DIR: optionalString,
  // Replicas on one host may share the embedded store (SQLite locks across processes on a local disk).
  DATA_DIR_SHARED: z
    .enum(['true', 'false', '1', '0'], { message: 'must be true or false' })
    .optional()
    .transform((value) => value === 'true' || value === '1'),
  BROKER: z.enum(['memory', 'redis', 'rabbit', 'nats']).optional(),
  REDIS_URL: optionalString,
  REDIS_HOST: optionalString,
  REDIS_PORT: port.default(6379),
  REDIS_PASSWORD: optionalString,
  AMQP_URL: optionalString,
  RABBIT_HOST: optionalString,
  RABBIT_PORT: port.default(5672),
  RABBIT_USERNAME: optionalString,
  RABBIT_PASSWORD: optionalString,
  NATS_URL: optionalString,
  NATS_HOST: optionalString,
  NATS_PORT: port.default(4222),
  UPLOAD_STORE: z.enum(['volume', 'mongodb']).default('volume'),
  NATS_USER: optionalString,
  NATS_PASSWORD: optionalString,
  UPLOAD_DIR: optionalString,
  STORAGE_VOLUME: optionalString,
  HISTORY_MAX: z.coerce.number().int().min(0).default(10_000),
  REPLICA_TIMEOUT_MS: z.coerce.number().int().min(300).max(300_000).default(DEFAULT_REPLICA_TIMEOUT_MS),
  BROKER_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be 1-64 of A-Z a-z 0-9 _ - (it becomes part of exchange and subject names)')
    .default('chorus'),
  ADMINS: optionalString,
  DRAIN_DELAY_MS: drainMs.default(DEFAULT_DRAIN.delayMs),
  DRAIN_SPREAD_MS: drainMs.default(DEFAULT_DRAIN.spreadMs),
  // docker-chat's switches: accepted so old compose files still start, and deliberately unused.
  SCALABLE: z.string().optional(),
  PARSE_MSG: z.string().optional(),
});

type Env = z.infer<typeof envSchema>;

/** Every variable the config module reads (used to check compose and Kubernetes files). */
export const KNOWN_VARIABLES: readonly string[] = Object.keys(envSchema.shape);

/** Parses and validates `env`; throws one `ConfigError` listing every problem. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const e = parseEnv(env);
  const problems: string[] = [];
  const broker = selectBroker(e, problems);
  const store = selectStore(e);
  if (broker.kind !== 'memory' && store.kind === 'embedded' && !e.DATA_DIR_SHARED) {
    problems.push(
      `BROKER=${broker.kind} runs several replicas, and replicas need a shared store: set MONGO_URL (or DB_HOST) ` +
        'so every replica sees the same sessions and history; the embedded store is for a single replica ' +
        '(or, for replicas on one host only, set DATA_DIR_SHARED=true and give them all the same DATA_DIR on a local disk).',
    );
  }
  const uploads = selectUploads(e, store, problems);
  const sessionSecrets = selectSessionSecrets(e, problems);
  const admins = parseAdmins(e.ADMINS, problems);
  if (e.METRICS_PORT !== 0 && e.METRICS_PORT === e.PORT) {
    problems.push(`METRICS_PORT must differ from PORT (both are ${e.PORT}): metrics get a listener of their own.`);
  }
  if (problems.length > 0) throw new ConfigError(problems);

  return {
    nodeEnv: e.NODE_ENV,
    port: e.PORT,
    host: e.HOST ?? (e.NODE_ENV === 'production' ? '0.0.0.0' : '127.0.0.1'),
    metricsPort: e.METRICS_PORT,
    logLevel: e.LOG_LEVEL,
    trustProxy: parseTrustProxy(e.TRUST_PROXY),
    allowedOrigins: e.ALLOWED_ORIGINS ? e.ALLOWED_ORIGINS.split(',').map((o) => o.trim()).filter(Boolean) : [],
    sessionSecrets: sessionSecrets.length > 0 ? sessionSecrets : [DEV_SESSION_SECRET],
    sessionSecretIsDefault: sessionSecrets.length === 0,
    signInLimitPerAddress: e.SIGN_IN_LIMIT_PER_ADDRESS,
    store,
    broker,
    uploads,
    historyMax: e.HISTORY_MAX,
    replicaTimeoutMs: e.REPLICA_TIMEOUT_MS,
    brokerPrefix: e.BROKER_PREFIX,
    admins,
    drain: { delayMs: e.DRAIN_DELAY_MS, spreadMs: e.DRAIN_SPREAD_MS },
  };
}

/**
 * Only where the store and the uploads are, read as `loadConfig` reads them: for the operations commands
 * (`src/ops`), which touch nothing else, so a restore run in a container of its own needs no session
 * secret or broker. Throws one `ConfigError`, as `loadConfig` does.
 */
export function loadStoreConfig(env: NodeJS.ProcessEnv = process.env): Pick<Config, 'store' | 'uploads'> {
  const e = parseEnv(env);
  const problems: string[] = [];
  const store = selectStore(e);
  const uploads = selectUploads(e, store, problems);
  if (problems.length > 0) throw new ConfigError(problems);
  return { store, uploads };
}

function parseEnv(env: NodeJS.ProcessEnv): Env {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) throw new ConfigError(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`));
  return parsed.data;
}

/** ADMINS: comma-separated user names, each a valid one. */
function parseAdmins(value: string | undefined, problems: string[]): string[] {
  const names = (value ?? '').split(',').map((name) => name.trim()).filter(Boolean);
  for (const name of names) {
    const checked = userName.safeParse(name);
    if (!checked.success) problems.push(`ADMINS: "${name}" is not a user name (${checked.error.issues[0]?.message}).`);
  }
  return names;
}

/**
 * SESSION_SECRETS (newest first) or SESSION_SECRET; in production each must be long and none may be an
 * example from this repository, since a known or guessable secret lets anyone forge a session.
 */
function selectSessionSecrets(e: Env, problems: string[]): string[] {
  if (e.SESSION_SECRET && e.SESSION_SECRETS) {
    problems.push('SESSION_SECRET and SESSION_SECRETS are both set: use SESSION_SECRETS alone (newest first) to rotate.');
  }
  const secrets = e.SESSION_SECRETS
    ? e.SESSION_SECRETS.split(',').map((s) => s.trim()).filter(Boolean)
    : e.SESSION_SECRET
      ? [e.SESSION_SECRET]
      : [];
  if (e.NODE_ENV !== 'production') return secrets;
  if (secrets.length === 0) {
    problems.push('SESSION_SECRET is required when NODE_ENV=production: sessions signed with a public default could be forged.');
  }
  const variable = e.SESSION_SECRETS ? 'SESSION_SECRETS' : 'SESSION_SECRET';
  secrets.forEach((secret, i) => {
    const which = secrets.length > 1 ? `${variable} (secret ${i + 1})` : variable;
    const placeholder = PLACEHOLDER_SECRETS.find((p) => secret.toLowerCase().includes(p.toLowerCase()));
    if (placeholder) {
      problems.push(`${which} contains the example value "${placeholder}" from this repository; generate one, e.g. openssl rand -hex 32.`);
    } else if (secret.length < MIN_SESSION_SECRET_LENGTH) {
      problems.push(`${which} is ${secret.length} characters; production needs at least ${MIN_SESSION_SECRET_LENGTH}, e.g. openssl rand -hex 32.`);
    }
  });
  return secrets;
}

function selectStore(e: Env): StoreConfig {
  if (e.MONGO_URL) return { kind: 'mongo', url: e.MONGO_URL };
  if (e.DB_HOST) {
    const auth = e.MONGO_USERNAME
      ? `${encodeURIComponent(e.MONGO_USERNAME)}:${encodeURIComponent(e.MONGO_PASSWORD ?? '')}@`
      : '';
    return { kind: 'mongo', url: `mongodb://${auth}${e.DB_HOST}:${e.DB_PORT}/${e.MONGO_DATABASE ?? 'chorus'}` };
  }
  return { kind: 'embedded', dataDir: dataDirOf(e) };
}

type PathVariables = Pick<Env, 'DATA_DIR' | 'UPLOAD_DIR' | 'STORAGE_VOLUME'>;

const dataDirOf = (e: PathVariables) => path.resolve(e.DATA_DIR ?? 'data');
/** The volume's folder: UPLOAD_DIR (or its alias), else `uploads` in the data directory. */
const uploadDirOf = (e: PathVariables, dataDir: string) => path.resolve(e.UPLOAD_DIR ?? e.STORAGE_VOLUME ?? path.join(dataDir, 'uploads'));

/**
 * Where the embedded store and the uploads volume are by `env`, whichever store `env` selects, for the
 * operator commands (`src/ops`) that read them and need no other setting. `dataDir` overrides DATA_DIR.
 */
export function embeddedPaths(env: NodeJS.ProcessEnv, dataDir?: string): { dataDir: string; uploadDir: string } {
  const e = envSchema.pick({ DATA_DIR: true, UPLOAD_DIR: true, STORAGE_VOLUME: true }).parse(env);
  const dir = dataDir === undefined ? dataDirOf(e) : path.resolve(dataDir);
  return { dataDir: dir, uploadDir: uploadDirOf(e, dir) };
}

function selectUploads(e: Env, store: StoreConfig, problems: string[]): UploadsConfig {
  if (e.UPLOAD_STORE === 'volume') return { kind: 'volume', dir: uploadDirOf(e, dataDirOf(e)) };
  if (store.kind === 'mongo') return { kind: 'mongodb', url: store.url };
  problems.push('UPLOAD_STORE=mongodb keeps avatars in the MongoDB store, but no MongoDB is configured: set MONGO_URL (or DB_HOST), or UPLOAD_STORE=volume.');
  return { kind: 'volume', dir: path.resolve('data', 'uploads') };
}

/** The broker named by BROKER, else the one whose variables are set; two sets of variables is ambiguous. */
function selectBroker(e: Env, problems: string[]): BrokerConfig {
  const candidates: BrokerConfig[] = [];
  const redisUrl = e.REDIS_URL ?? (e.REDIS_HOST ? redisHostUrl(e, e.REDIS_HOST) : undefined);
  if (e.REDIS_URL && e.REDIS_PASSWORD) {
    problems.push('REDIS_PASSWORD goes with REDIS_HOST; with REDIS_URL, put the password in the URL (redis://:password@host:port).');
  }
  if (redisUrl) candidates.push({ kind: 'redis', url: redisUrl });
  const amqpUrl = e.AMQP_URL ?? (e.RABBIT_HOST ? rabbitUrl(e, e.RABBIT_HOST) : undefined);
  if (amqpUrl) candidates.push({ kind: 'rabbit', url: amqpUrl });
  const natsServers = e.NATS_URL ?? (e.NATS_HOST ? `nats://${e.NATS_HOST}:${e.NATS_PORT}` : undefined);
  if (natsServers) {
    const servers = natsServers.split(',').map((s) => s.trim()).filter(Boolean);
    const credentials = natsCredentials(e, servers, problems);
    candidates.push({ kind: 'nats', servers, ...(credentials && { credentials }) });
  }

  if (e.BROKER === 'memory') return { kind: 'memory' };
  if (e.BROKER) {
    const chosen = candidates.find((c) => c.kind === e.BROKER);
    if (chosen) return chosen;
    problems.push(`BROKER=${e.BROKER} but ${brokerVariables[e.BROKER]} is not set.`);
    return { kind: 'memory' };
  }
  if (candidates.length > 1) {
    problems.push(
      `Ambiguous broker: variables for ${candidates.map((c) => c.kind).join(' and ')} are set; ` +
        'set BROKER to the one Chorus should use.',
    );
  }
  return candidates[0] ?? { kind: 'memory' };
}

const brokerVariables: Record<Exclude<BrokerConfig['kind'], 'memory'>, string> = {
  redis: 'REDIS_URL or REDIS_HOST',
  rabbit: 'AMQP_URL or RABBIT_HOST',
  nats: 'NATS_URL or NATS_HOST',
};

/**
 * NATS_USER and NATS_PASSWORD, both or neither. A user:pass in NATS_URL is refused rather than
 * ignored: nats.js does not read it, so the server would refuse the replicas with no hint why.
 */
function natsCredentials(e: Env, servers: string[], problems: string[]): NatsCredentials | undefined {
  if (servers.some((server) => /^[a-z]+:\/\/[^/@]*@/i.test(server))) {
    problems.push('NATS_URL must not carry credentials (the NATS client ignores them there): set NATS_USER and NATS_PASSWORD.');
  }
  if (!e.NATS_USER && !e.NATS_PASSWORD) return undefined;
  if (!e.NATS_USER || !e.NATS_PASSWORD) {
    problems.push('NATS_USER and NATS_PASSWORD go together: set both, or neither for a NATS without authentication.');
    return undefined;
  }
  return { user: e.NATS_USER, pass: e.NATS_PASSWORD };
}

function redisHostUrl(e: Env, host: string): string {
  const auth = e.REDIS_PASSWORD ? `:${encodeURIComponent(e.REDIS_PASSWORD)}@` : '';
  return `redis://${auth}${host}:${e.REDIS_PORT}`;
}

function rabbitUrl(e: Env, host: string): string {
  const user = encodeURIComponent(e.RABBIT_USERNAME ?? 'guest');
  const pass = encodeURIComponent(e.RABBIT_PASSWORD ?? 'guest');
  return `amqp://${user}:${pass}@${host}:${e.RABBIT_PORT}`;
}

function parseTrustProxy(value: string | undefined): boolean | number | string {
  if (value === undefined || value === 'false') return false;
  if (value === 'true') return true;
  return /^\d+$/.test(value) ? Number(value) : value;
}

/** A URL with its password replaced, for logs. */
export function maskUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return url.replace(/\/\/([^:/@]+):[^@]*@/, '//$1:***@');
  }
}
