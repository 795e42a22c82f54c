import { describe, expect, it } from 'vitest';
import { TokenBucket } from '../../src/realtime/rate-limit.js';

describe('TokenBucket', () => {
  it('allows a burst, then refills at the given rate, never beyond the burst', () => {
    const bucket = new TokenBucket({ burst: 3, perSecond: 2 }, 0);
    expect([1, 2, 3, 4].map(() => bucket.take(0))).toEqual([true, true, true, false]);
    expect(bucket.take(499)).toBe(false);
    expect(bucket.take(500)).toBe(true);
    expect(bucket.take(500)).toBe(false);
    expect([1, 2, 3, 4].map(() => bucket.take(60_000))).toEqual([true, true, true, false]);
  });
});
