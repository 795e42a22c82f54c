/**
 * Mongoose schemas of the MongoDB store. Models are compiled on the store's own connection, never on the
 * global mongoose, so several stores (tests, a replica reopening) can live in one process.
 *
 * Indexes are declared here but built by `createIndexes` at startup rather than by mongoose's background
 * `autoIndex`: a unique index that cannot be built (duplicates, no permission) must stop the replica,
 * because idempotency and gapless seqs depend on it.
 */
import { Schema, type Connection } from 'mongoose';
import { nameKey } from '../../identity/name-key.js';
import type { RoomKind } from '../port.js';
import { queryFields } from './documents.js';

/** A user document; `nameKey` (see `src/identity/name-key.ts`) is unique, `_id` is mongoose's ObjectId. */
export interface UserDoc {
  name: string;
  nameKey: string;
  passwordHash: string | null;
  avatarUrl: string | null;
  createdAt: number;
  /** Missing on users from before bans: not banned. */
  banned?: boolean;
}

/**
 * A room document: `_id` is the room name, `seq` the last seq handed out (the per-room counter),
 * `messages` how many of its messages are kept (posts take seqs and so do changes, so the count is what
 * trimming to HISTORY_MAX needs). Rooms written before the room log lack `messages` until
 * `migrateRoomLog` counts them; rooms from before private conversations lack `kind` (public) until
 * `migrateConversations` sets it.
 */
export interface RoomDoc {
  _id: string;
  seq: number;
  messages?: number;
  createdAt: number;
  kind?: RoomKind;
  owner?: string | null;
  /** A private room's or DM's members in the order they joined, each with its `nameKey` to match on. */
  members?: RoomMember[];
}

export interface RoomMember {
  name: string;
  key: string;
}

/**
 * A message document: `_id` is the message id, a time-ordered UUID (v7), so new ids land at the end of
 * the `_id` index instead of on a random page of it. `seq` and `updatedSeq` are missing while the
 * message is only claimed (see the store's `append`). The room log's fields are missing on documents
 * written before it (read as an unchanged message; `migrateRoomLog` gives them their `updatedSeq`).
 */
export interface MessageDoc {
  _id: string;
  room: string;
  seq?: number;
  updatedSeq?: number;
  clientId: string;
  author: string;
  text: string;
  ts: number;
  editedAt?: number | null;
  deleted?: boolean;
  replyTo?: { id: string; author: string; excerpt: string | null } | null;
  reactions?: { emoji: string; users: string[] }[];
  /** Held by the change being made to the message, until `changeLeaseUntil` (ms); see the store's `change`. */
  changeLease?: string;
  changeLeaseUntil?: number;
  mentions?: string[];
  // Kept for queries (see `queryFields`), missing on documents from before private conversations until
  // `migrateConversations` fills them in: the `nameKey` of the author and of each mention, for unread
  // counts that ignore case, and the `searchTerms` of the text, for search by word prefix (MongoDB's
  // `$text` matches whole words only).
  authorKey?: string;
  mentionKeys?: string[];
  words?: string[];
}

/** A message that has its seq: every one a history page reads. */
export type SequencedMessageDoc = MessageDoc & { seq: number };

/** A read position: how far the user whose `nameKey` is `userKey` has read `room`. */
export interface ReadDoc {
  userKey: string;
  room: string;
  seq: number;
}

/**
 * A friends list: `_id` is the owner's name, `state` the replicas' CRDT state as JSON text (opaque here,
 * and safe from BSON's rules on keys), `version` the counter of the optimistic concurrency control.
 */
export interface FriendsDoc {
  _id: string;
  state: string;
  version: number;
}

/** A value about the store as a whole (`_id` its key): the history epoch is `{ _id: 'history_epoch', value }`. */
export interface MetaDoc {
  _id: string;
  value: string;
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
    banned: { type: Boolean },
  },
  { ...common, collection: 'users' },
);
userSchema.index({ nameKey: 1 }, { unique: true });

const roomSchema = new Schema<RoomDoc>(
  {
    _id: { type: String },
    seq: { type: Number },
    messages: { type: Number },
    createdAt: { type: Number },
    kind: { type: String },
    owner: { type: String },
    members: { type: [new Schema({ name: String, key: String }, { _id: false, strict: 'throw' })], default: undefined },
  },
  { ...common, collection: 'rooms' },
);
// Finds the rooms a user is a member of (`listFor`).
roomSchema.index({ 'members.key': 1 }, { partialFilterExpression: { 'members.key': { $exists: true } }, name: 'members.key_1_members' });

const messageSchema = new Schema<MessageDoc>(
  {
    _id: { type: String },
    room: { type: String },
    seq: { type: Number },
    updatedSeq: { type: Number },
    clientId: { type: String },
    author: { type: String },
    text: { type: String },
    ts: { type: Number },
    editedAt: { type: Number },
    deleted: { type: Boolean },
    replyTo: { type: new Schema({ id: String, author: String, excerpt: String }, { _id: false, strict: 'throw' }) },
    // `default: undefined`: mongoose would otherwise give every document an empty array of its own accord.
    reactions: { type: [new Schema({ emoji: String, users: [String] }, { _id: false, strict: 'throw' })], default: undefined },
    changeLease: { type: String },
    changeLeaseUntil: { type: Number },
    mentions: { type: [String], default: undefined },
    authorKey: { type: String },
    mentionKeys: { type: [String], default: undefined },
    words: { type: [String], default: undefined },
  },
  { ...common, collection: 'messages' },
);
// Serves history pages in both directions and the trim; unique so two messages can never share a seq.
// Partial: claimed messages have no seq yet, and would otherwise collide as nulls.
messageSchema.index({ room: 1, seq: 1 }, { unique: true, partialFilterExpression: { seq: { $exists: true } }, name: 'room_1_seq_1_sequenced' });
// Serves `since` (the log from a seq on) and makes two changes sharing a seq impossible.
messageSchema.index(
  { room: 1, updatedSeq: 1 },
  { unique: true, partialFilterExpression: { updatedSeq: { $exists: true } }, name: 'room_1_updatedSeq_1_sequenced' },
);
// Finds the replies to re-quote when their original is deleted or re-worded.
messageSchema.index({ room: 1, 'replyTo.id': 1 }, { partialFilterExpression: { 'replyTo.id': { $exists: true } }, name: 'room_1_replyTo.id_1_replies' });
// Serves search: a multikey index, one entry per word of a message, that prefix regexes range over.
messageSchema.index({ room: 1, words: 1 });
// Makes append idempotent by (room, author, clientId) even when repeats race on different replicas.
messageSchema.index({ room: 1, author: 1, clientId: 1 }, { unique: true });

const readSchema = new Schema<ReadDoc>(
  {
    userKey: { type: String },
    room: { type: String },
    seq: { type: Number },
  },
  { ...common, collection: 'reads' },
);
// One position per user and room, so concurrent first reads on any replica upsert one document.
readSchema.index({ userKey: 1, room: 1 }, { unique: true });

const friendsSchema = new Schema<FriendsDoc>(
  {
    _id: { type: String },
    state: { type: String },
    version: { type: Number },
  },
  { ...common, collection: 'friends' },
);

const metaSchema = new Schema<MetaDoc>(
  {
    _id: { type: String },
    value: { type: String },
  },
  { ...common, collection: 'meta' },
);

/** Compiles the models on `connection` (no indexes are built yet; see `createIndexes`). */
export function defineModels(connection: Connection) {
  return {
    User: connection.model('User', userSchema),
    Room: connection.model('Room', roomSchema),
    Message: connection.model('Message', messageSchema),
    Friends: connection.model('Friends', friendsSchema),
    Read: connection.model('Read', readSchema),
    Meta: connection.model('Meta', metaSchema),
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
  await Promise.all([models.User.createIndexes(), models.Room.createIndexes(), models.Message.createIndexes(), models.Read.createIndexes()]);
  for (const name of REPLACED_INDEXES.messages) {
    try {
      await models.Message.collection.dropIndex(name);
    } catch (err) {
      if ((err as { code?: unknown }).code !== INDEX_NOT_FOUND) throw err;
    }
  }
}

/**
 * Brings data written before the room log up to it, idempotently (replicas starting together may both
 * run it): sequenced messages without an `updatedSeq` get their `seq` (so `since` finds them), in one
 * pipeline update, and rooms without a message count are counted.
 */
export async function migrateRoomLog({ Message, Room }: Models): Promise<void> {
  await Message.updateMany({ seq: { $exists: true }, updatedSeq: { $exists: false } }, [{ $set: { updatedSeq: '$seq' } }], { updatePipeline: true });
  for (const room of await Room.find({ messages: { $exists: false } }, { _id: 1 }).lean<{ _id: string }[]>()) {
    const messages = await Message.countDocuments({ room: room._id, seq: { $exists: true } });
    await Room.updateOne({ _id: room._id, messages: { $exists: false } }, { $set: { messages } });
  }
}

/** Messages the conversations migration fills in per write: bounded, so one batch stays a modest request. */
const MIGRATION_BATCH = 500;

/**
 * Brings data written before private conversations up to them, idempotently, like `migrateRoomLog`:
 * rooms without a kind are public, and messages without query fields get them from their text (such a
 * message mentions nobody: mentions were not kept). Each message is written only while it still lacks
 * them, so an edit racing the migration keeps its own.
 */
export async function migrateConversations({ Message, Room }: Models): Promise<void> {
  await Room.updateMany({ kind: { $exists: false } }, { $set: { kind: 'public', owner: null } });
  for (;;) {
    const batch = await Message.find({ words: { $exists: false } }, { _id: 1, author: 1, text: 1 })
      .limit(MIGRATION_BATCH)
      .lean<Pick<MessageDoc, '_id' | 'author' | 'text'>[]>();
    if (batch.length === 0) return;
    await Message.bulkWrite(
      batch.map((doc) => ({
        updateOne: {
          filter: { _id: doc._id, words: { $exists: false } },
          update: { $set: { mentions: [], authorKey: nameKey(doc.author), ...queryFields({ text: doc.text, mentions: [] }) } },
        },
      })),
    );
  }
}
