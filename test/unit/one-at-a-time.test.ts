import { describe, expect, it } from 'vitest';
import { createOneAtATime } from '../../src/store/mongo/one-at-a-time.js';

/** A promise and the functions that settle it, to decide from the test when each piece of work ends. */
function deferred<T = void>() {
  let resolve!: (value: T) => void;
  let reject!: (reason: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe('one at a time per key', () => {
  it('runs the work of one key in the order asked, each after the one before ended, failed or not', async () => {
    const run = createOneAtATime();
    const started: string[] = [];
    const gates = [deferred(), deferred(), deferred()];
    const results = ['a1', 'a2', 'a3'].map((name, i) =>
      run('a', async () => {
        started.push(name);
        await gates[i]!.promise;
        return name;
      }),
    );
    const other = run('b', async () => started.push('b1'));
    await other;
    // Another key does not wait; the same key's second piece waits for the first.
    expect(started).toEqual(['a1', 'b1']);
    gates[0]!.reject(new Error('a1 failed'));
    await expect(results[0]).rejects.toThrow('a1 failed');
    await expect.poll(() => started).toEqual(['a1', 'b1', 'a2']);
    gates[2]!.resolve();
    gates[1]!.resolve();
    expect(await Promise.all(results.slice(1))).toEqual(['a2', 'a3']);
    expect(started).toEqual(['a1', 'b1', 'a2', 'a3']);
  });
});
