/**
 * The embedded store's schema, applied in order by `user_version`, so a data directory written by an
 * older Chorus is upgraded in place and never rebuilt.
 */
export const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE users (
    name_key      TEXT PRIMARY KEY,
    name          TEXT NOT NULL,
    password_hash TEXT,
    avatar_url    TEXT,
    created_at    INTEGER NOT NULL
  ) WITHOUT ROWID;

  CREATE TABLE rooms (
    name       TEXT PRIMARY KEY,
    last_seq   INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL
  ) WITHOUT ROWID;

  CREATE TABLE messages (
    room      TEXT NOT NULL,
    seq       INTEGER NOT NULL,
    id        TEXT NOT NULL UNIQUE,
    client_id TEXT NOT NULL,
    author    TEXT NOT NULL,
    text      TEXT NOT NULL,
    ts        INTEGER NOT NULL,
    PRIMARY KEY (room, seq),
    UNIQUE (room, client_id)
  ) WITHOUT ROWID;

  CREATE TABLE sessions (
    sid     TEXT PRIMARY KEY,
    data    TEXT NOT NULL,
    expires INTEGER NOT NULL
  ) WITHOUT ROWID;
  CREATE INDEX sessions_expires ON sessions (expires);
  `,
  `
  CREATE TABLE friends (
    owner TEXT PRIMARY KEY,
    state TEXT NOT NULL
  ) WITHOUT ROWID;
  `,
  // Idempotency per author: the same clientId from two users is two messages. SQLite cannot drop a
  // table constraint, so the table is rebuilt with the new one (rows and their order kept).
  `
  CREATE TABLE messages_by_author (
    room      TEXT NOT NULL,
    seq       INTEGER NOT NULL,
    id        TEXT NOT NULL UNIQUE,
    client_id TEXT NOT NULL,
    author    TEXT NOT NULL,
    text      TEXT NOT NULL,
    ts        INTEGER NOT NULL,
    PRIMARY KEY (room, seq),
    UNIQUE (room, author, client_id)
  ) WITHOUT ROWID;
  INSERT INTO messages_by_author SELECT room, seq, id, client_id, author, text, ts FROM messages;
  DROP TABLE messages;
  ALTER TABLE messages_by_author RENAME TO messages;
  `,
];
