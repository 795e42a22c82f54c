/**
 * The MongoDB store: mongoose models on one connection, shared by every replica.
 *
 * Seqs come from a per-room counter document bumped atomically with `$inc`, so replicas never hand out the
 * same seq; unique indexes on `(room, seq)` and `(room, author, clientId)` make the counter and idempotency
 * checks hold even when replicas race. A change to a message (the room log, `src/store/room-log.ts`) is
 * made under the message's change lease: one atomic update takes it, one bump of the room counter gives
 * the seq, and one atomic update writes the new state and releases it, so no transaction is needed and
 * the changes of one message are written in seq order. Sessions live in the same database through
 * connect-mongo, on the same client, so any replica accepts any session.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import MongoSessionStore from 'connect-mongo';
import type { Connection } from 'mongoose';
import { HISTORY_EPOCH_KEY as HISTORY_EPOCH, newHistoryEpoch } from '../history-epoch.js';
import { newMessageId } from '../message-id.js';
import { applyChange, quoteChanges, quoteOf, type LogChange } from '../room-log.js';
import {
  type AppendResult,
  type MessagePage,
  type FriendsRepository,
  type MessageRepository,
  type NewMessage,
  type OnCommitted,
  type Store,
  type StoredMessage,
  type UserRecord,
  type UserRepository,
} from '../port.js';
import { connectMongo } from './connection.js';
import { messageDoc, queryFields, storedMessageFromDoc, toUser } from './documents.js';
import { guard, onDuplicateKey } from './guard.js';
import { messageQueries } from './message-queries.js';
import { createOneAtATime } from './one-at-a-time.js';
import { readRepository } from './reads.js';
import { roomRepository } from './rooms.js';
import {
  createIndexes,
  defineModels,
  migrateConversations,
  migrateRoomLog,
  type FriendsDoc,
  type MessageDoc,
  type MetaDoc,
  type Models,
  type SequencedMessageDoc,
  type RoomDoc,
  type UserDoc,
} from './models.js';
import { nameKey } from '../../identity/name-key.js';

type LogFn = (details: object, message?: string) => void;

/** `write` under `guard`, its result (one that is not null) told to `onCommitted` before it resolves. */
async function committing<T>(onCommitted: OnCommitted<NonNullable<T>> | undefined, write: () => Promise<T>): Promise<T> {
  const result = await guard(write);
  if (result !== null && result !== undefined) onCommitted?.(result);
  return result;
}

/** The subset of a pino logger the store uses. */
export interface MongoStoreLogger {
  info: LogFn;
  warn: LogFn;
  error: LogFn;
  debug: LogFn;
}

export interface MongoStoreOptions {
  /** A MongoDB connection string; its path names the database. */
  url: string;
  /** Messages kept per room, 0 = unlimited. */
  historyMax: number;
  logger?: MongoStoreLogger;
}

const silent: MongoStoreLogger = { info() {}, warn() {}, error() {}, debug() {} };

/**
 * Connects, builds the indexes and the session store, and resolves once all of them are ready; rejects
 * (with `StoreUnavailableError` when the database cannot be reached) otherwise, leaving nothing open.
 */
export async function createMongoStore(options: MongoStoreOptions): Promise<Store> {
  const logger = options.logger ?? silent;
  const connection = await connectMongo(options.url);
  let closing: Promise<void> | undefined;
  watch(connection, logger, () => closing !== undefined);

  try {
    const models = defineModels(connection);
    await guard(() => createIndexes(models));
    await guard(() => migrateRoomLog(models));
    await guard(() => migrateConversations(models));
    const historyEpoch = await guard(() => ensureHistoryEpoch(models));
    const sessions = MongoSessionStore.create({
      client: connection.getClient(),
      dbName: connection.name,
      collectionName: 'sessions',
      // Sessions as BSON documents, readable in the shell; expired ones are removed by a TTL index.
      stringify: false,
      autoRemove: 'native',
    });
    // The TTL index is built asynchronously; waiting makes a failure fail startup, and avoids connect-mongo
    // erroring when closed while the build is still running.
    await guard(() => sessions.collectionP);
    logger.info({ db: connection.name }, 'mongo store ready');

    return {
      kind: 'mongo',
      users: userRepository(models),
      messages: messageRepository(models, options.historyMax, logger),
      rooms: roomRepository(models),
      friends: friendsRepository(models),
      reads: readRepository(models),
      sessions,
      historyEpoch,
      async ping() {
        await guard(() => connection.getClient().db('admin').command({ ping: 1 }));
      },
      close() {
        closing ??= (async () => {
          await connection.close();
          // Same client, already closed above (closing it again is a no-op); this clears connect-mongo's timer, if any.
          await sessions.close();
        })();
        return closing;
      },
    };
  } catch (err) {
    await connection.close().catch(() => undefined);
    throw err;
  }
}

/**
 * The database's history epoch, made by the first replica to open it: one upsert with `$setOnInsert`, so
 * replicas opening together agree on one. Two upserts racing may both try the insert; the loser's
 * duplicate key means the epoch now exists, and it reads that one.
 */
async function ensureHistoryEpoch({ Meta }: Models): Promise<string> {
  const epoch = () =>
    Meta.findOneAndUpdate({ _id: HISTORY_EPOCH }, { $setOnInsert: { value: newHistoryEpoch() } }, { upsert: true, returnDocument: 'after' })
      .orFail()
      .lean<MetaDoc>();
  return (await onDuplicateKey(epoch, () => Meta.findById(HISTORY_EPOCH).orFail().lean<MetaDoc>())).value;
}

/** Logs connection trouble; the listener on 'error' also keeps an emitted error from crashing the process. */
function watch(connection: Connection, logger: MongoStoreLogger, isClosing: () => boolean): void {
  connection.on('disconnected', () => {
    if (!isClosing()) logger.warn({ db: connection.name }, 'mongo store disconnected');
  });
  connection.on('reconnected', () => logger.info({ db: connection.name }, 'mongo store reconnected'));
  connection.on('error', (err: unknown) => logger.error({ err, db: connection.name }, 'mongo store connection error'));
}

function userRepository({ User }: Models): UserRepository {
  const byKey = (name: string) => User.findOne({ nameKey: nameKey(name) }).lean<UserDoc>();

  return {
    find(name) {
      return guard(async () => toUser(await byKey(name)));
    },
    findMany(names) {
      if (names.length === 0) return Promise.resolve([]);
      const keys = [...new Set(names.map(nameKey))];
      return guard(async () => (await User.find({ nameKey: { $in: keys } }).lean<UserDoc[]>()).map((doc) => toUser(doc)!));
    },
    claim(name) {
      const key = nameKey(name);
      const record: UserRecord = { name, nameKey: key, passwordHash: null, avatarUrl: null, createdAt: Date.now(), banned: false };
      // $setOnInsert: an existing user is returned untouched, so the first case typed wins. Two replicas
      // upserting at once can both try the insert; the loser's duplicate key means the user now exists.
      return guard(async () =>
        toUser(
          await onDuplicateKey(
            () =>
              User.findOneAndUpdate({ nameKey: key }, { $setOnInsert: record }, { upsert: true, returnDocument: 'after' })
                .orFail()
                .lean<UserDoc>(),
            () => byKey(name).orFail(),
          ),
        )!,
      );
    },
    setPasswordHash(name, passwordHash) {
      return guard(async () => {
        await User.updateOne({ nameKey: nameKey(name) }, { $set: { passwordHash } });
      });
    },
    setAvatar(name, avatarUrl) {
      return guard(async () => {
        const previous = await User.findOneAndUpdate(
          { nameKey: nameKey(name) },
          { $set: { avatarUrl } },
          { returnDocument: 'before' },
        ).lean<UserDoc>();
        return previous?.avatarUrl ?? null;
      });
    },
    setBanned(name, banned) {
      // Matches only a user not banned so already, so the count says whether anything changed. A user from
      // before bans has no field: not banned, so `$ne: true` matches it for a ban and `true` not for an unban.
      return guard(async () => (await User.updateOne({ nameKey: nameKey(name), banned: banned ? { $ne: true } : true }, { $set: { banned } })).modifiedCount === 1);
    },
  };
}

/** How often a repeat looks whether the claim it lost to has its seq yet (ms). */
const CLAIM_POLL_MS = 20;
/**
 * How long a repeat waits for the claim it lost to before it finishes that claim itself (ms): the
 * claimer may have died between its claim and its seq. Long against a normal append (milliseconds),
 * because finishing a claim that is still being finished costs a seq.
 */
const CLAIM_PATIENCE_MS = 2000;
/** How long a change may hold its message's lease (ms): a few round trips are plenty; this only matters if its replica dies. */
const CHANGE_LEASE_MS = 5000;
/** How often a change waiting for a message's lease tries again (ms). */
const CHANGE_POLL_MS = 5;
/** How long a change waits for a message's lease before failing (ms): past one lease, so a dead holder's lease is taken over. */
const CHANGE_PATIENCE_MS = 2 * CHANGE_LEASE_MS;

/** What a change under a message's lease is, decided once the lease is held; null for none. */
type Decide = () => Promise<LogChange | null>;

/** A change made (or found already made) to a message, and the state it was made on. */
interface ChangeOutcome {
  message: StoredMessage;
  changed: boolean;
  previous: StoredMessage;
}

/** Only sequenced messages exist for readers: a claim without its seq yet is nobody's to see or change. */
const sequenced = { seq: { $exists: true } } as const;

function messageRepository(models: Models, historyMax: number, logger: MongoStoreLogger): MessageRepository {
  const { Room, Message } = models;
  const byKey = ({ room, author, clientId }: NewMessage) => Message.findOne({ room, author, clientId }).lean<MessageDoc>();
  const byId = (room: string, id: string) => Message.findOne({ _id: id, room, ...sequenced }).lean<SequencedMessageDoc>();
  const oneAtATime = createOneAtATime();

  // Atomic on the server: concurrent posts and changes, on any replica, each get their own seq. A post
  // also counts its message, and its upsert creates the room on its first message; two first messages
  // racing may both try that insert, and the loser's duplicate key means the room now exists, so one
  // retry suffices.
  const nextSeq = async (room: string, { post }: { post: boolean }): Promise<RoomDoc> => {
    const bump = () =>
      Room.findOneAndUpdate(
        { _id: room },
        // A room a post creates is public; one that exists keeps its kind.
        { $inc: post ? { seq: 1, messages: 1 } : { seq: 1 }, $setOnInsert: { createdAt: Date.now(), kind: 'public', owner: null } },
        { upsert: true, returnDocument: 'after' },
      )
        .orFail()
        .lean<RoomDoc>();
    return onDuplicateKey(bump, bump);
  };

  // Keeps the newest `historyMax` messages: the oldest ones beyond the room's count go (usually one). A
  // trim racing another deletes what the other did not, and the count goes down only by what this one
  // deleted, so it stays true. Its failure is logged rather than thrown: the message is stored, and the
  // next post trims what is still over.
  const trim = async (room: string, count: number | undefined) => {
    if (historyMax <= 0 || count === undefined || count <= historyMax) return;
    try {
      const oldest = await Message.find({ room, ...sequenced }, { _id: 1 }).sort({ seq: 1 }).limit(count - historyMax).lean<{ _id: string }[]>();
      const { deletedCount } = await Message.deleteMany({ _id: { $in: oldest.map((doc) => doc._id) } });
      if (deletedCount > 0) await Room.updateOne({ _id: room }, { $inc: { messages: -deletedCount } });
    } catch (err) {
      logger.warn({ err, room }, 'mongo store: history trim failed; the next append retries it');
    }
  };

  /**
   * Changes one message under its change lease, so the changes of one message take their seqs and are
   * written in the same order, whichever replicas make them: the lease is taken with one atomic update,
   * then the message is read, `applyChange`d, given the room's next seq and written, releasing the lease
   * in the same update. Without it, two changes could take seqs 7 and 8 and be written 8 then 7; the
   * loser would have to take a new seq and leave a gap, and under a burst of reactions to one message
   * most would. A replica that dies holding a lease holds it for CHANGE_LEASE_MS at most. `decide` says,
   * once the lease is held, what the change is (null: none). Null when the message is not (or no longer) there.
   */
  const changeUnderLease = async (room: string, id: string, decide: Decide): Promise<ChangeOutcome | null> => {
    const lease = await takeLease(room, id);
    if (!lease) return null;
    const release = () => Message.updateOne({ _id: id, changeLease: lease.token }, { $unset: { changeLease: 1, changeLeaseUntil: 1 } });
    let seq: number | undefined;
    try {
      const message = storedMessageFromDoc(lease.doc);
      const change = await decide();
      const next = change && applyChange(message, change);
      if (!next) {
        await release();
        return { message, changed: false, previous: message };
      }
      seq = (await nextSeq(room, { post: false })).seq;
      const saved = await Message.findOneAndUpdate(
        { _id: id, changeLease: lease.token },
        { $set: { ...next, ...queryFields(next), updatedSeq: seq }, $unset: { changeLease: 1, changeLeaseUntil: 1 } },
        { returnDocument: 'after' },
      ).lean<SequencedMessageDoc>();
      if (saved) return { message: storedMessageFromDoc(saved), changed: true, previous: message };
    } catch (err) {
      // Released at once rather than left to lapse (a write that landed released it itself).
      await release().catch(() => undefined);
      throw err;
    }
    // Held longer than the lease, and another replica took it over: this seq stays unused; start again.
    logger.warn({ room, unusedSeq: seq }, 'mongo store: a change outlived its lease; one seq stays unused');
    return changeUnderLease(room, id, decide);
  };

  /**
   * A re-quote of a reply to `originalId`, decided once the reply's lease is held: it quotes the original
   * as it is then, not as it was when the re-quote was asked for. Re-quotes of one reply run one at a
   * time, so the last one written quotes the original's last change, even when an edit's re-quote and a
   * later deletion's race (the deleted text must not come back). None once the original is trimmed.
   */
  const requoteFrom = (room: string, originalId: string): Decide => async () => {
    const original = await byId(room, originalId);
    return original && { kind: 'requote', quote: quoteOf(storedMessageFromDoc(original)) };
  };

  // A replica's own changes of one message queue here first, so one of them at a time waits for the lease.
  const changeOne = (room: string, id: string, decide: Decide) => oneAtATime(id, () => changeUnderLease(room, id, decide));

  /** Takes the change lease of a message of `room`, waiting while another change holds it; null when there is no such message. */
  const takeLease = async (room: string, id: string): Promise<{ token: string; doc: SequencedMessageDoc } | null> => {
    const token = newMessageId();
    for (const giveUpAt = Date.now() + CHANGE_PATIENCE_MS; Date.now() < giveUpAt; ) {
      const now = Date.now();
      const doc = await Message.findOneAndUpdate(
        { _id: id, room, ...sequenced, $or: [{ changeLeaseUntil: { $exists: false } }, { changeLeaseUntil: { $lt: now } }] },
        { $set: { changeLease: token, changeLeaseUntil: now + CHANGE_LEASE_MS } },
        { returnDocument: 'after' },
      ).lean<SequencedMessageDoc>();
      if (doc) return { token, doc };
      if (!(await Message.exists({ _id: id, room, ...sequenced }))) return null;
      await sleep(CHANGE_POLL_MS);
    }
    throw new Error(`mongo store: message ${id} stayed leased to other changes for ${CHANGE_PATIENCE_MS} ms`);
  };

  /** Re-quotes every reply to `original` whose quote of it is now different; each is a change of its own. */
  const requote = async (original: StoredMessage): Promise<StoredMessage[]> => {
    const replies = await Message.find({ room: original.room, 'replyTo.id': original.id, ...sequenced }, { _id: 1 }).sort({ seq: 1 }).lean<{ _id: string }[]>();
    const requoted: StoredMessage[] = [];
    for (const { _id } of replies) {
      const result = await changeOne(original.room, _id, requoteFrom(original.room, original.id));
      if (result?.changed) requoted.push(result.message);
    }
    return requoted;
  };

  /**
   * A reply's quote was taken before the reply was stored; a deletion or edit of the original in between
   * re-quoted the replies it found, which may not have included this one yet. One of the two always sees
   * the other (each writes, then reads), so the reply looks at its original once more after it is stored.
   * Resolves with the reply re-quoted (a change with a seq of its own), or nothing when its quote held.
   */
  const requoteIfStale = async (reply: StoredMessage): Promise<StoredMessage[]> => {
    if (!reply.replyTo) return [];
    const result = await changeOne(reply.room, reply.id, requoteFrom(reply.room, reply.replyTo.id));
    return result?.changed ? [result.message] : [];
  };

  /**
   * Gives a claimed message (stored without a seq) the room's next seq. Resolves with the message, and
   * whether this call sequenced it: false when someone else finished the claim first (the seq taken here
   * then stays unused, which only a claimer slower than CLAIM_PATIENCE_MS can cause).
   */
  const sequence = async (claim: MessageDoc): Promise<AppendResult> => {
    const room = await nextSeq(claim.room, { post: true });
    const { seq } = room;
    const { matchedCount } = await Message.updateOne({ _id: claim._id, seq: { $exists: false } }, { $set: { seq, updatedSeq: seq } });
    if (matchedCount === 1) {
      await trim(claim.room, room.messages);
      const message = storedMessageFromDoc({ ...claim, seq, updatedSeq: seq });
      return { message, created: true, requoted: await requoteIfStale(message) };
    }
    logger.warn({ room: claim.room, unusedSeq: seq }, 'mongo store: a claim was finished twice; one seq stays unused');
    return { message: storedMessageFromDoc(await Message.findById(claim._id).orFail().lean<SequencedMessageDoc>()), created: false, requoted: [] };
  };

  /** The answer to a repeat of `claim`: the message once its claimer gave it a seq, or after CLAIM_PATIENCE_MS, ours. */
  const awaitSequenced = async (claim: MessageDoc): Promise<AppendResult> => {
    const giveUpAt = Date.now() + CLAIM_PATIENCE_MS;
    for (let doc = claim; Date.now() < giveUpAt; ) {
      if (doc.seq !== undefined) return { message: storedMessageFromDoc({ ...doc, seq: doc.seq }), created: false, requoted: [] };
      await sleep(CLAIM_POLL_MS);
      doc = await Message.findById(claim._id).orFail().lean<MessageDoc>();
    }
    return sequence(claim);
  };

  /** A page read after the room's last seq, so the page holds every change up to it that has landed. */
  const page = async (room: string, read: (limit: number) => Promise<SequencedMessageDoc[]>, limit: number): Promise<MessagePage> => {
    const lastSeq = (await Room.findById(room, { seq: 1 }).lean<RoomDoc>())?.seq ?? 0;
    const docs = await read(limit + 1);
    return { messages: docs.slice(0, limit).map(storedMessageFromDoc), hasMore: docs.length > limit, lastSeq };
  };

  return {
    // The message is claimed first, by inserting it without a seq (the unique index on (room, author,
    // clientId) lets one insert win however many repeats race, on any replica), and only the winner takes
    // a seq: a repeat that took one and then lost would leave a gap, which receivers wait on.
    // Majority-acknowledged writes are durable when they are visible: onCommitted hears them just before the promise resolves.
    append(input, onCommitted) {
      return committing(onCommitted, async () => {
        const existing = await byKey(input);
        if (existing) return awaitSequenced(existing);
        const { replyTo, mentions = [], ...fields } = input;
        const original = replyTo === undefined ? null : await byId(input.room, replyTo);
        const claim = messageDoc({
          id: newMessageId(),
          ...fields,
          editedAt: null,
          deleted: false,
          replyTo: original && quoteOf(storedMessageFromDoc(original)),
          reactions: [],
          mentions,
        });
        return onDuplicateKey(
          async () => {
            await Message.create(claim);
            return sequence(claim);
          },
          async (err) => {
            const first = await byKey(input);
            if (!first) throw err; // a duplicate _id: not a repeat, so a real fault
            return awaitSequenced(first);
          },
        );
      });
    },
    find(room, id) {
      return guard(async () => {
        const doc = await byId(room, id);
        return doc && storedMessageFromDoc(doc);
      });
    },
    change(room, id, change, onCommitted) {
      return committing(onCommitted, async () => {
        const result = await changeOne(room, id, async () => change);
        if (!result) return null;
        const { message, changed, previous } = result;
        return { message, changed, requoted: changed && quoteChanges(previous, message) ? await requote(message) : [] };
      });
    },
    before(room, beforeSeq, limit) {
      return guard(async () => {
        // A range on seq also leaves out claims not sequenced yet (they have none). Newest first to take
        // the page (one extra tells whether older ones exist), then ascending.
        const result = await page(room, (n) => Message.find({ room, seq: { $lt: beforeSeq ?? Number.MAX_SAFE_INTEGER } }).sort({ seq: -1 }).limit(n).lean<SequencedMessageDoc[]>(), limit);
        result.messages.reverse();
        return result;
      });
    },
    since(room, sinceSeq, limit) {
      return guard(() =>
        page(room, (n) => Message.find({ room, updatedSeq: { $gt: sinceSeq } }).sort({ updatedSeq: 1 }).limit(n).lean<SequencedMessageDoc[]>(), limit),
      );
    },
    ...messageQueries(models),
  };
}

/** Attempts at a friends update before giving up: each lost race means another update landed, so this is generous. */
const FRIENDS_UPDATE_ATTEMPTS = 20;

function friendsRepository({ Friends }: Models): FriendsRepository {
  // Optimistic concurrency: write only if `version` is still what was read; on a lost race, read and merge again.
  const tryUpdate = async (owner: string, merge: (saved: unknown) => unknown): Promise<boolean> => {
    const saved = await Friends.findById(owner).lean<FriendsDoc>();
    const state = JSON.stringify(merge(saved ? JSON.parse(saved.state) : null));
    if (saved) {
      const result = await Friends.updateOne({ _id: owner, version: saved.version }, { $set: { state, version: saved.version + 1 } });
      return result.matchedCount === 1;
    }
    return onDuplicateKey(
      async () => {
        await Friends.create({ _id: owner, state, version: 1 });
        return true;
      },
      async () => false,
    );
  };

  return {
    all() {
      return guard(async () =>
        (await Friends.find().lean<FriendsDoc[]>()).map((doc) => ({ owner: doc._id, state: JSON.parse(doc.state) as unknown })),
      );
    },
    update(owner, merge) {
      return guard(async () => {
        for (let attempt = 0; attempt < FRIENDS_UPDATE_ATTEMPTS; attempt++) {
          if (await tryUpdate(owner, merge)) return;
        }
        throw new Error(`mongo store: the friends of ${owner} kept changing during ${FRIENDS_UPDATE_ATTEMPTS} attempts to save them`);
      });
    },
  };
}
