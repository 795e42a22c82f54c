/**
 * `/demo` shows several users in one window, one iframe each. Same-origin iframes share cookies, so
 * each frame is served under a prefix of its own, `/demo/u/<n>/`, with a session cookie of its own.
 * Before Express or Engine.IO see a request, the prefix is taken off the URL and the frame's cookie
 * (`chorus.sid.u<n>`, path `/demo/u/<n>`) is presented as the session cookie, hiding the page's own;
 * a session cookie set in the answer is renamed and scoped back to the frame. The rest of the app
 * never knows it is serving a frame.
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { SESSION_COOKIE } from './session.js';

const FRAME_PREFIX = /^\/demo\/u\/([1-9][0-9]{0,2})(?=[/?]|$)/;

interface Frame {
  prefix: string;
  cookieName: string;
}

/** Registers the frame scoping on `server`; call it after Socket.IO has attached. */
export function scopeDemoFrames(server: Server): void {
  // Prepended so that it runs before Engine.IO's and Express's listeners, which route on req.url.
  server.prependListener('request', (req: IncomingMessage, res: ServerResponse) => {
    const frame = enterFrame(req);
    if (frame) scopeSetCookie(res, frame);
  });
  server.prependListener('upgrade', (req: IncomingMessage) => {
    enterFrame(req);
  });
}

function enterFrame(req: IncomingMessage): Frame | undefined {
  const match = FRAME_PREFIX.exec(req.url ?? '');
  if (!match) return undefined;
  const frame = { prefix: match[0], cookieName: `${SESSION_COOKIE}.u${match[1]}` };
  const rest = req.url!.slice(frame.prefix.length);
  req.url = rest.startsWith('/') ? rest : `/${rest}`;
  const cookies = req.headers.cookie?.split(';').map((part) => part.trim());
  if (cookies) {
    req.headers.cookie = cookies
      .filter((part) => !part.startsWith(`${SESSION_COOKIE}=`))
      .map((part) => (part.startsWith(`${frame.cookieName}=`) ? SESSION_COOKIE + part.slice(frame.cookieName.length) : part))
      .join('; ');
  }
  return frame;
}

/** express-session and `res.clearCookie` both end in `setHeader('Set-Cookie', …)`. */
function scopeSetCookie(res: ServerResponse, frame: Frame): void {
  const setHeader = res.setHeader.bind(res);
  const scope = (cookie: string) =>
    cookie.startsWith(`${SESSION_COOKIE}=`)
      ? frame.cookieName + cookie.slice(SESSION_COOKIE.length).replace(/;\s*Path=[^;]*/i, '') + `; Path=${frame.prefix}`
      : cookie;
  res.setHeader = (name, value) => {
    if (name.toLowerCase() !== 'set-cookie') return setHeader(name, value);
    return setHeader(name, Array.isArray(value) ? value.map(scope) : typeof value === 'string' ? scope(value) : value);
  };
}
