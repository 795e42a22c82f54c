import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, DEV_SESSION_SECRET, KNOWN_VARIABLES, loadConfig, maskUrl } from '../../src/config/config.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const STRONG = 'a'.repeat(20) + '0123456789ab'; // 32 characters

/** Every `NAME=value` of a secret or password in the repository's example env files (`*.env.example`). */
function exampleSecretValues(): string[] {
  const files = [...fs.readdirSync(ROOT), ...fs.readdirSync(path.join(ROOT, 'k8s'), { recursive: true, encoding: 'utf8' }).map((f) => path.join('k8s', f))]
    .filter((f) => f.endsWith('.env.example'));
  expect(files.length).toBeGreaterThan(0);
  return files.flatMap((f) =>
    fs
      .readFileSync(path.join(ROOT, f), 'utf8')
      .split('\n')
      .map((line) => /^\s*[A-Z_]*(SECRET|PASSWORD)[A-Z_]*=(.*)$/.exec(line)?.[2]?.trim())
      .filter((v): v is string => Boolean(v)),
  );
}

describe('config', () => {
  it('defaults to one replica on the embedded store', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      nodeEnv: 'development',
      port: 3000,
      host: '127.0.0.1',
      metricsPort: 9091,
      logLevel: 'info',
      trustProxy: false,
      allowedOrigins: [],
      store: { kind: 'embedded', dataDir: path.resolve('data') },
      broker: { kind: 'memory' },
      uploads: { kind: 'volume', dir: path.resolve('data/uploads') },
      historyMax: 10_000,
      replicaTimeoutMs: 6_000,
      brokerPrefix: 'chorus',
      sessionSecrets: [DEV_SESSION_SECRET],
      sessionSecretIsDefault: true,
      signInLimitPerAddress: 100,
      admins: [],
      drain: { delayMs: 3_000, spreadMs: 3_000 },
    });
  });

  it('takes ADMINS as comma-separated user names, refusing one that is not a name', () => {
    expect(loadConfig({ ADMINS: ' root , Mary Jane,,ops.team ' }).admins).toEqual(['root', 'Mary Jane', 'ops.team']);
    expect(() => loadConfig({ ADMINS: 'root, bad@name' })).toThrow(/ADMINS: "bad@name" is not a user name/);
  });

  it('parses numbers, lists and proxies', () => {
    const config = loadConfig({
      PORT: '8080',
      HISTORY_MAX: '0',
      ALLOWED_ORIGINS: 'https://a.example, https://b.example',
      TRUST_PROXY: '1',
      LOG_LEVEL: 'debug',
      REPLICA_TIMEOUT_MS: '5000',
      BROKER_PREFIX: 'staging_chat',
      SIGN_IN_LIMIT_PER_ADDRESS: '1000',
      DRAIN_DELAY_MS: '0',
      DRAIN_SPREAD_MS: '10000',
    });
    expect(config).toMatchObject({
      drain: { delayMs: 0, spreadMs: 10_000 },
      signInLimitPerAddress: 1000,
      port: 8080,
      historyMax: 0,
      allowedOrigins: ['https://a.example', 'https://b.example'],
      trustProxy: 1,
      logLevel: 'debug',
      replicaTimeoutMs: 5000,
      brokerPrefix: 'staging_chat',
    });
    expect(loadConfig({ TRUST_PROXY: 'true' }).trustProxy).toBe(true);
    expect(loadConfig({ TRUST_PROXY: 'loopback' }).trustProxy).toBe('loopback');
  });

  it('refuses bad values, naming each', () => {
    const bad = { PORT: 'eighty', HISTORY_MAX: '-1', BROKER: 'kafka', REPLICA_TIMEOUT_MS: '10', BROKER_PREFIX: 'a.b', SIGN_IN_LIMIT_PER_ADDRESS: '0', DRAIN_DELAY_MS: '-1', DRAIN_SPREAD_MS: '600000' };
    expect(() => loadConfig(bad)).toThrow(ConfigError);
    try {
      loadConfig(bad);
    } catch (err) {
      for (const name of Object.keys(bad)) expect((err as Error).message).toContain(name);
    }
  });

  describe('session secrets', () => {
    const production = { NODE_ENV: 'production' } as const;

    it('requires one in production', () => {
      expect(() => loadConfig(production)).toThrow(/SESSION_SECRET is required/);
      expect(loadConfig({ ...production, SESSION_SECRET: STRONG })).toMatchObject({ sessionSecrets: [STRONG], sessionSecretIsDefault: false });
    });

    it('refuses a short secret in production, saying how long it must be', () => {
      expect(() => loadConfig({ ...production, SESSION_SECRET: STRONG.slice(1) })).toThrow(ConfigError);
      expect(() => loadConfig({ ...production, SESSION_SECRET: STRONG.slice(1) })).toThrow(/SESSION_SECRET is 31 characters; production needs at least 32/);
      // Development and tests keep whatever they are given.
      expect(loadConfig({ SESSION_SECRET: 's3cret' }).sessionSecrets).toEqual(['s3cret']);
    });

    it("refuses the repository's example values in production, however long", () => {
      expect(() => loadConfig({ ...production, SESSION_SECRET: DEV_SESSION_SECRET })).toThrow(/SESSION_SECRET contains the example value/);
      expect(() => loadConfig({ ...production, SESSION_SECRET: `${STRONG}-REPLACE-ME` })).toThrow(/example value "replace-me"/);
      const examples = exampleSecretValues();
      expect(examples).toContain('replace-me');
      for (const value of examples) {
        expect(() => loadConfig({ ...production, SESSION_SECRET: value }), value).toThrow(ConfigError);
      }
    });

    it('takes SESSION_SECRETS for rotation, newest first, checking each', () => {
      const older = STRONG.replace('a', 'b');
      expect(loadConfig({ ...production, SESSION_SECRETS: ` ${STRONG}, ${older} ` }).sessionSecrets).toEqual([STRONG, older]);
      expect(() => loadConfig({ ...production, SESSION_SECRETS: `${STRONG},short` })).toThrow(/SESSION_SECRETS \(secret 2\) is 5 characters/);
      expect(() => loadConfig({ SESSION_SECRET: STRONG, SESSION_SECRETS: STRONG })).toThrow(/SESSION_SECRET and SESSION_SECRETS are both set/);
    });
  });

  it('listens on loopback unless in production or told otherwise by HOST', () => {
    expect(loadConfig({ NODE_ENV: 'test' }).host).toBe('127.0.0.1');
    expect(loadConfig({ NODE_ENV: 'production', SESSION_SECRET: STRONG }).host).toBe('0.0.0.0');
    expect(loadConfig({ HOST: '0.0.0.0' }).host).toBe('0.0.0.0');
    expect(loadConfig({ NODE_ENV: 'production', SESSION_SECRET: STRONG, HOST: '10.0.0.7' }).host).toBe('10.0.0.7');
    expect(loadConfig({ HOST: '::' }).host).toBe('::');
    expect(loadConfig({ HOST: 'localhost' }).host).toBe('localhost');
    expect(() => loadConfig({ HOST: 'not a host' })).toThrow(/HOST: must be an IP address or a host name/);
  });

  it('serves metrics on METRICS_PORT, which must not be PORT', () => {
    expect(loadConfig({ METRICS_PORT: '0' }).metricsPort).toBe(0);
    expect(loadConfig({ PORT: '0', METRICS_PORT: '0' })).toMatchObject({ port: 0, metricsPort: 0 });
    expect(loadConfig({ PORT: '8080', METRICS_PORT: '9100' })).toMatchObject({ port: 8080, metricsPort: 9100 });
    expect(() => loadConfig({ METRICS_PORT: '70000' })).toThrow(/METRICS_PORT/);
    expect(() => loadConfig({ PORT: '9091' })).toThrow(/METRICS_PORT must differ from PORT/);
  });

  it('lists every problem in ConfigError.problems, for the one log line a failed start writes', () => {
    const err = (() => {
      try {
        loadConfig({ PORT: 'eighty', HISTORY_MAX: '-1' });
      } catch (caught) {
        return caught as ConfigError;
      }
    })();
    expect(err).toBeInstanceOf(ConfigError);
    expect(err!.problems).toEqual([expect.stringMatching(/^PORT: /), expect.stringMatching(/^HISTORY_MAX: /)]);
  });

  describe('store', () => {
    it('uses MONGO_URL when set', () => {
      expect(loadConfig({ MONGO_URL: 'mongodb://db:27017/chat' }).store).toEqual({ kind: 'mongo', url: 'mongodb://db:27017/chat' });
    });

    it("builds the URL from docker-chat's DB_HOST variables, escaping credentials", () => {
      const config = loadConfig({ DB_HOST: 'mongo', DB_PORT: '27018', MONGO_USERNAME: 'app', MONGO_PASSWORD: 'p@ss:w/rd', MONGO_DATABASE: 'chat' });
      expect(config.store).toEqual({ kind: 'mongo', url: 'mongodb://app:p%40ss%3Aw%2Frd@mongo:27018/chat' });
      expect(loadConfig({ DB_HOST: 'mongo' }).store).toEqual({ kind: 'mongo', url: 'mongodb://mongo:27017/chorus' });
    });

    it('puts data and uploads under DATA_DIR, with STORAGE_VOLUME as an alias of UPLOAD_DIR', () => {
      expect(loadConfig({ DATA_DIR: '/var/chorus' })).toMatchObject({
        store: { kind: 'embedded', dataDir: '/var/chorus' },
        uploads: { kind: 'volume', dir: '/var/chorus/uploads' },
      });
      expect(loadConfig({ STORAGE_VOLUME: '/shared' }).uploads).toEqual({ kind: 'volume', dir: '/shared' });
      expect(loadConfig({ STORAGE_VOLUME: '/shared', UPLOAD_DIR: '/own' }).uploads).toEqual({ kind: 'volume', dir: '/own' });
    });

    it('keeps uploads in the MongoDB store with UPLOAD_STORE=mongodb, and only with a MongoDB', () => {
      expect(loadConfig({ UPLOAD_STORE: 'volume', MONGO_URL: 'mongodb://db/chat', UPLOAD_DIR: '/shared' }).uploads).toEqual({ kind: 'volume', dir: '/shared' });
      expect(loadConfig({ UPLOAD_STORE: 'mongodb', MONGO_URL: 'mongodb://db/chat' }).uploads).toEqual({ kind: 'mongodb', url: 'mongodb://db/chat' });
      expect(loadConfig({ UPLOAD_STORE: 'mongodb', DB_HOST: 'mongo' }).uploads).toEqual({ kind: 'mongodb', url: 'mongodb://mongo:27017/chorus' });
      expect(() => loadConfig({ UPLOAD_STORE: 'mongodb' })).toThrow(/UPLOAD_STORE=mongodb .*no MongoDB is configured/);
      expect(() => loadConfig({ UPLOAD_STORE: 'mongodb' })).toThrow(ConfigError);
      expect(() => loadConfig({ UPLOAD_STORE: 'gridfs', MONGO_URL: 'mongodb://db/chat' })).toThrow(/UPLOAD_STORE/);
    });
  });

  describe('broker', () => {
    const mongo = { MONGO_URL: 'mongodb://db/chat' };

    it('infers the broker from its variables', () => {
      expect(loadConfig({ ...mongo, REDIS_URL: 'redis://r:6379' }).broker).toEqual({ kind: 'redis', url: 'redis://r:6379' });
      expect(loadConfig({ ...mongo, REDIS_HOST: 'r', REDIS_PORT: '6380' }).broker).toEqual({ kind: 'redis', url: 'redis://r:6380' });
      expect(loadConfig({ ...mongo, AMQP_URL: 'amqp://u:p@q' }).broker).toEqual({ kind: 'rabbit', url: 'amqp://u:p@q' });
      expect(loadConfig({ ...mongo, RABBIT_HOST: 'q' }).broker).toEqual({ kind: 'rabbit', url: 'amqp://guest:guest@q:5672' });
      expect(loadConfig({ ...mongo, NATS_URL: 'nats://n1:4222,nats://n2:4222' }).broker).toEqual({ kind: 'nats', servers: ['nats://n1:4222', 'nats://n2:4222'] });
      expect(loadConfig({ ...mongo, NATS_HOST: 'n' }).broker).toEqual({ kind: 'nats', servers: ['nats://n:4222'] });
    });

    it('puts REDIS_PASSWORD into the URL it builds from REDIS_HOST, and only there', () => {
      expect(loadConfig({ ...mongo, REDIS_HOST: 'r', REDIS_PASSWORD: 'p@ss/word' }).broker).toEqual({ kind: 'redis', url: 'redis://:p%40ss%2Fword@r:6379' });
      expect(() => loadConfig({ ...mongo, REDIS_URL: 'redis://r:6379', REDIS_PASSWORD: 'p' })).toThrow(/with REDIS_URL, put the password in the URL/);
    });

    it('takes NATS credentials from NATS_USER and NATS_PASSWORD, together or not at all', () => {
      expect(loadConfig({ ...mongo, NATS_HOST: 'n', NATS_USER: 'chorus', NATS_PASSWORD: 's3cret' }).broker).toEqual({
        kind: 'nats',
        servers: ['nats://n:4222'],
        credentials: { user: 'chorus', pass: 's3cret' },
      });
      expect(() => loadConfig({ ...mongo, NATS_HOST: 'n', NATS_USER: 'chorus' })).toThrow(/NATS_USER and NATS_PASSWORD go together/);
      expect(() => loadConfig({ ...mongo, NATS_HOST: 'n', NATS_PASSWORD: 's3cret' })).toThrow(/NATS_USER and NATS_PASSWORD go together/);
      // nats.js would silently drop these, and the server would refuse the replicas.
      expect(() => loadConfig({ ...mongo, NATS_URL: 'nats://chorus:s3cret@n:4222' })).toThrow(/NATS_URL must not carry credentials/);
    });

    it('refuses two brokers unless BROKER picks one', () => {
      expect(() => loadConfig({ ...mongo, REDIS_HOST: 'r', NATS_HOST: 'n' })).toThrow(/Ambiguous broker: .*redis and nats/);
      expect(loadConfig({ ...mongo, REDIS_HOST: 'r', NATS_HOST: 'n', BROKER: 'nats' }).broker.kind).toBe('nats');
      expect(loadConfig({ REDIS_HOST: 'r', NATS_HOST: 'n', BROKER: 'memory' }).broker.kind).toBe('memory');
    });

    it('refuses BROKER without its variables', () => {
      expect(() => loadConfig({ ...mongo, BROKER: 'rabbit' })).toThrow(/BROKER=rabbit but AMQP_URL or RABBIT_HOST is not set/);
    });

    it('refuses a multi-replica broker on the embedded store, unless the replicas share it on one host', () => {
      expect(() => loadConfig({ REDIS_HOST: 'r' })).toThrow(/replicas need a shared store.*DATA_DIR_SHARED=true/);
      expect(() => loadConfig({ REDIS_HOST: 'r', DATA_DIR_SHARED: 'false' })).toThrow(/replicas need a shared store/);
      expect(loadConfig({ REDIS_HOST: 'r', DATA_DIR_SHARED: 'true', DATA_DIR: '/srv/chorus' })).toMatchObject({
        broker: { kind: 'redis' },
        store: { kind: 'embedded', dataDir: '/srv/chorus' },
      });
      expect(() => loadConfig({ REDIS_HOST: 'r', DATA_DIR_SHARED: 'yes' })).toThrow(/DATA_DIR_SHARED: must be true or false/);
    });
  });

  it("accepts docker-chat's SCALABLE and PARSE_MSG and ignores them", () => {
    expect(() => loadConfig({ SCALABLE: 'true', PARSE_MSG: 'false' })).not.toThrow();
    expect(KNOWN_VARIABLES).toEqual(expect.arrayContaining(['SCALABLE', 'PARSE_MSG', 'MONGO_URL', 'BROKER', 'STORAGE_VOLUME']));
  });

  it('masks passwords in URLs', () => {
    expect(maskUrl('amqp://guest:guest@q:5672')).toBe('amqp://guest:***@q:5672');
    expect(maskUrl('mongodb://app:secret@a:1,b:2/chat')).toBe('mongodb://app:***@a:1,b:2/chat');
    expect(maskUrl('redis://r:6379')).toBe('redis://r:6379');
  });
});
