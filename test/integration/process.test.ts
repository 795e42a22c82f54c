/**
 * The replica as a process: it starts on the embedded defaults, serves, refuses bad configuration
 * with a clear message, and shuts down gracefully on SIGTERM.
 */
import { describe, expect, it } from 'vitest';
import { Browser, request, tempDir } from '../helpers/harness.js';
import { runToExit, startReplicaProcess } from '../helpers/processes.js';

describe('the replica process', () => {
  it('serves on the embedded defaults and exits 0 on SIGTERM, closing sockets first', async () => {
    const replica = await startReplicaProcess({ DATA_DIR: tempDir() });
    const browser = new Browser(replica.url);
    await browser.signIn('alice');
    const socket = await browser.connect();
    expect((await request(socket, 'room:join', { room: 'general' })).ok).toBe(true);
    const disconnected = new Promise((resolve) => socket.once('disconnect', resolve));
    expect(await replica.stop('SIGTERM')).toBe(0);
    await disconnected;
    expect(replica.logs.map((l) => l.msg)).toEqual(expect.arrayContaining(['shutting down', 'bye']));
  });

  it.each([
    ['an ambiguous broker', { REDIS_HOST: 'r', NATS_HOST: 'n', MONGO_URL: 'mongodb://db/chat' }, /Ambiguous broker/],
    ['production without SESSION_SECRET', { NODE_ENV: 'production' }, /SESSION_SECRET is required/],
    ["production with the examples' SESSION_SECRET", { NODE_ENV: 'production', SESSION_SECRET: 'replace-me' }, /SESSION_SECRET contains the example value "replace-me"/],
    ['several replicas without MongoDB', { BROKER: 'redis', REDIS_URL: 'redis://127.0.0.1:6379' }, /replicas need a shared store/],
  ])('refuses to start with %s, saying why', async (_label, env, reason) => {
    const { code, stderr } = await runToExit({ DATA_DIR: tempDir(), ...env });
    expect(code).toBe(78);
    expect(stderr).toMatch(reason);
  });
});
