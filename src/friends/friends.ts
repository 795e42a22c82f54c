/**
 * Friends lists, as Cloudstate's chat sample kept them: an ORSet per user (add-wins, so a friend added
 * on one replica while removed on another stays), replicated through the broker. Chorus also saves
 * every change to the store before acknowledging it, so a restart of every replica keeps the lists: a
 * starting replica loads them and merges what its peers send.
 *
 * A change is saved by the replica that made it (read, merge, write, atomically per owner), so the saved
 * state is the join of every saved change whatever the interleaving. A replica that dies after saving a
 * change but before sending it leaves the others without it; they reload the lists from the store
 * whenever a peer dies.
 */
import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import { ORSet } from '../crdt/index.js';
import { orsetType } from '../replication/crdt-types.js';
import { ReplicatedMap, type MapChange } from '../replication/replicated-map.js';
import type { Replicator } from '../replication/replicator.js';
import type { FriendsRepository } from '../store/port.js';

export interface FriendsEvents {
  /** `owner`'s list changed through another replica or the store (not through this replica's own `add`/`remove`). */
  change: [owner: string];
}

export interface FriendsOptions {
  replicator: Replicator;
  repository: FriendsRepository;
  logger: Logger;
}

/** The map's name on the wire. */
const MAP = 'friends';

export class Friends extends EventEmitter<FriendsEvents> {
  readonly #replicator: Replicator;
  readonly #repository: FriendsRepository;
  readonly #logger: Logger;
  readonly #lists: ReplicatedMap<ORSet.State>;
  /** name -> the owners whose lists hold it: who hears when that user comes online or goes offline. */
  readonly #followers = new Map<string, Set<string>>();
  readonly #onPeerDown = () => {
    this.#loadSaved().catch((err: unknown) => this.#logger.warn({ err }, 'could not reload friends lists from the store'));
  };

  private constructor({ replicator, repository, logger }: FriendsOptions) {
    super();
    this.#replicator = replicator;
    this.#repository = repository;
    this.#logger = logger;
    this.#lists = new ReplicatedMap(orsetType, (change) => this.#changed(change));
    replicator.register(MAP, this.#lists);
    replicator.on('peer-down', this.#onPeerDown);
  }

  /** Builds the service and loads every saved list; rejects if the store cannot be read. */
  static async load(options: FriendsOptions): Promise<Friends> {
    const friends = new Friends(options);
    await friends.#loadSaved();
    return friends;
  }

  /** `owner`'s friends, sorted. */
  list(owner: string): string[] {
    return ORSet.values(this.#lists.get(owner));
  }

  /** The owners who have `name` as a friend. */
  followersOf(name: string): string[] {
    return [...(this.#followers.get(name) ?? [])];
  }

  /** Adds `friend` to `owner`'s list, durably; resolves false when it was there already. */
  add(owner: string, friend: string): Promise<boolean> {
    return this.#apply(owner, ORSet.add(this.#lists.get(owner), this.#replicator.self, friend));
  }

  /** Removes `friend` from `owner`'s list, durably; resolves false when it was not there. */
  remove(owner: string, friend: string): Promise<boolean> {
    const list = this.#lists.get(owner);
    return this.#apply(owner, ORSet.has(list, friend) ? ORSet.remove(list, this.#replicator.self, friend) : null);
  }

  close(): void {
    this.#replicator.off('peer-down', this.#onPeerDown);
  }

  /** Saves, then merges and sends, a delta; a change the store did not take is not made at all. */
  async #apply(owner: string, delta: ORSet.State | null): Promise<boolean> {
    if (!delta) return false;
    await this.#repository.update(owner, (saved) => orsetType.encode(orsetType.merge(saved === null ? orsetType.initial : orsetType.decode(saved), delta)));
    this.#lists.merge(owner, delta, 'local');
    this.#replicator.publish(MAP, owner, delta);
    return true;
  }

  async #loadSaved(): Promise<void> {
    for (const { owner, state } of await this.#repository.all()) {
      try {
        this.#lists.merge(owner, orsetType.decode(state), 'load');
      } catch (err) {
        // One damaged record must not keep the replica from starting; the owner's peers still hold the list.
        this.#logger.error({ err, owner }, 'skipped a saved friends list that does not decode');
      }
    }
  }

  #changed({ key: owner, before, after, source }: MapChange<ORSet.State>): void {
    const was = new Set(ORSet.values(before));
    const is = new Set(ORSet.values(after));
    for (const name of was) {
      const followers = this.#followers.get(name);
      if (is.has(name) || !followers) continue;
      followers.delete(owner);
      if (followers.size === 0) this.#followers.delete(name);
    }
    for (const name of is) {
      if (was.has(name)) continue;
      const followers = this.#followers.get(name) ?? new Set();
      followers.add(owner);
      this.#followers.set(name, followers);
    }
    if (source !== 'local') this.emit('change', owner);
  }
}
