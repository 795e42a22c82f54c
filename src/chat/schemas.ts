/**
 * Input rules shared by HTTP and Socket.IO. Objects are strict: an unexpected key (including
 * `__proto__` or `constructor`) is refused rather than silently dropped.
 */
import { z } from 'zod';
import { userName } from '../config/user-name.js';
import { AppError } from './errors.js';

export { userName };

export const roomName = z
  .string()
  .trim()
  .toLowerCase()
  .regex(/^[a-z0-9_-]{1,64}$/, 'room must be 1-64 of a-z 0-9 - _');

export const password = z.string().min(8, 'password must be at least 8 characters').max(256, 'password is too long');

/** A password offered at sign-in: checked against the hash, so any non-empty length is accepted up to the cap. */
export const offeredPassword = z.string().min(1).max(256, 'password is too long');

export const messageText = z
  .string()
  .max(4000, 'text must be at most 4000 characters')
  .refine((t) => t.trim().length > 0, 'text must not be empty');

export const clientId = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'clientId must be 1-64 of A-Z a-z 0-9 _ -');

/** A message id as the store makes them (UUID v7), or any id a client could hold: nothing that is not a plain token. */
export const messageId = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'id must be 1-64 of A-Z a-z 0-9 _ -');

// The `v` flag's RGI_Emoji matches exactly one emoji as Unicode recommends it: a ZWJ family, a flag, a
// keycap or a skin tone counts once, two emoji or a letter do not. Built at runtime: TypeScript's
// ES2022 target does not know the flag.
const rgiEmoji = new RegExp('^\\p{RGI_Emoji}$', 'v');
const TEXT_TO_EMOJI = '\uFE0F';

/**
 * One emoji. A symbol typed in its text form (❤ rather than ❤️) is taken in its emoji form, so both
 * count as one reaction.
 */
export const emoji = z
  .string()
  .max(64, 'emoji must be one emoji')
  .transform((value) => (!rgiEmoji.test(value) && rgiEmoji.test(value + TEXT_TO_EMOJI) ? value + TEXT_TO_EMOJI : value))
  .refine((value) => rgiEmoji.test(value), 'emoji must be one emoji');

export const seq = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

/** A store's history epoch as a client echoes it (`src/store/history-epoch.ts` makes UUIDs): a plain token, capped. */
export const historyEpoch = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'epoch must be 1-64 of A-Z a-z 0-9 _ -');

export const signInBody = z.strictObject({ name: userName, password: offeredPassword.optional() });
export const setPasswordBody = z.strictObject({ password });
export const historyQuery = z.strictObject({
  before: z.coerce.number().int().min(1).max(Number.MAX_SAFE_INTEGER).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(50),
});

/** The first problem, phrased for a person. */
export function describeIssues(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return 'invalid input';
  const where = issue.path.length > 0 ? `${issue.path.join('.')}: ` : '';
  return `${where}${issue.message}`;
}

/** Parses `value` with `schema` or throws `invalid_input` naming the first problem. */
export function parseInput<S extends z.ZodType>(schema: S, value: unknown): z.output<S> {
  const result = schema.safeParse(value);
  if (!result.success) throw new AppError('invalid_input', describeIssues(result.error));
  return result.data;
}
