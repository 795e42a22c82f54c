/**
 * Ends the sessions of banned users: a request whose session belongs to a banned name has the session
 * destroyed and is refused, on whichever replica it reaches, because the ban is read from the store.
 * The ban itself disconnects the user's sockets at once (`src/realtime/moderation-handlers.ts`); this
 * ends what is left, their HTTP sessions, at their next request.
 */
import type { RequestHandler } from 'express';
import { AppError } from '../chat/errors.js';
import type { UserRepository } from '../store/port.js';
import { SESSION_COOKIE } from './session.js';

export function refuseBannedSessions(users: Pick<UserRepository, 'find'>): RequestHandler {
  return async (req, res, next) => {
    const name = req.session.user?.name;
    if (name === undefined || !(await users.find(name))?.banned) return next();
    await new Promise<void>((resolve, reject) => req.session.destroy((err) => (err ? reject(err) : resolve())));
    res.clearCookie(SESSION_COOKIE, { path: '/' });
    next(new AppError('forbidden', 'This name is banned.'));
  };
}
