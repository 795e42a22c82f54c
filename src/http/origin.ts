import type { IncomingMessage } from 'node:http';

/**
 * Refuses cross-site Socket.IO handshakes from browsers (cross-site WebSocket hijacking): a browser
 * always sends `Origin`; it must match the host it is talking to or be listed in ALLOWED_ORIGINS.
 * Non-browser clients send no Origin and are judged by their session cookie alone.
 */
export function allowOrigin(req: IncomingMessage, allowedOrigins: readonly string[]): boolean {
  const origin = req.headers.origin;
  if (!origin) return true;
  if (allowedOrigins.includes(origin)) return true;
  try {
    return new URL(origin).host === req.headers.host;
  } catch {
    return false;
  }
}
