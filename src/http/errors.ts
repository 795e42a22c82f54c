/**
 * The HTTP edge: the auth guard, and the error handler that maps every failure to the
 * contract's `{ error: { code, message } }` without leaking internals.
 */
import type { ErrorRequestHandler, NextFunction, Request, RequestHandler, Response } from 'express';
import multer from 'multer';
import { AppError, ERROR_STATUS, toPublicError } from '../chat/errors.js';
import type { Metrics } from '../observability/metrics.js';

/** Routes are async; Express 5 forwards rejected promises to the error handler. */
export const requireUser: RequestHandler = (req, _res, next) => {
  next(req.session.user ? undefined : new AppError('unauthorized', 'Sign in first.'));
};

export function notFound(_req: Request, _res: Response, next: NextFunction): void {
  next(new AppError('not_found', 'No such resource.'));
}

/** Body-parser and multer report problems with their own shapes; give them contract codes. */
function classify(err: unknown): unknown {
  if (err instanceof multer.MulterError) {
    return err.code === 'LIMIT_FILE_SIZE'
      ? new AppError('payload_too_large', 'The file is larger than 2 MB.')
      : new AppError('invalid_input', `Upload refused: ${err.message}.`);
  }
  const type = (err as { type?: unknown }).type;
  if (type === 'entity.parse.failed') return new AppError('invalid_input', 'The body is not valid JSON.');
  if (type === 'entity.too.large') return new AppError('payload_too_large', 'The body is too large.');
  if (type === 'encoding.unsupported' || type === 'charset.unsupported') {
    return new AppError('unsupported_media_type', 'Unsupported body encoding.');
  }
  return err;
}

export function errorHandler(metrics: Metrics): ErrorRequestHandler {
  return (rawError, req, res, _next) => {
    const err = classify(rawError);
    const { code, message } = toPublicError(err);
    const status = ERROR_STATUS[code];
    metrics.rejectedInputs.inc({ code });
    if (status >= 500) req.log.error({ err: rawError }, 'request failed');
    else req.log.info({ code }, message);
    if (res.headersSent) return;
    res.status(status).json({ error: { code, message } });
  };
}
