import net from 'node:net';
import { startReplica, Browser } from '../dev/harness.js';
process.on('uncaughtException', (err) => { console.log('UNCAUGHT', err); process.exit(3); });
import { startTestMongo } from '../dev/mongo.js';
const mongo = await startTestMongo();
const r = await startReplica({ env: { MONGO_URL: mongo.databaseUrl() } });
const b = new Browser(r.url); await b.signIn('alice');
const port = Number(new URL(r.url).port);
for (let i = 0; i < 20; i++) {
  const s = net.connect(port, '127.0.0.1');
  s.on('error', () => {});
  await new Promise((res) => s.once('connect', res));
  s.write(`GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nCookie: ${b.cookie}\r\n\r\n`);
  s.resetAndDestroy();
  await new Promise((res) => setTimeout(res, 50));
}
console.log('survived'); await r.stop();
