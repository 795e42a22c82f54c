/**
 * The store port: everything Chorus keeps durably. Two drivers implement it —
 * `embedded` (SQLite on local disk, one replica) and `mongo` (mongoose, shared by replicas) —
 * and both run the same contract suite (`test/contract/store-suite.ts`).
 */
import type { Store as SessionStore } from 'express-session';

/** A user as stored. `nameKey` (`src/identity/name-key.ts`) is the key that makes names unique case-insensitively. */
export interface UserRecord {
  /** The name as first typed; display keeps this case. */
  name: string;
  nameKey: string;
  /** scrypt hash (see `src/identity/passwords.ts`), or null for a guest name. */
  passwordHash: string | null;
  avatarUrl: string | null;
  createdAt: number;
  /** Banned by an admin: cannot sign in, and its sessions are refused (see `src/moderation`). */
  banned: boolean;
}

/** A message as stored: the author is a name, so a later avatar change shows on old messages too. */
export interface StoredMessage {
  id: string;
  room: string;
  /** Its place in the room, taken when it was posted; never changes. */
  seq: number;
  /**
   * The room seq of its latest change: `seq` until it is edited, deleted, reacted to or re-quoted. Every
   * change takes the room's next seq, so a room's log is ordered by this field (see `src/store/room-log.ts`).
   */
  updatedSeq: number;
  clientId: string;
  author: string;
  /** '' once deleted. */
  text: string;
  ts: number;
  /** When the text was last edited (ms), or null. */
  editedAt: number | null;
  /** A tombstone: text, quote and reactions are gone from the store, id, seq, author and ts stay. */
  deleted: boolean;
  replyTo: StoredQuote | null;
  /** In first-reaction order; each emoji's users in the order they reacted. */
  reactions: StoredReaction[];
  /**
   * The users its text mentions (`src/chat/mentions.ts`), as their names are stored, in order of first
   * mention: found by the caller when posting and editing, [] once deleted.
   */
  mentions: string[];
}

/** What a reply quotes of its original, kept in step with the original's edits and deletion. */
export interface StoredQuote {
  id: string;
  author: string;
  /** The start of the original's text (`replyExcerpt`), or null once the original is deleted. */
  excerpt: string | null;
}

export interface StoredReaction {
  emoji: string;
  users: string[];
}

export interface NewMessage {
  room: string;
  clientId: string;
  author: string;
  text: string;
  ts: number;
  /** The id of a message of the same room this one answers. */
  replyTo?: string;
  /** The users it mentions (names as stored); none when absent. */
  mentions?: string[];
}

/**
 * Called once with a write's result when it is committed: every reader of the store (any replica's
 * history, gap fill or recovery) sees it from then on, though it may not be durable yet — the embedded
 * store commits first and syncs its WAL after, so a power cut or an OS crash in between can still lose
 * it; the write's promise resolves only once it is durable. A callback that throws fails that write's
 * promise (its caller retries; the write is idempotent), not the others'.
 */
export type OnCommitted<T> = (result: T) => void;

export interface AppendResult {
  /** The message as posted, at its seq. */
  message: StoredMessage;
  /** false when `(room, author, clientId)` was already stored: `message` is then the first copy, as it is now. */
  created: boolean;
  /**
   * The new message once more, re-quoted with a later seq, when its original changed while it was being
   * stored (a driver that quotes and stores in one transaction never needs to); empty otherwise. The post
   * and this change are both entries of the log, to be delivered each in turn.
   */
  requoted: StoredMessage[];
}

/** A change to a stored message, made by `MessageRepository.change`. Who may make it is the caller's rule. */
export type MessageChange =
  /** `mentions`: the users the new text mentions (none when absent). */
  | { kind: 'edit'; text: string; at: number; mentions?: string[] }
  | { kind: 'delete' }
  | { kind: 'react'; emoji: string; user: string; on: boolean };

export interface ChangeResult {
  /** The message after the change, or as it is when the change changed nothing. */
  message: StoredMessage;
  /** false when the change was already made (same text, reaction already there or gone, already deleted): no seq was taken. */
  changed: boolean;
  /** Replies whose quote of this message changed with it, each a change with a seq of its own. */
  requoted: StoredMessage[];
}

/**
 * Who may read a room: anyone signed in (`public`), its members (`private`, made by `room:create`), or
 * exactly its two members (`dm`, made by `dm:open`; its name is `dmRoomName` of the two). A room's kind
 * never changes.
 */
export type RoomKind = 'public' | 'private' | 'dm';

export interface RoomRecord {
  name: string;
  lastSeq: number;
  kind: RoomKind;
  /** A private room's owner (its creator, as the name is stored); null for public rooms and DMs. */
  owner: string | null;
}

/** A room with its members, as `RoomRepository.listFor` gives it: `members` is [] for a public room. */
export interface MemberRoomRecord extends RoomRecord {
  members: string[];
}

/** How much of a room a user has not read: posts after their read position by others, and those mentioning them; deleted ones never count. */
export interface UnreadCounts {
  unread: number;
  mentions: number;
}

/** A search over messages (`MessageRepository.search`). */
export interface SearchQuery {
  /** Normalized word prefixes (`searchTerms`), 1 or more: a message matches when every one starts a word of its text. */
  terms: string[];
  /** The rooms to search: the caller has already narrowed them to those the user may read. */
  rooms: string[];
  /** A message id: only messages older than it (by ts, then id), to page on. One not in `rooms` (or trimmed) finds nothing. */
  before?: string;
  limit: number;
}

export interface SearchPage {
  /** Newest first (by ts, then id). Never a deleted message; an edited one by its current text. */
  messages: StoredMessage[];
  hasMore: boolean;
}

export interface MessagePage {
  /** Ascending by seq (`before`) or by updatedSeq (`since`). */
  messages: StoredMessage[];
  /** True when older (for `before`) or later-changed (for `since`) messages exist beyond the page. */
  hasMore: boolean;
  /**
   * The room's last seq, read before the page: a reader holding the whole page (for `since`, one without
   * `hasMore`) has every change up to it, bar changes still in flight on another replica, which arrive live.
   */
  lastSeq: number;
}

export interface UserRepository {
  /** Case-insensitive lookup. */
  find(name: string): Promise<UserRecord | null>;
  /** Several users at once (case-insensitive); unknown names are left out. */
  findMany(names: readonly string[]): Promise<UserRecord[]>;
  /**
   * Returns the user called `name`, creating it as a guest if the name is free.
   * Concurrent claims of one name on any replica yield one user (the first case typed wins).
   */
  claim(name: string): Promise<UserRecord>;
  setPasswordHash(name: string, passwordHash: string): Promise<void>;
  /** Sets the avatar and returns the previous one, so the caller can delete its file. */
  setAvatar(name: string, avatarUrl: string): Promise<string | null>;
  /** Bans or unbans `name`; false when it already was so (or there is no such user). */
  setBanned(name: string, banned: boolean): Promise<boolean>;
}

export interface MessageRepository {
  /**
   * Stores a message with the room's next seq, durably, before resolving.
   * Idempotent by `(room, author, clientId)`: a repeat returns the first message and stores nothing; the
   * same clientId from another author is another message.
   * A `replyTo` is quoted from the original as it is then (no quote when it is not in the room).
   * Creates the room if needed. Trims the room to `historyMax` messages (0 = unlimited), oldest first.
   * `onCommitted` (see `OnCommitted`) hears the result as soon as the write is visible.
   */
  append(message: NewMessage, onCommitted?: OnCommitted<AppendResult>): Promise<AppendResult>;
  /** A message of `room` by id, or null (no such id, another room's, or trimmed). */
  find(room: string, id: string): Promise<StoredMessage | null>;
  /**
   * Applies `change` to a message of `room` with the room's next seq as its `updatedSeq`, durably, before
   * resolving; null when there is no such message. A deleted message takes no other change (delete wins).
   * Concurrent changes to one message, on any replica, all land, each on the state the previous one left.
   * `onCommitted` hears a found message's result as soon as the write is visible.
   */
  change(room: string, id: string, change: MessageChange, onCommitted?: OnCommitted<ChangeResult>): Promise<ChangeResult | null>;
  /** The newest `limit` messages with seq < `before` (or the newest overall when `before` is undefined). */
  before(room: string, before: number | undefined, limit: number): Promise<MessagePage>;
  /** The `limit` messages with the lowest updatedSeq > `sinceSeq`, in their current state: what a client at `sinceSeq` missed. */
  since(room: string, sinceSeq: number, limit: number): Promise<MessagePage>;
  /**
   * For each `{ room, after }`: the messages with seq > `after` not by `user` and not deleted, and how
   * many of them mention `user` (case-insensitively). Rooms with no such messages count 0.
   */
  unread(user: string, positions: readonly { room: string; after: number }[]): Promise<Map<string, UnreadCounts>>;
  /** Messages of `query.rooms` whose current text holds every term as a word prefix. Kept in step with edits, deletes and trimming. */
  search(query: SearchQuery): Promise<SearchPage>;
}

export interface RoomRepository {
  /** Creates the public room if no room has the name; idempotent and safe under concurrency. Returns the room, whatever its kind. */
  ensure(name: string): Promise<RoomRecord>;
  /**
   * Creates the private room `name` owned by `owner` (its first member), or returns null when a room of
   * that name exists and is not `owner`'s private room (a retry by the owner returns the room). Safe
   * under concurrency: one creator wins.
   */
  createPrivate(name: string, owner: string): Promise<RoomRecord | null>;
  /** The DM room `name` of exactly `members` (two names), created on first open; concurrent opens on any replica make one room. */
  openDm(name: string, members: readonly [string, string]): Promise<RoomRecord>;
  find(name: string): Promise<RoomRecord | null>;
  /** Every public room, and every private room and DM `user` is a member of (case-insensitively), with its members. */
  listFor(user: string): Promise<MemberRoomRecord[]>;
  /** The members of a private room or DM, as their names are stored, in the order they joined ([] for a public room). */
  members(room: string): Promise<string[]>;
  /** Whether `user` (case-insensitively) is a member of the private room or DM `room`. */
  isMember(room: string, user: string): Promise<boolean>;
  /** Adds `user` to the private room `room`; false when already a member. */
  addMember(room: string, user: string): Promise<boolean>;
  /** Removes `user` from the private room `room`; false when not a member. */
  removeMember(room: string, user: string): Promise<boolean>;
}

/** Where each user has read up to in each room, so unread counts follow them from device to device. */
export interface ReadRepository {
  /** Moves `user`'s read position in `room` to `seq` unless it is already further; resolves with the position now. */
  advance(user: string, room: string, seq: number): Promise<number>;
  /** Every room `user` has a read position in, with it. */
  positions(user: string): Promise<Map<string, number>>;
}

/** A saved friends list: its owner's name and the replicas' CRDT state in compact form, opaque to the store. */
export interface FriendsRecord {
  owner: string;
  state: unknown;
}

/**
 * Friends lists, so they survive a restart of every replica. The replicas keep them as CRDTs (see
 * `src/friends`); the store keeps the join of every change saved.
 */
export interface FriendsRepository {
  /** Every saved list, to seed a starting replica. */
  all(): Promise<FriendsRecord[]>;
  /**
   * Saves `merge(saved)` as `owner`'s list, `saved` being the state saved now (null when none). Atomic per
   * owner across replicas: when another update lands in between, the driver calls `merge` again on the
   * newer state, so concurrent updates all survive. `merge` must be pure; its result must be JSON.
   */
  update(owner: string, merge: (saved: unknown) => unknown): Promise<void>;
}

export interface Store {
  readonly kind: 'embedded' | 'mongo';
  readonly users: UserRepository;
  readonly messages: MessageRepository;
  readonly rooms: RoomRepository;
  readonly friends: FriendsRepository;
  readonly reads: ReadRepository;
  /** The express-session store backed by this store, so any replica accepts any session. */
  readonly sessions: SessionStore;
  /**
   * The store's history epoch (`history-epoch.ts`): read, or made, when the store opens, and the same
   * for every replica of one database. It changes only when a backup is restored, which needs the
   * replicas stopped, so it is constant for the life of an open store.
   */
  readonly historyEpoch: string;
  /** Resolves when the store answers; rejects with the reason otherwise (used by `/readyz`). */
  ping(): Promise<void>;
  /** Idempotent. */
  close(): Promise<void>;
}

/** Raised by drivers when the backing database cannot serve a request; mapped to `store_unavailable`. */
export class StoreUnavailableError extends Error {
  override readonly name = 'StoreUnavailableError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}
