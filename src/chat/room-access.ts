/**
 * Who may read a room, the one rule every route asks (joins, history, sends, changes, reads, search): anyone signed in may read a public room; only members a private room or a DM. A `dm-` name
 * nobody opened is refused like a DM one is not in, so refusals never tell whether a pair talks.
 */
import { sameName } from '../identity/name-key.js';
import { isDmRoomName } from './dm.js';
import { AppError } from './errors.js';
import type { RoomKind, RoomRecord, Store } from '../store/port.js';

const FORBIDDEN = 'This conversation is private.';

/** Who may read a room: null for a public one (everyone signed in), else a private room's or DM's members. */
export type Readers = readonly string[] | null;

export class RoomAccess {
  /** A room's kind never changes: once seen, a public room needs no store read to be allowed. */
  readonly #kinds = new Map<string, RoomKind>();
  readonly #store: Store;

  constructor(store: Store) {
    this.#store = store;
  }

  /**
   * The room `user` may read, or `forbidden` (a private room or DM they are not in) or `not_found`. With
   * `create`, a public room that does not exist yet is made (a join does that; history does not).
   */
  async readable(room: string, user: string, { create = false } = {}): Promise<RoomRecord> {
    return (await this.#resolve(room, user, create)).record;
  }

  /**
   * Throws as `readable` does, else who may read the room, for what a post tells them: one store read
   * of the members answers both. A room already known to be public costs nothing.
   */
  async readers(room: string, user: string): Promise<Readers> {
    return this.#kinds.get(room) === 'public' ? null : (await this.#resolve(room, user, false)).readers;
  }

  async #resolve(room: string, user: string, create: boolean): Promise<{ record: RoomRecord; readers: Readers }> {
    const dm = isDmRoomName(room);
    const record = dm ? await this.#store.rooms.find(room) : create ? await this.#store.rooms.ensure(room) : await this.#store.rooms.find(room);
    if (!record) throw dm ? new AppError('forbidden', FORBIDDEN) : new AppError('not_found', `No room "${room}".`);
    this.#kinds.set(room, record.kind);
    if (record.kind === 'public') return { record, readers: null };
    const members = await this.#store.rooms.members(room);
    if (!members.some((m) => sameName(m, user))) throw new AppError('forbidden', FORBIDDEN);
    return { record, readers: members };
  }
}
