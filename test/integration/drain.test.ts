/**
 * A replica's drain (src/app/drain.ts), in-process and as a process told SIGTERM:
 * - from its start `/readyz` answers 503 `draining` and new Engine.IO sessions are refused, on
 *   long-polling and on WebSocket, with a 503 the client retries;
 * - the open sockets are closed over the spread, a few at a time, by closing their transport, so each
 *   client reconnects by itself;
 * - a send in flight when the drain comes, and one sent while its socket waits to be closed, are both
 *   acknowledged before the socket goes, and stored;
 * - the process exits 0, so within its deadline, having said it drained.
 */
import { io as ioClient, type Socket } from 'socket.io-client';
import { afterEach, describe, expect, it, onTestFinished, vi } from 'vitest';
import { Browser, request, startReplica, tempDir, type Replica } from '../../dev/harness.js';
import { startReplicaProcess } from '../../dev/processes.js';
import { sampleValue } from '../helpers/metrics-paths.js';

const SOCKETS = 12;

/** A socket of `browser` that reconnects by itself, as the page's does. */
async function reconnectingSocket(browser: Browser): Promise<Socket> {
  const socket = ioClient(browser.baseUrl, {
    transports: ['websocket'],
    extraHeaders: { cookie: browser.cookie },
    forceNew: true,
    reconnectionDelay: 100,
  });
  onTestFinished(() => void socket.disconnect());
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', reject);
  });
  return socket;
}

async function readiness(url: string): Promise<{ http: number; status: string }> {
  const res = await fetch(new URL('/readyz', url));
  return { http: res.status, ...((await res.json()) as { status: string }) };
}

describe('a replica that drains', () => {
  let replica: Replica | undefined;
  afterEach(async () => {
    await replica?.stop();
    replica = undefined;
  });

  it('fails readiness and refuses new sessions at once, then closes its sockets over the spread for them to reconnect', async () => {
    replica = await startReplica({ env: { DRAIN_DELAY_MS: '200', DRAIN_SPREAD_MS: '3000' } });
    const browser = new Browser(replica.url);
    expect((await browser.signIn('drained')).status).toBe(200);
    const sockets = await Promise.all(Array.from({ length: SOCKETS }, () => reconnectingSocket(browser)));
    expect(await readiness(replica.url)).toMatchObject({ http: 200, status: 'ready' });

    // At each disconnect, how many sockets are still connected, and why the client says it went.
    const stillConnected: number[] = [];
    const reasons: string[] = [];
    const retried = new Set<Socket>();
    for (const socket of sockets) {
      socket.once('disconnect', (reason) => {
        reasons.push(reason);
        stillConnected.push(sockets.filter((s) => s.connected).length);
      });
      socket.io.on('reconnect_attempt', () => retried.add(socket));
    }

    const drained = replica.app.drain();
    expect(await readiness(replica.url)).toMatchObject({ http: 503, status: 'draining' });
    const polling = await fetch(new URL('/socket.io/?EIO=4&transport=polling', replica.url), { headers: { cookie: browser.cookie } });
    expect({ status: polling.status, retryAfter: polling.headers.get('retry-after') }).toEqual({ status: 503, retryAfter: '1' });
    await expect(browser.connect({ transports: ['websocket'] })).rejects.toThrow();
    await drained;

    // The server has closed the last transport; its client hears of it a moment later.
    await expect.poll(() => reasons).toEqual(sockets.map(() => 'transport close'));
    // Spread, not all at once: when the first went, nearly all the others were still there.
    expect(stillConnected[0]).toBeGreaterThanOrEqual(SOCKETS / 2);
    expect(stillConnected.at(-1)).toBe(0);
    // Every client tries again by itself (refused here, since this replica is the only one).
    await expect.poll(() => retried.size).toBe(SOCKETS);
    const metrics = await (await fetch(new URL('/metrics', replica.metricsUrl))).text();
    expect(sampleValue(metrics, 'chorus_drain_sockets_closed_total')).toBe(SOCKETS);
    expect(sampleValue(metrics, 'chorus_drain_refused_handshakes_total')).toBeGreaterThanOrEqual(2);
    expect(sampleValue(metrics, 'chorus_draining')).toBe(0);
  });

  it('acknowledges and stores a send in flight when its socket is chosen, and one sent while it waits to be closed', async () => {
    replica = await startReplica({ env: { DRAIN_DELAY_MS: '0', DRAIN_SPREAD_MS: '0' } });
    const browser = new Browser(replica.url);
    expect((await browser.signIn('sender')).status).toBe(200);
    const socket = await browser.connect();
    expect((await request(socket, 'room:join', { room: 'general' })).ok).toBe(true);
    const events: string[] = [];
    socket.on('disconnect', (reason) => events.push(`disconnect: ${reason}`));

    // The first send's write waits until the drain is under way.
    let entered!: () => void;
    const inStore = new Promise<void>((resolve) => (entered = resolve));
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const append = replica.store.messages.append.bind(replica.store.messages);
    vi.spyOn(replica.store.messages, 'append').mockImplementationOnce(async (input) => {
      entered();
      await released;
      return append(input);
    });

    const send = (clientId: string) =>
      socket
        .timeout(10_000)
        .emitWithAck('message:send', { room: 'general', text: clientId, clientId })
        .then((ack: { ok: boolean }) => {
          events.push(`ack ${clientId}: ${ack.ok}`);
          return ack;
        });
    const first = send('in-flight');
    await inStore;
    const drained = replica.app.drain();
    expect(await readiness(replica.url)).toMatchObject({ status: 'draining' });
    const second = send('after-chosen');
    // The second is handled (it is not held), and the socket still waits for the first.
    await expect.poll(() => events).toContain('ack after-chosen: true');
    expect(events).not.toContain('disconnect: transport close');
    release();
    await Promise.all([first, second, drained]);
    await expect.poll(() => events).toContain('disconnect: transport close');
    expect(events.at(-1)).toBe('disconnect: transport close');

    const history = await browser.request<{ messages: { clientId: string }[] }>('GET', '/api/rooms/general/messages?limit=10');
    expect(history.body.messages.map((m) => m.clientId).sort()).toEqual(['after-chosen', 'in-flight']);
  });
});

describe('a replica process told SIGTERM', () => {
  it('drains its sockets and exits 0, within its deadline', async () => {
    const replica = await startReplicaProcess({ DATA_DIR: tempDir(), DRAIN_DELAY_MS: '300', DRAIN_SPREAD_MS: '600' });
    onTestFinished(() => void replica.stop('SIGKILL'));
    const browser = new Browser(replica.url);
    expect((await browser.signIn('leaving')).status).toBe(200);
    const sockets = await Promise.all([0, 1, 2].map(() => reconnectingSocket(browser)));
    const reasons = sockets.map((socket) => new Promise((resolve) => socket.once('disconnect', resolve)));

    expect(await replica.stop('SIGTERM')).toBe(0);
    expect(await Promise.all(reasons)).toEqual(['transport close', 'transport close', 'transport close']);
    const said = replica.logs.map((line) => String(line.msg));
    expect(said.findIndex((msg) => msg.startsWith('drained'))).toBeGreaterThan(said.findIndex((msg) => msg.startsWith('draining')));
    expect(said.findIndex((msg) => msg.startsWith('draining'))).toBeGreaterThanOrEqual(0);
    expect(said).toContain('bye');
  });
});
