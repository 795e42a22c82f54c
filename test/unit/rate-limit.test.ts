import { describe, expect, it } from 'vitest';
import { RATE_LIMITS } from '../../src/realtime/protocol.js';
import { TokenBucket, UserRateLimiter } from '../../src/realtime/rate-limit.js';

describe('TokenBucket', () => {
  it('allows a burst, then refills at the given rate, never beyond the burst', () => {
    const bucket = new TokenBucket({ burst: 3, perSecond: 2 }, 0);
    expect([1, 2, 3, 4].map(() => bucket.take(0))).toEqual([true, true, true, false]);
    expect(bucket.take(499)).toBe(false);
    expect(bucket.take(500)).toBe(true);
    expect(bucket.take(500)).toBe(false);
    expect([1, 2, 3, 4].map(() => bucket.take(60_000))).toEqual([true, true, true, false]);
  });

  it('says how long until the next token, and when it is full again', () => {
    const bucket = new TokenBucket({ burst: 2, perSecond: 4 }, 0);
    expect(bucket.retryAfterMs(0)).toBe(0);
    bucket.take(0);
    bucket.take(0);
    expect(bucket.retryAfterMs(0)).toBe(250);
    expect(bucket.retryAfterMs(100)).toBe(150);
    expect(bucket.isFull(400)).toBe(false);
    expect(bucket.isFull(500)).toBe(true);
  });
});

describe('UserRateLimiter', () => {
  // One token a second for every event, two for message:send.
  const limits = {
    ...(Object.fromEntries(Object.keys(RATE_LIMITS).map((event) => [event, { burst: 1, perSecond: 1 }])) as typeof RATE_LIMITS),
    'message:send': { burst: 2, perSecond: 1 },
  };

  it('gives each user one budget per event, whatever the case of the name, with the wait when it is spent', () => {
    const limiter = new UserRateLimiter(limits, 0);
    expect(limiter.take('Alice', 'message:send', 0)).toBe(0);
    expect(limiter.take('alice', 'message:send', 0)).toBe(0);
    expect(limiter.take('ALICE', 'message:send', 0)).toBe(1000);
    expect(limiter.take('alice', 'message:send', 400)).toBe(600);
    expect(limiter.take('alice', 'typing', 400)).toBe(0);
    expect(limiter.take('bob', 'message:send', 400)).toBe(0);
    expect(limiter.take('alice', 'message:send', 1000)).toBe(0);
  });

  it('forgets buckets that have refilled, keeping those still in use', () => {
    const limiter = new UserRateLimiter(limits, 0);
    limiter.take('alice', 'message:send', 0);
    limiter.take('bob', 'message:send', 0);
    expect(limiter.size).toBe(2);
    for (let i = 0; i < 70; i++) limiter.take('bob', 'message:send', 59_000 + i * 1000);
    // The sweep at 60 s dropped alice's idle bucket; bob's, drawn on every second, stays.
    expect(limiter.size).toBe(1);
    expect(limiter.take('bob', 'message:send', 128_000)).toBe(0);
  });
});
