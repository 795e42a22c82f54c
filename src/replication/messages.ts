/**
 * What replicas tell each other about replicated CRDTs, as a tagged union validated on arrival: peers
 * are our own replicas, but a bad deploy or a foreign publisher on the broker must not crash this one.
 * States travel in the CRDTs' compact forms and are decoded (and so validated) by their types.
 */
import { z } from 'zod';
import { BUCKETS } from './replicated-map.js';

/** States per `push` message, so a catch-up of a large map stays under every broker's message size limit. */
export const PUSH_CHUNK = 200;
/** Rooms whose last seq a beat carries (the most recently active ones): a few KB at most. */
export const ROOMS_PER_BEAT = 100;

const replicaId = z.string().min(1).max(64);
const mapName = z.string().min(1).max(32);
const key = z.string().min(1).max(256);
const digest = z.string().max(64);

export const replicationMessage = z.discriminatedUnion('t', [
  /** A change made on `from`, for every other replica to merge. `at` (epoch ms) measures replication lag. */
  z.object({ t: z.literal('delta'), from: replicaId, map: mapName, key, state: z.unknown(), at: z.number() }),
  /**
   * "I am alive, and this is what I hold": a digest per map (and rooms' last seqs). A starting replica's beats say `hello`,
   * asking everyone for a beat back, so it can compare digests and pull without waiting a heartbeat.
   */
  z.object({
    t: z.literal('beat'),
    from: replicaId,
    digests: z.array(z.tuple([mapName, digest])).max(16),
    hello: z.literal(true).optional(),
    /** The last seq of rooms active on `from`, so a replica that missed a message notices the gap. */
    rooms: z.array(z.tuple([z.string().min(1).max(64), z.number().int().min(0)])).max(ROOMS_PER_BEAT).optional(),
  }),
  /** `from` asks `to` for the states of every bucket whose digest differs from `buckets`. */
  z.object({ t: z.literal('pull'), from: replicaId, to: replicaId, map: mapName, buckets: z.array(digest).length(BUCKETS) }),
  /** The answer to a pull, in chunks. */
  z.object({ t: z.literal('push'), from: replicaId, to: replicaId, map: mapName, states: z.array(z.tuple([key, z.unknown()])).max(PUSH_CHUNK) }),
  /** `from` is shutting down: forget it now rather than after the timeout. */
  z.object({ t: z.literal('bye'), from: replicaId }),
]);

export type ReplicationMessage = z.infer<typeof replicationMessage>;
