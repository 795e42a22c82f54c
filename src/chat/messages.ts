/**
 * Turns stored messages into the contract's `message`, resolving each author's current avatar (the
 * message's and its quote's) so a changed photo shows on old messages too.
 */
import type { StoredMessage, StoredReaction, UserRecord, UserRepository } from '../store/port.js';
import { nameKey } from '../identity/name-key.js';

export interface PublicUser {
  name: string;
  avatarUrl: string | null;
}

/** What others may see of a user: never the password hash. */
export const publicUser = (user: UserRecord): PublicUser => ({ name: user.name, avatarUrl: user.avatarUrl });

/** A reply's quote of its original: `excerpt` is null once the original is deleted. */
export interface Quote {
  id: string;
  user: PublicUser;
  excerpt: string | null;
}

export interface Message {
  id: string;
  room: string;
  seq: number;
  /** The room seq of the message's latest change (= `seq` until it changes): the log is ordered by it. */
  updatedSeq: number;
  clientId: string;
  user: PublicUser;
  text: string;
  ts: number;
  editedAt: number | null;
  deleted: boolean;
  replyTo: Quote | null;
  reactions: StoredReaction[];
  /** The users the text mentions, by name. */
  mentions: string[];
}

/** Whether `message` is announced as a post (`message`) rather than a change (`message:changed`): its state is the one it was posted in. */
export const isPost = (message: Message): boolean => message.updatedSeq === message.seq;

/** Users as messages and room lists show them, by name key: what `attachAuthors` reads. */
export type UsersByKey = ReadonlyMap<string, PublicUser>;

/** The users `names`, as messages and room lists show them, in one query. A name nobody has shows with no avatar. */
export async function lookUpUsers(users: UserRepository, names: readonly string[]): Promise<UsersByKey> {
  const records = await users.findMany([...new Set(names)]);
  const found = new Map(records.map((u) => [u.nameKey, u.avatarUrl]));
  return new Map(names.map((name) => [nameKey(name), { name, avatarUrl: found.get(nameKey(name)) ?? null }]));
}

/** The names whose photos `stored` shows: its authors and those of the messages they quote. */
export const authorNames = (stored: readonly StoredMessage[]): string[] => stored.flatMap((m) => (m.replyTo ? [m.author, m.replyTo.author] : [m.author]));

/** `stored` with its authors from `authors`, or undefined when one of them is not there. */
export function attachAuthors(authors: UsersByKey, stored: readonly StoredMessage[]): Message[] | undefined {
  if (!authorNames(stored).every((name) => authors.has(nameKey(name)))) return undefined;
  const user = (name: string): PublicUser => ({ name, avatarUrl: authors.get(nameKey(name))!.avatarUrl });
  return stored.map(({ author, replyTo, ...m }) => ({
    ...m,
    user: user(author),
    replyTo: replyTo && { id: replyTo.id, user: user(replyTo.author), excerpt: replyTo.excerpt },
  }));
}

/** A page of stored messages with their authors, looked up in one query for all of them. */
export async function withAuthors(users: UserRepository, stored: readonly StoredMessage[]): Promise<Message[]> {
  return attachAuthors(await lookUpUsers(users, authorNames(stored)), stored)!;
}
