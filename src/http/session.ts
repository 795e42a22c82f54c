/**
 * express-session on the store's session store, shared by HTTP and the Socket.IO handshake.
 */
import session from 'express-session';
import type { Config } from '../config/config.js';
import type { Store } from '../store/port.js';

declare module 'express-session' {
  interface SessionData {
    user?: { name: string };
  }
}

export const SESSION_COOKIE = 'chorus.sid';
const THIRTY_DAYS_MS = 30 * 24 * 60 * 60 * 1000;

export function createSessionMiddleware(config: Config, store: Store) {
  return session({
    name: SESSION_COOKIE,
    // Signs with the first, verifies with every one: the older secrets keep existing sessions valid while rotating.
    secret: config.sessionSecrets,
    store: store.sessions,
    resave: false,
    saveUninitialized: false,
    // Behind a TLS-terminating proxy (TRUST_PROXY) the cookie is marked secure; on plain HTTP it is not.
    cookie: { httpOnly: true, sameSite: 'lax', secure: 'auto', maxAge: THIRTY_DAYS_MS },
  });
}
