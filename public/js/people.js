// The latest photo known for each user. Messages, member lists and joins all carry the author's
// current avatar; when one changes, every picture of that user on the page is repainted, so a new
// photo shows on old messages too.
import { paintAvatar } from './dom.js';
import { nameKey } from './env.js';

const photos = new Map(); // lower-cased name -> avatarUrl | null
const names = new Map(); // lower-cased name -> the name as shown

/** Records `user`'s photo and repaints them everywhere if it changed. */
export function learnUser(user) {
  const key = nameKey(user.name);
  learnName(user.name);
  const known = photos.has(key);
  if (known && photos.get(key) === user.avatarUrl) return;
  photos.set(key, user.avatarUrl);
  if (!known) return;
  for (const node of document.querySelectorAll(`[data-avatar-for="${CSS.escape(key)}"]`)) paintAvatar(node, user);
}

/** `user` with the newest photo known for them. */
export function withLatestPhoto(user) {
  const key = nameKey(user.name);
  return photos.has(key) ? { ...user, avatarUrl: photos.get(key) } : user;
}

/** Records that a user called `name` exists (a friend, say), for mention suggestions. */
export function learnName(name) {
  names.set(nameKey(name), name);
}

/** Everyone the page has heard of. */
export const knownNames = () => [...names.values()];
