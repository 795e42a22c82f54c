/**
 * The metrics listener (METRICS_PORT): Prometheus text at `GET /metrics` and nothing else. It is a
 * server of its own, not a route of the chat's, so that no proxy in front of the chat port can publish
 * the metrics by missing a spelling of the path (`/metrics/`, `/METRICS`, `/%6detrics`): on the chat
 * port no spelling answers, and this port is for Prometheus to scrape directly.
 */
import http from 'node:http';
import type { Registry } from 'prom-client';

export function createMetricsServer(registry: Registry, onError: (err: unknown) => void): http.Server {
  return http.createServer((req, res) => {
    const { pathname } = new URL(req.url ?? '/', 'http://metrics.invalid');
    if (pathname !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('Not found: metrics are at /metrics\n');
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    registry.metrics().then(
      (text) => {
        res.writeHead(200, { 'content-type': registry.contentType });
        res.end(req.method === 'HEAD' ? undefined : text);
      },
      (err: unknown) => {
        onError(err);
        res.writeHead(500).end();
      },
    );
  });
}
