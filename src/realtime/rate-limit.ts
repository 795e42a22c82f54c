/**
 * Per-socket token buckets: a client may burst, but a flood (or a bug in a loop) is answered with
 * `rate_limited` instead of reaching the store and every other member of the room.
 */
import type { ClientEvent } from './events.js';

export interface RateLimit {
  /** Events allowed at once. */
  burst: number;
  /** Events regained per second. */
  perSecond: number;
}

/** Generous for people, tight enough that one socket cannot monopolise a replica. */
export const RATE_LIMITS: Record<ClientEvent, RateLimit> = {
  'message:send': { burst: 30, perSecond: 10 },
  typing: { burst: 20, perSecond: 5 },
  'room:join': { burst: 30, perSecond: 5 },
  'room:leave': { burst: 30, perSecond: 5 },
  'friends:add': { burst: 20, perSecond: 2 },
  'friends:remove': { burst: 20, perSecond: 2 },
  'friends:list': { burst: 20, perSecond: 5 },
};

export class TokenBucket {
  #tokens: number;
  #updatedAt: number;

  constructor(
    private readonly limit: RateLimit,
    now: number,
  ) {
    this.#tokens = limit.burst;
    this.#updatedAt = now;
  }

  /** Takes one token if there is one; `now` in ms. */
  take(now: number): boolean {
    const refill = ((now - this.#updatedAt) / 1000) * this.limit.perSecond;
    this.#tokens = Math.min(this.limit.burst, this.#tokens + refill);
    this.#updatedAt = now;
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }
}
