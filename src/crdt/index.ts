/**
 * Pure, delta-state CRDTs with Cloudstate semantics. Each type is a set of functions over immutable
 * state: an initial state, mutators that take the acting replica's id and return a delta (itself a state,
 * merged locally and sent to the other replicas) or null when nothing changes, a join, queries, and a
 * compact JSON- and MessagePack-safe form whose decoder validates what it reads.
 *
 * Each type is a namespace, so the same operation has the same name in both: `Vote.merge`,
 * `ORSet.merge`, `Vote.State`, `ORSet.State`.
 */
export { CrdtDecodeError } from './wire.js';
export * as Vote from './vote.js';
export * as ORSet from './orset.js';
