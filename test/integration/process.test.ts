/**
 * The replica as a process: it starts on the embedded defaults, serves, refuses bad configuration
 * and busy ports with one structured log line, listens on loopback outside production, waits for a
 * store that is not up yet (answering health probes meanwhile), and shuts down gracefully on SIGTERM,
 * also when started through `npm start`.
 */
import net from 'node:net';
import os from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import { startMongoWireServer, type MongoWireServer } from '../../dev/mongo-wire-server.js';
import { Browser, request, tempDir, user } from '../../dev/harness.js';
import { freePort, isAlive, runToExit, startReplicaProcess, type ReplicaProcess } from '../../dev/processes.js';

const FATAL = 60;

/** Holds a port on 127.0.0.1 until closed, as another program would. */
async function occupyPort(): Promise<{ port: number; close(): Promise<void> }> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as net.AddressInfo).port, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

/** Parses every line of a run's stdout; all of them must be JSON (pino), none a raw stack. */
function logLines(lines: string[]): Record<string, unknown>[] {
  return lines.map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe('the replica process', () => {
  let replica: ReplicaProcess | undefined;
  afterEach(async () => {
    await replica?.stop('SIGKILL');
    replica = undefined;
  });

  it('serves on the embedded defaults and exits 0 on SIGTERM, closing sockets and both ports first', async () => {
    replica = await startReplicaProcess({ DATA_DIR: tempDir() });
    const browser = new Browser(replica.url);
    await browser.signIn('alice');
    const socket = await browser.connect();
    expect((await request(socket, 'room:join', { room: 'general' })).ok).toBe(true);
    expect((await fetch(new URL('/metrics', replica.metricsUrl))).status).toBe(200);
    const disconnected = new Promise((resolve) => socket.once('disconnect', resolve));
    expect(await replica.stop('SIGTERM')).toBe(0);
    await disconnected;
    expect(replica.logs.map((l) => l.msg)).toEqual(expect.arrayContaining(['shutting down', 'bye']));
    await expect(fetch(new URL('/healthz', replica.url))).rejects.toThrow();
    await expect(fetch(new URL('/metrics', replica.metricsUrl))).rejects.toThrow();
  });

  it.each([
    ['an ambiguous broker', { REDIS_HOST: 'r', NATS_HOST: 'n', MONGO_URL: 'mongodb://db/chat' }, /Ambiguous broker/],
    ['production without SESSION_SECRET', { NODE_ENV: 'production' }, /SESSION_SECRET is required/],
    ["production with the examples' SESSION_SECRET", { NODE_ENV: 'production', SESSION_SECRET: 'replace-me' }, /SESSION_SECRET contains the example value "replace-me"/],
    ['several replicas without MongoDB', { BROKER: 'redis', REDIS_URL: 'redis://127.0.0.1:6379' }, /replicas need a shared store/],
    ['a HOST that is no address', { HOST: 'no such host!' }, /HOST: must be an IP address or a host name/],
  ])('refuses to start with %s, saying why in one log line', async (_label, env, reason) => {
    const { code, lines, stderr } = await runToExit({ DATA_DIR: tempDir(), ...env });
    expect(code).toBe(78);
    expect(stderr).toBe('');
    const [line, ...more] = logLines(lines);
    expect(more).toEqual([]);
    expect(line).toMatchObject({ level: FATAL, problems: expect.arrayContaining([expect.stringMatching(reason)]) });
  });

  it.each(['PORT', 'METRICS_PORT'])('exits 1 with one clear log line, not a stack, when %s is taken', async (variable) => {
    const taken = await occupyPort();
    try {
      const { code, lines, stderr } = await runToExit({ DATA_DIR: tempDir(), [variable]: String(taken.port) });
      expect(code).toBe(1);
      expect(stderr).toBe('');
      const fatal = logLines(lines).filter((line) => line.level === FATAL);
      expect(fatal).toEqual([
        expect.objectContaining({ code: 'EADDRINUSE', port: taken.port, variable, msg: expect.stringContaining(`set ${variable} to a free port`) }),
      ]);
      expect(fatal[0]).not.toHaveProperty('err');
    } finally {
      await taken.close();
    }
  });

  it('listens on 127.0.0.1 in development unless HOST says otherwise, and logs the address bound', async () => {
    replica = await startReplicaProcess({ NODE_ENV: 'development', DATA_DIR: tempDir() });
    const listening = replica.logs.find((l) => String(l.msg).startsWith('Chorus listening'));
    expect(listening).toMatchObject({ address: '127.0.0.1', msg: expect.stringContaining(`http://127.0.0.1:${new URL(replica.url).port}`) });
    // Reachable from this machine only: another interface's address is refused.
    const elsewhere = Object.values(os.networkInterfaces())
      .flat()
      .find((i) => i && i.family === 'IPv4' && !i.internal);
    if (elsewhere) await expect(fetch(`http://${elsewhere.address}:${new URL(replica.url).port}/healthz`)).rejects.toThrow();
    await replica.stop();

    replica = await startReplicaProcess({ NODE_ENV: 'development', HOST: '0.0.0.0', DATA_DIR: tempDir() });
    expect(replica.logs.find((l) => String(l.msg).startsWith('Chorus listening'))).toMatchObject({ address: '0.0.0.0' });
    expect((await fetch(new URL('/healthz', replica.url))).status).toBe(200);
    await replica.stop();

    replica = await startReplicaProcess({ NODE_ENV: 'production', SESSION_SECRET: 'process-test-secret-of-at-least-32-characters', DATA_DIR: tempDir() });
    expect(replica.logs.find((l) => String(l.msg).startsWith('Chorus listening'))).toMatchObject({ address: '0.0.0.0' });
  });
});

describe('a replica whose MongoDB is not up yet', () => {
  let replica: ReplicaProcess | undefined;
  let mongo: MongoWireServer | undefined;
  afterEach(async () => {
    await replica?.stop('SIGKILL');
    await mongo?.close();
  });

  it('answers health probes and says why it is not ready, then serves once MongoDB starts', async () => {
    const port = await freePort();
    replica = await startReplicaProcess({ MONGO_URL: `mongodb://127.0.0.1:${port}/chorus_startup`, SESSION_SECRET: 'process-test' }, { until: 'starting' });
    const { url } = replica;
    expect((await fetch(new URL('/healthz', url))).status).toBe(200);
    const readiness = async () => {
      const res = await fetch(new URL('/readyz', url));
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    };
    // The first attempt's failure is the reason, once it has failed.
    await expect
      .poll(readiness, { timeout: 30_000 })
      .toEqual({
        status: 503,
        body: { ok: false, status: 'starting', store: 'connecting', broker: 'up', errors: { store: expect.stringMatching(/ECONNREFUSED/) } },
      });
    const early = await new Browser(url).signIn('early');
    expect(early.status).toBe(503);
    expect(early.headers.get('retry-after')).toBe('5');
    expect(early.body.error.code).toBe('store_unavailable');
    // The log line travels through the child's stdout pipe, which may lag the HTTP answer.
    await expect.poll(() => replica!.logs).toEqual(expect.arrayContaining([expect.objectContaining({ msg: 'store unreachable; trying again', attempt: 1 })]));

    mongo = await startMongoWireServer({ port });
    await expect.poll(async () => (await readiness()).status, { timeout: 30_000 }).toBe(200);
    expect((await readiness()).body).toEqual({ ok: true, status: 'ready', store: 'up', broker: 'up' });
    const alice = await user(url, 'alice');
    expect((await request(alice.socket, 'room:join', { room: 'general' })).ok).toBe(true);
    const ack = await request(alice.socket, 'message:send', { room: 'general', text: 'after the wait', clientId: 's1' });
    expect(ack).toMatchObject({ ok: true, message: { seq: 1, text: 'after the wait' } });
    alice.socket.disconnect();
    expect(await replica.stop('SIGTERM')).toBe(0);
  }, 90_000);

  it('stops at once on SIGTERM while still waiting for the store', async () => {
    replica = await startReplicaProcess({ MONGO_URL: `mongodb://127.0.0.1:${await freePort()}/chorus_startup`, SESSION_SECRET: 'process-test' }, { until: 'starting' });
    expect(await replica.stop('SIGTERM')).toBe(0);
    await expect(fetch(new URL('/healthz', replica.url))).rejects.toThrow();
  });
});

describe('npm start', () => {
  let replica: ReplicaProcess | undefined;
  let nodePid: number | undefined;
  afterEach(async () => {
    await replica?.stop('SIGKILL');
    // Before the fix npm left node behind; this test started it, so this test ends it.
    if (nodePid !== undefined && isAlive(nodePid)) process.kill(nodePid, 'SIGKILL');
  });

  it('is stopped by SIGTERM to its PID: node gets the signal and the port is free', async () => {
    // --ignore-scripts skips prestart (the build; test/global-setup.ts built dist/ already) and still runs start.
    replica = await startReplicaProcess(
      { DATA_DIR: tempDir(), HOME: process.env.HOME ?? os.tmpdir() },
      { command: ['npm', 'start', '--ignore-scripts', '--silent'] },
    );
    nodePid = replica.logs.find((l) => String(l.msg).startsWith('Chorus listening'))!.replica as number;
    expect(nodePid).not.toBe(replica.child.pid);
    expect(await replica.stop('SIGTERM')).toBe(0);
    expect(replica.logs.map((l) => l.msg)).toEqual(expect.arrayContaining(['shutting down', 'bye']));
    expect(isAlive(nodePid)).toBe(false);
    await expect(fetch(new URL('/healthz', replica.url))).rejects.toThrow();
  });
});
