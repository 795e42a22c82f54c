/**
 * Turns stored messages into the contract's `message`, resolving each author's current avatar so a
 * changed photo shows on old messages too.
 */
import type { StoredMessage, UserRecord, UserRepository } from '../store/port.js';
import { nameKey } from '../identity/name-key.js';

export interface PublicUser {
  name: string;
  avatarUrl: string | null;
}

/** What others may see of a user: never the password hash. */
export const publicUser = (user: UserRecord): PublicUser => ({ name: user.name, avatarUrl: user.avatarUrl });

export interface Message {
  id: string;
  room: string;
  seq: number;
  clientId: string;
  user: PublicUser;
  text: string;
  ts: number;
}

/** The contract's message: `stored` with its author as `user`. */
export function withAuthor(stored: StoredMessage, user: PublicUser): Message {
  return { id: stored.id, room: stored.room, seq: stored.seq, clientId: stored.clientId, user, text: stored.text, ts: stored.ts };
}

/** A page of stored messages with their authors, looked up in one query for all of them. */
export async function withAuthors(users: UserRepository, stored: readonly StoredMessage[]): Promise<Message[]> {
  const records = await users.findMany([...new Set(stored.map((m) => m.author))]);
  const byKey = new Map(records.map((u) => [u.nameKey, u]));
  return stored.map((m) => withAuthor(m, { name: m.author, avatarUrl: byKey.get(nameKey(m.author))?.avatarUrl ?? null }));
}
