/**
 * A replicated map of Vote CRDTs, one per key, in which this replica votes yes for a key while it
 * holds it (`hold` / `release`, counted), as Cloudstate's chat sample kept presence: a key is present
 * while any replica votes yes. Presence (a key per user) and room occupancy (a key per room and user)
 * are both one, and this is what each needs:
 *
 * - a replica that finds its own yes pruned while it still holds the key (a peer presumed it dead)
 *   votes again;
 * - on every tick, the votes of replicas the membership no longer counts alive are dropped, so what
 *   only they held becomes absent everywhere; keys left with nothing but tombstones are forgotten
 *   (were a stale copy to come back, its votes would be pruned again, since their replicas stay dead);
 * - present and absent are settled through a `GracefulAnnouncer`: present at once, absent only after
 *   the grace.
 */
import { Vote } from '../crdt/index.js';
import { voteType } from './crdt-types.js';
import { GracefulAnnouncer } from './graceful-announcer.js';
import { ReplicatedMap, type MapChange } from './replicated-map.js';
import type { Replicator } from './replicator.js';

export interface VoteMapOptions {
  /** The map's name on the wire. */
  name: string;
  replicator: Replicator;
  /** How long a key must stay absent before `announce` says so (ms). */
  graceMs: number;
  /** A key became present, or has stayed absent for the grace. */
  announce(key: string, present: boolean): void;
  /** Every change to a key's state (any source), before it is settled. */
  onChange?(key: string, present: boolean): void;
  /** A key was forgotten (absent, only tombstones left, not held here). */
  onForget?(key: string): void;
  /** The replicas a sweep found dead while they still voted yes for some key. */
  onDeadVoters?(replicas: ReadonlySet<string>): void;
}

export class VoteMap {
  readonly #options: VoteMapOptions;
  readonly #replicator: Replicator;
  readonly #votes: ReplicatedMap<Vote.State>;
  /** key -> how many times this replica holds it. */
  readonly #held = new Map<string, number>();
  readonly #announcer: GracefulAnnouncer;
  readonly #onTick = () => this.#pruneDeadVoters();

  constructor(options: VoteMapOptions) {
    this.#options = options;
    this.#replicator = options.replicator;
    this.#announcer = new GracefulAnnouncer({ graceMs: options.graceMs, isPresent: (key) => this.isPresent(key), announce: options.announce });
    this.#votes = new ReplicatedMap(voteType, (change) => this.#changed(change));
    this.#replicator.register(options.name, this.#votes);
    this.#replicator.on('tick', this.#onTick);
  }

  isPresent(key: string): boolean {
    return Vote.atLeastOne(this.#votes.get(key));
  }

  /** Every key with a state here, present or not. */
  keys(): IterableIterator<string> {
    return this.#votes.keys();
  }

  /** This replica holds `key` once more: it votes yes from the first hold. */
  hold(key: string): void {
    const count = (this.#held.get(key) ?? 0) + 1;
    this.#held.set(key, count);
    if (count === 1) this.#vote(key, true);
  }

  /** This replica holds `key` once less: it votes no when it holds it no more. */
  release(key: string): void {
    const count = (this.#held.get(key) ?? 0) - 1;
    if (count > 0) {
      this.#held.set(key, count);
      return;
    }
    this.#held.delete(key);
    this.#vote(key, false);
  }

  /** Stops sweeping and cancels pending announcements; idempotent. */
  close(): void {
    this.#replicator.off('tick', this.#onTick);
    this.#announcer.close();
  }

  #vote(key: string, yes: boolean): void {
    const delta = Vote.set(this.#votes.get(key), this.#replicator.self, yes);
    if (!delta) return;
    this.#votes.merge(key, delta, 'local');
    this.#replicator.publish(this.#options.name, key, delta);
  }

  #changed({ key, after }: MapChange<Vote.State>): void {
    if (this.#held.has(key) && !Vote.selfVote(after, this.#replicator.self)) this.#vote(key, true);
    this.#options.onChange?.(key, this.isPresent(key));
    this.#announcer.settle(key);
  }

  #pruneDeadVoters(): void {
    const now = Date.now();
    const alive = (id: string) => this.#replicator.membership.alive(id, now);
    /** Dead replicas that still voted yes somewhere. */
    const dead = new Set<string>();
    // Runs every second over every key: it allocates only for the rare state that names a dead voter.
    // (A Map may be updated and have its current key deleted while it is iterated.)
    for (const key of this.#votes.keys()) {
      const state = this.#votes.get(key);
      let allAlive = true;
      for (const [id, { vote }] of state.votes) {
        if (alive(id)) continue;
        allAlive = false;
        if (vote) dead.add(id);
      }
      if (!allAlive) this.#votes.merge(key, Vote.pruneVoters(state, [...state.votes.keys()].filter(alive))!, 'local');
      if (this.#votes.get(key).votes.size === 0 && !this.#held.has(key) && !this.#announcer.pending(key)) {
        this.#votes.delete(key);
        this.#options.onForget?.(key);
      }
    }
    if (dead.size > 0) this.#options.onDeadVoters?.(dead);
  }
}
