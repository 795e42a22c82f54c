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
  // The room log: a message's latest change, its state, and what it quotes. A reply's quote is kept in its
  // own columns (not looked up) because the reply carries it as it was when the original last changed;
  // the partial index finds the replies to re-quote. A room counts its messages so trimming to
  // `historyMax` stays one indexed delete now that changes leave gaps between messages' seqs.
  `
  ALTER TABLE messages ADD COLUMN updated_seq INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE messages ADD COLUMN edited_at INTEGER;
  ALTER TABLE messages ADD COLUMN deleted INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE messages ADD COLUMN reply_to_id TEXT;
  ALTER TABLE messages ADD COLUMN reply_to_author TEXT;
  ALTER TABLE messages ADD COLUMN reply_excerpt TEXT;
  ALTER TABLE messages ADD COLUMN reactions TEXT NOT NULL DEFAULT '[]';
  UPDATE messages SET updated_seq = seq;
  CREATE UNIQUE INDEX messages_updated_seq ON messages (room, updated_seq);
  CREATE INDEX messages_replies ON messages (room, reply_to_id) WHERE reply_to_id IS NOT NULL;

  ALTER TABLE rooms ADD COLUMN message_count INTEGER NOT NULL DEFAULT 0;
  UPDATE rooms SET message_count = (SELECT count(*) FROM messages WHERE messages.room = rooms.name);
  `,
  // Private conversations. A room's kind and owner; its members in a table of their own (rowid order is
  // join order); read positions per user and room; bans; a message's mentions (JSON of names). Search is an
  // FTS5 index over the live messages' text, contentless so the text is not stored twice, and kept in step
  // by triggers (posts, edits, deletes and trimming alike). Not `contentless_delete`: its deletes leave
  // tombstones and the words stay in the index's pages; the 'delete' command with the old text, under
  // FTS5's secure-delete, takes them out at once. Its rowids are the messages' `search_rowid`:
  // the messages table has no rowid of its own. `name_key` is registered by the driver (the same rule as
  // `src/identity/name-key.ts`, which SQLite's ASCII-only lower() is not).
  `
  ALTER TABLE users ADD COLUMN banned INTEGER NOT NULL DEFAULT 0;

  ALTER TABLE rooms ADD COLUMN kind TEXT NOT NULL DEFAULT 'public';
  ALTER TABLE rooms ADD COLUMN owner TEXT;
  CREATE TABLE room_members (
    room       TEXT NOT NULL,
    member_key TEXT NOT NULL,
    name       TEXT NOT NULL,
    UNIQUE (room, member_key)
  );
  CREATE INDEX room_members_by_member ON room_members (member_key);

  CREATE TABLE read_positions (
    user_key TEXT NOT NULL,
    room     TEXT NOT NULL,
    seq      INTEGER NOT NULL,
    PRIMARY KEY (user_key, room)
  ) WITHOUT ROWID;

  ALTER TABLE messages ADD COLUMN mentions TEXT NOT NULL DEFAULT '[]';
  ALTER TABLE messages ADD COLUMN search_rowid INTEGER;
  UPDATE messages SET search_rowid = numbered.n
    FROM (SELECT room, seq, row_number() OVER (ORDER BY room, seq) AS n FROM messages) AS numbered
    WHERE numbered.room = messages.room AND numbered.seq = messages.seq;
  CREATE UNIQUE INDEX messages_search_rowid ON messages (search_rowid);

  CREATE VIRTUAL TABLE message_search USING fts5 (
    text, content = '', tokenize = 'unicode61 remove_diacritics 2'
  );
  INSERT INTO message_search (message_search, rank) VALUES ('secure-delete', 1);
  INSERT INTO message_search (rowid, text) SELECT search_rowid, text FROM messages WHERE deleted = 0;

  CREATE TRIGGER message_search_insert AFTER INSERT ON messages WHEN new.deleted = 0 BEGIN
    INSERT INTO message_search (rowid, text) VALUES (new.search_rowid, new.text);
  END;
  CREATE TRIGGER message_search_update AFTER UPDATE OF text, deleted ON messages
    WHEN old.text IS NOT new.text OR old.deleted IS NOT new.deleted BEGIN
    INSERT INTO message_search (message_search, rowid, text) SELECT 'delete', old.search_rowid, old.text WHERE old.deleted = 0;
    INSERT INTO message_search (rowid, text) SELECT new.search_rowid, new.text WHERE new.deleted = 0;
  END;
  CREATE TRIGGER message_search_delete AFTER DELETE ON messages WHEN old.deleted = 0 BEGIN
    INSERT INTO message_search (message_search, rowid, text) VALUES ('delete', old.search_rowid, old.text);
  END;
  `,
  // Operations (`src/ops`): the history epoch in a table of values about the store as a whole
  // (`meta.ts`), and the lease of every open store (`leases.ts`), so a restore can tell whether any
  // replica, in any container sharing the volume, still uses the database.
  `
  CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
  ) WITHOUT ROWID;

  CREATE TABLE replica_leases (
    id         TEXT PRIMARY KEY,
    role       TEXT NOT NULL,
    host       TEXT NOT NULL,
    pid        INTEGER NOT NULL,
    renewed_at INTEGER NOT NULL,
    -- The machine's boot the holder runs in (crash-epoch.ts): a lease left by another boot means the
    -- machine went down with the store open.
    boot_id    TEXT
  ) WITHOUT ROWID;
  `,
];
