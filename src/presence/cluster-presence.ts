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
 * (The votes, the sweep and the debounce are a `VoteMap`, which room occupancy shares.)
 */
import { EventEmitter } from 'node:events';
import { nameKey } from '../identity/name-key.js';
import type { Replicator } from '../replication/replicator.js';
import { VoteMap } from '../replication/vote-map.js';
import type { Presence, PresenceChange } from './presence.js';

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
  readonly #votes: VoteMap;
  /** nameKey -> the name as the votes hold it (display case). */
  readonly #names = new Map<string, string>();

  constructor({ replicator, offlineGraceMs = OFFLINE_GRACE_MS }: ClusterPresenceOptions) {
    super();
    this.#votes = new VoteMap({
      name: MAP,
      replicator,
      graceMs: offlineGraceMs,
      announce: (name, online) => this.emit('change', { name, online } satisfies PresenceChange),
      onChange: (name) => this.#names.set(nameKey(name), name),
      onForget: (name) => this.#names.delete(nameKey(name)),
    });
  }

  isOnline(name: string): boolean {
    const key = this.#names.get(nameKey(name));
    return key !== undefined && this.#votes.isPresent(key);
  }

  onlineUsers(): string[] {
    return [...this.#votes.keys()].filter((name) => this.#votes.isPresent(name));
  }

  socketOpened(name: string): void {
    this.#votes.hold(name);
  }

  socketClosed(name: string): void {
    this.#votes.release(name);
  }

  /** Stops listening and cancels pending announcements; idempotent. */
  close(): void {
    this.#votes.close();
  }
}
