/**
 * Identity: sign in by name (guest or password-protected), who am I, set a password, sign out.
 */
import { Router, type Request } from 'express';
import { AppError } from '../chat/errors.js';
import { publicUser } from '../chat/messages.js';
import { setPasswordBody, signInBody } from '../chat/schemas.js';
import { hashPassword, needsRehash, verifyPassword } from '../identity/passwords.js';
import type { Presence } from '../presence/presence.js';
import type { Store } from '../store/port.js';
import type { HttpRateLimits } from './rate-limits.js';
import { SESSION_COOKIE } from './session.js';
import { parseInput, requireUser } from './errors.js';

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
    const existing = await store.users.find(name);
    if (existing?.passwordHash) {
      if (!password || !(await verifyPassword(password, existing.passwordHash))) {
        throw new AppError('bad_password', 'That name is protected by a password, and the password does not match.');
      }
      // A hash made with weaker parameters than today's is replaced now, while the password is at hand.
      if (needsRehash(existing.passwordHash)) await store.users.setPasswordHash(existing.name, await hashPassword(password));
    } else if (presence.isOnline(name) && !isSignedInAs(req, name)) {
      throw new AppError('name_in_use', `"${existing?.name ?? name}" is online in another session; pick another name.`);
    }
    // A guest name offered with a password becomes protected, as if POST /api/password followed; the
    // password is checked before anything is claimed, so a refused sign-in leaves no trace.
    const newPassword = password && !existing?.passwordHash ? parseInput(setPasswordBody, { password }).password : undefined;
    const user = existing ?? (await store.users.claim(name));
    if (newPassword) await store.users.setPasswordHash(user.name, await hashPassword(newPassword));
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
    await store.users.setPasswordHash(req.session.user!.name, await hashPassword(password));
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

const isSignedInAs = (req: Request, name: string) => req.session.user?.name.toLowerCase() === name.toLowerCase();

function regenerate(req: Request): Promise<void> {
  return new Promise((resolve, reject) => req.session.regenerate((err) => (err ? reject(err) : resolve())));
}

function save(req: Request): Promise<void> {
  return new Promise((resolve, reject) => req.session.save((err) => (err ? reject(err) : resolve())));
}
