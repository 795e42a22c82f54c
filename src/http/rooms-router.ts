/**
 * Rooms and their history over HTTP.
 */
import { Router } from 'express';
import { AppError } from '../chat/errors.js';
import { withAuthors } from '../chat/messages.js';
import { historyQuery, parseInput, roomName } from '../chat/schemas.js';
import type { Store } from '../store/port.js';
import { requireUser } from './errors.js';

export interface RoomsRouterDeps {
  store: Store;
  /** Distinct online users per room, across the cluster. */
  onlineByRoom(): Map<string, number>;
}

export function roomsRouter({ store, onlineByRoom }: RoomsRouterDeps): Router {
  const router = Router();
  router.use(requireUser);

  router.get('/', async (_req, res) => {
    const rooms = await store.rooms.list();
    const online = onlineByRoom();
    res.json({ rooms: rooms.map((r) => ({ name: r.name, online: online.get(r.name) ?? 0, lastSeq: r.lastSeq })) });
  });

  router.get('/:room/messages', async (req, res) => {
    const room = parseInput(roomName, req.params.room);
    const { before, limit } = parseInput(historyQuery, req.query);
    if (!(await store.rooms.find(room))) throw new AppError('not_found', `No room "${room}".`);
    const page = await store.messages.before(room, before, limit);
    res.json({ messages: await withAuthors(store.users, page.messages), hasMore: page.hasMore });
  });

  return router;
}
