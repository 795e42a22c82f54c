/**
 * `POST /api/avatar`: multipart field `avatar`, at most 2 MB, an image by content.
 */
import { Router } from 'express';
import multer from 'multer';
import { AppError } from '../chat/errors.js';
import type { Store } from '../store/port.js';
import { MAX_AVATAR_BYTES, type Avatars } from '../uploads/avatars.js';
import { requireUser } from './errors.js';
import type { HttpRateLimits } from './rate-limits.js';

export function avatarRouter({ store, avatars, limits }: { store: Store; avatars: Avatars; limits: Pick<HttpRateLimits, 'avatar'> }): Router {
  // Memory storage: the bytes must be sniffed before anything is stored.
  const upload = multer({
    storage: multer.memoryStorage(),
    limits: { fileSize: MAX_AVATAR_BYTES, files: 1, fields: 0, parts: 2 },
  });
  const router = Router();

  // Limited before multer reads the body: a refused upload costs no parsing.
  router.post('/', limits.avatar.byAddress, requireUser, limits.avatar.byUser, upload.single('avatar'), async (req, res) => {
    if (!req.file) throw new AppError('invalid_input', 'Send the image as multipart field "avatar".');
    const avatarUrl = await avatars.save(req.file.buffer);
    let previous: string | null;
    try {
      previous = await store.users.setAvatar(req.session.user!.name, avatarUrl);
    } catch (err) {
      await avatars.remove(avatarUrl);
      throw err;
    }
    await avatars.remove(previous);
    res.json({ avatarUrl });
  });

  return router;
}
