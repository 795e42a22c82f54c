import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Browser, request, startReplica, user, type Replica } from '../helpers/harness.js';

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
    expect(await ready.json()).toEqual({ ok: true, checks: { store: 'ok', broker: 'ok' } });
    await replica.store.close();
    const notReady = await fetch(new URL('/readyz', replica.url));
    expect(notReady.status).toBe(503);
    const body = (await notReady.json()) as { ok: boolean; checks: Record<string, string> };
    expect(body.ok).toBe(false);
    expect(body.checks.store).toMatch(/embedded store/);
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
    const res = await fetch(new URL('/metrics', replica.url));
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await res.text();
    expect(text).toMatch(/^chorus_connected_sockets 1$/m);
    expect(text).toMatch(/^chorus_messages_received_total 1$/m);
    expect(text).toMatch(/^chorus_rejected_inputs_total\{code="invalid_input"\} 1$/m);
    expect(text).toMatch(/^chorus_send_to_durable_seconds_count 1$/m);
    expect(text).toMatch(/^process_cpu_seconds_total /m);
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

  it('closes gracefully: sockets are told, the port is released', async () => {
    const alice = await user(replica.url, 'alice');
    const disconnected = new Promise((resolve) => alice.socket.once('disconnect', resolve));
    await replica.app.close();
    await disconnected;
    await expect(fetch(new URL('/healthz', replica.url))).rejects.toThrow();
  });
});
