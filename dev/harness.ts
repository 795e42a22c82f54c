/**
 * Starts real replicas in-process on ephemeral ports, and talks to them like browsers do: HTTP with a
 * session cookie, Socket.IO over TCP.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { io as ioClient, type Socket } from 'socket.io-client';
import { createApp, type App } from '../src/app/app.js';
import { brokerOptionsOf, createBroker } from '../src/broker/create-broker.js';
import type { Broker, BrokerOptions } from '../src/broker/port.js';
import { loadConfig, type Config } from '../src/config/config.js';
import { createLogger } from '../src/observability/logger.js';
import { openStore } from '../src/store/open-store.js';
import type { Store } from '../src/store/port.js';

export interface Replica {
  url: string;
  /** The metrics listener (METRICS_PORT), where `/metrics` is. */
  metricsUrl: string;
  app: App;
  store: Store;
  broker: Broker;
  config: Config;
  /** Closes the app, its broker and its store. */
  stop(): Promise<void>;
}

/** A temp directory removed when `cleanup` runs. */
export function tempDir(prefix = 'chorus-test-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/**
 * One replica configured by `env` as `npm start` would be: the embedded store in `dataDir` (fresh
 * when omitted) unless `env` names a MongoDB.
 */
export async function startReplica(
  options: { dataDir?: string; env?: Record<string, string>; brokerOptions?: BrokerOptions; offlineGraceMs?: number } = {},
): Promise<Replica> {
  const dataDir = options.dataDir ?? tempDir();
  const config = loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent', DATA_DIR: dataDir, ...options.env });
  const logger = createLogger({ level: 'silent' });
  const store = await openStore(config, logger);
  const broker = createBroker(config.broker, { logger, ...brokerOptionsOf(config), ...options.brokerOptions });
  const app = await createApp({ config, store, broker, logger, offlineGraceMs: options.offlineGraceMs });
  const port = await app.listen(0, '127.0.0.1');
  const metricsPort = await app.listenMetrics(0, '127.0.0.1');
  return {
    url: `http://127.0.0.1:${port}`,
    metricsUrl: `http://127.0.0.1:${metricsPort}`,
    app,
    store,
    broker,
    config,
    stop: async () => {
      await app.close();
      await broker.close();
      await store.close();
    },
  };
}

export interface HttpResult<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

/** A browser-like HTTP client that keeps its session cookie. */
export class Browser {
  cookie = '';
  constructor(readonly baseUrl: string) {}

  async request<T = any>(
    method: string,
    pathname: string,
    body?: unknown,
    init: { raw?: string; contentType?: string; headers?: Record<string, string> } = {},
  ): Promise<HttpResult<T>> {
    const headers: Record<string, string> = { ...init.headers };
    if (this.cookie) headers.cookie = this.cookie;
    let payload: string | FormData | undefined;
    if (init.raw !== undefined) {
      payload = init.raw;
      headers['content-type'] = init.contentType ?? 'application/json';
    } else if (body instanceof FormData) {
      payload = body;
    } else if (body !== undefined) {
      payload = JSON.stringify(body);
      headers['content-type'] = 'application/json';
    }
    const res = await fetch(new URL(pathname, this.baseUrl), { method, headers, body: payload });
    const setCookie = res.headers.getSetCookie().find((c) => c.startsWith('chorus.sid='));
    if (setCookie) this.cookie = setCookie.split(';')[0]!;
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      // not JSON: keep the text
    }
    return { status: res.status, body: parsed as T, headers: res.headers };
  }

  /** This browser, session and all, talking to the replica at `baseUrl` (any replica accepts any session). */
  at(baseUrl: string): Browser {
    const elsewhere = new Browser(baseUrl);
    elsewhere.cookie = this.cookie;
    return elsewhere;
  }

  async signIn(name: string, password?: string): Promise<HttpResult> {
    return this.request('POST', '/api/session', password === undefined ? { name } : { name, password });
  }

  /** A connected Socket.IO client carrying this browser's cookie. */
  async connect(options: { transports?: string[] } = {}): Promise<Socket> {
    const socket = ioClient(this.baseUrl, {
      transports: options.transports ?? ['websocket'],
      extraHeaders: { cookie: this.cookie },
      reconnection: false,
      forceNew: true,
    });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', () => resolve());
      socket.once('connect_error', (err) => reject(err));
    });
    return socket;
  }
}

/** A signed-in user with one connected socket. */
export async function user(baseUrl: string, name: string): Promise<{ browser: Browser; socket: Socket }> {
  const browser = new Browser(baseUrl);
  const res = await browser.signIn(name);
  if (res.status !== 200) throw new Error(`sign-in of ${name} failed: ${res.status} ${JSON.stringify(res.body)}`);
  return { browser, socket: await browser.connect() };
}

/** Emits with an ack and resolves with the ack's answer. */
export function request<T = any>(socket: Socket, event: string, payload?: unknown): Promise<T> {
  return socket.timeout(5000).emitWithAck(event, payload) as Promise<T>;
}

/** Resolves with the next `event` on `socket`. */
export function nextEvent<T = any>(socket: Socket, event: string, timeoutMs = 5000): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no "${event}" within ${timeoutMs} ms`)), timeoutMs);
    socket.once(event, (value: T) => {
      clearTimeout(timer);
      resolve(value);
    });
  });
}

/** Collects every `event` on `socket` from now on. */
export function collect<T = any>(socket: Socket, event: string): T[] {
  const seen: T[] = [];
  socket.on(event, (value: T) => seen.push(value));
  return seen;
}
