/**
 * Mongoose schemas of the MongoDB store. Models are compiled on the store's own connection, never on the
 * global mongoose, so several stores (tests, a replica reopening) can live in one process.
 *
 * Indexes are declared here but built by `createIndexes` at startup rather than by mongoose's background
 * `autoIndex`: a unique index that cannot be built (duplicates, no permission) must stop the replica,
 * because idempotency and gapless seqs depend on it.
 */
import { Schema, type Connection } from 'mongoose';

/** A user document; `nameKey` (see `src/identity/name-key.ts`) is unique, `_id` is mongoose's ObjectId. */
export interface UserDoc {
  name: string;
  nameKey: string;
  passwordHash: string | null;
  avatarUrl: string | null;
  createdAt: number;
}

/** A room document: `_id` is the room name, `seq` the last seq handed out (the per-room counter). */
export interface RoomDoc {
  _id: string;
  seq: number;
  createdAt: number;
}

/**
 * A message document: `_id` is the message id, a time-ordered UUID (v7), so new ids land at the end of
 * the `_id` index instead of on a random page of it. `seq` is missing while the message is only claimed
 * (see the store's `append`).
 */
export interface MessageDoc {
  _id: string;
  room: string;
  seq?: number;
  clientId: string;
  author: string;
  text: string;
  ts: number;
}

/** A message that has its seq: every one a history page reads. */
export type SequencedMessageDoc = MessageDoc & { seq: number };

/**
 * A friends list: `_id` is the owner's name, `state` the replicas' CRDT state as JSON text (opaque here,
 * and safe from BSON's rules on keys), `version` the counter of the optimistic concurrency control.
 */
export interface FriendsDoc {
  _id: string;
  state: string;
  version: number;
}

// Every write sets every field explicitly, so the schemas carry no defaults: mongoose would otherwise add
// them to upserts' `$setOnInsert`, where a default `seq` would clash with the counter's `$inc`.
// No `required` on strings either: mongoose's required validator rejects '', which the port does not forbid.
// `strict: 'throw'`: a field the schema does not know is a bug here, better loud than silently dropped.
const common = { versionKey: false, autoIndex: false, autoCreate: false, strict: 'throw' } as const;

const userSchema = new Schema<UserDoc>(
  {
    name: { type: String },
    nameKey: { type: String },
    passwordHash: { type: String },
    avatarUrl: { type: String },
    createdAt: { type: Number },
  },
  { ...common, collection: 'users' },
);
userSchema.index({ nameKey: 1 }, { unique: true });

const roomSchema = new Schema<RoomDoc>(
  {
    _id: { type: String },
    seq: { type: Number },
    createdAt: { type: Number },
  },
  { ...common, collection: 'rooms' },
);

const messageSchema = new Schema<MessageDoc>(
  {
    _id: { type: String },
    room: { type: String },
    seq: { type: Number },
    clientId: { type: String },
    author: { type: String },
    text: { type: String },
    ts: { type: Number },
  },
  { ...common, collection: 'messages' },
);
// Serves history pages in both directions and the trim; unique so two messages can never share a seq.
// Partial: claimed messages have no seq yet, and would otherwise collide as nulls.
messageSchema.index({ room: 1, seq: 1 }, { unique: true, partialFilterExpression: { seq: { $exists: true } }, name: 'room_1_seq_1_sequenced' });
// Makes append idempotent by (room, author, clientId) even when repeats race on different replicas.
messageSchema.index({ room: 1, author: 1, clientId: 1 }, { unique: true });

const friendsSchema = new Schema<FriendsDoc>(
  {
    _id: { type: String },
    state: { type: String },
    version: { type: Number },
  },
  { ...common, collection: 'friends' },
);

/** Compiles the models on `connection` (no indexes are built yet; see `createIndexes`). */
export function defineModels(connection: Connection) {
  return {
    User: connection.model('User', userSchema),
    Room: connection.model('Room', roomSchema),
    Message: connection.model('Message', messageSchema),
    Friends: connection.model('Friends', friendsSchema),
  };
}

/** The store's models, as compiled on one connection. */
export type Models = ReturnType<typeof defineModels>;

/**
 * Indexes an older Chorus built that stand in the way now, by collection: dropped once their replacements
 * exist. `room_1_clientId_1` made a clientId unique per room, so a second author's message with the same
 * clientId was answered with the first author's (idempotency is per author now); `room_1_seq_1` covered
 * every message, so two claimed ones (no seq yet) collided.
 */
const REPLACED_INDEXES = { messages: ['room_1_clientId_1', 'room_1_seq_1'] } as const;

/** MongoDB's code for dropping an index that does not exist (already dropped, or a fresh database). */
const INDEX_NOT_FOUND = 27;

/**
 * Builds the missing indexes and rejects if any cannot be built, then drops the replaced ones.
 * `createIndexes` rather than `syncIndexes`: it drops nothing else, so a rolling deploy cannot remove an
 * index an older replica still relies on unless this list says it must go.
 */
export async function createIndexes(models: Models): Promise<void> {
  await Promise.all([models.User.createIndexes(), models.Room.createIndexes(), models.Message.createIndexes()]);
  for (const name of REPLACED_INDEXES.messages) {
    try {
      await models.Message.collection.dropIndex(name);
    } catch (err) {
      if ((err as { code?: unknown }).code !== INDEX_NOT_FOUND) throw err;
    }
  }
}
