/** The CRDTs of `src/crdt` in the shape a `ReplicatedMap` takes. */
import { ORSet, Vote } from '../crdt/index.js';
import type { CrdtType } from './replicated-map.js';

export const voteType: CrdtType<Vote.State> = { initial: Vote.initial(), merge: Vote.merge, encode: Vote.encode, decode: Vote.decode };

export const orsetType: CrdtType<ORSet.State> = { initial: ORSet.initial(), merge: ORSet.merge, encode: ORSet.encode, decode: ORSet.decode };
