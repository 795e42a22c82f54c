/**
 * Runs work one at a time per key, in the order it was asked for. The store queues a replica's changes of
 * one message here before they contend for the message's lease with other replicas': a burst of reactions
 * to one message then has one waiter per replica polling the database, not one per reaction, and the
 * reactions made on one replica land in the order they came.
 */
export function createOneAtATime() {
  const tails = new Map<string, Promise<unknown>>();
  return function run<T>(key: string, work: () => Promise<T>): Promise<T> {
    const previous = tails.get(key) ?? Promise.resolve();
    // Its own failure is its caller's; the next in line runs either way.
    const result = previous.then(work, work);
    const tail = result.catch(() => undefined);
    tails.set(key, tail);
    void tail.then(() => {
      if (tails.get(key) === tail) tails.delete(key);
    });
    return result;
  };
}
