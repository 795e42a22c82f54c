/**
 * HTTP rate limits for the routes that cost the most or guard a password: sign-in (each attempt on a
 * protected name is an scrypt hash), setting a password (a hash) and avatar uploads (2 MB each).
 * Each is limited by client address (Express's `req.ip`, so `TRUST_PROXY` decides whether
 * X-Forwarded-For counts) and by name, so neither one address nor many addresses against one name
 * get far. Counts are kept per replica, in memory: a cluster of n replicas allows up to n times as
 * many, which still keeps a brute force hopeless and a replica's CPU its own.
 */
import type { Request, RequestHandler } from 'express';
import { MemoryStore, rateLimit, type Options } from 'express-rate-limit';
import type { Logger } from 'pino';
import { AppError } from '../chat/errors.js';
import { nameKey } from '../identity/name-key.js';

export interface HttpRateLimit {
  /** Requests allowed per window. */
  limit: number;
  windowMs: number;
}

const MINUTE = 60_000;

/**
 * Limits people never meet: sessions last 30 days, so sign-ins are rare, and a whole team behind one
 * NAT shares an address's budget. The sign-in limit per address is configurable
 * (`SIGN_IN_LIMIT_PER_ADDRESS`) for larger NATs and load tests.
 */
export const HTTP_RATE_LIMITS = {
  /** Failed sign-ins per name, whatever the address (successes do not count). */
  signInFailuresPerName: { limit: 10, windowMs: 15 * MINUTE },
  passwordPerAddress: { limit: 300, windowMs: 15 * MINUTE },
  passwordPerUser: { limit: 10, windowMs: 15 * MINUTE },
  avatarPerAddress: { limit: 300, windowMs: 15 * MINUTE },
  avatarPerUser: { limit: 30, windowMs: 15 * MINUTE },
} as const satisfies Record<string, HttpRateLimit>;

const SIGN_IN_WINDOW_MS = MINUTE;

export interface HttpRateLimits {
  signIn: { byAddress: RequestHandler; byName: RequestHandler };
  /** `byUser` goes after the auth guard: it keys on the signed-in name. */
  password: { byAddress: RequestHandler; byUser: RequestHandler };
  avatar: { byAddress: RequestHandler; byUser: RequestHandler };
  /** Stops the stores' cleanup timers. */
  close(): void;
}

export interface HttpRateLimitOptions {
  /** Sign-ins one address may make per minute. */
  signInLimitPerAddress: number;
  logger: Logger;
}

export function createHttpRateLimits({ signInLimitPerAddress, logger }: HttpRateLimitOptions): HttpRateLimits {
  const stores: MemoryStore[] = [];
  const limiter = (what: string, { limit, windowMs }: HttpRateLimit, options: Partial<Options> = {}): RequestHandler => {
    const store = new MemoryStore();
    stores.push(store);
    return rateLimit({
      limit,
      windowMs,
      store,
      // The standard RateLimit headers, and Retry-After on a 429 (the library sets it only with headers on).
      standardHeaders: 'draft-8',
      legacyHeaders: false,
      // The library's own checks (e.g. X-Forwarded-For seen while TRUST_PROXY is off) go to our log.
      logger: {
        warn: (err, msg) => logger.warn({ err }, msg ?? 'rate limiter warning'),
        error: (err, msg) => logger.error({ err }, msg ?? 'rate limiter error'),
      },
      handler: (req, _res, next) => next(new AppError('rate_limited', `Too many ${what}; try again in ${retryAfterSeconds(req)} s.`)),
      ...options,
    });
  };
  const byUser = { keyGenerator: (req: Request) => `user:${nameKey(req.session.user!.name)}` };

  return {
    signIn: {
      byAddress: limiter('sign-ins from this address', { limit: signInLimitPerAddress, windowMs: SIGN_IN_WINDOW_MS }),
      byName: limiter('failed sign-ins for this name', HTTP_RATE_LIMITS.signInFailuresPerName, {
        // Keyed by the name tried, case-insensitively as names are; a body without one fails validation anyway.
        keyGenerator: (req) => `name:${nameKey(triedName(req)!)}`,
        skip: (req) => triedName(req) === undefined,
        skipSuccessfulRequests: true,
      }),
    },
    password: {
      byAddress: limiter('password changes from this address', HTTP_RATE_LIMITS.passwordPerAddress),
      byUser: limiter('password changes', HTTP_RATE_LIMITS.passwordPerUser, byUser),
    },
    avatar: {
      byAddress: limiter('avatar uploads from this address', HTTP_RATE_LIMITS.avatarPerAddress),
      byUser: limiter('avatar uploads', HTTP_RATE_LIMITS.avatarPerUser, byUser),
    },
    close: () => {
      for (const store of stores) store.shutdown();
    },
  };
}

function triedName(req: Request): string | undefined {
  const name: unknown = (req.body as { name?: unknown } | undefined)?.name;
  return typeof name === 'string' && name.trim() !== '' ? name.trim() : undefined;
}

function retryAfterSeconds(req: Request): number {
  const resetTime = (req as Request & { rateLimit?: { resetTime?: Date } }).rateLimit?.resetTime;
  return resetTime ? Math.max(1, Math.ceil((resetTime.getTime() - Date.now()) / 1000)) : 60;
}
