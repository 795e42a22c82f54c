/**
 * Input rules shared by HTTP and Socket.IO. Objects are strict: an unexpected key (including
 * `__proto__` or `constructor`) is refused rather than silently dropped.
 */
import { z } from 'zod';
import { AppError } from './errors.js';

export const userName = z
  .string()
  .trim()
  .min(1, 'name must be 1-32 characters')
  .max(32, 'name must be 1-32 characters')
  .regex(/^[\p{L}\p{N} _.-]+$/u, 'name may hold letters, digits, space, _ - and .');

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

export const seq = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

export const signInBody = z.strictObject({ name: userName, password: offeredPassword.optional() });
export const setPasswordBody = z.strictObject({ password });
export const historyQuery = z.strictObject({
  before: z.coerce.number().int().min(1).max(Number.MAX_SAFE_INTEGER).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(50),
});

export const roomJoin = z.strictObject({ room: roomName, sinceSeq: seq.optional() });
export const roomLeave = z.strictObject({ room: roomName });
export const messageSend = z.strictObject({ room: roomName, text: messageText, clientId });
export const typing = z.strictObject({ room: roomName, typing: z.boolean() });
export const friendName = z.strictObject({ name: userName });
/** `friends:list` takes `{}`; a client that sends nothing but the ack is fine too. */
export const friendsList = z.strictObject({}).optional();

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
