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
 *
 * The room log (src/store/room-log.ts): a change is a read, `applyChange` and a write with the room's
 * next seq inside the same write transaction as the posts batched with it, so changes from replicas
 * sharing the file serialise on SQLite's lock and none is lost; a deletion also erases the text from
 * the file and the WAL (`eraseFromWal`).
 *
 * For the operations commands (`src/ops`), an open store keeps a lease in the database while it is open
 * (`leases.ts`), so a restore can tell it is in use, and it reads (or makes) the history epoch (`meta.ts`).
 */
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { newMessageId } from '../message-id.js';
import { applyChange, quoteChanges, quoteOf, type MessageState } from '../room-log.js';
import {
  type AppendResult,
  type ChangeResult,
  type FriendsRepository,
  type MessageChange,
  type MessagePage,
  type MessageRepository,
  type NewMessage,
  type OnCommitted,
  type Store,
  type StoredMessage,
  type UserRepository,
} from '../port.js';
import { guard } from './guard.js';
import { takeReplicaLease, type HeldLease } from './leases.js';
import { messageQueries } from './message-queries.js';
import { renewEpochAfterMachineCrash } from './crash-epoch.js';
import { ensureHistoryEpoch } from './meta.js';
import { readRepository } from './reads.js';
import { roomRepository } from './rooms.js';
import { rowFromStoredMessage, storedMessageFromRow, toUser, type MessageRow, type UserRow } from './rows.js';
import { MIGRATIONS } from './schema.js';
import { SqliteSessionStore } from './session-store.js';
import { WalSync } from './wal-sync.js';
import { nameKey } from '../../identity/name-key.js';

export interface EmbeddedStoreOptions {
  /** Directory holding `chorus.sqlite`; created if missing. */
  dataDir: string;
  /** Messages kept per room, 0 = unlimited. */
  historyMax: number;
  /** Told why, when opening gave the history a new epoch (clients resync their rooms). */
  onHistoryRolledBack?: (why: string) => void;
}

export const DATABASE_FILE = 'chorus.sqlite';
/** The name lists `findMany` keeps a prepared statement for: up to this long (a message's author and mentions). */
const CACHED_LIST_LENGTHS = 16;

/** A post or change waiting for the next batch. */
interface PendingWrite {
  /** Runs inside the batch's transaction; returns what tells the caller of the commit, then settles it once the batch is durable. */
  run(): { committed(): void; settle(): void };
  reject(err: unknown): void;
}

/** Runs a write and resolves with its result once it is on disk. */
export type Durably = <T>(write: () => T) => Promise<T>;

export async function createEmbeddedStore(options: EmbeddedStoreOptions): Promise<Store> {
  fs.mkdirSync(options.dataDir, { recursive: true });
  const file = path.join(options.dataDir, DATABASE_FILE);
  const db = new Database(file);
  let wal: WalSync | undefined;
  let lease: HeldLease | undefined;
  let historyEpoch: string;
  try {
    db.pragma('journal_mode = WAL');
    // NORMAL: commits do not fsync on this thread; WalSync makes each one durable before it is acked.
    db.pragma('synchronous = NORMAL');
    db.pragma('busy_timeout = 5000');
    // A deleted message's bytes are overwritten, not left in free space (see eraseFromWal).
    db.pragma('secure_delete = ON');
    // The rule that makes two names one user, for the schema's triggers and queries (see schema.ts).
    db.function('name_key', { deterministic: true }, (name) => nameKey(String(name)));
    migrate(db);
    // Before our lease: taking it clears stale leases, those of the boot the machine crashed in among them.
    const leftByACrash = renewEpochAfterMachineCrash(db);
    if (leftByACrash > 0) options.onHistoryRolledBack?.(`the machine went down with the store open (${leftByACrash} lease(s) of an earlier boot): what was committed but not synced may be lost, so the history has a new epoch`);
    lease = takeReplicaLease(db);
    historyEpoch = ensureHistoryEpoch(db);
    wal = new WalSync(`${file}-wal`);
    // The epoch may be new: on disk before any client is told it.
    await wal.durable();
  } catch (err) {
    await closeAfterFailedOpen(db, lease, wal);
    throw err;
  }
  const [synced, held] = [wal, lease];
  const durably: Durably = async (write) => {
    const result = guard(write);
    await synced.durable();
    return result;
  };
  // Sessions answer without waiting for a sync: one lost in a power cut only means signing in again.
  const sessions = new SqliteSessionStore(db);
  let closed = false;

  return {
    kind: 'embedded',
    users: userRepository(db, durably),
    messages: messageRepository(db, options.historyMax, synced),
    rooms: roomRepository(db, durably),
    friends: friendsRepository(db, durably),
    reads: readRepository(db),
    sessions,
    historyEpoch,
    async ping() {
      guard(() => db.prepare('SELECT 1').get());
    },
    async close() {
      if (closed) return;
      closed = true;
      sessions.close();
      held.release();
      await synced.close();
      db.close();
    },
  };
}

/** Closes what a failed open had opened. */
async function closeAfterFailedOpen(db: Database.Database, lease: HeldLease | undefined, wal: WalSync | undefined): Promise<void> {
  lease?.release();
  await wal?.close();
  db.close();
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
  const setBanned = db.prepare<[number, string, number]>('UPDATE users SET banned = ? WHERE name_key = ? AND banned != ?');
  const find = (name: string) => byKey.get(nameKey(name));
  // Every send looks up its author (and any names it mentions): a statement per short list length,
  // prepared once rather than per call; a long list (a room list's DM partners) is rare enough to prepare.
  const byKeysOfLength = new Map<number, Database.Statement<string[], UserRow>>();
  const prepareByKeys = (count: number) =>
    db.prepare<string[], UserRow>(`SELECT * FROM users WHERE name_key IN (${Array.from({ length: count }, () => '?').join(',')})`);
  const byKeys = (count: number) => {
    if (count > CACHED_LIST_LENGTHS) return prepareByKeys(count);
    let statement = byKeysOfLength.get(count);
    if (!statement) byKeysOfLength.set(count, (statement = prepareByKeys(count)));
    return statement;
  };

  return {
    async find(name) {
      return guard(() => toUser(find(name)));
    },
    async findMany(names) {
      if (names.length === 0) return [];
      const keys = [...new Set(names.map(nameKey))];
      return guard(() =>
        byKeys(keys.length)
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
    async setBanned(name, banned) {
      const flag = banned ? 1 : 0;
      return durably(() => setBanned.run(flag, nameKey(name), flag).changes === 1);
    },
  };
}

function messageRepository(db: Database.Database, historyMax: number, wal: WalSync): MessageRepository {
  const byClientId = db.prepare<[string, string, string], MessageRow>(
    'SELECT * FROM messages WHERE room = ? AND author = ? AND client_id = ?',
  );
  const byId = db.prepare<[string, string], MessageRow>('SELECT * FROM messages WHERE room = ? AND id = ?');
  const repliesTo = db.prepare<[string, string], MessageRow>('SELECT * FROM messages WHERE room = ? AND reply_to_id = ? ORDER BY seq');
  // A post creates the room with its first seq, or takes its next one and counts the message: one
  // statement per post. A change takes the next seq of a room that exists (its message is there).
  const postSeq = db.prepare<[string, number], { last_seq: number; message_count: number }>(
    `INSERT INTO rooms (name, created_at, last_seq, message_count) VALUES (?, ?, 1, 1)
     ON CONFLICT (name) DO UPDATE SET last_seq = last_seq + 1, message_count = message_count + 1 RETURNING last_seq, message_count`,
  );
  const changeSeq = db.prepare<[string], { last_seq: number }>('UPDATE rooms SET last_seq = last_seq + 1 WHERE name = ? RETURNING last_seq');
  const lastSeq = db.prepare<[string], { last_seq: number }>('SELECT last_seq FROM rooms WHERE name = ?');
  const insert = db.prepare(
    `INSERT INTO messages (room, seq, updated_seq, id, client_id, author, text, ts, edited_at, deleted, reply_to_id, reply_to_author, reply_excerpt, reactions, mentions, search_rowid)
     VALUES (@room, @seq, @updated_seq, @id, @client_id, @author, @text, @ts, @edited_at, @deleted, @reply_to_id, @reply_to_author, @reply_excerpt, @reactions, @mentions,
       (SELECT coalesce(max(search_rowid), 0) + 1 FROM messages))`,
  );
  const update = db.prepare(
    `UPDATE messages SET updated_seq = @updated_seq, text = @text, edited_at = @edited_at, deleted = @deleted,
       reply_to_id = @reply_to_id, reply_to_author = @reply_to_author, reply_excerpt = @reply_excerpt, reactions = @reactions, mentions = @mentions
     WHERE room = @room AND seq = @seq`,
  );
  // The oldest `count` messages of the room go; usually one, once the room is full.
  const trim = db.prepare(
    'DELETE FROM messages WHERE room = @room AND seq <= (SELECT seq FROM messages WHERE room = @room ORDER BY seq LIMIT 1 OFFSET @count - 1)',
  );
  const setCount = db.prepare('UPDATE rooms SET message_count = ? WHERE name = ?');
  const before = db.prepare<[string, number, number], MessageRow>(
    'SELECT * FROM messages WHERE room = ? AND seq < ? ORDER BY seq DESC LIMIT ?',
  );
  const since = db.prepare<[string, number, number], MessageRow>(
    'SELECT * FROM messages WHERE room = ? AND updated_seq > ? ORDER BY updated_seq ASC LIMIT ?',
  );

  // One message: the seq, the row and the trim together or not at all (a savepoint inside the batch).
  const appendOne = db.transaction((input: NewMessage): AppendResult => {
    const existing = byClientId.get(input.room, input.author, input.clientId);
    if (existing) return { message: storedMessageFromRow(existing), created: false, requoted: [] };
    const { last_seq: seq, message_count: count } = postSeq.get(input.room, input.ts)!;
    const original = input.replyTo === undefined ? undefined : byId.get(input.room, input.replyTo);
    const message: StoredMessage = {
      id: newMessageId(),
      room: input.room,
      seq,
      updatedSeq: seq,
      clientId: input.clientId,
      author: input.author,
      text: input.text,
      ts: input.ts,
      editedAt: null,
      deleted: false,
      replyTo: original ? quoteOf(storedMessageFromRow(original)) : null,
      reactions: [],
      mentions: input.mentions ?? [],
    };
    insert.run(rowFromStoredMessage(message));
    if (historyMax > 0 && count > historyMax) {
      trim.run({ room: input.room, count: count - historyMax });
      setCount.run(historyMax, input.room);
    }
    return { message, created: true, requoted: [] };
  });

  /** Writes `next` as `message`'s state with the room's next seq. */
  const save = (message: StoredMessage, next: MessageState): StoredMessage => {
    const { last_seq: updatedSeq } = changeSeq.get(message.room)!;
    const saved = { ...message, ...next, updatedSeq };
    update.run(rowFromStoredMessage(saved));
    return saved;
  };

  // Set when a deletion commits, so the batch's flush erases what the WAL still holds of it.
  let deletedSinceCheckpoint = false;
  const changeOne = db.transaction((room: string, id: string, change: MessageChange): ChangeResult | null => {
    const row = byId.get(room, id);
    if (!row) return null;
    const message = storedMessageFromRow(row);
    const next = applyChange(message, change);
    if (!next) return { message, changed: false, requoted: [] };
    const saved = save(message, next);
    if (saved.deleted) deletedSinceCheckpoint = true;
    return { message: saved, changed: true, requoted: quoteChanges(message, next) ? requote(saved) : [] };
  });
  // Each reply whose quote of `original` is now different is a change of its own.
  const requote = (original: StoredMessage): StoredMessage[] => {
    const quote = quoteOf(original);
    return repliesTo.all(original.room, original.id).flatMap((row) => {
      const reply = storedMessageFromRow(row);
      const next = applyChange(reply, { kind: 'requote', quote });
      return next ? [save(reply, next)] : [];
    });
  };

  // Writes arriving in the same turn of the event loop (posts and changes alike) share one transaction,
  // each in a savepoint of its own, and each is settled once a WAL sync begun after that commit has ended.
  let pending: PendingWrite[] = [];
  const runBatch = db.transaction((batch: PendingWrite[]) => batch.map((write) => write.run()));
  const flush = async () => {
    const batch = pending;
    pending = [];
    try {
      const outcomes = guard(() => runBatch.immediate(batch));
      // Committed: readers see the batch now, while its sync runs off the event loop.
      outcomes.forEach((outcome) => outcome.committed());
      await wal.durable();
      if (deletedSinceCheckpoint) {
        deletedSinceCheckpoint = false;
        guard(() => eraseFromWal(db));
      }
      outcomes.forEach((outcome) => outcome.settle());
    } catch (err) {
      for (const { reject } of batch) reject(err);
    }
  };
  /** `write` in the next batch; `onCommitted` hears its result (one that is not null) at the batch's commit. */
  const batched = <T>(write: () => T, onCommitted?: OnCommitted<NonNullable<T>>) =>
    new Promise<T>((resolve, reject) => {
      if (pending.length === 0) setImmediate(() => void flush());
      pending.push({
        run() {
          let result: T;
          try {
            result = guard(write);
          } catch (err) {
            // Only this write's savepoint is rolled back; the rest of the batch commits.
            return { committed() {}, settle: () => reject(err) };
          }
          let failure: { err: unknown } | undefined;
          return {
            committed() {
              try {
                if (result !== null && result !== undefined) onCommitted?.(result);
              } catch (err) {
                failure = { err };
              }
            },
            settle: () => (failure ? reject(failure.err) : resolve(result)),
          };
        },
        reject,
      });
    });

  // The room's last seq and the page from one snapshot, so the page holds every change up to it.
  const page = db.transaction((room: string, rows: () => MessageRow[], limit: number): MessagePage => {
    const last = lastSeq.get(room)?.last_seq ?? 0;
    const found = rows();
    return { messages: found.slice(0, limit).map(storedMessageFromRow), hasMore: found.length > limit, lastSeq: last };
  });

  return {
    append(input, onCommitted) {
      return batched(() => appendOne(input), onCommitted);
    },
    async find(room, id) {
      return guard(() => {
        const row = byId.get(room, id);
        return row ? storedMessageFromRow(row) : null;
      });
    },
    change(room, id, change, onCommitted) {
      return batched(() => changeOne(room, id, change), onCommitted);
    },
    async before(room, beforeSeq, limit) {
      return guard(() => {
        const result = page(room, () => before.all(room, beforeSeq ?? Number.MAX_SAFE_INTEGER, limit + 1), limit);
        result.messages.reverse();
        return result;
      });
    },
    async since(room, sinceSeq, limit) {
      return guard(() => page(room, () => since.all(room, sinceSeq, limit + 1), limit));
    },
    ...messageQueries(db),
  };
}

/**
 * A deleted message's text must be gone from the file, not only hidden. `secure_delete` (set at open)
 * zeroes the bytes a row leaves behind in its pages, but the WAL still holds earlier copies of those
 * pages until they are checkpointed into the database, and keeps them in the file after a plain
 * checkpoint. So a deletion is followed, before it is acknowledged, by a checkpoint that copies every
 * page into the database and truncates the WAL to nothing. It runs on this thread (deletions are rare
 * next to posts, and the WAL stays small: the auto-checkpoint bounds it). When a reader on another
 * connection (replicas sharing DATA_DIR) still needs older frames, it cannot truncate: those copies
 * go with the next deletion's checkpoint or when the last connection closes and removes the WAL.
 * Should the checkpoint fail, the batch is answered with the failure although it is durable: a client's
 * retry finds its post (by clientId) or its change already made, and the next deletion erases again.
 */
function eraseFromWal(db: Database.Database): void {
  db.pragma('wal_checkpoint(TRUNCATE)');
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
