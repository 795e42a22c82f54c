/**
 * Who is in which room, across the cluster, from state every replica already holds: a Vote CRDT per
 * (room, user), replicated like presence (src/presence/cluster-presence.ts), in which each replica votes
 * yes while it holds at least one of that user's sockets in that room. Answers are local reads, so
 * `room:join` and `GET /api/rooms` never wait on another replica — not on one that just died and that
 * the broker has not dropped yet, nor on one that is frozen (a long GC pause, SIGSTOP). The price is
 * the replication lag: a join elsewhere shows here once its delta arrives (or the next anti-entropy pull).
 *
 * The votes of a replica the membership counts dead are dropped on every sweep, as presence drops them;
 * until then (up to `REPLICA_TIMEOUT_MS`) its users still count as present.
 *
 * Arrivals and departures are told to `onSettled` as presence tells its changes: an arrival at once, a
 * departure only once the user has stayed out of the room for the grace, so a reload, a reconnect or a
 * hop to another replica is neither. Every replica settles its own copy and tells its own sockets.
 */
import type { Logger } from 'pino';
import { nameKey } from '../identity/name-key.js';
import type { Metrics } from '../observability/metrics.js';
import type { Replicator } from '../replication/replicator.js';
import { VoteMap } from '../replication/vote-map.js';
import { isChatRoom, type ChatServer } from './events.js';

/** The map's name on the wire. */
const MAP = 'rooms';
/** Between the room and the user in a key: neither a room name nor a user name can hold it. */
const SEPARATOR = '/';

/** Dead replicas remembered as reported; the oldest are forgotten first. */
const REPORTED_REMEMBERED = 1000;

const keyOf = (room: string, name: string) => `${room}${SEPARATOR}${name}`;
function splitKey(key: string): [room: string, name: string] {
  const at = key.indexOf(SEPARATOR);
  return [key.slice(0, at), key.slice(at + 1)];
}

export interface RoomOccupancyOptions {
  io: ChatServer;
  replicator: Replicator;
  metrics: Metrics;
  logger: Logger;
  /** How long a user must stay out of a room before `onSettled` says they left (ms). */
  graceMs: number;
  /** A user arrived in a room (`present`), or left it and stayed away for the grace. */
  onSettled(room: string, name: string, present: boolean): void;
}

export class RoomOccupancy {
  readonly #votes: VoteMap;
  /** socket id -> room -> key, to find a leaving socket's key without its user. */
  readonly #keysOfSocket = new Map<string, Map<string, string>>();
  /** room -> nameKey -> display name, of the users some replica votes present. */
  readonly #present = new Map<string, Map<string, string>>();
  /** Dead replicas whose members were dropped and reported, oldest first. */
  readonly #reported = new Set<string>();
  readonly #unwire: () => void;

  constructor({ io, replicator, metrics, logger, graceMs, onSettled }: RoomOccupancyOptions) {
    this.#votes = new VoteMap({
      name: MAP,
      replicator,
      graceMs,
      announce: (key, present) => onSettled(...splitKey(key), present),
      onChange: (key, present) => this.#index(key, present),
      onDeadVoters: (replicas) => {
        for (const replica of replicas) {
          // A stale copy of its votes may come back from a peer that had not pruned them yet: report once.
          if (this.#reported.has(replica)) continue;
          this.#reported.add(replica);
          if (this.#reported.size > REPORTED_REMEMBERED) this.#reported.delete(this.#reported.values().next().value!);
          metrics.occupancyReplicasDropped.inc();
          logger.info({ peer: replica }, 'room occupancy: dropped the members of a replica counted dead');
        }
      },
    });
    const nsp = io.of('/');
    // The adapter's own events: every join and leave, including the leaves of a disconnecting socket.
    const joined = (room: string, id: string) => {
      const name = nsp.sockets.get(id)?.data.user?.name;
      if (isChatRoom(room) && room !== id && name) this.#socketJoined(room, name, id);
    };
    const left = (room: string, id: string) => this.#socketLeft(room, id);
    nsp.adapter.on('join-room', joined);
    nsp.adapter.on('leave-room', left);
    this.#unwire = () => {
      nsp.adapter.off('join-room', joined);
      nsp.adapter.off('leave-room', left);
    };
  }

  /** Display names of the users in `room` on any replica. */
  members(room: string): string[] {
    return [...(this.#present.get(room)?.values() ?? [])];
  }

  /** Distinct users per room, over the cluster. */
  onlineByRoom(): Map<string, number> {
    return new Map([...this.#present].map(([room, names]) => [room, names.size]));
  }

  /** Stops listening and cancels pending announcements; idempotent. */
  close(): void {
    this.#unwire();
    this.#votes.close();
  }

  /** The key under which `name`'s votes are held: votes keep the case of whoever voted first. */
  #keyFor(room: string, name: string): string {
    return keyOf(room, this.#present.get(room)?.get(nameKey(name)) ?? name);
  }

  #socketJoined(room: string, name: string, id: string): void {
    const rooms = this.#keysOfSocket.get(id) ?? new Map<string, string>();
    if (rooms.has(room)) return;
    const key = this.#keyFor(room, name);
    rooms.set(room, key);
    this.#keysOfSocket.set(id, rooms);
    this.#votes.hold(key);
  }

  #socketLeft(room: string, id: string): void {
    const rooms = this.#keysOfSocket.get(id);
    const key = rooms?.get(room);
    if (!rooms || key === undefined) return;
    rooms.delete(room);
    if (rooms.size === 0) this.#keysOfSocket.delete(id);
    this.#votes.release(key);
  }

  #index(key: string, present: boolean): void {
    const [room, name] = splitKey(key);
    const names = this.#present.get(room) ?? new Map<string, string>();
    if (present) names.set(nameKey(name), name);
    else names.delete(nameKey(name));
    if (names.size > 0) this.#present.set(room, names);
    else this.#present.delete(room);
  }
}
