/**
 * `GET /api/search`: messages of the rooms the caller may read, newest first, each with the ranges of
 * its text the query matched. Every query word must start a word of the message (`src/search/terms.ts`).
 */
import { Router } from 'express';
import { z } from 'zod';
import { AppError } from '../chat/errors.js';
import { withAuthors } from '../chat/messages.js';
import type { RoomAccess } from '../chat/room-access.js';
import { messageId, parseInput, roomName } from '../chat/schemas.js';
import { highlightRanges, MAX_QUERY_TERMS, searchTerms } from '../search/terms.js';
import type { Store } from '../store/port.js';
import { requireUser } from './errors.js';

export interface SearchRouterDeps {
  store: Store;
  access: RoomAccess;
}

const searchQuery = z.strictObject({
  q: z.string().trim().min(1, 'q must not be empty').max(200, 'q must be at most 200 characters'),
  room: roomName.optional(),
  limit: z.coerce.number().int().min(1).max(50).default(20),
  before: messageId.optional(),
});

export function searchRouter({ store, access }: SearchRouterDeps): Router {
  const router = Router();
  router.use(requireUser);

  router.get('/', async (req, res) => {
    const me = req.session.user!.name;
    const { q, room, limit, before } = parseInput(searchQuery, req.query);
    const terms = searchTerms(q);
    if (terms.length === 0) throw new AppError('invalid_input', 'q must hold a word (letters or digits).');
    if (terms.length > MAX_QUERY_TERMS) throw new AppError('invalid_input', `q may hold at most ${MAX_QUERY_TERMS} words.`);
    // Without `room`: every room the caller may read, which is what their room list holds.
    const rooms = room !== undefined ? [await access.readable(room, me)] : await store.rooms.listFor(me);
    const page = await store.messages.search({ terms, rooms: rooms.map((r) => r.name), limit, ...(before !== undefined && { before }) });
    const messages = await withAuthors(store.users, page.messages);
    res.json({ results: messages.map((message) => ({ message, highlight: highlightRanges(message.text, terms) })), hasMore: page.hasMore });
  });

  return router;
}
