/**
 * The MongoDB store: mongoose models on one connection, shared by every replica.
 *
 * Seqs come from a per-room counter document bumped atomically with `$inc`, so replicas never hand out the
 * same seq; unique indexes on `(room, seq)` and `(room, author, clientId)` make the counter and idempotency
 * checks hold even when replicas race. Sessions live in the same database through connect-mongo, on the
 * same client, so any replica accepts any session.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import MongoSessionStore from 'connect-mongo';
import mongoose, { type Connection } from 'mongoose';
import { newMessageId } from '../message-id.js';
import {
  type AppendResult,
  type FriendsRepository,
  type MessageRepository,
  type NewMessage,
  type RoomRecord,
  type RoomRepository,
  type Store,
  type StoredMessage,
  type UserRecord,
  type UserRepository,
} from '../port.js';
import { guardUnavailable } from './unavailable.js';
import { createIndexes, defineModels, type FriendsDoc, type MessageDoc, type Models, type SequencedMessageDoc, type RoomDoc, type UserDoc } from './models.js';
import { nameKey } from '../../identity/name-key.js';

type LogFn = (details: object, message?: string) => void;

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
  const connection = await guard(() =>
    mongoose
      .createConnection(options.url, {
        serverSelectionTimeoutMS: 5000,
        // Fail fast instead of queueing: the connection is open before any model is used, and a queued
        // call during an outage would only turn into a later, vaguer timeout.
        bufferCommands: false,
        // An acknowledged message or account survives the loss of the primary (the port promises "durably").
        writeConcern: { w: 'majority', journal: true },
        appName: 'chorus',
      })
      .asPromise(),
  );
  let closing: Promise<void> | undefined;
  watch(connection, logger, () => closing !== undefined);

  try {
    const models = defineModels(connection);
    await guard(() => createIndexes(models));
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
      sessions,
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

/** Logs connection trouble; the listener on 'error' also keeps an emitted error from crashing the process. */
function watch(connection: Connection, logger: MongoStoreLogger, isClosing: () => boolean): void {
  connection.on('disconnected', () => {
    if (!isClosing()) logger.warn({ db: connection.name }, 'mongo store disconnected');
  });
  connection.on('reconnected', () => logger.info({ db: connection.name }, 'mongo store reconnected'));
  connection.on('error', (err: unknown) => logger.error({ err, db: connection.name }, 'mongo store connection error'));
}

const { mongo } = mongoose;

/** Runs a database call, turning unavailability into `StoreUnavailableError`; other errors pass through. */
const guard = <T>(work: () => Promise<T>): Promise<T> => guardUnavailable('mongo store', work);

function isDuplicateKey(err: unknown): boolean {
  return err instanceof mongo.MongoServerError && err.code === 11000;
}

/** Runs `work`; if it loses a race on a unique index (duplicate key), runs `recover` once instead. */
async function onDuplicateKey<T>(work: () => Promise<T>, recover: (err: unknown) => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (!isDuplicateKey(err)) throw err;
    return recover(err);
  }
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
      const record: UserRecord = { name, nameKey: key, passwordHash: null, avatarUrl: null, createdAt: Date.now() };
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

function messageRepository({ Room, Message }: Models, historyMax: number, logger: MongoStoreLogger): MessageRepository {
  const byKey = ({ room, author, clientId }: NewMessage) => Message.findOne({ room, author, clientId }).lean<MessageDoc>();

  // Atomic on the server: concurrent appends, on any replica, each get their own seq. The upsert creates
  // the room on its first message; two first messages racing may both try that insert, and the loser's
  // duplicate key means the room now exists, so one retry suffices.
  const nextSeq = async (room: string): Promise<number> => {
    const bump = () =>
      Room.findOneAndUpdate(
        { _id: room },
        { $inc: { seq: 1 }, $setOnInsert: { createdAt: Date.now() } },
        { upsert: true, returnDocument: 'after' },
      )
        .orFail()
        .lean<RoomDoc>();
    return (await onDuplicateKey(bump, bump)).seq;
  };

  // Trims everything at or below the cut, not just the one message that fell out, so a trim that failed
  // earlier is caught up by the next append. Its failure is logged rather than thrown: the message is stored.
  const trim = async (room: string, seq: number) => {
    if (historyMax <= 0 || seq <= historyMax) return;
    try {
      await Message.deleteMany({ room, seq: { $lte: seq - historyMax } });
    } catch (err) {
      logger.warn({ err, room }, 'mongo store: history trim failed; the next append retries it');
    }
  };

  /**
   * Gives a claimed message (stored without a seq) the room's next seq. Resolves with the message, and
   * whether this call sequenced it: false when someone else finished the claim first (the seq taken here
   * then stays unused, which only a claimer slower than CLAIM_PATIENCE_MS can cause).
   */
  const sequence = async (claim: MessageDoc): Promise<AppendResult> => {
    const seq = await nextSeq(claim.room);
    const { matchedCount } = await Message.updateOne({ _id: claim._id, seq: { $exists: false } }, { $set: { seq } });
    if (matchedCount === 1) {
      await trim(claim.room, seq);
      return { message: storedMessageFromDoc({ ...claim, seq }), created: true };
    }
    logger.warn({ room: claim.room, unusedSeq: seq }, 'mongo store: a claim was finished twice; one seq stays unused');
    return { message: storedMessageFromDoc(await Message.findById(claim._id).orFail().lean<SequencedMessageDoc>()), created: false };
  };

  /** The answer to a repeat of `claim`: the message once its claimer gave it a seq, or after CLAIM_PATIENCE_MS, ours. */
  const awaitSequenced = async (claim: MessageDoc): Promise<AppendResult> => {
    const giveUpAt = Date.now() + CLAIM_PATIENCE_MS;
    for (let doc = claim; Date.now() < giveUpAt; ) {
      if (doc.seq !== undefined) return { message: storedMessageFromDoc({ ...doc, seq: doc.seq }), created: false };
      await sleep(CLAIM_POLL_MS);
      doc = await Message.findById(claim._id).orFail().lean<MessageDoc>();
    }
    return sequence(claim);
  };

  const page = (docs: SequencedMessageDoc[], limit: number) => ({
    messages: docs.slice(0, limit).map(storedMessageFromDoc),
    hasMore: docs.length > limit,
  });

  return {
    // The message is claimed first, by inserting it without a seq (the unique index on (room, author,
    // clientId) lets one insert win however many repeats race, on any replica), and only the winner takes
    // a seq: a repeat that took one and then lost would leave a gap, which receivers wait on.
    append(input) {
      return guard(async () => {
        const existing = await byKey(input);
        if (existing) return awaitSequenced(existing);
        const claim: MessageDoc = { _id: newMessageId(), ...input };
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
    before(room, beforeSeq, limit) {
      return guard(async () => {
        // A range on seq also leaves out claims not sequenced yet (they have none).
        const filter = { room, seq: { $lt: beforeSeq ?? Number.MAX_SAFE_INTEGER } };
        // Newest first to take the page (one extra tells whether older ones exist), then ascending.
        const result = page(await Message.find(filter).sort({ seq: -1 }).limit(limit + 1).lean<SequencedMessageDoc[]>(), limit);
        result.messages.reverse();
        return result;
      });
    },
    since(room, sinceSeq, limit) {
      return guard(async () =>
        page(await Message.find({ room, seq: { $gt: sinceSeq } }).sort({ seq: 1 }).limit(limit + 1).lean<SequencedMessageDoc[]>(), limit),
      );
    },
  };
}

function roomRepository({ Room }: Models): RoomRepository {
  return {
    ensure(name) {
      // As in `claim`: two replicas creating the room at once both try the insert; the loser re-reads.
      return guard(async () =>
        toRoom(
          await onDuplicateKey(
            () =>
              Room.findOneAndUpdate(
                { _id: name },
                { $setOnInsert: { seq: 0, createdAt: Date.now() } },
                { upsert: true, returnDocument: 'after' },
              )
                .orFail()
                .lean<RoomDoc>(),
            () => Room.findById(name).orFail().lean<RoomDoc>(),
          ),
        ),
      );
    },
    find(name) {
      return guard(async () => {
        const doc = await Room.findById(name).lean<RoomDoc>();
        return doc && toRoom(doc);
      });
    },
    list() {
      return guard(async () => (await Room.find().sort({ _id: 1 }).lean<RoomDoc[]>()).map(toRoom));
    },
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

// The mappers copy fields one by one so `_id` and anything else mongoose or the server adds never leak out.

function toUser(doc: UserDoc | null): UserRecord | null {
  if (!doc) return null;
  return {
    name: doc.name,
    nameKey: doc.nameKey,
    passwordHash: doc.passwordHash ?? null,
    avatarUrl: doc.avatarUrl ?? null,
    createdAt: doc.createdAt,
  };
}

function toRoom(doc: RoomDoc): RoomRecord {
  return { name: doc._id, lastSeq: doc.seq };
}

function storedMessageFromDoc(doc: SequencedMessageDoc): StoredMessage {
  return {
    id: doc._id,
    room: doc.room,
    seq: doc.seq,
    clientId: doc.clientId,
    author: doc.author,
    text: doc.text,
    ts: doc.ts,
  };
}
