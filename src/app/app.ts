/**
 * The app factory: one replica's HTTP server, Socket.IO server and routes, built from explicit
 * dependencies so tests can start several in one process and close them cleanly. `main.ts` owns the
 * process (listening, signals); the store's lifecycle belongs to whoever created it.
 */
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { Duplex } from 'node:stream';
import { fileURLToPath } from 'node:url';
import express from 'express';
import helmet from 'helmet';
import { pinoHttp } from 'pino-http';
import { Server } from 'socket.io';
import type { Broker } from '../broker/port.js';
import type { Config } from '../config/config.js';
import { RoomAccess } from '../chat/room-access.js';
import { avatarRouter } from '../http/avatar-router.js';
import { refuseBannedSessions } from '../http/banned-sessions.js';
import { errorHandler, notFound } from '../http/errors.js';
import { scopeDemoFrames } from '../http/frame-scope.js';
import { healthRouter } from '../http/health-router.js';
import { allowOrigin } from '../http/origin.js';
import { createHttpRateLimits } from '../http/rate-limits.js';
import { roomsRouter } from '../http/rooms-router.js';
import { searchRouter } from '../http/search-router.js';
import { createSessionMiddleware } from '../http/session.js';
import { sessionRouter } from '../http/session-router.js';
import { uploadsRouter } from '../http/uploads-router.js';
import { usersRouter } from '../http/users-router.js';
import type { Logger } from '../observability/logger.js';
import { createMetrics, type Metrics } from '../observability/metrics.js';
import { createMetricsServer } from '../observability/metrics-server.js';
import { measureHttp } from '../observability/http-metrics.js';
import { Friends } from '../friends/friends.js';
import { Admins } from '../moderation/admins.js';
import { ClusterPresence, OFFLINE_GRACE_MS } from '../presence/cluster-presence.js';
import { sessionRoom, type ChatServer } from '../realtime/events.js';
import { RoomOccupancy } from '../realtime/occupancy.js';
import { forwardFriendsEvents } from '../realtime/friends-handlers.js';
import { memberAnnouncements } from '../realtime/member-announcements.js';
import { InFlight } from '../realtime/in-flight.js';
import { createMessageFanout } from '../realtime/message-fanout.js';
import { attachRealtime } from '../realtime/realtime.js';
import { instrumentSockets } from '../realtime/socket-metrics.js';
import { socketIoPeerLink } from '../realtime/socket-peer-link.js';
import { Replicator } from '../replication/replicator.js';
import type { Store } from '../store/port.js';
import { Avatars } from '../uploads/avatars.js';
import { openUploads } from '../uploads/open-uploads.js';
import { Drain } from './drain.js';
import { listenOn } from './listen.js';

export interface AppDeps {
  config: Config;
  store: Store;
  /** Joins this replica to the others; the caller closes it after the app. */
  broker: Broker;
  logger: Logger;
  /**
   * The HTTP server to serve on, perhaps already listening: `main.ts` answers health probes on it while
   * the store connects, and the app takes its requests over once built. @default a new server
   */
  server?: http.Server;
  /**
   * How long presence waits before announcing that a user went offline, and a room departure before
   * announcing that a member left (ms).
   * @default 2000
   */
  offlineGraceMs?: number;
}

export interface App {
  server: http.Server;
  /** Serves `/metrics` alone; listening only once `listenMetrics` is called. */
  metricsServer: http.Server;
  io: ChatServer;
  metrics: Metrics;
  /** Listens on `port` (0 = any free one) on `host` (all interfaces by default) and resolves with the port. */
  listen(port: number, host?: string): Promise<number>;
  /** The same for the metrics listener. */
  listenMetrics(port: number, host?: string): Promise<number>;
  /**
   * Moves this replica's users elsewhere before it stops (`src/app/drain.ts`): refuses new sockets and
   * fails readiness at once, then closes the open sockets over `config.drain`, each once its events are
   * answered, and resolves when all are closed and no handler runs. Idempotent; `close()` comes after.
   */
  drain(): Promise<void>;
  /** Stops accepting, disconnects every socket, and resolves when both HTTP servers have closed. Idempotent. */
  close(): Promise<void>;
}

/** The contract's room that always exists. */
export const DEFAULT_ROOM = 'general';
const PUBLIC_DIR = fileURLToPath(new URL('../../public/', import.meta.url));
const REQUEST_ID = /^[\w.-]{1,128}$/;
/** Largest inbound Socket.IO packet: a 4000-character message is at most 16 KB of UTF-8. */
const MAX_SOCKET_PAYLOAD_BYTES = 64 * 1024;

export async function createApp({ config, store, broker, logger, offlineGraceMs = OFFLINE_GRACE_MS, server = http.createServer() }: AppDeps): Promise<App> {
  const metrics = createMetrics();
  const uploads = await openUploads(config);
  await store.rooms.ensure(DEFAULT_ROOM);
  const sessionMiddleware = createSessionMiddleware(config, store);

  const app = express();
  // Attached to `server` after the last await (below).
  const io: ChatServer = new Server({
    maxHttpBufferSize: MAX_SOCKET_PAYLOAD_BYTES,
    allowRequest: (req, callback) => callback(null, allowOrigin(req, config.allowedOrigins)),
  });
  io.adapter(broker.adapter);
  instrumentSockets(io, metrics);
  const metricsServer = createMetricsServer(metrics.registry, (err) => logger.error({ err }, 'could not collect metrics'));

  const replicator = new Replicator({
    link: socketIoPeerLink(io, (err) => logger.warn({ err }, 'could not send a replication message')),
    timeoutMs: config.replicaTimeoutMs,
    logger,
    onDeltaLag: (ms) => metrics.crdtReplicationLagSeconds.observe(ms / 1000),
  });
  const presence = new ClusterPresence({ replicator, offlineGraceMs });
  const occupancy = new RoomOccupancy({ io, replicator, metrics, logger, graceMs: offlineGraceMs, onSettled: memberAnnouncements({ io, store, logger }) });
  const friends = await Friends.load({ replicator, repository: store.friends, logger });

  // The last await: from here on the code runs without yielding, so the first request the app takes
  // over finds every route in place. Whatever answered on `server` before (main.ts's startup responder)
  // stops; Engine.IO takes /socket.io/ and hands the rest to Express.
  server.removeAllListeners('request');
  server.on('request', app);
  // Node's HTTP server takes its 'error' listener off a socket it hands to 'upgrade', and Engine.IO adds
  // one only after its middlewares (the session read from the store) and allowRequest: a client that
  // resets its connection in between would end the process with an uncaught ECONNRESET.
  server.on('upgrade', (_req, socket: Duplex) => socket.on('error', (err) => logger.debug({ err }, 'upgrading socket error')));
  io.attach(server);
  scopeDemoFrames(server);
  const inFlight = new InFlight();
  const drain = new Drain({ io, inFlight, metrics, logger, ...config.drain });
  // Before the session is read from the store: a refused handshake costs nothing.
  io.engine.use(drain.refuseNewSessions);

  app.set('trust proxy', config.trustProxy);
  app.use(measureHttp(metrics.http));
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
      autoLogging: { ignore: (req) => req.url === '/healthz' || req.url === '/readyz' },
    }),
  );

  app.use(
    healthRouter({
      store: () => store.ping(),
      broker: () => broker.check(),
      draining: () => drain.draining,
      onReadiness: ({ status }) => metrics.readinessProbes.inc({ status }),
    }),
  );

  const limits = createHttpRateLimits({ signInLimitPerAddress: config.signInLimitPerAddress, logger });
  const api = express.Router();
  api.use(express.json({ limit: '16kb' }));
  api.use(sessionMiddleware);
  api.use(refuseBannedSessions(store.users));
  api.use(sessionRouter({ store, presence, limits, endSessionSockets: (sid) => io.in(sessionRoom(sid)).disconnectSockets(true) }));
  const access = new RoomAccess(store);
  const onlineByRoom = () => occupancy.onlineByRoom();
  api.use('/rooms', roomsRouter({ store, access, onlineByRoom, isOnline: (name) => presence.isOnline(name) }));
  api.use('/search', searchRouter({ store, access }));
  api.use('/users', usersRouter({ store, presence }));
  api.use('/avatar', avatarRouter({ store, avatars: new Avatars(uploads), limits }));
  api.use(notFound);
  app.use('/api', api);

  app.use('/uploads', uploadsRouter(uploads));
  app.use(express.static(PUBLIC_DIR, { index: 'index.html' }));
  app.get('/r/:room', (_req, res) => res.sendFile('index.html', { root: PUBLIC_DIR }));
  app.get('/demo', (_req, res) => res.sendFile('demo.html', { root: PUBLIC_DIR }));
  app.use(notFound);
  app.use(errorHandler(metrics));

  const fanout = createMessageFanout({ io, store, logger, metrics });
  replicator.shareRoomSeqs(fanout.roomSeqs);
  const admins = new Admins(config.admins, logger);
  attachRealtime(io, { store, presence, friends, metrics, logger, sessionMiddleware, fanout, occupancy, access, admins, inFlight });
  const stopForwarding = forwardFriendsEvents({ io, friends, presence });
  replicator.start();

  let closing: Promise<void> | undefined;
  return {
    server,
    metricsServer,
    io,
    metrics,
    listen: async (port, host) => (await listenOn(server, port, host)).port,
    listenMetrics: async (port, host) => (await listenOn(metricsServer, port, host)).port,
    drain: () => drain.run(),
    close: () => {
      closing ??= (async () => {
        drain.close();
        // First: peers then drop this replica's votes at once instead of after the timeout.
        replicator.close();
        stopForwarding();
        presence.close();
        occupancy.close();
        friends.close();
        // io.close() disconnects every socket and closes the HTTP server; idle keep-alives would hold it open.
        const closed = io.close();
        server.closeIdleConnections();
        const metricsClosed = metricsServer.listening ? new Promise((resolve) => metricsServer.close(resolve)) : undefined;
        metricsServer.closeAllConnections();
        await Promise.all([closed, metricsClosed]);
        fanout.close();
        limits.close();
        await uploads.close();
      })();
      return closing;
    },
  };
}
