// Where this page lives and how it names rooms and users. A /demo frame is served under /demo/u/<n>/ so that its
// session cookie is its own (see src/http/frame-scope.ts): everything the page asks the server for
// goes under that same prefix. Static files are shared and keep absolute paths.

const FRAME_PREFIX = /^\/demo\/u\/\d+(?=\/|$)/;
const ROOM_NAME = /^[a-z0-9_-]{1,64}$/;

/** '' on the chat page, '/demo/u/<n>' inside a demo frame. */
export const basePath = location.pathname.match(FRAME_PREFIX)?.[0] ?? '';

/** The Socket.IO endpoint under this page's prefix. */
export const socketPath = `${basePath}/socket.io`;

export const DEFAULT_ROOM = 'general';

/** The contract's name rule: names are unique case-insensitively, so two names with one key are one user. */
export const nameKey = (name) => name.toLowerCase();

/** True when `a` and `b` name the same user. */
export const sameName = (a, b) => nameKey(a) === nameKey(b);

/** The contract's room rule, applied as the server applies it (trimmed, lower-cased). */
export function normalizeRoom(raw) {
  const room = String(raw).trim().toLowerCase();
  return ROOM_NAME.test(room) ? room : null;
}

/** The room named by the address (`/r/<room>`), or the default room. */
export function roomFromLocation() {
  const rest = location.pathname.slice(basePath.length);
  const match = rest.match(/^\/r\/([^/]+)/);
  if (!match) return DEFAULT_ROOM;
  try {
    return normalizeRoom(decodeURIComponent(match[1])) ?? DEFAULT_ROOM;
  } catch {
    return DEFAULT_ROOM;
  }
}

export const roomPath = (room) => `${basePath}/r/${encodeURIComponent(room)}`;
