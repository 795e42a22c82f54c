/**
 * The embedded store: SQLite (better-sqlite3) in `DATA_DIR`, the default when no MongoDB is configured.
 *
 * Why SQLite rather than an append-only JSON store: transactions make "next seq + insert + trim" one
 * atomic step, unique constraints give idempotency by `(room, author, clientId)` for free, WAL with
 * an fdatasync of the WAL before every acknowledgement means an acknowledged write survives a power cut
 * (wal-sync.ts: run off the event loop and shared by a group of commits), and history pages are index
 * range scans instead of in-memory sorts. It serves one replica, or replicas on one host that share
 * DATA_DIR (DATA_DIR_SHARED=true: SQLite's locks serialise their writes); replicas on several hosts
 * need MongoDB.
 */
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { newMessageId } from '../message-id.js';
import {
  type AppendResult,
  type FriendsRepository,
  type MessagePage,
  type MessageRepository,
  type NewMessage,
  type RoomRecord,
  type RoomRepository,
  type Store,
  type StoredMessage,
  type UserRecord,
  type UserRepository,
} from '../port.js';
import { guard } from './guard.js';
import { MIGRATIONS } from './schema.js';
import { SqliteSessionStore } from './session-store.js';
import { WalSync } from './wal-sync.js';
import { nameKey } from '../../identity/name-key.js';

export interface EmbeddedStoreOptions {
  /** Directory holding `chorus.sqlite`; created if missing. */
  dataDir: string;
  /** Messages kept per room, 0 = unlimited. */
  historyMax: number;
}

export const DATABASE_FILE = 'chorus.sqlite';

interface UserRow {
  name_key: string;
  name: string;
  password_hash: string | null;
  avatar_url: string | null;
  created_at: number;
}

interface MessageRow {
  id: string;
  room: string;
  seq: number;
  client_id: string;
  author: string;
  text: string;
  ts: number;
}

interface PendingAppend {
  input: NewMessage;
  resolve(result: AppendResult): void;
  reject(err: unknown): void;
}

/** Runs a write and resolves with its result once it is on disk. */
type Durably = <T>(write: () => T) => Promise<T>;

export async function createEmbeddedStore(options: EmbeddedStoreOptions): Promise<Store> {
  fs.mkdirSync(options.dataDir, { recursive: true });
  const file = path.join(options.dataDir, DATABASE_FILE);
  const db = new Database(file);
  let wal: WalSync;
  try {
    db.pragma('journal_mode = WAL');
    // NORMAL: commits do not fsync on this thread; WalSync makes each one durable before it is acked.
    db.pragma('synchronous = NORMAL');
    db.pragma('busy_timeout = 5000');
    migrate(db);
    wal = new WalSync(`${file}-wal`);
  } catch (err) {
    db.close();
    throw err;
  }
  const durably: Durably = async (write) => {
    const result = guard(write);
    await wal.durable();
    return result;
  };
  // Sessions answer without waiting for a sync: one lost in a power cut only means signing in again.
  const sessions = new SqliteSessionStore(db);
  let closed = false;

  return {
    kind: 'embedded',
    users: userRepository(db, durably),
    messages: messageRepository(db, options.historyMax, wal),
    rooms: roomRepository(db),
    friends: friendsRepository(db, durably),
    sessions,
    async ping() {
      guard(() => db.prepare('SELECT 1').get());
    },
    async close() {
      if (closed) return;
      closed = true;
      sessions.close();
      await wal.close();
      db.close();
    },
  };
}

function migrate(db: Database.Database): void {
  // The version is read under the write lock: replicas sharing DATA_DIR may start together.
  db.transaction(() => {
    const current = db.pragma('user_version', { simple: true }) as number;
    MIGRATIONS.slice(current).forEach((sql) => db.exec(sql));
    db.pragma(`user_version = ${MIGRATIONS.length}`);
  }).immediate();
}

function userRepository(db: Database.Database, durably: Durably): UserRepository {
  const byKey = db.prepare<[string], UserRow>('SELECT * FROM users WHERE name_key = ?');
  const insert = db.prepare('INSERT OR IGNORE INTO users (name_key, name, created_at) VALUES (?, ?, ?)');
  const setPassword = db.prepare('UPDATE users SET password_hash = ? WHERE name_key = ?');
  const setAvatar = db.prepare('UPDATE users SET avatar_url = ? WHERE name_key = ?');
  const find = (name: string) => byKey.get(nameKey(name));

  return {
    async find(name) {
      return guard(() => toUser(find(name)));
    },
    async findMany(names) {
      if (names.length === 0) return [];
      const keys = [...new Set(names.map(nameKey))];
      return guard(() =>
        db
          .prepare<string[], UserRow>(`SELECT * FROM users WHERE name_key IN (${keys.map(() => '?').join(',')})`)
          .all(...keys)
          .map((row) => toUser(row)!),
      );
    },
    async claim(name) {
      return durably(() => {
        insert.run(nameKey(name), name, Date.now());
        return toUser(find(name))!;
      });
    },
    async setPasswordHash(name, passwordHash) {
      await durably(() => setPassword.run(passwordHash, nameKey(name)));
    },
    async setAvatar(name, avatarUrl) {
      return durably(() =>
        db.transaction(() => {
          const previous = find(name)?.avatar_url ?? null;
          setAvatar.run(avatarUrl, nameKey(name));
          return previous;
        }).immediate(),
      );
    },
  };
}

function messageRepository(db: Database.Database, historyMax: number, wal: WalSync): MessageRepository {
  const byClientId = db.prepare<[string, string, string], MessageRow>(
    'SELECT * FROM messages WHERE room = ? AND author = ? AND client_id = ?',
  );
  // Creates the room with its first seq, or takes its next one: one statement per message.
  const nextSeq = db.prepare<[string, number], { last_seq: number }>(
    'INSERT INTO rooms (name, created_at, last_seq) VALUES (?, ?, 1) ON CONFLICT (name) DO UPDATE SET last_seq = last_seq + 1 RETURNING last_seq',
  );
  const insert = db.prepare(
    'INSERT INTO messages (room, seq, id, client_id, author, text, ts) VALUES (@room, @seq, @id, @client_id, @author, @text, @ts)',
  );
  const trim = db.prepare('DELETE FROM messages WHERE room = ? AND seq <= ?');
  const before = db.prepare<[string, number, number], MessageRow>(
    'SELECT * FROM messages WHERE room = ? AND seq < ? ORDER BY seq DESC LIMIT ?',
  );
  const since = db.prepare<[string, number, number], MessageRow>(
    'SELECT * FROM messages WHERE room = ? AND seq > ? ORDER BY seq ASC LIMIT ?',
  );

  // One message: the seq, the row and the trim together or not at all (a savepoint inside the batch).
  const appendOne = db.transaction((input: NewMessage): AppendResult => {
    const existing = byClientId.get(input.room, input.author, input.clientId);
    if (existing) return { message: storedMessageFromRow(existing), created: false };
    const { last_seq: seq } = nextSeq.get(input.room, input.ts)!;
    const row: MessageRow = {
      id: newMessageId(),
      room: input.room,
      seq,
      client_id: input.clientId,
      author: input.author,
      text: input.text,
      ts: input.ts,
    };
    insert.run(row);
    if (historyMax > 0 && seq > historyMax) trim.run(input.room, seq - historyMax);
    return { message: storedMessageFromRow(row), created: true };
  });
  const appendBatch = db.transaction((batch: PendingAppend[]) =>
    batch.map(({ input }) => {
      try {
        return { ok: true, result: appendOne(input) } as const;
      } catch (err) {
        // Only this message's savepoint is rolled back; the rest of the batch commits.
        return { ok: false, err } as const;
      }
    }),
  );

  // Appends arriving in the same turn of the event loop share one transaction, and each is settled
  // once a WAL sync begun after that commit has ended.
  let pending: PendingAppend[] = [];
  const flush = async () => {
    const batch = pending;
    pending = [];
    try {
      const results = guard(() => appendBatch.immediate(batch));
      await wal.durable();
      results.forEach((outcome, i) => (outcome.ok ? batch[i]!.resolve(outcome.result) : batch[i]!.reject(outcome.err)));
    } catch (err) {
      for (const { reject } of batch) reject(err);
    }
  };

  const page = (rows: MessageRow[], limit: number): MessagePage => ({
    messages: rows.slice(0, limit).map(storedMessageFromRow),
    hasMore: rows.length > limit,
  });

  return {
    append(input) {
      return new Promise<AppendResult>((resolve, reject) => {
        if (pending.length === 0) setImmediate(() => void flush());
        pending.push({ input, resolve, reject });
      });
    },
    async before(room, beforeSeq, limit) {
      return guard(() => {
        const result = page(before.all(room, beforeSeq ?? Number.MAX_SAFE_INTEGER, limit + 1), limit);
        result.messages.reverse();
        return result;
      });
    },
    async since(room, sinceSeq, limit) {
      return guard(() => page(since.all(room, sinceSeq, limit + 1), limit));
    },
  };
}

function roomRepository(db: Database.Database): RoomRepository {
  const insert = db.prepare('INSERT OR IGNORE INTO rooms (name, created_at) VALUES (?, ?)');
  const byName = db.prepare<[string], { name: string; last_seq: number }>('SELECT name, last_seq FROM rooms WHERE name = ?');
  const all = db.prepare<[], { name: string; last_seq: number }>('SELECT name, last_seq FROM rooms ORDER BY name');
  const toRoom = (row: { name: string; last_seq: number }): RoomRecord => ({ name: row.name, lastSeq: row.last_seq });

  return {
    async ensure(name) {
      return guard(() => {
        insert.run(name, Date.now());
        return toRoom(byName.get(name)!);
      });
    },
    async find(name) {
      return guard(() => {
        const row = byName.get(name);
        return row ? toRoom(row) : null;
      });
    },
    async list() {
      return guard(() => all.all().map(toRoom));
    },
  };
}

function friendsRepository(db: Database.Database, durably: Durably): FriendsRepository {
  const all = db.prepare<[], { owner: string; state: string }>('SELECT owner, state FROM friends');
  const byOwner = db.prepare<[string], { state: string }>('SELECT state FROM friends WHERE owner = ?');
  const save = db.prepare('INSERT INTO friends (owner, state) VALUES (?, ?) ON CONFLICT (owner) DO UPDATE SET state = excluded.state');
  // The immediate transaction takes the database's write lock, so updates are serialised even between
  // replicas sharing the file, and no retry is needed.
  const update = db.transaction((owner: string, merge: (saved: unknown) => unknown) => {
    const saved = byOwner.get(owner);
    save.run(owner, JSON.stringify(merge(saved ? JSON.parse(saved.state) : null)));
  });

  return {
    async all() {
      return guard(() => all.all().map((row) => ({ owner: row.owner, state: JSON.parse(row.state) as unknown })));
    },
    async update(owner, merge) {
      await durably(() => update.immediate(owner, merge));
    },
  };
}

function toUser(row: UserRow | undefined): UserRecord | null {
  if (!row) return null;
  return {
    name: row.name,
    nameKey: row.name_key,
    passwordHash: row.password_hash,
    avatarUrl: row.avatar_url,
    createdAt: row.created_at,
  };
}

function storedMessageFromRow(row: MessageRow): StoredMessage {
  return {
    id: row.id,
    room: row.room,
    seq: row.seq,
    clientId: row.client_id,
    author: row.author,
    text: row.text,
    ts: row.ts,
  };
}
