import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, DEV_SESSION_SECRET, KNOWN_VARIABLES, loadConfig, maskUrl } from '../../src/config/config.js';

describe('config', () => {
  it('defaults to one replica on the embedded store', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      nodeEnv: 'development',
      port: 3000,
      metricsPort: 9091,
      logLevel: 'info',
      trustProxy: false,
      allowedOrigins: [],
      store: { kind: 'embedded', dataDir: path.resolve('data') },
      broker: { kind: 'memory' },
      uploadDir: path.resolve('data/uploads'),
      historyMax: 10_000,
      replicaTimeoutMs: 15_000,
      brokerPrefix: 'chorus',
      sessionSecret: DEV_SESSION_SECRET,
      sessionSecretIsDefault: true,
    });
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
    });
    expect(config).toMatchObject({
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
    const bad = { PORT: 'eighty', HISTORY_MAX: '-1', BROKER: 'kafka', REPLICA_TIMEOUT_MS: '10', BROKER_PREFIX: 'a.b' };
    expect(() => loadConfig(bad)).toThrow(ConfigError);
    try {
      loadConfig(bad);
    } catch (err) {
      for (const name of Object.keys(bad)) expect((err as Error).message).toContain(name);
    }
  });

  it('requires SESSION_SECRET in production', () => {
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(/SESSION_SECRET is required/);
    expect(loadConfig({ NODE_ENV: 'production', SESSION_SECRET: 's3cret' })).toMatchObject({ sessionSecret: 's3cret', sessionSecretIsDefault: false });
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
      expect(loadConfig({ DATA_DIR: '/var/chorus' })).toMatchObject({ store: { kind: 'embedded', dataDir: '/var/chorus' }, uploadDir: '/var/chorus/uploads' });
      expect(loadConfig({ STORAGE_VOLUME: '/shared' }).uploadDir).toBe('/shared');
      expect(loadConfig({ STORAGE_VOLUME: '/shared', UPLOAD_DIR: '/own' }).uploadDir).toBe('/own');
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
