/**
 * The rule for user names. It lives here, below every layer, because configuration names users too
 * (`ADMINS`) and config imports no other layer; the input schemas (`src/chat/schemas.ts`) use it from here.
 */
import { z } from 'zod';

export const userName = z
  .string()
  .trim()
  .min(1, 'name must be 1-32 characters')
  .max(32, 'name must be 1-32 characters')
  .regex(/^[\p{L}\p{N} _.-]+$/u, 'name may hold letters, digits, space, _ - and .');
