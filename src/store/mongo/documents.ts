/**
 * Between the port's records and the store's documents. The mappers copy fields one by one so `_id` and
 * anything else mongoose or the server adds never leak out.
 */
import { nameKey } from '../../identity/name-key.js';
import { searchTerms } from '../../search/terms.js';
import type { RoomRecord, StoredMessage, UserRecord } from '../port.js';
import type { MessageDoc, RoomDoc, RoomMember, SequencedMessageDoc, UserDoc } from './models.js';

export function toUser(doc: UserDoc | null): UserRecord | null {
  if (!doc) return null;
  return {
    name: doc.name,
    nameKey: doc.nameKey,
    passwordHash: doc.passwordHash ?? null,
    avatarUrl: doc.avatarUrl ?? null,
    createdAt: doc.createdAt,
    banned: doc.banned ?? false,
  };
}

export function toRoom(doc: RoomDoc): RoomRecord {
  // Rooms from before private conversations were all public.
  return { name: doc._id, lastSeq: doc.seq, kind: doc.kind ?? 'public', owner: doc.owner ?? null };
}

/** A member of a private room or DM as its room document keeps it: the name as stored, and its `nameKey` to match on. */
export const roomMember = (name: string): RoomMember => ({ name, key: nameKey(name) });

/** A message without its seq yet: what `append` claims before the room's counter gives it one. */
export type ClaimedMessage = Omit<StoredMessage, 'seq' | 'updatedSeq'> & Partial<Pick<StoredMessage, 'seq' | 'updatedSeq'>>;

/**
 * The document of a message, the inverse of `storedMessageFromDoc`: its id as `_id`, the port's fields as
 * they are, and the query fields derived from them (`queryFields`, the author's `nameKey`). A claimed
 * message has no seq yet, and its document none.
 */
export function messageDoc({ id, ...fields }: ClaimedMessage): MessageDoc {
  return { _id: id, ...fields, authorKey: nameKey(fields.author), ...queryFields(fields) };
}

export function storedMessageFromDoc(doc: SequencedMessageDoc): StoredMessage {
  return {
    id: doc._id,
    room: doc.room,
    seq: doc.seq,
    // A document from before the room log is a message that never changed.
    updatedSeq: doc.updatedSeq ?? doc.seq,
    clientId: doc.clientId,
    author: doc.author,
    text: doc.text,
    ts: doc.ts,
    editedAt: doc.editedAt ?? null,
    deleted: doc.deleted ?? false,
    replyTo: doc.replyTo ? { id: doc.replyTo.id, author: doc.replyTo.author, excerpt: doc.replyTo.excerpt ?? null } : null,
    reactions: (doc.reactions ?? []).map((r) => ({ emoji: r.emoji, users: [...r.users] })),
    mentions: [...(doc.mentions ?? [])],
  };
}

/**
 * The fields a message document keeps for queries, derived from its text and mentions: written with them
 * in the same update, so they never disagree. A deleted message ('' and no mentions) keeps none, so its
 * words are gone from the store with its text.
 */
export function queryFields({ text, mentions }: { text: string; mentions: readonly string[] }): Pick<MessageDoc, 'words' | 'mentionKeys'> {
  return { words: searchTerms(text), mentionKeys: mentions.map(nameKey) };
}
