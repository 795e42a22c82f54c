/**
 * What `npm run migrate` copies, one plan per MongoDB collection: which table of the embedded store it
 * comes from, how a row becomes the document the MongoDB store reads (through the store's own mappers,
 * `src/store/embedded/rows.ts` and `src/store/mongo/documents.ts`, so there is one definition of each
 * shape), which fields say which record a document is, and what in the target would be another
 * history's rather than an earlier copy of this one.
 */
import type { AnyBulkWriteOperation, Document } from 'mongodb';
import type { RoomKind } from '../store/port.js';
import { storedMessageFromRow, toUser, type MessageRow, type UserRow } from '../store/embedded/rows.js';
import { messageDoc, roomMember } from '../store/mongo/documents.js';
import type { FriendsDoc, ReadDoc, RoomDoc, UserDoc } from '../store/mongo/models.js';
import type { EmbeddedSource, SourceRow, SourceTable } from './embedded-source.js';

/** A document as the target holds it. */
export type TargetDoc = Document;

export interface CollectionPlan<Row = SourceRow> {
  /** The target collection. */
  collection: string;
  table: SourceTable;
  /** The document the MongoDB store reads for a row of `table`. */
  toDoc(row: Row): TargetDoc;
  /** The document's fields that say which record it is, matching `table.key` column for column. */
  keyFields: readonly string[];
  /** Fields the target keeps on its own (an ObjectId `_id`, a version counter): compared on neither side. */
  targetOnly: readonly string[];
  /** The writes that make the target's copy of `doc` equal to it: upserts, so a second run changes nothing. */
  writes(doc: TargetDoc): AnyBulkWriteOperation[];
  /**
   * Why the target's `doc` belongs to another history than the source's (`source` being the source's
   * document of the same key, if any), or undefined when it is an earlier or equal copy, which the copy
   * brings up to date.
   */
  otherHistory(doc: TargetDoc, source: TargetDoc | undefined): string | undefined;
}

/** A plan typed by its table's rows, as the rest of the migration takes it: rows are what SQLite gives, untyped. */
const plan = <Row>(typed: CollectionPlan<Row>) => typed as unknown as CollectionPlan;

const keyOf = (doc: TargetDoc, fields: readonly string[]) => Object.fromEntries(fields.map((field) => [field, doc[field]]));

/** The default write: the document's fields set on the copy with its key, made when missing. */
const upsert =
  (keyFields: readonly string[]) =>
  (doc: TargetDoc): AnyBulkWriteOperation[] => {
    // An `_id` that is the key is in the filter (and so in a new document); no update may set one.
    const { _id, ...fields } = doc;
    return [{ updateOne: { filter: keyOf(doc, keyFields), update: { $set: fields }, upsert: true } }];
  };

/** The default rule: a document whose key the source does not have is not from it. */
const notInSource = (source: TargetDoc | undefined) => (source ? undefined : 'not in the source');

const users = plan<UserRow>({
  collection: 'users',
  table: { name: 'users', columns: '*', key: ['name_key'] },
  // A user record is a user document, field for field; `_id` is the target's ObjectId.
  toDoc: (row) => toUser(row)! satisfies UserDoc,
  keyFields: ['nameKey'],
  targetOnly: ['_id'],
  writes: upsert(['nameKey']),
  otherHistory: (_doc, source) => notInSource(source),
});

const messages = plan<MessageRow>({
  collection: 'messages',
  table: { name: 'messages', columns: '*', key: ['id'] },
  toDoc: (row) => messageDoc(storedMessageFromRow(row)),
  keyFields: ['_id'],
  targetOnly: [],
  writes: upsert(['_id']),
  // A change the source never made took a seq of its room there: the two logs went apart.
  otherHistory(doc, source) {
    if (!source || source.room !== doc.room) return 'not in the source';
    if ((doc.updatedSeq as number) > (source.updatedSeq as number)) return `changed at seq ${String(doc.updatedSeq)}, after the source's last change (${String(source.updatedSeq)})`;
    return undefined;
  },
});

interface RoomRow {
  name: string;
  last_seq: number;
  message_count: number;
  created_at: number;
  kind: RoomKind;
  owner: string | null;
  /** JSON of the member names in the order they joined. */
  members: string;
}

const rooms = plan<RoomRow>({
  collection: 'rooms',
  table: {
    name: 'rooms',
    columns:
      'name, last_seq, message_count, created_at, kind, owner, ' +
      '(SELECT json_group_array(name ORDER BY rowid) FROM room_members WHERE room_members.room = rooms.name) AS members',
    key: ['name'],
  },
  toDoc(room) {
    const members = JSON.parse(room.members) as string[];
    return {
      _id: room.name,
      // The room's counter: a replica on the target hands out the seq after it, so seqs continue.
      seq: room.last_seq,
      messages: room.message_count,
      createdAt: room.created_at,
      kind: room.kind,
      owner: room.owner,
      // As the MongoDB store makes rooms: members on private rooms and DMs only.
      ...(room.kind === 'public' ? {} : { members: members.map(roomMember) }),
    } satisfies RoomDoc;
  },
  keyFields: ['_id'],
  targetOnly: [],
  writes: upsert(['_id']),
  otherHistory(doc, source) {
    if (!source) return 'not in the source';
    if ((doc.seq as number) > (source.seq as number)) return `at seq ${String(doc.seq)}, ahead of the source's ${String(source.seq)}`;
    return undefined;
  },
});

const friends = plan<{ owner: string; state: string }>({
  collection: 'friends',
  table: { name: 'friends', columns: 'owner, state', key: ['owner'] },
  // The CRDT state as the same JSON text: the embedded store saves it as the MongoDB store does.
  toDoc: (row) => ({ _id: row.owner, state: row.state }) satisfies Omit<FriendsDoc, 'version'>,
  keyFields: ['_id'],
  // The counter of the MongoDB store's optimistic updates: the embedded store has none.
  targetOnly: ['version'],
  // A new list starts at version 1; a changed one takes the next version, as any update of it would,
  // and an equal one is left alone.
  writes: ({ _id, state }) => [
    { updateOne: { filter: { _id, state: { $ne: state } }, update: { $set: { state }, $inc: { version: 1 } } } },
    { updateOne: { filter: { _id }, update: { $setOnInsert: { state, version: 1 } }, upsert: true } },
  ],
  otherHistory: (_doc, source) => notInSource(source),
});

const reads = plan<{ user_key: string; room: string; seq: number }>({
  collection: 'reads',
  table: { name: 'read_positions', columns: 'user_key, room, seq', key: ['user_key', 'room'] },
  toDoc: (row) => ({ userKey: row.user_key, room: row.room, seq: row.seq }) satisfies ReadDoc,
  keyFields: ['userKey', 'room'],
  targetOnly: ['_id'],
  writes: upsert(['userKey', 'room']),
  otherHistory: (_doc, source) => notInSource(source),
});

/**
 * The history epoch: the embedded store's `meta` table (`key`, `value`; the row `history_epoch`), copied
 * into the MongoDB `meta` collection as `{ _id: key, value }` when the source has the table, so clients
 * keep their seqs across the move. A target under another epoch holds another history.
 */
function historyEpochPlan(source: EmbeddedSource): CollectionPlan | undefined {
  if (!source.hasTable('meta')) return undefined;
  return plan<{ key: string; value: unknown }>({
    collection: 'meta',
    table: { name: 'meta', columns: 'key, value', key: ['key'] },
    toDoc: (row) => ({ _id: row.key, value: row.value }),
    keyFields: ['_id'],
    targetOnly: [],
    writes: upsert(['_id']),
    otherHistory: (doc, source) => (source && source.value !== doc.value ? `${String(doc._id)} is ${String(doc.value)}, not the source's ${String(source.value)}` : notInSource(source)),
  });
}

/**
 * Every plan, in the order they are copied: a room's counter only after its messages, so a target's
 * counter never stands for seqs whose messages are not there yet. Sessions are not copied: everyone
 * signs in again on the target.
 */
export function migrationPlans(source: EmbeddedSource): CollectionPlan[] {
  return [users, messages, rooms, friends, reads, historyEpochPlan(source)].filter((plan) => plan !== undefined);
}

/** The key of `doc` in `plan`, as one string to match documents of both sides by. */
export function recordKey(plan: CollectionPlan, doc: TargetDoc): string {
  return JSON.stringify(plan.keyFields.map((field) => doc[field]));
}
