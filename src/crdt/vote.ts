/**
 * Vote: Cloudstate's Vote CRDT. Every replica holds one boolean vote, stamped with a counter that only
 * that replica advances, so a join keeps the newest vote per replica.
 *
 * The queries take the replica asking (`self`): as in Cloudstate, the local replica is a voter from the
 * start, before it has voted, so a fresh Vote reads `vote=false, votesFor=0, voters=1`. The state itself
 * only holds replicas that have voted; `voters` adds `self`.
 *
 * Membership: `pruneVoters` drops replicas that left. It leaves a tombstone, `removed[replica] = the
 * counter of the vote it dropped`, and a join ignores every vote of that replica with a counter at or
 * below it, so a delayed delta of the pruned replica (or a replica that has not heard of the pruning
 * yet) cannot bring the old vote back. The tombstone is bounded by a counter rather than permanent so a
 * replica pruned by mistake (a membership view that lagged behind) counts again as soon as it votes:
 * `set` always issues a counter above the tombstone. The flip side: a vote the pruner had not seen
 * when it pruned is above the tombstone and is kept; pruning again removes it. A replica that restarts
 * comes back under a new id, so tombstones (one number per departed replica, never collected) never
 * stand in the way of a live replica.
 */
import { fail, readCounter, readList, readNewKey, readRecord, readTuple, sortedEntries } from './wire.js';

/** One replica's vote and the counter that orders it against that replica's other votes. */
export interface Entry {
  readonly counter: number;
  readonly vote: boolean;
}

/** A Vote replica's state; deltas are states too (holding only what changed). Never mutated. */
export interface State {
  readonly votes: ReadonlyMap<string, Entry>;
  /** Pruned replicas: votes at or below the counter are ignored. */
  readonly removed: ReadonlyMap<string, number>;
}

/** The compact form: `v` holds `[replica, counter, 1 | 0]`, `r` `[replica, counter]`, both sorted by replica. */
export interface Wire {
  v: Array<[string, number, 0 | 1]>;
  r?: Array<[string, number]>;
}

const EMPTY: State = { votes: new Map(), removed: new Map() };

/** The empty Vote: nobody has voted. */
export function initial(): State {
  return EMPTY;
}

/**
 * Sets `replica`'s own vote. Returns the delta to merge locally and send to the others, or null when the
 * vote does not change (a replica that has not voted counts as voting no).
 */
export function set(state: State, replica: string, vote: boolean): State | null {
  const current = state.votes.get(replica);
  if ((current?.vote ?? false) === vote) return null;
  const counter = Math.max(current?.counter ?? 0, state.removed.get(replica) ?? 0) + 1;
  return { votes: new Map([[replica, { counter, vote }]]), removed: new Map() };
}

/**
 * Prunes every voter not in `liveReplicas`. Returns the delta (tombstones only) to merge locally and send
 * to the others, or null when every voter is live.
 */
export function pruneVoters(state: State, liveReplicas: Iterable<string>): State | null {
  const live = new Set(liveReplicas);
  const removed = new Map<string, number>();
  for (const [replica, { counter }] of state.votes) if (!live.has(replica)) removed.set(replica, counter);
  return removed.size > 0 ? { votes: new Map(), removed } : null;
}

/** The join: per replica the newest vote, unless a tombstone covers it. Commutative, associative, idempotent. */
export function merge(a: State, b: State): State {
  const removed = new Map(a.removed);
  for (const [replica, counter] of b.removed) removed.set(replica, Math.max(counter, removed.get(replica) ?? 0));
  return { votes: newestVotes([a.votes, b.votes], removed), removed };
}

function newestVotes(sources: Iterable<ReadonlyMap<string, Entry>>, removed: ReadonlyMap<string, number>) {
  const votes = new Map<string, Entry>();
  for (const source of sources) {
    for (const [replica, entry] of source) {
      if (entry.counter <= (removed.get(replica) ?? 0)) continue;
      const kept = votes.get(replica);
      // Two votes under one counter never come from a working replica (it issues each counter once);
      // preferring yes keeps the join deterministic on any input all the same.
      if (!kept || entry.counter > kept.counter || (entry.counter === kept.counter && entry.vote)) votes.set(replica, entry);
    }
  }
  return votes;
}

/** `self`'s own vote; false until it votes. */
export function selfVote(state: State, self: string): boolean {
  return state.votes.get(self)?.vote ?? false;
}

/** How many replicas vote yes. */
export function votesFor(state: State): number {
  let count = 0;
  for (const { vote } of state.votes.values()) if (vote) count++;
  return count;
}

/** How many replicas vote, as `self` sees it: those that have voted, plus `self` itself. */
export function voters(state: State, self: string): number {
  return state.votes.size + (state.votes.has(self) ? 0 : 1);
}

/** Whether any replica votes yes. */
export function atLeastOne(state: State): boolean {
  return votesFor(state) > 0;
}

/** Whether strictly more than half of the voters vote yes. */
export function majority(state: State, self: string): boolean {
  return votesFor(state) * 2 > voters(state, self);
}

/** Whether every voter, `self` included, votes yes. */
export function all(state: State, self: string): boolean {
  return votesFor(state) === voters(state, self);
}

/** The compact, JSON- and MessagePack-safe form of a state or delta; canonical (sorted). */
export function encode(state: State): Wire {
  const wire: Wire = {
    v: sortedEntries(state.votes).map(([replica, { counter, vote }]) => [replica, counter, vote ? 1 : 0]),
  };
  if (state.removed.size > 0) wire.r = sortedEntries(state.removed);
  return wire;
}

/** Reads a compact form back; throws a `CrdtDecodeError` on anything `encode` would not produce. */
export function decode(data: unknown): State {
  const record = readRecord(data, ['v', 'r'], 'Vote');
  const votes = new Map<string, Entry>();
  readList(record.v, 'Vote.v').forEach((item, i) => {
    const [replica, counter, vote] = readTuple(item, `Vote.v[${i}]`, 3);
    if (vote !== 0 && vote !== 1) fail(`Vote.v[${i}][2]`, 'is not 0 or 1');
    votes.set(readNewKey(replica, `Vote.v[${i}][0]`, votes), {
      counter: readCounter(counter, `Vote.v[${i}][1]`),
      vote: vote === 1,
    });
  });
  const removed = new Map<string, number>();
  readList(record.r ?? [], 'Vote.r').forEach((item, i) => {
    const [replica, counter] = readTuple(item, `Vote.r[${i}]`, 2);
    removed.set(readNewKey(replica, `Vote.r[${i}][0]`, removed), readCounter(counter, `Vote.r[${i}][1]`));
  });
  // Votes a tombstone covers are dropped, as a join would drop them.
  return { votes: newestVotes([votes], removed), removed };
}
