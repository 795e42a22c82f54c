/**
 * Tests that need a real service (Redis, RabbitMQ, NATS) run only where it answers. Without it they are
 * skipped, loudly; on CI (CI=true) its absence fails the run instead, so a broken service can't pass as
 * a green build.
 */
import net from 'node:net';
import { describe, it } from 'vitest';

/** Whether something accepts TCP connections on host:port within `timeoutMs`. */
export function serviceAvailable(host: string, port: number, timeoutMs = 1_000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (answer: boolean) => {
      socket.destroy();
      resolve(answer);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/**
 * `describe(name, fn)` when `name` answers on 127.0.0.1:port; otherwise a skip with a warning, or on
 * CI a failing test. Await it at the top level of the test file.
 */
export async function describeWithService(name: string, port: number, fn: () => void): Promise<void> {
  if (await serviceAvailable('127.0.0.1', port)) {
    describe(name, fn);
    return;
  }
  const problem = `${name} does not answer on 127.0.0.1:${port}`;
  if (process.env.CI === 'true') {
    describe(name, () => {
      it(`needs ${name}`, () => {
        throw new Error(`${problem}; CI must have it running`);
      });
    });
    return;
  }
  console.warn(`\n[SKIPPED] ${problem}: its tests are skipped. Start it to run them.\n`);
  describe.skip(name, fn);
}
