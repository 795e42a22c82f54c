import fc from 'fast-check';
import { expect } from 'vitest';

/**
 * Every message, some twice, in an order `g` picks: how a broker may deliver CRDT deltas. Messages are
 * strings because `fc.gen` reuses an arbitrary when its arguments look equal, and it sees every Map as equal.
 */
export function deliveryOrder(g: fc.GeneratorValue, messages: string[]): string[] {
  const order = [...messages, ...g(fc.subarray, messages)];
  for (let i = order.length - 1; i > 0; i--) {
    const j = g(fc.nat, { max: i });
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  return order;
}

/**
 * A join-semilattice's laws on three states: merge is commutative, associative and idempotent. States
 * are compared through `encode`, their canonical form.
 */
export function expectMergeLaws<S>(merge: (a: S, b: S) => S, encode: (s: S) => unknown, [a, b, c]: readonly [S, S, S]): void {
  const same = (x: S, y: S) => expect(encode(x)).toEqual(encode(y));
  same(merge(a, b), merge(b, a));
  same(merge(merge(a, b), c), merge(a, merge(b, c)));
  same(merge(a, a), a);
  same(merge(merge(a, b), b), merge(a, b));
}

/** How a property test runs one CRDT: an op's delta on a replica's state, and deltas sent as JSON text. */
export interface CrdtHarness<S, O> {
  mutate(state: S, op: O): S | null;
  send(delta: S): string;
  receive(state: S, message: string): S;
}

/**
 * Runs the ops, each on its replica, delivering each delta at once to the replicas in `seenBy` only, so
 * later ops act on partial knowledge. Returns every delta sent (as JSON text) and each replica's state,
 * at the end and after every op.
 */
export function playOps<S, O extends { replica: number; seenBy: readonly number[] }>(
  ops: readonly O[],
  initial: readonly S[],
  { mutate, send, receive }: CrdtHarness<S, O>,
): { states: S[]; sent: string[]; snapshots: S[] } {
  let states = [...initial];
  const sent: string[] = [];
  const snapshots: S[] = [...states];
  for (const op of ops) {
    const delta = mutate(states[op.replica]!, op);
    if (!delta) continue;
    const message = send(delta);
    sent.push(message);
    states = states.map((s, i) => (i === op.replica || op.seenBy.includes(i) ? receive(s, message) : s));
    snapshots.push(...states);
  }
  return { states, sent, snapshots };
}
