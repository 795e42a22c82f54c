/**
 * Who is online in the whole cluster, as Cloudstate's chat sample kept it: a Vote CRDT per user, in
 * which each replica votes yes while it holds at least one of that user's sockets. A user is online
 * while any replica votes yes (`atLeastOne`).
 *
 * Replicas that die stop counting: every sweep prunes the votes of replicas the membership no longer
 * counts alive, so users whose only sockets were there go offline everywhere. A replica that finds its
 * own vote pruned while it still holds sockets (a peer presumed it dead) votes again.
 *
 * `change` events are debounced on the way down: a user who goes offline is announced offline only
 * after `offlineGraceMs` without a yes vote, so hopping between tabs or replicas (the old socket closes
 * before the new one opens) produces no offline/online flap. Coming online is announced at once.
 */
import { EventEmitter } from 'node:events';
import { Vote } from '../crdt/index.js';
import { voteType } from '../replication/crdt-types.js';
import { GracefulAnnouncer } from '../replication/graceful-announcer.js';
import { ReplicatedMap, type MapChange } from '../replication/replicated-map.js';
import type { Replicator } from '../replication/replicator.js';
import type { Presence, PresenceChange } from './presence.js';
import { nameKey } from '../identity/name-key.js';

export interface ClusterPresenceOptions {
  replicator: Replicator;
  /**
   * How long a user must stay without a yes vote before `change` says offline (ms).
   * @default 2000
   */
  offlineGraceMs?: number;
}

/** The default `offlineGraceMs`; room departures wait as long (`src/realtime/occupancy.ts`). */
export const OFFLINE_GRACE_MS = 2000;

/** The map's name on the wire. */
const MAP = 'presence';

export class ClusterPresence extends EventEmitter implements Presence {
  readonly #replicator: Replicator;
  readonly #votes: ReplicatedMap<Vote.State>;
  /** nameKey -> the name as the votes hold it (display case). */
  readonly #names = new Map<string, string>();
  /** Sockets per user on this replica. */
  readonly #localSockets = new Map<string, number>();
  readonly #announcer: GracefulAnnouncer;
  readonly #onTick = () => this.#pruneDeadVoters();

  constructor({ replicator, offlineGraceMs = OFFLINE_GRACE_MS }: ClusterPresenceOptions) {
    super();
    this.#replicator = replicator;
    this.#announcer = new GracefulAnnouncer({
      graceMs: offlineGraceMs,
      isPresent: (name) => Vote.atLeastOne(this.#votes.get(name)),
      announce: (name, online) => this.emit('change', { name, online } satisfies PresenceChange),
    });
    this.#votes = new ReplicatedMap(voteType, (change) => this.#changed(change));
    replicator.register(MAP, this.#votes);
    replicator.on('tick', this.#onTick);
  }

  isOnline(name: string): boolean {
    const key = this.#names.get(nameKey(name));
    return key !== undefined && Vote.atLeastOne(this.#votes.get(key));
  }

  onlineUsers(): string[] {
    return [...this.#votes.keys()].filter((name) => Vote.atLeastOne(this.#votes.get(name)));
  }

  socketOpened(name: string): void {
    const count = (this.#localSockets.get(name) ?? 0) + 1;
    this.#localSockets.set(name, count);
    if (count === 1) this.#vote(name, true);
  }

  socketClosed(name: string): void {
    const count = (this.#localSockets.get(name) ?? 0) - 1;
    if (count > 0) {
      this.#localSockets.set(name, count);
      return;
    }
    this.#localSockets.delete(name);
    this.#vote(name, false);
  }

  /** Stops listening and cancels pending announcements; idempotent. */
  close(): void {
    this.#replicator.off('tick', this.#onTick);
    this.#announcer.close();
  }

  #vote(name: string, yes: boolean): void {
    const delta = Vote.set(this.#votes.get(name), this.#replicator.self, yes);
    if (!delta) return;
    this.#votes.merge(name, delta, 'local');
    this.#replicator.publish(MAP, name, delta);
  }

  #changed({ key: name, after }: MapChange<Vote.State>): void {
    this.#names.set(nameKey(name), name);
    if (this.#localSockets.has(name) && !Vote.selfVote(after, this.#replicator.self)) this.#vote(name, true);
    // Online is announced at once, offline once the grace has passed with no yes vote.
    this.#announcer.settle(name);
  }

  /**
   * Drops the votes of replicas no longer alive, and forgets users nobody votes on any more (only
   * tombstones left): were a stale copy of such a state to come back, its votes would be pruned again,
   * since their replicas stay dead.
   */
  #pruneDeadVoters(): void {
    const now = Date.now();
    const alive = (id: string) => this.#replicator.membership.alive(id, now);
    // Runs every second over every user: it allocates only for the rare state that names a dead voter.
    // (A Map may be updated and have its current key deleted while it is iterated.)
    for (const name of this.#votes.keys()) {
      const state = this.#votes.get(name);
      let allAlive = true;
      for (const id of state.votes.keys()) if (!alive(id)) allAlive = false;
      if (!allAlive) this.#votes.merge(name, Vote.pruneVoters(state, [...state.votes.keys()].filter(alive))!, 'local');
      if (this.#votes.get(name).votes.size === 0 && !this.#localSockets.has(name) && !this.#announcer.pending(name)) {
        this.#votes.delete(name);
        this.#names.delete(nameKey(name));
      }
    }
  }
}
