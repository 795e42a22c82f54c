/**
 * `GET /uploads/<name>`: a stored upload, from whichever driver holds it, with its stored type and
 * `nosniff` (so a browser never runs one as a page), cached for a year: a name is never reused for
 * other bytes, so the name is the ETag.
 */
import { pipeline } from 'node:stream';
import { Router } from 'express';
import type { UploadStore } from '../uploads/port.js';

const ONE_YEAR_S = 365 * 24 * 60 * 60;

export function uploadsRouter(uploads: UploadStore): Router {
  const router = Router();
  router.get('/:name', async (req, res, next) => {
    const file = await uploads.open(req.params.name);
    if (!file) return next();
    res.set({
      'Content-Type': file.type,
      'Content-Length': String(file.size),
      'X-Content-Type-Options': 'nosniff',
      'Cache-Control': `public, max-age=${ONE_YEAR_S}, immutable`,
      ETag: `"${req.params.name}"`,
    });
    if (req.fresh || req.method === 'HEAD') {
      file.stream.destroy();
      res.status(req.fresh ? 304 : 200).end();
      return;
    }
    // A failure mid-body can only cut the response short; pipeline destroys both ends and says why.
    pipeline(file.stream, res, (err) => {
      if (err && err.code !== 'ERR_STREAM_PREMATURE_CLOSE') req.log.warn({ err, upload: req.params.name }, 'upload stream failed');
    });
  });
  return router;
}
