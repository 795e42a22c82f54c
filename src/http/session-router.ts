/**
 * The session routes: sign in (who the user is, `src/identity/sign-in.ts`, decides), who am I, set a
 * password, sign out. This file keeps the HTTP side: rate limits, the session and its cookie.
 */
import { Router, type Request } from 'express';
import { AppError } from '../chat/errors.js';
import { publicUser } from '../chat/messages.js';
import { parseInput, setPasswordBody, signInBody } from '../chat/schemas.js';
import { setPassword, signIn } from '../identity/sign-in.js';
import type { Presence } from '../presence/presence.js';
import type { Store } from '../store/port.js';
import type { HttpRateLimits } from './rate-limits.js';
import { SESSION_COOKIE } from './session.js';
import { requireUser } from './errors.js';

export interface SessionRouterDeps {
  store: Store;
  presence: Presence;
  /** Disconnects the sockets opened with a session that has just ended. */
  endSessionSockets(sessionId: string): void;
  limits: Pick<HttpRateLimits, 'signIn' | 'password'>;
}

export function sessionRouter({ store, presence, endSessionSockets, limits }: SessionRouterDeps): Router {
  const router = Router();

  router.post('/session', limits.signIn.byAddress, limits.signIn.byName, async (req, res) => {
    const { name, password } = parseInput(signInBody, req.body);
    const user = await signIn({ users: store.users, presence }, { name, password, sessionUser: req.session.user?.name });
    await regenerate(req);
    req.session.user = { name: user.name };
    await save(req);
    res.json({ user: publicUser(user) });
  });

  router.get('/me', requireUser, async (req, res) => {
    const user = await store.users.find(req.session.user!.name);
    if (!user) throw new AppError('unauthorized', 'Sign in first.');
    res.json({ user: publicUser(user) });
  });

  router.post('/password', limits.password.byAddress, requireUser, limits.password.byUser, async (req, res) => {
    const { password } = parseInput(setPasswordBody, req.body);
    await setPassword(store.users, req.session.user!.name, password);
    res.json({ ok: true });
  });

  router.delete('/session', async (req, res) => {
    const sessionId = req.sessionID;
    await new Promise<void>((resolve, reject) => req.session.destroy((err) => (err ? reject(err) : resolve())));
    endSessionSockets(sessionId);
    res.clearCookie(SESSION_COOKIE, { path: '/' });
    res.status(204).end();
  });

  return router;
}

function regenerate(req: Request): Promise<void> {
  return new Promise((resolve, reject) => req.session.regenerate((err) => (err ? reject(err) : resolve())));
}

function save(req: Request): Promise<void> {
  return new Promise((resolve, reject) => req.session.save((err) => (err ? reject(err) : resolve())));
}
