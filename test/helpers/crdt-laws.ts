import fc from 'fast-check';

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
