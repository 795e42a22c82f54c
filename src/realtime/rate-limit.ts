/**
 * Token buckets per user and event, shared by all of that user's sockets on this replica (so 50 tabs
 * get one budget, not 50): a client may burst, but a flood (or a bug in a loop) is answered with
 * `rate_limited` instead of reaching the store and every other member of the room. A user whose
 * sockets sit on several replicas gets one budget on each; per replica is enough to keep any one
 * replica's store and fan-out safe.
 */
import type { ClientEvent } from './events.js';
import { nameKey } from '../identity/name-key.js';

export interface RateLimit {
  /** Events allowed at once. */
  burst: number;
  /** Events regained per second. */
  perSecond: number;
}

/**
 * Generous for people, tight enough that one user cannot monopolise a replica. Every tab joins its
 * room and lists friends when it (re)connects, so those bursts cover a user with many tabs coming
 * back after a restart at once.
 */
export const RATE_LIMITS: Record<ClientEvent, RateLimit> = {
  'message:send': { burst: 30, perSecond: 10 },
  typing: { burst: 20, perSecond: 5 },
  'room:join': { burst: 100, perSecond: 10 },
  'room:leave': { burst: 100, perSecond: 10 },
  'friends:add': { burst: 20, perSecond: 2 },
  'friends:remove': { burst: 20, perSecond: 2 },
  'friends:list': { burst: 100, perSecond: 5 },
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
    this.#refill(now);
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }

  /** Milliseconds until a token is there (0 if one is now). */
  retryAfterMs(now: number): number {
    this.#refill(now);
    return this.#tokens >= 1 ? 0 : Math.ceil(((1 - this.#tokens) / this.limit.perSecond) * 1000);
  }

  /** Full again: as good as a new bucket. */
  isFull(now: number): boolean {
    this.#refill(now);
    return this.#tokens >= this.limit.burst;
  }

  #refill(now: number): void {
    const refill = ((now - this.#updatedAt) / 1000) * this.limit.perSecond;
    this.#tokens = Math.min(this.limit.burst, this.#tokens + refill);
    this.#updatedAt = now;
  }
}

/** How often idle users' buckets are forgotten. */
const SWEEP_INTERVAL_MS = 60_000;

/** One bucket per (user, event), created on first use and forgotten once it has refilled. */
export class UserRateLimiter {
  readonly #buckets = new Map<string, TokenBucket>();
  #sweptAt: number;

  constructor(
    private readonly limits: Record<ClientEvent, RateLimit> = RATE_LIMITS,
    now = Date.now(),
  ) {
    this.#sweptAt = now;
  }

  /** Takes one of `user`'s tokens for `event`: 0 when taken, else the milliseconds until one is back. */
  take(user: string, event: ClientEvent, now: number): number {
    this.#sweep(now);
    // Names are unique case-insensitively, so the key is too.
    const key = `${event}\n${nameKey(user)}`;
    let bucket = this.#buckets.get(key);
    if (!bucket) {
      bucket = new TokenBucket(this.limits[event], now);
      this.#buckets.set(key, bucket);
    }
    return bucket.take(now) ? 0 : bucket.retryAfterMs(now);
  }

  /** Buckets held now (users active recently, per event). */
  get size(): number {
    return this.#buckets.size;
  }

  /** A full bucket is the same as none: dropping them keeps memory to recently active users, without a timer. */
  #sweep(now: number): void {
    if (now - this.#sweptAt < SWEEP_INTERVAL_MS) return;
    this.#sweptAt = now;
    for (const [key, bucket] of this.#buckets) if (bucket.isFull(now)) this.#buckets.delete(key);
  }
}
