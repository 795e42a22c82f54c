/**
 * Socket.IO wiring: the session cookie authenticates the handshake, each socket joins its user and
 * session rooms, reports presence, and gets the event handlers.
 */
import type { IncomingMessage } from 'node:http';
import type { RequestHandler } from 'express';
import type { Logger } from 'pino';
import { AppError, toPublicError } from '../chat/errors.js';
import { publicUser } from '../chat/messages.js';
import type { Friends } from '../friends/friends.js';
import type { Metrics } from '../observability/metrics.js';
import type { Presence } from '../presence/presence.js';
import type { RoomAccess } from '../chat/room-access.js';
import type { Admins } from '../moderation/admins.js';
import type { Store } from '../store/port.js';
import { createEventBinder } from './ack.js';
import { registerConversationHandlers } from './conversation-handlers.js';
import { sessionRoom, userRoom, type Ack, type ChatServer } from './events.js';
import type { InFlight } from './in-flight.js';
import type { MessageFanout } from './message-fanout.js';
import type { RoomOccupancy } from './occupancy.js';
import { registerFriendsHandlers } from './friends-handlers.js';
import { registerMessageChangeHandlers } from './message-change-handlers.js';
import { registerMessageHandlers } from './message-handlers.js';
import { registerModerationHandlers } from './moderation-handlers.js';
import { createPostNotices } from './post-notices.js';
import { CLIENT_EVENTS } from './protocol.js';
import { registerReadHandlers } from './read-handlers.js';
import { registerRoomHandlers } from './room-handlers.js';

export interface RealtimeDeps {
  store: Store;
  presence: Presence;
  friends: Friends;
  metrics: Metrics;
  logger: Logger;
  sessionMiddleware: RequestHandler;
  fanout: MessageFanout;
  occupancy: RoomOccupancy;
  access: RoomAccess;
  admins: Admins;
  /** Counts every handler run until its ack is sent (what a drain waits for). */
  inFlight: InFlight;
}

const knownEvents = new Set<string>(CLIENT_EVENTS);

export function attachRealtime(io: ChatServer, deps: RealtimeDeps): void {
  const { store, presence, friends, metrics, logger, fanout, occupancy, access, admins, inFlight } = deps;
  const bind = createEventBinder({ logger, metrics, inFlight });
  const notices = createPostNotices(io);
  const onlineByRoom = () => occupancy.onlineByRoom();

  // The session is read once, at the handshake; later HTTP long-polling requests carry the engine sid.
  io.engine.use((req: IncomingMessage & { _query?: Record<string, string> }, res: never, next: (err?: unknown) => void) => {
    if (req._query?.sid === undefined) deps.sessionMiddleware(req as never, res, next);
    else next();
  });

  io.use(async (socket, next) => {
    const { session, sessionID } = socket.request as IncomingMessage & { session?: { user?: { name: string } }; sessionID?: string };
    const name = session?.user?.name;
    if (!name || !sessionID) return next(new Error('unauthorized'));
    try {
      const user = await store.users.find(name);
      if (!user) return next(new Error('unauthorized'));
      if (user.banned) return next(new Error('forbidden'));
      socket.data = { user: publicUser(user), sessionId: sessionID };
      next();
    } catch {
      next(new Error('store_unavailable'));
    }
  });

  io.on('connection', (socket) => {
    const { user, sessionId } = socket.data;
    void socket.join([userRoom(user.name), sessionRoom(sessionId)]);
    presence.socketOpened(user.name);
    metrics.connectedSockets.inc();
    socket.on('disconnect', () => {
      presence.socketClosed(user.name);
      metrics.connectedSockets.dec();
    });

    registerRoomHandlers(socket, { occupancy, store, fanout, access, bind });
    registerMessageHandlers(socket, { fanout, store, metrics, access, notices, bind });
    registerMessageChangeHandlers(socket, { fanout, store, metrics, access, notices, admins, bind });
    registerFriendsHandlers(socket, { io, store, friends, presence, bind });
    registerConversationHandlers(socket, { store, onlineByRoom, isOnline: (name) => presence.isOnline(name), bind });
    registerReadHandlers(socket, { store, access, bind });
    registerModerationHandlers(socket, { store, admins, bind });

    // An event nobody handles still gets an answer when the client asked for one.
    socket.onAny((event: string, ...args: unknown[]) => {
      if (knownEvents.has(event)) return;
      const ack = args.at(-1);
      const error = toPublicError(new AppError('invalid_input', `Unknown event "${event}".`));
      metrics.rejectedInputs.inc({ code: error.code });
      if (typeof ack === 'function') (ack as Ack)({ ok: false, error });
    });
  });
}
