/**
 * Pure, delta-state CRDTs with Cloudstate semantics. Each type is a set of functions over immutable
 * state: an initial state, mutators that take the acting replica's id and return a delta (itself a state,
 * merged locally and sent to the other replicas) or null when nothing changes, a join, queries, and a
 * compact JSON- and MessagePack-safe form whose decoder validates what it reads.
 */
export { CrdtDecodeError } from './wire.js';
export {
  all,
  atLeastOne,
  decodeVote,
  encodeVote,
  initialVote,
  majority,
  mergeVote,
  pruneVoters,
  selfVote,
  setVote,
  voters,
  votesFor,
  type VoteEntry,
  type VoteState,
  type VoteWire,
} from './vote.js';
export {
  add,
  clear,
  decodeORSet,
  encodeORSet,
  has,
  initialORSet,
  mergeORSet,
  remove,
  size,
  values,
  type CausalContext,
  type Dots,
  type DotsWire,
  type ORSetState,
  type ORSetWire,
} from './orset.js';
