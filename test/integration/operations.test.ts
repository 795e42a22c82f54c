import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BROKERS } from '../../dev/brokers.js';
import { requireBroker } from '../helpers/requirements.js';
import { Browser, request, startReplica, user, type Replica } from '../../dev/harness.js';
import { looksLikeMetrics, METRICS_PATH_VARIANTS, rawGet } from '../helpers/metrics-paths.js';
import { startRelay, type Relay } from '../../dev/tcp-relay.js';

describe('operations', () => {
  let replica: Replica;
  beforeEach(async () => {
    replica = await startReplica();
  });
  afterEach(() => replica.stop());

  it('answers liveness on /healthz and /healthcheck', async () => {
    for (const path of ['/healthz', '/healthcheck']) {
      const res = await fetch(new URL(path, replica.url));
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ ok: true });
    }
  });

  it('is ready while the store answers, and says why not when it does not', async () => {
    const ready = await fetch(new URL('/readyz', replica.url));
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ ok: true, status: 'ready', store: 'up', broker: 'up' });
    await replica.store.close();
    const notReady = await fetch(new URL('/readyz', replica.url));
    expect(notReady.status).toBe(503);
    expect(await notReady.json()).toEqual({
      ok: false,
      status: 'unavailable',
      store: 'down',
      broker: 'up',
      errors: { store: expect.stringMatching(/embedded store/) },
    });
    const probes = await (await fetch(new URL('/metrics', replica.metricsUrl))).text();
    expect(probes).toMatch(/^chorus_readiness_probes_total\{status="ready"\} 1$/m);
    expect(probes).toMatch(/^chorus_readiness_probes_total\{status="unavailable"\} 1$/m);
  });

  it('answers store_unavailable when the store is gone, over HTTP and sockets', async () => {
    const alice = await user(replica.url, 'alice');
    await request(alice.socket, 'room:join', { room: 'general' });
    await replica.store.close();
    const ack = await request(alice.socket, 'message:send', { room: 'general', text: 'lost?', clientId: 'gone' });
    expect(ack).toEqual({ ok: false, error: { code: 'store_unavailable', message: expect.any(String) } });
    const res = await alice.browser.request('GET', '/api/rooms');
    expect(res.status).toBe(503);
    expect(res.body.error.code).toBe('store_unavailable');
  });

  it('exposes Prometheus metrics that move', async () => {
    const alice = await user(replica.url, 'alice');
    await request(alice.socket, 'room:join', { room: 'general' });
    await request(alice.socket, 'message:send', { room: 'general', text: 'counted', clientId: 'm1' });
    await request(alice.socket, 'message:send', { room: 'general', text: '' , clientId: 'm2' });
    const res = await fetch(new URL('/metrics', replica.metricsUrl));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await res.text();
    expect(text).toMatch(/^chorus_connected_sockets 1$/m);
    expect(text).toMatch(/^chorus_messages_received_total 1$/m);
    expect(text).toMatch(/^chorus_rejected_inputs_total\{code="invalid_input"\} 1$/m);
    expect(text).toMatch(/^chorus_send_to_durable_seconds_count 1$/m);
    expect(text).toMatch(/^process_cpu_seconds_total /m);
  });

  it('answers no spelling of /metrics on the chat port: metrics have a port of their own', async () => {
    for (const variant of METRICS_PATH_VARIANTS) {
      // fetch() would normalise the path; a raw request sends it as written, as an attacker would.
      const { status, body } = await rawGet(replica.url, variant);
      expect({ variant, status, metrics: looksLikeMetrics(body) }).toEqual({ variant, status: 404, metrics: false });
    }
    const metricsPort = await fetch(new URL('/metrics', replica.metricsUrl));
    expect(looksLikeMetrics(await metricsPort.text())).toBe(true);
    // The metrics port serves that one path and nothing of the chat.
    for (const other of ['/', '/healthz', '/api/rooms', '/metrics/x']) expect((await fetch(new URL(other, replica.metricsUrl))).status).toBe(404);
    expect((await fetch(new URL('/metrics', replica.metricsUrl), { method: 'POST' })).status).toBe(405);
  });

  it('sends security headers and a CSP the page satisfies, with request ids', async () => {
    const res = await fetch(new URL('/', replica.url), { headers: { 'x-request-id': 'trace-123' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-request-id')).toBe('trace-123');
    const csp = res.headers.get('content-security-policy')!;
    expect(csp).toMatch(/script-src 'self'/);
    expect(csp).not.toMatch(/unsafe-inline'[^;]*script/);
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    const html = await res.text();
    expect(html).not.toMatch(/<script>(?!<)/);
    expect(html).toMatch(/<script src="\/js\/main\.js" type="module">/);
    // The page imports the Socket.IO client from the server itself: no CDN.
    expect((await fetch(new URL('/socket.io/socket.io.esm.min.js', replica.url))).status).toBe(200);
    expect((await fetch(new URL('/r/random', replica.url))).status).toBe(200);
    expect((await fetch(new URL('/demo', replica.url))).status).toBe(200);
  });

  it('refuses a cross-site Socket.IO handshake', async () => {
    const browser = new Browser(replica.url);
    await browser.signIn('alice');
    const res = await fetch(new URL('/socket.io/?EIO=4&transport=polling', replica.url), {
      headers: { cookie: browser.cookie, origin: 'https://evil.example' },
    });
    expect(res.status).toBe(403);
    const same = await fetch(new URL('/socket.io/?EIO=4&transport=polling', replica.url), {
      headers: { cookie: browser.cookie, origin: replica.url },
    });
    expect(same.status).toBe(200);
  });

  it('closes gracefully: sockets are told, both ports are released', async () => {
    const alice = await user(replica.url, 'alice');
    const disconnected = new Promise((resolve) => alice.socket.once('disconnect', resolve));
    await replica.app.close();
    await disconnected;
    await expect(fetch(new URL('/healthz', replica.url))).rejects.toThrow();
    await expect(fetch(new URL('/metrics', replica.metricsUrl))).rejects.toThrow();
  });
});

describe('readiness through a broker outage', () => {
  const redis = BROKERS.find((setup) => setup.name === 'redis')!;
  let relay: Relay | undefined;
  let replica: Replica | undefined;
  afterEach(async () => {
    await replica?.stop();
    await relay?.close();
  });

  // Every replica shares the broker: were it required, a blip would take all of them out of the proxy.
  it('stays ready, reporting the broker down, and keeps serving its own users', async (ctx) => {
    await requireBroker(redis, ctx);
    relay = await startRelay(redis.port!);
    replica = await startReplica({ env: { ...redis.env(relay.port), DATA_DIR_SHARED: 'true' } });
    const readiness = async () => (await fetch(new URL('/readyz', replica!.url))).json();
    await expect.poll(readiness, { timeout: 15_000 }).toEqual({ ok: true, status: 'ready', store: 'up', broker: 'up' });
    const alice = await user(replica.url, 'alice');
    await request(alice.socket, 'room:join', { room: 'general' });

    relay.cut();
    await expect.poll(readiness, { timeout: 15_000 }).toMatchObject({ broker: 'down' });
    const res = await fetch(new URL('/readyz', replica.url));
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: true, status: 'ready', store: 'up', broker: 'down', errors: { broker: expect.stringMatching(/redis/) } });
    expect((await request(alice.socket, 'message:send', { room: 'general', text: 'still here', clientId: 'o1' })).ok).toBe(true);
    const broker = await (await fetch(new URL('/metrics', replica.metricsUrl))).text();
    expect(broker).toMatch(/^chorus_broker_up\{broker="redis"\} 0$/m);
    alice.socket.disconnect();
  });
});
