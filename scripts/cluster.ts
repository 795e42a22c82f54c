/**
 * `npm run cluster -- --replicas 3 --broker redis [--port 8080]`: a Chorus cluster on this machine
 * without Docker — N replica processes behind haproxy with sticky sessions, like the compose files
 * behind Traefik. MongoDB is MONGO_URL when set, else the in-memory wire-protocol stand-in (data is
 * lost on exit). The broker is REDIS_URL / AMQP_URL / NATS_URL when set, else its local default port.
 * Ctrl-C stops everything.
 */
import net from 'node:net';
import { parseArgs } from 'node:util';
import { BROKER_DEFAULTS, CLUSTER_BROKERS, startCluster, type ClusterBroker } from './cluster/launch-cluster.js';
import { AFFINITY_COOKIE, STATS_PATH } from './cluster/haproxy-config.js';

const USAGE = 'usage: npm run cluster -- --replicas <1-16> --broker <redis|rabbit|nats> [--port <port, 0 = any free; default 8080>]';

function readOptions(): { replicas: number; broker: ClusterBroker; port: number } {
  const { values } = parseArgs({
    options: {
      replicas: { type: 'string', default: '3' },
      broker: { type: 'string', default: 'redis' },
      port: { type: 'string', default: '8080' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const replicas = Number(values.replicas);
  const port = Number(values.port);
  const broker = values.broker as ClusterBroker;
  const problems = [
    !(Number.isInteger(replicas) && replicas >= 1 && replicas <= 16) && `--replicas must be 1 to 16, not "${values.replicas}"`,
    !CLUSTER_BROKERS.includes(broker) && `--broker must be one of ${CLUSTER_BROKERS.join(', ')}, not "${values.broker}"`,
    !(Number.isInteger(port) && port >= 0 && port <= 65535) && `--port must be a port number, not "${values.port}"`,
  ].filter(Boolean);
  if (problems.length > 0) {
    console.error(`${problems.join('\n')}\n${USAGE}`);
    process.exit(64); // EX_USAGE
  }
  return { replicas, broker, port };
}

/** Whether host:port of `url` accepts a TCP connection within a second. */
function reachable(url: string): Promise<boolean> {
  const first = url.split(',')[0]!;
  const { hostname, port } = new URL(first);
  return new Promise((resolve) => {
    const socket = net.connect({ host: hostname, port: Number(port) });
    socket.setTimeout(1_000, () => (socket.destroy(), resolve(false)));
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });
}

const { replicas, broker, port } = readOptions();
let stopping = false;
const brokerUrl = process.env[BROKER_DEFAULTS[broker].variable] || BROKER_DEFAULTS[broker].url;
if (!(await reachable(brokerUrl))) {
  // Replicas start anyway and connect when the broker appears; until then they do not see each other.
  console.warn(`warning: ${broker} does not answer at ${brokerUrl}; replicas will wait for it`);
}

const cluster = await startCluster({
  replicas,
  broker,
  brokerUrl,
  mongoUrl: process.env.MONGO_URL || undefined,
  proxyPort: port,
  env: { NODE_ENV: 'production', LOG_LEVEL: process.env.LOG_LEVEL || 'info' },
});

console.log(`Chorus: ${replicas} replica${replicas > 1 ? 's' : ''} over ${broker}, MongoDB ${cluster.mongoIsStandIn ? `stand-in (in memory, test use only) at ${cluster.mongoUrl}` : 'from MONGO_URL'}`);
for (const { name, process: replica } of cluster.replicas) {
  console.log(`  ${name}  ${replica.url}  metrics ${replica.metricsUrl}/metrics  (pid ${replica.child.pid})`);
  replica.child.once('exit', (code, signal) => {
    if (!stopping) console.warn(`replica ${name} exited (${signal ?? code}); haproxy sends its clients to the others`);
  });
}
console.log(`\nOpen ${cluster.url}  (haproxy, pid ${cluster.proxy.pid}; sticky cookie ${AFFINITY_COOKIE}; statistics at ${cluster.url}${STATS_PATH})`);
console.log('Ctrl-C stops everything.');

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    console.log('\nstopping…');
    cluster
      .stop()
      .then(() => process.exit(0))
      .catch((err: unknown) => {
        console.error('could not stop cleanly:', err);
        process.exit(1);
      });
  });
}
