/**
 * The parts of a drain that are pure bookkeeping: the handlers in flight it waits for, per socket and
 * in all, and how many sockets are due at each moment of the spread.
 */
import { describe, expect, it } from 'vitest';
import { dueCount } from '../../src/app/drain.js';
import { InFlight } from '../../src/realtime/in-flight.js';

/** A promise and the function that settles it. */
function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

/** Whether `promise` has settled once pending callbacks have run. */
async function settled(promise: Promise<unknown>): Promise<boolean> {
  let done = false;
  void promise.then(() => (done = true));
  await new Promise((resolve) => setImmediate(resolve));
  return done;
}

describe('InFlight', () => {
  it('is idle at once when nothing runs', async () => {
    const inFlight = new InFlight();
    expect(await settled(inFlight.idle())).toBe(true);
    expect(await settled(inFlight.idle('a'))).toBe(true);
  });

  it("waits for a socket's own handlers only, and for every handler without a socket", async () => {
    const inFlight = new InFlight();
    const [a1, a2, b] = [gate(), gate(), gate()];
    const runs = [inFlight.track('a', () => a1.promise), inFlight.track('a', () => a2.promise), inFlight.track('b', () => b.promise)];
    expect([inFlight.count('a'), inFlight.count('b'), inFlight.count()]).toEqual([2, 1, 3]);
    const aIdle = inFlight.idle('a');
    const bIdle = inFlight.idle('b');
    const allIdle = inFlight.idle();

    a1.open();
    expect([await settled(aIdle), await settled(bIdle), await settled(allIdle)]).toEqual([false, false, false]);
    a2.open();
    expect([await settled(aIdle), await settled(bIdle), await settled(allIdle)]).toEqual([true, false, false]);
    b.open();
    expect([await settled(bIdle), await settled(allIdle)]).toEqual([true, true]);
    await Promise.all(runs);
    expect(inFlight.count()).toBe(0);
  });

  it('counts a handler that fails as done, and passes its failure on', async () => {
    const inFlight = new InFlight();
    await expect(inFlight.track('a', () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(inFlight.count('a')).toBe(0);
    expect(await settled(inFlight.idle())).toBe(true);
  });

  it('keeps waiting while new handlers start before the last one ends', async () => {
    const inFlight = new InFlight();
    const [first, second] = [gate(), gate()];
    const runs = [inFlight.track('a', () => first.promise)];
    const idle = inFlight.idle('a');
    runs.push(inFlight.track('a', () => second.promise));
    first.open();
    expect(await settled(idle)).toBe(false);
    second.open();
    expect(await settled(idle)).toBe(true);
    await Promise.all(runs);
  });
});

describe('dueCount', () => {
  it('closes the sockets evenly over the spread, the first at once and the last by its end', () => {
    expect([0, 99, 100, 250, 999, 1000, 5000].map((elapsed) => dueCount(10, elapsed, 1000))).toEqual([1, 1, 2, 3, 10, 10, 10]);
  });

  it('closes every socket at once without a spread, and none when there are none', () => {
    expect(dueCount(7, 0, 0)).toBe(7);
    expect(dueCount(0, 0, 1000)).toBe(0);
  });

  it('batches many sockets per step of time', () => {
    expect(dueCount(10_000, 50, 3000)).toBe(167);
  });
});
