/**
 * express-session's store on the embedded SQLite database. connect-mongo plays this part on MongoDB.
 */
import type Database from 'better-sqlite3';
import session from 'express-session';
import { guard } from './guard.js';

/** Sessions whose cookie carries no expiry are kept this long. */
const DEFAULT_TTL_MS = 24 * 60 * 60 * 1000;
/** How often expired rows are deleted; reads ignore them in between. */
const PRUNE_INTERVAL_MS = 10 * 60 * 1000;

type Callback<T = void> = (err?: unknown, value?: T) => void;

export class SqliteSessionStore extends session.Store {
  readonly #pruneTimer: NodeJS.Timeout;
  readonly #statements;

  constructor(db: Database.Database) {
    super();
    this.#statements = {
      get: db.prepare<[string, number], { data: string }>('SELECT data FROM sessions WHERE sid = ? AND expires > ?'),
      set: db.prepare(
        'INSERT INTO sessions (sid, data, expires) VALUES (?, ?, ?) ON CONFLICT (sid) DO UPDATE SET data = excluded.data, expires = excluded.expires',
      ),
      touch: db.prepare('UPDATE sessions SET expires = ? WHERE sid = ?'),
      destroy: db.prepare('DELETE FROM sessions WHERE sid = ?'),
      prune: db.prepare('DELETE FROM sessions WHERE expires <= ?'),
    };
    this.#pruneTimer = setInterval(() => this.#prune(), PRUNE_INTERVAL_MS).unref();
  }

  override get(sid: string, callback: Callback<session.SessionData | null>): void {
    this.#run(callback, () => {
      const row = this.#statements.get.get(sid, Date.now());
      return row ? (JSON.parse(row.data) as session.SessionData) : null;
    });
  }

  override set(sid: string, data: session.SessionData, callback?: Callback): void {
    this.#run(callback, () => {
      this.#statements.set.run(sid, JSON.stringify(data), expiryOf(data));
    });
  }

  override touch(sid: string, data: session.SessionData, callback?: Callback): void {
    this.#run(callback, () => {
      this.#statements.touch.run(expiryOf(data), sid);
    });
  }

  override destroy(sid: string, callback?: Callback): void {
    this.#run(callback, () => {
      this.#statements.destroy.run(sid);
    });
  }

  /** Stops the prune timer; the database itself is closed by its owner. */
  close(): void {
    clearInterval(this.#pruneTimer);
  }

  #prune(): void {
    try {
      this.#statements.prune.run(Date.now());
    } catch (err) {
      this.emit('error', err);
    }
  }

  /** Runs a synchronous statement and reports through express-session's callback convention. */
  #run<T>(callback: Callback<T> | undefined, work: () => T): void {
    let value: T;
    try {
      value = guard(work);
    } catch (err) {
      callback?.(err);
      return;
    }
    callback?.(undefined, value);
  }
}

function expiryOf(data: session.SessionData): number {
  const expires = data.cookie?.expires;
  return expires ? new Date(expires).getTime() : Date.now() + DEFAULT_TTL_MS;
}
