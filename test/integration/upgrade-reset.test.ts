/**
 * A client that aborts its websocket upgrade with a TCP RST while the server still reads its session.
 * Node's HTTP server takes its 'error' listener off a socket it hands to 'upgrade', and engine.io only
 * adds one once its middlewares (express-session, reading MongoDB) and allowRequest are done: a reset in
 * between, with no listener of ours, would be an uncaught ECONNRESET that ends the process.
 */
import net from 'node:net';
import { once } from 'node:events';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startReplica, user, type Replica } from '../../dev/harness.js';
import { startTestMongo, type TestMongo } from '../../dev/mongo.js';

let mongo: TestMongo;
let replica: Replica;
beforeAll(async () => {
  mongo = await startTestMongo();
  // MongoDB's session store answers asynchronously, so the reset lands while the upgrade is pending.
  replica = await startReplica({ env: { MONGO_URL: mongo.databaseUrl() } });
});
afterAll(async () => {
  await replica?.stop();
  await mongo?.close();
});

it('survives a client that resets its websocket upgrade while its session is read', async () => {
  const uncaught: unknown[] = [];
  const record = (err: unknown) => uncaught.push(err);
  process.on('uncaughtExceptionMonitor', record);
  try {
    const { browser } = await user(replica.url, 'alice');
    const client = net.connect(Number(new URL(replica.url).port), '127.0.0.1');
    client.on('error', () => {});
    // Runs before engine.io's own 'upgrade' listener: the RST is sent before the session lookup starts.
    const upgrading = new Promise<net.Socket>((resolve) =>
      replica.app.server.prependOnceListener('upgrade', (_req, socket: net.Socket) => {
        client.resetAndDestroy();
        resolve(socket);
      }),
    );
    await once(client, 'connect');
    client.write(
      'GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\n' +
        'Host: 127.0.0.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n' +
        'Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n' +
        `Cookie: ${browser.cookie}\r\n\r\n`,
    );
    // Not events.once(): it would listen for 'error' itself.
    const serverSide = await upgrading;
    const hadError = await new Promise<boolean>((resolve) => serverSide.on('close', resolve));
    expect(hadError).toBe(true); // the server side did read the reset
    expect(uncaught).toEqual([]);
    expect((await user(replica.url, 'bob')).socket.connected).toBe(true);
  } finally {
    process.off('uncaughtExceptionMonitor', record);
  }
});
