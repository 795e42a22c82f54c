/**
 * NATS with a user and password, as the compose files and Kubernetes overlays run it: the replicas
 * must pass the credentials in the connect options, because nats.js ignores any in the server URL.
 * Runs its own nats-server (the shared one on 4222 has no authentication).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createBroker } from '../../src/broker/create-broker.js';
import type { Broker } from '../../src/broker/port.js';
import { describeWhen, missingProgram } from '../helpers/requirements.js';

const credentials = { user: 'chorus', pass: 'test-nats-password' };

/** Resolves with the client port once the server says it listens there. */
async function startNatsServer(): Promise<{ server: ChildProcess; port: number }> {
  const server = spawn('nats-server', ['-a', '127.0.0.1', '-p', '-1', '--user', credentials.user, '--pass', credentials.pass], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  const port = await new Promise<number>((resolve, reject) => {
    server.once('error', reject);
    server.once('exit', (code) => reject(new Error(`nats-server exited with ${code}:\n${log}`)));
    server.stderr!.on('data', (chunk: Buffer) => {
      log += chunk.toString();
      const match = /Listening for client connections on [\d.]+:(\d+)/.exec(log);
      if (match) resolve(Number(match[1]));
    });
  });
  return { server, port };
}

const state = (broker: Broker) => broker.check().then(() => 'up', (err: Error) => err.message);

describeWhen('NATS with authentication', [missingProgram('nats-server', 'nats-server')], () => {
  let server: ChildProcess;
  let servers: string[];
  const brokers: Broker[] = [];
  beforeAll(async () => {
    const started = await startNatsServer();
    server = started.server;
    servers = [`nats://127.0.0.1:${started.port}`];
  });
  afterAll(async () => {
    await Promise.all(brokers.map((b) => b.close()));
    if (server && server.exitCode === null) {
      server.kill('SIGTERM');
      await once(server, 'exit');
    }
  });

  it('connects with NATS_USER and NATS_PASSWORD', async () => {
    const broker = createBroker({ kind: 'nats', servers, credentials }, {});
    brokers.push(broker);
    await expect.poll(() => state(broker), { timeout: 20_000 }).toBe('up');
  });

  it('is refused without them, and says why', async () => {
    const broker = createBroker({ kind: 'nats', servers }, {});
    brokers.push(broker);
    await expect.poll(() => state(broker), { timeout: 20_000 }).toMatch(/authorization/i);
  });
});
