/**
 * HTTP request metrics: a count and a duration histogram by method, route and status. The route is the
 * Express pattern that answered (`/api/rooms/:room/messages`), never the raw path, so room names,
 * message ids and probing scanners cannot grow the series without bound. Requests no route took share
 * three labels: `static` (the page's files), `/api/*` (refused by a middleware before any route: a
 * banned session, a body too large) and `unmatched` (404).
 */
import type { RequestHandler } from 'express';
import { Counter, Histogram, type Registry } from 'prom-client';

const LABELS = ['method', 'route', 'status'] as const;
/** Methods a browser or probe sends; anything else is counted as OTHER, for the same reason as routes. */
const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

export interface HttpMetrics {
  requests: Counter<(typeof LABELS)[number]>;
  durationSeconds: Histogram<(typeof LABELS)[number]>;
}

export function registerHttpMetrics(registry: Registry): HttpMetrics {
  return {
    requests: new Counter({
      name: 'chorus_http_requests_total',
      help: 'HTTP requests answered, by method, route pattern and status',
      labelNames: LABELS,
      registers: [registry],
    }),
    durationSeconds: new Histogram({
      name: 'chorus_http_request_duration_seconds',
      help: 'Time from an HTTP request arriving to its response being written, by method, route pattern and status',
      labelNames: LABELS,
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    }),
  };
}

/**
 * Measures every request that reaches Express (Engine.IO's `/socket.io/` does not: it has its own
 * metrics). Mounted first, so the time includes every middleware; the labels are read when the
 * response finishes, once the router has set `req.route`.
 */
export function measureHttp(metrics: HttpMetrics): RequestHandler {
  return (req, res, next) => {
    const stop = metrics.durationSeconds.startTimer();
    res.once('finish', () => {
      const labels = { method: METHODS.has(req.method) ? req.method : 'OTHER', route: routeOf(req, res.statusCode), status: String(res.statusCode) };
      metrics.requests.inc(labels);
      stop(labels);
    });
    next();
  };
}

type Request = Parameters<RequestHandler>[0];

function routeOf(req: Request, status: number): string {
  const pattern: unknown = req.route?.path;
  const path = req.originalUrl.split('?')[0]!.toLowerCase();
  if (typeof pattern !== 'string') return status === 404 ? 'unmatched' : path.startsWith('/api/') ? '/api/*' : 'static';
  // The mount path is the request's path less the pattern's segments. It is read from the path because
  // Express resets req.baseUrl when an error leaves a router, before the response finishes; our mount
  // paths are literal, and the path is lower-cased as Express matches it, so the label stays one of ours.
  const segments = path.split('/').filter(Boolean);
  const own = pattern.split('/').filter(Boolean);
  return `/${[...segments.slice(0, segments.length - own.length), ...own].join('/')}`;
}
