/**
 * Rooms and their history over HTTP: the caller's room list (public rooms, and the private rooms and
 * DMs they are in, with what they have not read) and history pages of rooms they may read.
 */
import { Router } from 'express';
import { withAuthors } from '../chat/messages.js';
import type { RoomAccess } from '../chat/room-access.js';
import { summarizeRooms, type SummaryDeps } from '../chat/room-summaries.js';
import { historyQuery, parseInput, roomName } from '../chat/schemas.js';
import { requireUser } from './errors.js';

export type RoomsRouterDeps = SummaryDeps & { access: RoomAccess };

export function roomsRouter(deps: RoomsRouterDeps): Router {
  const { store, access } = deps;
  const router = Router();
  router.use(requireUser);

  router.get('/', async (req, res) => {
    const me = req.session.user!.name;
    res.json({ rooms: await summarizeRooms(deps, me, await store.rooms.listFor(me)) });
  });

  router.get('/:room/messages', async (req, res) => {
    const room = parseInput(roomName, req.params.room);
    const { before, limit } = parseInput(historyQuery, req.query);
    await access.readable(room, req.session.user!.name);
    const page = await store.messages.before(room, before, limit);
    res.json({ messages: await withAuthors(store.users, page.messages), hasMore: page.hasMore });
  });

  return router;
}
