/** The embedded store's rows and their conversion to and from the port's records. */
import type { StoredMessage, StoredReaction, UserRecord } from '../port.js';

export interface UserRow {
  name_key: string;
  name: string;
  password_hash: string | null;
  avatar_url: string | null;
  created_at: number;
  /** 0 or 1. */
  banned: number;
}

export interface MessageRow {
  id: string;
  room: string;
  seq: number;
  updated_seq: number;
  client_id: string;
  author: string;
  text: string;
  ts: number;
  edited_at: number | null;
  /** 0 or 1. */
  deleted: number;
  reply_to_id: string | null;
  reply_to_author: string | null;
  reply_excerpt: string | null;
  /** JSON of `StoredReaction[]`. */
  reactions: string;
  /** JSON of the mentioned names. */
  mentions: string;
}

export function toUser(row: UserRow | undefined): UserRecord | null {
  if (!row) return null;
  return {
    name: row.name,
    nameKey: row.name_key,
    passwordHash: row.password_hash,
    avatarUrl: row.avatar_url,
    createdAt: row.created_at,
    banned: row.banned === 1,
  };
}

export function storedMessageFromRow(row: MessageRow): StoredMessage {
  return {
    id: row.id,
    room: row.room,
    seq: row.seq,
    updatedSeq: row.updated_seq,
    clientId: row.client_id,
    author: row.author,
    text: row.text,
    ts: row.ts,
    editedAt: row.edited_at,
    deleted: row.deleted === 1,
    replyTo:
      row.reply_to_id === null || row.reply_to_author === null
        ? null
        : { id: row.reply_to_id, author: row.reply_to_author, excerpt: row.reply_excerpt },
    reactions: JSON.parse(row.reactions) as StoredReaction[],
    mentions: JSON.parse(row.mentions) as string[],
  };
}

export function rowFromStoredMessage(message: StoredMessage): MessageRow {
  return {
    id: message.id,
    room: message.room,
    seq: message.seq,
    updated_seq: message.updatedSeq,
    client_id: message.clientId,
    author: message.author,
    text: message.text,
    ts: message.ts,
    edited_at: message.editedAt,
    deleted: message.deleted ? 1 : 0,
    reply_to_id: message.replyTo?.id ?? null,
    reply_to_author: message.replyTo?.author ?? null,
    reply_excerpt: message.replyTo?.excerpt ?? null,
    reactions: JSON.stringify(message.reactions),
    mentions: JSON.stringify(message.mentions),
  };
}
