import { Router } from 'express';
import { publicUser } from '../chat/messages.js';
import type { Presence } from '../presence/presence.js';
import type { Store } from '../store/port.js';
import { requireUser } from './errors.js';

/** `GET /api/users`: who is online, with avatars. */
export function usersRouter({ store, presence }: { store: Store; presence: Presence }): Router {
  const router = Router();
  router.get('/', requireUser, async (_req, res) => {
    const users = await store.users.findMany(presence.onlineUsers());
    res.json({ users: users.map(publicUser).sort((a, b) => a.name.localeCompare(b.name)) });
  });
  return router;
}
