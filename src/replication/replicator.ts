/**
 * Replicates CRDT maps between replicas over a `PeerLink` (the broker), Cloudstate-style, with no
 * database in the loop:
 *
 * - a change made here goes out at once as a delta, which every other replica merges;
 * - every `heartbeatMs` each replica sends a beat holding a digest per map; a replica whose digest
 *   differs from a peer's pulls from it the buckets that differ (anti-entropy), so deltas lost by the
 *   at-most-once broker, or sent before this replica started, still arrive;
 * - a replica not heard from within `timeoutMs` (or one that said goodbye) is dead: `peer-down` fires
 *   and owners of the maps drop what only it vouched for (presence votes).
 *
 * Merges are idempotent and commutative, so duplicates, reordering and crossing pulls are all harmless.
 */
import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import { Membership } from './membership.js';
import { PUSH_CHUNK, ROOMS_PER_BEAT, replicationMessage, type ReplicationMessage } from './messages.js';
import type { PeerLink } from './peer-link.js';
import type { ReplicatedMap } from './replicated-map.js';

export interface ReplicatorOptions {
  link: PeerLink;
  /** How long a silent replica counts as alive (ms). */
  timeoutMs: number;
  /**
   * How often this replica sends a beat (ms); a third of the timeout, so two lost beats are not a death.
   * @default timeoutMs / 3
   */
  heartbeatMs?: number;
  logger: Logger;
  /** Hears how long deltas took from their sender to here (ms), for the replication-lag metric. */
  onDeltaLag?: (lagMs: number) => void;
}

/** A room's name and the last seq it reached. */
export type RoomSeq = [room: string, seq: number];

/**
 * What beats carry besides digests: the last seq of the rooms most recently active here, so a replica
 * that missed a message (the broker is at most once) finds the gap without waiting for the next one.
 */
export interface RoomSeqs {
  /** The rooms to tell peers about, most recently active first. */
  latest(): RoomSeq[];
  heard(seqs: readonly RoomSeq[]): void;
}

export interface ReplicatorEvents {
  /** A peer died (timed out or said goodbye). */
  'peer-down': [id: string];
  /** Fires every sweep (at most every second), after dead peers were dropped. */
  tick: [];
}

/** Checks for dead replicas at least this often (ms), so a death is noticed soon after the timeout. */
const SWEEP_MS = 1000;
/**
 * When a starting replica says hello (ms after `start`). More than once, because its first hello may go
 * out before the broker delivers to it (a RabbitMQ queue still being bound): the replies would be lost.
 */
const HELLO_AT_MS = [0, 250, 1000, 3000];

export class Replicator extends EventEmitter<ReplicatorEvents> {
  /** This replica's id: new at every start, so a restarted replica is a new voter. */
  readonly self = randomBytes(9).toString('base64url');
  readonly membership: Membership;
  readonly #link: PeerLink;
  readonly #logger: Logger;
  readonly #heartbeatMs: number;
  readonly #onDeltaLag: (lagMs: number) => void;
  readonly #maps = new Map<string, ReplicatedMap<unknown>>();
  /** `${peer} ${map}` -> when we last pulled it, so a lasting difference costs one pull per two beats. */
  readonly #lastPull = new Map<string, number>();
  readonly #intervals: NodeJS.Timeout[] = [];
  readonly #hellos: NodeJS.Timeout[] = [];
  #unlisten: (() => void) | undefined;
  #roomSeqs: RoomSeqs | undefined;
  #closed = false;

  constructor({ link, timeoutMs, heartbeatMs = Math.round(timeoutMs / 3), logger, onDeltaLag = () => {} }: ReplicatorOptions) {
    super();
    this.#link = link;
    this.#heartbeatMs = heartbeatMs;
    this.#logger = logger.child({ replica: this.self });
    this.#onDeltaLag = onDeltaLag;
    this.membership = new Membership(this.self, timeoutMs);
  }

  /** Puts `map` under replication as `name` (the same name on every replica). Register before `start`. */
  register<S>(name: string, map: ReplicatedMap<S>): void {
    this.#maps.set(name, map as ReplicatedMap<unknown>);
  }

  /** Has every beat carry `roomSeqs.latest()`, and hands it what peers' beats carry. */
  shareRoomSeqs(roomSeqs: RoomSeqs): void {
    this.#roomSeqs = roomSeqs;
  }

  /** Starts listening, says hello and starts the heartbeat and the sweep. */
  start(): void {
    this.#unlisten = this.#link.listen((message) => this.#receive(message));
    this.#hellos.push(...HELLO_AT_MS.map((ms) => setTimeout(() => this.#beat(true), ms)));
    this.#intervals.push(
      setInterval(() => this.#beat(), this.#heartbeatMs),
      setInterval(() => this.#sweep(), Math.min(SWEEP_MS, this.#heartbeatMs)),
    );
  }

  /** Sends a delta of map `name` (already merged here) to the other replicas. */
  publish<S>(name: string, key: string, delta: S): void {
    const map = this.#maps.get(name);
    if (!map || this.#closed) return;
    this.#link.send({ t: 'delta', from: this.self, map: name, key, state: map.type.encode(delta), at: Date.now() });
  }

  /** Says goodbye, so peers drop this replica now rather than after the timeout; idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#link.send({ t: 'bye', from: this.self });
    this.#closed = true;
    this.#intervals.forEach(clearInterval);
    this.#hellos.forEach(clearTimeout);
    this.#unlisten?.();
  }

  #beat(hello = false): void {
    if (this.#closed) return;
    const digests = [...this.#maps].map(([name, map]): [string, string] => [name, map.digest()]);
    const rooms = this.#roomSeqs?.latest().slice(0, ROOMS_PER_BEAT) ?? [];
    this.#link.send({ t: 'beat', from: this.self, digests, ...(hello && { hello }), ...(rooms.length > 0 && { rooms }) });
  }

  #sweep(): void {
    for (const id of this.membership.expire(Date.now())) this.#down(id, 'timed out');
    this.emit('tick');
  }

  #down(id: string, why: string): void {
    this.#logger.info({ peer: id }, `replica ${why}; its votes no longer count`);
    for (const key of this.#lastPull.keys()) if (key.startsWith(`${id} `)) this.#lastPull.delete(key);
    this.emit('peer-down', id);
  }

  #receive(raw: unknown): void {
    const parsed = replicationMessage.safeParse(raw);
    if (!parsed.success) {
      this.#logger.warn('dropped a malformed replication message');
      return;
    }
    const message = parsed.data;
    if (message.from === this.self || ('to' in message && message.to !== this.self)) return;
    if (message.t === 'bye') {
      if (this.membership.depart(message.from)) this.#down(message.from, 'left');
      return;
    }
    const now = Date.now();
    this.membership.heard(message.from, now);
    try {
      this.#handle(message, now);
    } catch (err) {
      this.#logger.warn({ err, from: message.from, t: message.t }, 'dropped a replication message that does not decode');
    }
  }

  #handle(message: Exclude<ReplicationMessage, { t: 'bye' }>, now: number): void {
    switch (message.t) {
      case 'delta': {
        const map = this.#maps.get(message.map);
        if (!map) return;
        map.merge(message.key, map.type.decode(message.state), 'peer');
        this.#onDeltaLag(Math.max(0, now - message.at));
        return;
      }
      case 'beat':
        if (message.hello) this.#beat();
        for (const [name, digest] of message.digests) this.#pullIfBehind(message.from, name, digest, now);
        if (message.rooms) this.#roomSeqs?.heard(message.rooms);
        return;
      case 'pull': {
        const map = this.#maps.get(message.map);
        if (!map) return;
        const states = map.entriesWhereDifferent(message.buckets).map(([key, state]): [string, unknown] => [key, map.type.encode(state)]);
        for (let i = 0; i < states.length; i += PUSH_CHUNK) {
          this.#link.send({ t: 'push', from: this.self, to: message.from, map: message.map, states: states.slice(i, i + PUSH_CHUNK) });
        }
        return;
      }
      case 'push': {
        const map = this.#maps.get(message.map);
        if (!map) return;
        // Decode everything first: a chunk is merged whole or not at all.
        const states = message.states.map(([key, state]) => [key, map.type.decode(state)] as const);
        for (const [key, state] of states) map.merge(key, state, 'peer');
        return;
      }
    }
  }

  #pullIfBehind(peer: string, name: string, theirDigest: string, now: number): void {
    const map = this.#maps.get(name);
    if (!map || map.digest() === theirDigest) return;
    const key = `${peer} ${name}`;
    // Deltas in flight make digests differ for a moment; pulling at most every other beat keeps that cheap.
    if (now - (this.#lastPull.get(key) ?? -Infinity) < 2 * this.#heartbeatMs) return;
    this.#lastPull.set(key, now);
    this.#link.send({ t: 'pull', from: this.self, to: peer, map: name, buckets: map.bucketDigests() });
  }
}
