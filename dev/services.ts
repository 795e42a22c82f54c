/**
 * Whether a real service (Redis, RabbitMQ, NATS) answers. Tests that need one go through
 * `requirements.ts`: skipped loudly where it is missing, failing on CI (CI=true).
 */
import net from 'node:net';

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
