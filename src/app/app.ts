/**
 * The app factory: one replica's HTTP server, Socket.IO server and routes, built from explicit
 * dependencies so tests can start several in one process and close them cleanly. `main.ts` owns the
 * process (listening, signals); the store's lifecycle belongs to whoever created it.
 */
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import { fileURLToPath } from 'node:url';
import express from 'express';
import helmet from 'helmet';
import { pinoHttp } from 'pino-http';
import { Server } from 'socket.io';
import type { Broker } from '../broker/port.js';
import type { Config } from '../config/config.js';
import { avatarRouter } from '../http/avatar-router.js';
import { errorHandler, notFound } from '../http/errors.js';
import { scopeDemoFrames } from '../http/frame-scope.js';
import { healthRouter } from '../http/health-router.js';
import { allowOrigin } from '../http/origin.js';
import { roomsRouter } from '../http/rooms-router.js';
import { createSessionMiddleware } from '../http/session.js';
import { sessionRouter } from '../http/session-router.js';
import { usersRouter } from '../http/users-router.js';
import type { Logger } from '../observability/logger.js';
import { createMetrics, type Metrics } from '../observability/metrics.js';
import { instrumentSockets } from '../observability/socket-metrics.js';
import { Friends } from '../friends/friends.js';
import { ClusterPresence } from '../presence/cluster-presence.js';
import { sessionRoom, type ChatServer } from '../realtime/events.js';
import { RoomOccupancy } from '../realtime/occupancy.js';
import { forwardFriendsEvents } from '../realtime/friends-handlers.js';
import { createMessageFanout } from '../realtime/message-fanout.js';
import { attachRealtime } from '../realtime/realtime.js';
import { socketIoPeerLink } from '../replication/peer-link.js';
import { Replicator } from '../replication/replicator.js';
import type { Store } from '../store/port.js';
import { AvatarFiles } from '../uploads/avatar-files.js';

export interface AppDeps {
  config: Config;
  store: Store;
  /** Joins this replica to the others; the caller closes it after the app. */
  broker: Broker;
  logger: Logger;
  /**
   * How long presence waits before announcing that a user went offline (ms).
   * @default 2000
   */
  offlineGraceMs?: number;
}

export interface App {
  server: http.Server;
  io: ChatServer;
  metrics: Metrics;
  /** Joins this replica's presence and friends CRDTs to the other replicas'. */
  replicator: Replicator;
  /** Listens on `port` (0 = any free one) on all interfaces and resolves with the port. */
  listen(port: number, host?: string): Promise<number>;
  /** Stops accepting, disconnects every socket, and resolves when the HTTP server has closed. Idempotent. */
  close(): Promise<void>;
}

/** The contract's room that always exists. */
export const DEFAULT_ROOM = 'general';
const PUBLIC_DIR = fileURLToPath(new URL('../../public/', import.meta.url));
const REQUEST_ID = /^[\w.-]{1,128}$/;
/** Largest inbound Socket.IO packet: a 4000-character message is at most 16 KB of UTF-8. */
const MAX_SOCKET_PAYLOAD_BYTES = 64 * 1024;

export async function createApp({ config, store, broker, logger, offlineGraceMs }: AppDeps): Promise<App> {
  const metrics = createMetrics();
  const files = new AvatarFiles(config.uploadDir);
  await files.init();
  await store.rooms.ensure(DEFAULT_ROOM);
  const sessionMiddleware = createSessionMiddleware(config, store);

  const app = express();
  const server = http.createServer(app);
  const io: ChatServer = new Server(server, {
    maxHttpBufferSize: MAX_SOCKET_PAYLOAD_BYTES,
    allowRequest: (req, callback) => callback(null, allowOrigin(req, config.allowedOrigins)),
  });
  io.adapter(broker.adapter);
  instrumentSockets(io, metrics);
  scopeDemoFrames(server);

  const replicator = new Replicator({
    link: socketIoPeerLink(io, (err) => logger.warn({ err }, 'could not send a replication message')),
    timeoutMs: config.replicaTimeoutMs,
    logger,
    onDeltaLag: (ms) => metrics.crdtReplicationLagSeconds.observe(ms / 1000),
  });
  const presence = new ClusterPresence({ replicator, offlineGraceMs });
  const occupancy = new RoomOccupancy({ io, replicator, metrics, logger });
  const friends = await Friends.load({ replicator, repository: store.friends, logger });

  app.set('trust proxy', config.trustProxy);
  app.use(
    helmet({
      contentSecurityPolicy: {
        // Plain-HTTP laptops and localhost must keep working; TLS is the proxy's business.
        directives: { upgradeInsecureRequests: null, imgSrc: ["'self'", 'data:', 'blob:'] },
      },
    }),
  );
  app.use(
    pinoHttp({
      logger,
      genReqId: (req, res) => {
        const offered = req.headers['x-request-id'];
        const id = typeof offered === 'string' && REQUEST_ID.test(offered) ? offered : randomUUID();
        res.setHeader('x-request-id', id);
        return id;
      },
      // The full request/response objects are noise in every line; the id ties a line to its request.
      serializers: {
        req: (req: { id: unknown; method: string; url: string }) => ({ id: req.id, method: req.method, url: req.url }),
        res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
      },
      autoLogging: { ignore: (req) => req.url === '/healthz' || req.url === '/readyz' || req.url === '/metrics' },
    }),
  );

  app.use(healthRouter({ checks: { store: () => store.ping(), broker: () => broker.check() }, registry: metrics.registry }));

  const api = express.Router();
  api.use(express.json({ limit: '16kb' }));
  api.use(sessionMiddleware);
  api.use(sessionRouter({ store, presence, endSessionSockets: (sid) => io.in(sessionRoom(sid)).disconnectSockets(true) }));
  api.use('/rooms', roomsRouter({ store, onlineByRoom: () => occupancy.onlineByRoom() }));
  api.use('/users', usersRouter({ store, presence }));
  api.use('/avatar', avatarRouter({ store, files }));
  api.use(notFound);
  app.use('/api', api);

  app.use('/uploads', express.static(files.dir, { index: false, dotfiles: 'ignore', immutable: true, maxAge: '365d' }));
  app.use(express.static(PUBLIC_DIR, { index: 'index.html' }));
  app.get('/r/:room', (_req, res) => res.sendFile('index.html', { root: PUBLIC_DIR }));
  app.get('/demo', (_req, res) => res.sendFile('demo.html', { root: PUBLIC_DIR }));
  app.use(notFound);
  app.use(errorHandler(metrics));

  const fanout = createMessageFanout({ io, store, logger, metrics });
  replicator.shareRoomSeqs(fanout.roomSeqs);
  attachRealtime(io, { store, presence, friends, metrics, logger, sessionMiddleware, fanout, occupancy });
  const stopForwarding = forwardFriendsEvents({ io, friends, presence });
  replicator.start();

  let closing: Promise<void> | undefined;
  return {
    server,
    io,
    metrics,
    replicator,
    listen: (port, host) =>
      new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          server.off('error', reject);
          resolve((server.address() as { port: number }).port);
        });
      }),
    close: () => {
      closing ??= (async () => {
        // First: peers then drop this replica's votes at once instead of after the timeout.
        replicator.close();
        stopForwarding();
        presence.close();
        occupancy.close();
        friends.close();
        // io.close() disconnects every socket and closes the HTTP server; idle keep-alives would hold it open.
        const closed = io.close();
        server.closeIdleConnections();
        await closed;
        fanout.close();
      })();
      return closing;
    },
  };
}
