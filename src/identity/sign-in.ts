/**
 * Who may use a name: a free name is claimed as a guest, a protected one needs its password, and a
 * guest name online in another session is taken. The HTTP route keeps the session; this decides the user.
 */
import { AppError } from '../chat/errors.js';
import { parseInput, setPasswordBody } from '../chat/schemas.js';
import type { Presence } from '../presence/presence.js';
import type { UserRecord, UserRepository } from '../store/port.js';
import { sameName } from './name-key.js';
import { hashPassword, needsRehash, verifyPassword } from './passwords.js';

export interface SignInDeps {
  users: UserRepository;
  presence: Pick<Presence, 'isOnline'>;
}

export interface SignInAttempt {
  /** Already validated as a user name. */
  name: string;
  password?: string | undefined;
  /** The name the session is signed in as, if any: signing in again under it clashes with nobody. */
  sessionUser?: string | undefined;
}

/** The user `name` becomes, or an `AppError` (`forbidden` for a banned name, `bad_password`, `name_in_use`, `invalid_input`). */
export async function signIn({ users, presence }: SignInDeps, { name, password, sessionUser }: SignInAttempt): Promise<UserRecord> {
  const existing = await users.find(name);
  if (existing?.banned) throw new AppError('forbidden', `"${existing.name}" is banned.`);
  if (existing?.passwordHash) {
    if (!password || !(await verifyPassword(password, existing.passwordHash))) {
      throw new AppError('bad_password', 'That name is protected by a password, and the password does not match.');
    }
    // A hash made with weaker parameters than today's is replaced now, while the password is at hand.
    if (needsRehash(existing.passwordHash)) await users.setPasswordHash(existing.name, await hashPassword(password));
  } else if (presence.isOnline(name) && !(sessionUser !== undefined && sameName(sessionUser, name))) {
    throw new AppError('name_in_use', `"${existing?.name ?? name}" is online in another session; pick another name.`);
  }
  // A guest name offered with a password becomes protected, as if POST /api/password followed; the
  // password is checked before anything is claimed, so a refused sign-in leaves no trace.
  const newPassword = password && !existing?.passwordHash ? parseInput(setPasswordBody, { password }).password : undefined;
  const user = existing ?? (await users.claim(name));
  if (newPassword) await setPassword(users, user.name, newPassword);
  return user;
}

/** Protects `name` with `password` (already validated), replacing any earlier password. */
export async function setPassword(users: UserRepository, name: string, password: string): Promise<void> {
  await users.setPasswordHash(name, await hashPassword(password));
}
