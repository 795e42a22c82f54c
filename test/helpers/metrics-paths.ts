/**
 * Asking for the metrics the way an attacker would: spellings of `/metrics` that a proxy's exact,
 * case-sensitive rule misses but a lax router might serve, sent as written (fetch() would normalise
 * them), and a test of whether an answer carries Prometheus samples.
 */
import http from 'node:http';

export const METRICS_PATH_VARIANTS: readonly string[] = [
  '/metrics',
  '/metrics/',
  '/METRICS',
  '/Metrics',
  '/metrics?x=1',
  '/metrics/?x=1',
  '/%6detrics',
  '/%6Detrics',
  '/metric%73',
  '//metrics',
  '/./metrics',
  '/api/../metrics',
  '/metrics;x',
  '/metrics.txt',
  '/metrics%2f',
];

/** Whether `body` holds Prometheus text. */
export function looksLikeMetrics(body: string): boolean {
  return /^# (HELP|TYPE) /m.test(body) || /chorus_|process_cpu/.test(body);
}

/** GET `path` exactly as written (no URL normalisation), over a connection of its own. */
export function rawGet(baseUrl: string, path: string): Promise<{ status: number; body: string }> {
  const { hostname, port } = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: hostname, port, path, method: 'GET', agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode!, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** The value of one sample, e.g. `name{label="value"}`, in Prometheus text; 0 when absent. */
export function sampleValue(text: string, series: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line ? Number(line.slice(series.length + 1)) : 0;
}
