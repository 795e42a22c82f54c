/**
 * `/metrics` on real replicas, scraped over HTTP from their metrics port (METRICS_PORT): the store, broker, event-loop and CRDT series appear
 * and move on a replica process (`dist/app/main.js`); the broker's publish timer, up/down gauge and
 * reconnect counter follow a real broker connection cut through a relay; the socket series count rooms
 * and deliveries.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { BROKERS } from '../../dev/brokers.js';
import { requireBroker } from '../helpers/requirements.js';
import { nextEvent, request, startReplica, tempDir, user, type Replica } from '../../dev/harness.js';
import { startTestMongo, type TestMongo } from '../../dev/mongo.js';
import { startReplicaProcess, type ReplicaProcess } from '../../dev/processes.js';
import { startRelay, type Relay } from '../../dev/tcp-relay.js';

/** `/metrics` of the metrics listener at `metricsUrl`. */
async function scrape(metricsUrl: string | undefined): Promise<string> {
  const res = await fetch(new URL('/metrics', metricsUrl));
  expect(res.status).toBe(200);
  return res.text();
}

/** The value of the sample `name` whose labels include `labels`, or undefined when there is none. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const found = Object.fromEntries([...(match[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
    if (Object.entries(labels).every(([key, value]) => found[key] === value)) return Number(match[3]);
  }
  return undefined;
}

describe('metrics of a replica process', () => {
  let replica: ReplicaProcess;
  beforeAll(async () => {
    replica = await startReplicaProcess({ DATA_DIR: tempDir(), SESSION_SECRET: 'metrics-test' });
  });
  afterAll(() => replica.stop());

  it('time store calls and broker publishes, and report the broker up', async () => {
    const alice = await user(replica.url, 'alice');
    await request(alice.socket, 'room:join', { room: 'general' });
    const before = await scrape(replica.metricsUrl);
    const ack = await request(alice.socket, 'message:send', { room: 'general', text: 'measured', clientId: 'm1' });
    expect(ack.ok).toBe(true);
    const after = await scrape(replica.metricsUrl);

    const append = { operation: 'messages.append', driver: 'embedded' };
    expect(sample(after, 'chorus_store_operation_seconds_count', append)).toBe((sample(before, 'chorus_store_operation_seconds_count', append) ?? 0) + 1);
    // Signing in wrote the session; the socket handshake read it.
    expect(sample(after, 'chorus_store_operation_seconds_count', { operation: 'sessions.set', driver: 'embedded' })).toBeGreaterThanOrEqual(1);
    expect(sample(after, 'chorus_store_operation_seconds_count', { operation: 'sessions.get', driver: 'embedded' })).toBeGreaterThanOrEqual(1);
    // Alone on its memory bus, the replica publishes nothing: no one would hear it (networked brokers below).
    const published = (text: string) => sample(text, 'chorus_broker_publish_seconds_count', { broker: 'memory' }) ?? 0;
    expect(published(after)).toBe(published(before));
    expect(sample(after, 'chorus_broker_up', { broker: 'memory' })).toBe(1);
    expect(sample(after, 'chorus_messages_received_total')).toBe(1);
    expect(sample(after, 'nodejs_eventloop_lag_p99_seconds')).toBeGreaterThan(0);
    expect(after).toMatch(/^# TYPE chorus_crdt_replication_lag_seconds histogram$/m);
    alice.socket.disconnect();
  });

  it('count and time HTTP requests by route pattern and status, never by raw path, and say which release runs', async () => {
    const secretRoom = 'room-named-like-no-label';
    const guest = await user(replica.url, 'httpguest');
    const history = await guest.browser.request('GET', `/api/rooms/${secretRoom}/messages`);
    expect(history.status).toBe(404);
    expect((await guest.browser.request('GET', '/api/rooms')).status).toBe(200);
    expect((await fetch(`${replica.url}/API/ROOMS/${secretRoom}/messages`)).status).toBe(401);
    expect((await fetch(`${replica.url}/style.css`)).status).toBe(200);
    expect((await fetch(`${replica.url}/no/such/${secretRoom}`)).status).toBe(404);
    guest.socket.disconnect();
    const text = await scrape(replica.metricsUrl);

    const requests = (route: string, status: string) => sample(text, 'chorus_http_requests_total', { method: 'GET', route, status });
    expect(requests('/api/rooms/:room/messages', '404')).toBe(1);
    // Refused before any route took it (no session): the label names no room either.
    expect(requests('/api/*', '401')).toBe(1);
    expect(requests('/api/rooms', '200')).toBe(1);
    expect(requests('static', '200')).toBeGreaterThanOrEqual(1);
    expect(requests('unmatched', '404')).toBe(1);
    expect(sample(text, 'chorus_http_request_duration_seconds_count', { method: 'GET', route: '/api/rooms', status: '200' })).toBe(1);
    expect(text).not.toContain(secretRoom);
    const { version } = (await import('../../package.json', { with: { type: 'json' } })).default;
    expect(sample(text, 'chorus_build_info', { version, nodejs: process.versions.node })).toBe(1);
  });
});

describe('socket metrics', () => {
  let replica: Replica;
  beforeAll(async () => {
    replica = await startReplica();
  });
  afterAll(() => replica.stop());

  it('count the chat rooms in use and every delivery of a message', async () => {
    const alice = await user(replica.url, 'alice');
    const bob = await user(replica.url, 'bob');
    await request(alice.socket, 'room:join', { room: 'general' });
    await request(bob.socket, 'room:join', { room: 'general' });
    await request(bob.socket, 'room:join', { room: 'lobby' });
    expect(sample(await scrape(replica.metricsUrl), 'chorus_rooms')).toBe(2);

    const delivered = [nextEvent(alice.socket, 'message'), nextEvent(bob.socket, 'message')];
    await request(alice.socket, 'message:send', { room: 'general', text: 'to both', clientId: 'd1' });
    await Promise.all(delivered);
    const text = await scrape(replica.metricsUrl);
    expect(sample(text, 'chorus_messages_delivered_total')).toBe(2);

    await request(bob.socket, 'room:leave', { room: 'lobby' });
    expect(sample(await scrape(replica.metricsUrl), 'chorus_rooms')).toBe(1);
    // Scraping again adds nothing: deliveries are counted once.
    expect(sample(await scrape(replica.metricsUrl), 'chorus_messages_delivered_total')).toBe(2);
    alice.socket.disconnect();
    bob.socket.disconnect();
  });
});

describe.each(BROKERS.filter((setup) => setup.port))('broker metrics over $name', (setup) => {
  const { name } = setup;
  let mongo: TestMongo;
  let relay: Relay | undefined;
  let replica: ReplicaProcess | undefined;
  beforeAll(async () => {
    mongo = await startTestMongo();
  });
  afterAll(() => mongo.close());
  afterEach(async () => {
    await replica?.stop();
    await relay?.close();
  });

  it('go down when the connection is cut and count the reconnect', async (ctx) => {
    await requireBroker(setup, ctx);
    relay = await startRelay(setup.port!);
    replica = await startReplicaProcess({ MONGO_URL: mongo.databaseUrl(), SESSION_SECRET: 'metrics-test', ...setup.env(relay.port) });
    const url = replica.metricsUrl;
    const up = async () => sample(await scrape(url), 'chorus_broker_up', { broker: name });
    const reconnects = async () => sample(await scrape(url), 'chorus_broker_reconnects_total', { broker: name }) ?? 0;

    await expect.poll(up, { timeout: 15_000 }).toBe(1);
    expect(await reconnects()).toBe(0);
    // The replica's hello and heartbeats are timed publishes.
    const published = async () => sample(await scrape(url), 'chorus_broker_publish_seconds_count', { broker: name }) ?? 0;
    await expect.poll(published, { timeout: 15_000 }).toBeGreaterThan(0);
    // The replica made sure of the default room at start, on MongoDB this time.
    expect(sample(await scrape(url), 'chorus_store_operation_seconds_count', { operation: 'rooms.ensure', driver: 'mongo' })).toBeGreaterThanOrEqual(1);
    relay.cut();
    await expect.poll(up, { timeout: 15_000 }).toBe(0);
    relay.restore();
    await expect.poll(up, { timeout: 20_000 }).toBe(1);
    expect(await reconnects()).toBeGreaterThanOrEqual(1);
  });
});
