/**
 * Runs the MongoDB wire stand-in as its own process, for the load benchmark's multi-process runs (bench/targets.ts):
 *
 *   PORT=0 npx tsx dev/mongo-wire-server-main.ts
 *
 * Prints exactly one line, `MONGO_URL=mongodb://127.0.0.1:<port>`, once it is listening, and exits
 * cleanly on SIGTERM/SIGINT. PORT defaults to 0 (an ephemeral port) so parallel runs never collide;
 * the parent reads the real port from that line.
 */
import { startMongoWireServer } from './mongo-wire-server.js';

const server = await startMongoWireServer({ port: Number(process.env.PORT ?? 0) });
process.stdout.write(`MONGO_URL=${server.url}\n`);

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    void server.close().then(() => process.exit(0));
  });
}
