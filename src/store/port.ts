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
}

/** A message as stored: the author is a name, so a later avatar change shows on old messages too. */
export interface StoredMessage {
  id: string;
  room: string;
  seq: number;
  clientId: string;
  author: string;
  text: string;
  ts: number;
}

export interface NewMessage {
  room: string;
  clientId: string;
  author: string;
  text: string;
  ts: number;
}

export interface AppendResult {
  message: StoredMessage;
  /** false when `(room, author, clientId)` was already stored: `message` is then the first copy. */
  created: boolean;
}

export interface RoomRecord {
  name: string;
  lastSeq: number;
}

export interface MessagePage {
  /** Ascending by seq. */
  messages: StoredMessage[];
  /** True when older (for `before`/`latest`) or newer (for `since`) messages exist beyond the page. */
  hasMore: boolean;
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
}

export interface MessageRepository {
  /**
   * Stores a message with the room's next seq, durably, before resolving.
   * Idempotent by `(room, author, clientId)`: a repeat returns the first message and stores nothing; the
   * same clientId from another author is another message.
   * Creates the room if needed. Trims the room to `historyMax` messages (0 = unlimited), oldest first.
   */
  append(message: NewMessage): Promise<AppendResult>;
  /** The newest `limit` messages with seq < `before` (or the newest overall when `before` is undefined). */
  before(room: string, before: number | undefined, limit: number): Promise<MessagePage>;
  /** The oldest `limit` messages with seq > `sinceSeq`. */
  since(room: string, sinceSeq: number, limit: number): Promise<MessagePage>;
}

export interface RoomRepository {
  /** Creates the room if it does not exist; idempotent and safe under concurrency. */
  ensure(name: string): Promise<RoomRecord>;
  find(name: string): Promise<RoomRecord | null>;
  list(): Promise<RoomRecord[]>;
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
  /** The express-session store backed by this store, so any replica accepts any session. */
  readonly sessions: SessionStore;
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
