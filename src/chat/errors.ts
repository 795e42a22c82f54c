/**
 * Errors that cross the edge: each has a stable machine-readable `code` (the contract's) and the HTTP
 * status it maps to. Socket acks use the same codes.
 */
import { StoreUnavailableError } from '../store/port.js';

export const ERROR_STATUS = {
  invalid_input: 400,
  unauthorized: 401,
  bad_password: 401,
  not_in_room: 403,
  forbidden: 403,
  not_found: 404,
  name_in_use: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  rate_limited: 429,
  internal: 500,
  store_unavailable: 503,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

export class AppError extends Error {
  override readonly name = 'AppError';
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
  }

  get status(): number {
    return ERROR_STATUS[this.code];
  }
}

/** The public form of any error: known ones keep their code and message, the rest are hidden. */
export function toPublicError(err: unknown): { code: ErrorCode; message: string } {
  if (err instanceof AppError) return { code: err.code, message: err.message };
  if (err instanceof StoreUnavailableError) return { code: 'store_unavailable', message: 'The store is unavailable; try again shortly.' };
  return { code: 'internal', message: 'Something went wrong on our side.' };
}
