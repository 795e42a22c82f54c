/** The CRDTs of `src/crdt` in the shape a `ReplicatedMap` takes. */
import { decodeORSet, decodeVote, encodeORSet, encodeVote, initialORSet, initialVote, mergeORSet, mergeVote, type ORSetState, type VoteState } from '../crdt/index.js';
import type { CrdtType } from './replicated-map.js';

export const voteType: CrdtType<VoteState> = { initial: initialVote(), merge: mergeVote, encode: encodeVote, decode: decodeVote };

export const orsetType: CrdtType<ORSetState> = { initial: initialORSet(), merge: mergeORSet, encode: encodeORSet, decode: decodeORSet };
